"""The API's one request parser: JSON whose text holds no NUL character.

PostgreSQL stores no NUL in a text or jsonb column and refuses it in a query, so a NUL that reached the database (a
username looked up for a camera access entry, a key of someone's preferences) was a 500. DRF's CharField refuses
it already; this refuses it everywhere else a body's text goes: related-object lookups, JSON fields, keys."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


class JsonWithoutNulParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if holds_nul(data):
            raise ParseError("Text in a request cannot contain NUL (\\u0000) characters.")
        return data
