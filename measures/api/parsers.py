"""The API's JSON parser: DRF's, less what no answer could carry back."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """Refuses, as a 400 like any other malformed body, two things DRF's parser lets through:

    - a string holding a lone surrogate (`"\\ud800"`): valid JSON, but no text, so the 400 that
      echoed it back could not be encoded and the client got a 500;
    - nesting deep enough to exhaust Python's recursion (a RecursionError, a 500)."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except UnicodeEncodeError:
            raise ParseError(
                "JSON parse error - a string holds a lone surrogate (\\ud800-\\udfff), "
                "which is not text."
            ) from None
        return data
