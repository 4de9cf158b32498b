"""Pagination whose count stays cheap on a million rows: counting stops at
COUNT_CAP, and the page says "10,000+"."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

COUNT_CAP = settings.MANYI_COUNT_CAP


class CappedPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            return self.object_list.order_by()[: COUNT_CAP + 1].count()
        return self.object_list.count()  # a CustomerListing, capped itself

    @property
    def cap(self) -> int:
        """Where counting stopped: a listing may stop sooner (a search at 1,000)."""
        return getattr(self.object_list, "cap", COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def paginate(request, rows) -> Page:
    size = settings.MANYI_PAGE_SIZE
    paginator = CappedPaginator(rows, size)
    number = request.GET.get("page", "")
    if hasattr(rows, "expect"):  # a listing reads the page with its count
        first = (int(number) - 1) * size if number.isdigit() and int(number) > 0 else 0
        rows.expect(first, first + size)
    return paginator.get_page(number)
