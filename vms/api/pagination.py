"""Limit/offset pagination with a hard ceiling so one request cannot ask for everything."""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000
