"""Page-number pagination: {items, total, page, page_size, pages}."""

from math import ceil
from typing import Generic, TypeVar

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema

from manyi.api.schemas import InputSchema

T = TypeVar("T")


class PageParams(InputSchema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(settings.MANYI_PAGE_SIZE, ge=1, le=settings.MANYI_API_MAX_PAGE_SIZE)


class Page(Schema, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int


def paginate(qs: QuerySet, params: PageParams) -> dict:
    """One COUNT and one slice; a page past the end is empty."""
    total = qs.count()
    start = (params.page - 1) * params.page_size
    items = list(qs[start : start + params.page_size]) if start < total else []
    pages = ceil(total / params.page_size)
    return {"items": items, "total": total, "page": params.page, "page_size": params.page_size, "pages": pages}
