"""Contacts of a customer: list and add under the customer, read, change and delete by id."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from manyi.api.errors import ERRORS, WRITE_ERRORS
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import ContactIn, ContactOut, ContactPatch, PathId
from manyi.customers import selectors, services
from manyi.customers.models import Contact

router = Router(tags=["contacts"])


@router.get("/customers/{customer_id}/contacts", response={200: Page[ContactOut], **ERRORS})
def contact_list(request: HttpRequest, customer_id: PathId, paging: Query[PageParams]) -> dict:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    return paginate(selectors.contact_list(user=request.auth, customer=customer), paging)


@router.post("/customers/{customer_id}/contacts", response={201: ContactOut, **WRITE_ERRORS})
def contact_create(request: HttpRequest, customer_id: PathId, payload: ContactIn) -> Status:
    customer = selectors.customer_get(user=request.auth, pk=customer_id)
    contact = services.contact_create(by=request.auth, customer=customer, data=payload.model_dump(exclude_unset=True))
    return Status(201, contact)


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS})
def contact_get(request: HttpRequest, contact_id: PathId) -> Contact:
    return selectors.contact_get(user=request.auth, pk=contact_id)


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **WRITE_ERRORS})
def contact_update(request: HttpRequest, contact_id: PathId, payload: ContactPatch) -> Contact:
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    return services.contact_update(by=request.auth, contact=contact, data=payload.model_dump(exclude_unset=True))


@router.delete("/contacts/{contact_id}", response={204: None, **ERRORS})
def contact_delete(request: HttpRequest, contact_id: PathId) -> Status:
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    services.contact_delete(by=request.auth, contact=contact)
    return Status(204, None)
