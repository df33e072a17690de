"""JSON bodies, bounded: DRF reads the request stream itself and so bypasses Django's
DATA_UPLOAD_MAX_MEMORY_SIZE; this parser enforces it (413), and turns every way JSON can be
malformed (bad UTF-8, NaN, nesting deep enough to exhaust recursion) into 400 parse_error."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from partners.api.errors import RequestTooLarge


def body_limit() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 1024 * 1024)


class BoundedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        limit = body_limit()
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
            return json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError, LookupError) as exc:
            raise ParseError(f"The body is not valid JSON: {exc}"[:300]) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
