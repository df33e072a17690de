"""A page of a long, newest-first list without COUNT(*).

Django's Paginator counts the whole list to say "page 3 of 4000"; for a shop with 100,000 ledger
entries that count is most of the page's time (docs/benchmarks.md, "Dashboard pages"). This page
fetches one row more than it shows: that row says whether an older page exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet


class UncountedPage:
    def __init__(self, queryset: QuerySet[Any], number: Any, per_page: int) -> None:
        try:
            self.number = max(1, int(number))
        except (TypeError, ValueError):
            self.number = 1
        start = (self.number - 1) * per_page
        rows = list(queryset[start : start + per_page + 1])
        self.object_list = rows[:per_page]
        self.has_next = len(rows) > per_page
        self.has_previous = self.number > 1

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
