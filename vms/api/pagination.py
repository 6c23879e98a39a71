"""Limit/offset pagination with a hard ceiling so one request cannot ask for everything.

A limit or offset that is not a whole number in range is a 400 (DRF's own pagination quietly uses its default
instead, so `?limit=-2.2e-311` answered as if valid)."""

from __future__ import annotations

import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

from vms.api.filters import BIGINT_MAX


class Pagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000
    # PostgreSQL's OFFSET is a bigint.
    max_offset = BIGINT_MAX

    def get_limit(self, request) -> int:
        return self._whole_number(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        return self._whole_number(request, self.offset_query_param, 0, 0, self.max_offset)

    @staticmethod
    def _whole_number(request, name: str, default: int, lowest: int, highest: int) -> int:
        raw = request.query_params.get(name)
        if raw is None:
            return default
        if not re.fullmatch(r"[0-9]{1,19}", raw) or not lowest <= int(raw) <= highest:
            raise ValidationError({name: [f"A whole number from {lowest} to {highest}."]})
        return int(raw)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, self.max_offset)}
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            lowest, highest = bounds[parameter["name"]]
            parameter["schema"].update(minimum=lowest, maximum=highest)
        return parameters
