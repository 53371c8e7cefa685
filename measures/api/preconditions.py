"""`If-Match` as RFC 9110 §13.1.1 defines it: `*`, or a list of entity tags compared strongly.

`*` matches any current representation (an update of a record that exists passes); otherwise
the header passes when one of its tags is strong (no `W/`) and equal to the record's ETag. A
weak tag never matches: a weak validator cannot vouch for the exact bytes an update replaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E (obs-text is left out:
# our own tags are hex, and a header is read as Latin-1 text).
ENTITY_TAG = r'(?:W/)?"[\x21\x23-\x7e]*"'
IF_MATCH_PATTERN = rf"^[ \t]*(?:\*|{ENTITY_TAG}(?:[ \t]*,[ \t]*{ENTITY_TAG})*)[ \t]*$"
_HEADER = re.compile(IF_MATCH_PATTERN)
_TAG = re.compile(ENTITY_TAG)


class MalformedIfMatch(ValueError):
    """The header is neither `*` nor a comma-separated list of quoted entity tags."""


@dataclass(frozen=True)
class IfMatch:
    """A parsed `If-Match` header: any current representation (`*`), or these entity tags."""

    any_current: bool
    tags: tuple[str, ...]

    @classmethod
    def parse(cls, header: str) -> IfMatch:
        if not _HEADER.fullmatch(header):
            raise MalformedIfMatch(header)
        if header.strip() == "*":
            return cls(any_current=True, tags=())
        return cls(any_current=False, tags=tuple(_TAG.findall(header)))

    def matches(self, current: str) -> bool:
        """Whether the representation tagged `current` (a strong ETag such as `"3f2a"`)
        passes: `*`, or one strong tag equal to it."""
        return self.any_current or any(
            not tag.startswith("W/") and tag == current for tag in self.tags
        )
