"""Customers: list, create, read, change, soft delete, restore, timeline."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from manyi.accounts.selectors import active_user_get
from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.pagination import COUNT_CAP, Page, PageParams, paginate
from manyi.api.schemas import (
    CustomerIn,
    CustomerListItem,
    CustomerOut,
    CustomerPatch,
    CustomerQuery,
    PathId,
    TimelineEntryOut,
    TimelineQuery,
)
from manyi.customers import selectors, services
from manyi.customers.models import Customer
from manyi.interactions.selectors import customer_timeline

router = Router(tags=["customers"])

def _data(payload: CustomerPatch) -> dict:
    """The fields sent, with the owner's user id resolved to a user."""
    data = payload.model_dump(exclude_unset=True)
    if data.get("owner") is not None:
        with referenced("owner"):
            data["owner"] = active_user_get(ref=data["owner"])
    return data


@router.get("", response={200: Page[CustomerListItem], **ERRORS})
def customer_list(request: HttpRequest, paging: Query[PageParams], filters: Query[CustomerQuery]) -> dict:
    listing = selectors.CustomerListing(user=request.auth, filters=selectors.CustomerFilters(**filters.model_dump()), cap=COUNT_CAP)
    return paginate(listing, paging)


@router.post("", response={201: CustomerOut, **WRITE_ERRORS})
def customer_create(request: HttpRequest, payload: CustomerIn) -> Status:
    return Status(201, services.customer_create(by=request.auth, data=_data(payload)))


@router.get("/{customer_id}", response={200: CustomerOut, **ERRORS})
def customer_get(request: HttpRequest, customer_id: PathId) -> Customer:
    return selectors.customer_get(user=request.auth, pk=customer_id)


@router.patch("/{customer_id}", response={200: CustomerOut, **WRITE_ERRORS})
def customer_update(request: HttpRequest, customer_id: PathId, payload: CustomerPatch) -> Customer:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    return services.customer_update(by=request.auth, customer=customer, data=_data(payload))


@router.delete("/{customer_id}", response={204: None, **ERRORS})
def customer_delete(request: HttpRequest, customer_id: PathId) -> Status:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    services.customer_delete(by=request.auth, customer=customer)
    return Status(204, None)


@router.post("/{customer_id}/restore", response={200: CustomerOut, **WRITE_ERRORS})
def customer_restore(request: HttpRequest, customer_id: PathId) -> Customer:
    customer = selectors.customer_get(user=request.auth, pk=customer_id, include_deleted=True)
    return services.customer_restore(by=request.auth, customer=customer)


@router.get("/{customer_id}/timeline", response={200: list[TimelineEntryOut], **ERRORS})
def customer_timeline_get(request: HttpRequest, customer_id: PathId, query: Query[TimelineQuery]) -> list:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    return customer_timeline(user=request.auth, customer=customer, limit=query.limit, before=query.before)
