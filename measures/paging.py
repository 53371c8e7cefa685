"""Pages of a long list without counting every match.

Counting a million matching rows to print "1,000,000 measures" costs more than finding the page
itself (it is what makes Datasette's unfiltered table view slow). `CappedPaginator` counts at
most `COUNT_LIMIT` + 1 rows: below the limit the count is exact, above it the count says "more
than COUNT_LIMIT" and page numbers reach as far as the limit; cursor pagination walks further.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator

COUNT_LIMIT = 10_000


class CappedPaginator(Paginator):
    count_limit = COUNT_LIMIT

    @cached_property
    def matches(self) -> int:
        """How many rows match, counting no further than one past the limit."""
        if hasattr(self.object_list, "order_by"):
            return self.object_list.order_by()[: self.count_limit + 1].count()
        return min(len(self.object_list), self.count_limit + 1)

    @property
    def count_exact(self) -> bool:
        return self.matches <= self.count_limit

    @cached_property
    def count(self) -> int:
        return min(self.matches, self.count_limit)
