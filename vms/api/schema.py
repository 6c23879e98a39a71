"""The OpenAPI schema documents the errors too: every operation lists the problem documents it can answer
(vms/api/errors.py), so clients and the fuzzer know every status an operation can return.

Added to each operation here: 401 and 403 (not logged in, not allowed), 400 when it takes a body or query
parameters, 415 when it takes a body (JSON only), 404 when its path names something, 429 when it is throttled.
Errors particular to an operation (409, 502, a 404 for something named in the body) are declared on it with
`PROBLEM`."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from vms.api.errors import TITLES

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemSerializer(serializers.Serializer):
    """The one error shape of the API (RFC 9457 style)."""

    type = serializers.CharField(help_text="What went wrong in one word, e.g. invalid, not_found, no_footage")
    title = serializers.CharField(help_text="The status in words")
    status = serializers.IntegerField(help_text="The HTTP status")
    detail = serializers.CharField(help_text="What went wrong, for people")
    errors = serializers.DictField(help_text="For invalid input: the messages of each field by its name")

    class Meta:
        ref_name = "Problem"


PROBLEM = ProblemSerializer


class ProblemAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with the problem documents each operation can answer."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        locations = {parameter["in"] for parameter in operation.get("parameters", [])}
        statuses = [401, 403]
        if "requestBody" in operation or "query" in locations:
            statuses.append(400)
        if "requestBody" in operation:
            statuses.append(415)
        if "path" in locations:
            statuses.append(404)
        if self.view.get_throttles():
            statuses.append(429)
        for status in statuses:
            operation["responses"].setdefault(str(status), self._problem(status))
        return operation

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        if serializer is ProblemSerializer:
            media_types = [PROBLEM_MEDIA_TYPE]
            serializer = OpenApiResponse(ProblemSerializer, description=TITLES.get(int(status_code), "Error"))
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _problem(self, status: int) -> dict:
        return self._get_response_for_code(ProblemSerializer, str(status))
