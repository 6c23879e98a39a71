"""One error shape for the whole API: {"type", "title", "status", "detail", "errors"} (RFC 9457 style)."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from storage import StoreUnavailable

log = logging.getLogger(__name__)

TITLES = {
    400: "Invalid request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
    502: "Camera error",
    503: "Service unavailable",
}


class CameraUnavailable(exceptions.APIException):
    """The camera or its stream could not be used; `reason` says why in one word."""

    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = "camera_unavailable"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def problem(status_code: int, detail: str, *, type_: str | None = None, errors: dict | None = None) -> JsonResponse:
    """A problem document, always JSON whatever the view renders otherwise (the schema view renders YAML)."""
    return JsonResponse(
        {
            "type": type_ or TITLES.get(status_code, "Error").lower().replace(" ", "_"),
            "title": TITLES.get(status_code, "Error"),
            "status": status_code,
            "detail": detail,
            "errors": errors or {},
        },
        status=status_code,
        # ASCII only (other characters escaped): clients guess the charset of application/problem+json, which
        # has none, and a guess of anything but UTF-8 would garble a name quoted in the detail.
        content_type="application/problem+json",
    )


def problem_exception_handler(exc, context):
    if isinstance(exc, StoreUnavailable):
        log.warning("%s", exc)
        return problem(503, "The recordings cannot be read right now: their store does not answer. Try again in a "
                       "moment; an administrator sees why on the health page.", type_="store_unavailable")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    errors: dict = {}
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        detail = "Some fields are not valid; see errors."
        if isinstance(data, list) and data:
            detail = str(data[0])
    else:
        detail = str(exc.detail) if hasattr(exc, "detail") else str(exc)
    type_ = exc.reason if isinstance(exc, CameraUnavailable) else getattr(exc, "default_code", None)
    result = problem(response.status_code, detail, type_=type_, errors=errors)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 for a path no route matches: a problem document under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return problem(404, "There is nothing at this address of the API.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 (the error is logged by Django): a problem document under /api/, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return problem(500, "The server failed to answer this request; the error is logged.")
    return defaults.server_error(request)
