"""Request parsers of the API."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser


class JSONParser(BaseJSONParser):
    """DRF's JSON parser, plus a clear 400 for a body nested deeper than Python's parser can follow (a few thousand
    brackets). DRF turns only ValueError into a ParseError, so such a body would otherwise answer 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
