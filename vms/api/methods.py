"""405 for a method a route of the API does not have, whoever asks: answered before authentication and
permissions, which would otherwise say 401 or 403 (or fail: no permission names TRACE)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vms.api.errors import problem


def allowed_methods(view: Callable) -> set[str] | None:
    """The methods a DRF view answers (a viewset's mapped actions, or an APIView's handlers); None for others."""
    cls = getattr(view, "cls", None)
    if cls is None:
        return None
    handlers = set(view.actions) if getattr(view, "actions", None) else {
        name for name in cls.http_method_names if hasattr(cls, name)}
    handlers.add("options")
    if "get" in handlers:
        handlers.add("head")
    return {name.upper() for name in handlers}


class MethodNotAllowedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Callable, _args, _kwargs) -> HttpResponse | None:
        allowed = allowed_methods(view)
        if allowed is None or request.method in allowed:
            return None
        response = problem(405, f"Method {request.method!r} is not allowed here.")
        response["Allow"] = ", ".join(sorted(allowed))
        return response
