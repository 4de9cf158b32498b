"""Page-number pagination: {items, total, total_capped, page, page_size, pages, has_next}.

Counting stops at COUNT_CAP: past it `total` is COUNT_CAP, `total_capped` is
true and `pages` is null (counting a million rows costs more than the page
itself); `has_next` always says whether another page follows, so a client
can read every page either way."""

from math import ceil
from typing import Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema

from manyi.api.schemas import InputSchema

T = TypeVar("T")
COUNT_CAP = settings.MANYI_COUNT_CAP


class PageParams(InputSchema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(settings.MANYI_PAGE_SIZE, ge=1, le=settings.MANYI_API_MAX_PAGE_SIZE)


class Page(Schema, Generic[T]):
    items: list[T]
    total: int = Field(description=f"Exact up to {COUNT_CAP:,} (a search: 1,000, or 100 for a very common text); past that the cap, with total_capped true.")
    total_capped: bool
    page: int
    page_size: int
    pages: int | None = Field(description="Null when the total is capped.")
    has_next: bool


def paginate(rows, params: PageParams) -> dict:
    """One capped COUNT and one slice (a row more, to know whether a next
    page exists). `rows` is a QuerySet or a selectors' listing with count()
    and slicing of its own."""
    cap = getattr(rows, "cap", COUNT_CAP)  # a listing may stop sooner (a search at 1,000)
    start = (params.page - 1) * params.page_size
    if hasattr(rows, "expect"):  # a listing reads the page with its count
        rows.expect(start, start + params.page_size + 1)
    counted = rows.order_by()[: cap + 1].count() if isinstance(rows, QuerySet) else rows.count()
    capped = counted > cap
    items = list(rows[start : start + params.page_size + 1]) if capped or start < counted else []
    total = min(counted, cap)
    return {
        "items": items[: params.page_size],
        "total": total,
        "total_capped": capped,
        "page": params.page,
        "page_size": params.page_size,
        "pages": None if capped else ceil(total / params.page_size),
        "has_next": len(items) > params.page_size,
    }
