"""Quotes (报价): an honest quote with its breakdown (parts, market reference
price, workload, difficulty, quality), versions that never change, a manager's
approval (or not) of a discount above the team's limit, sending, the customer's answer
(an accepted quote writes an order and wins its deal), and the PDF.

Every read goes through sales.selectors.quotes (a quote you may not see is a
404), every write through sales.services.quotes. A state that does not allow
the action is a 409 with a `code`: approval_required, no_approval_needed,
already_approved, quote_accepted, quote_expired, wrong_status, order_refused."""

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.quotes_schemas import (
    AcceptIn,
    ApproveIn,
    DeclineIn,
    QuoteIn,
    QuoteListItem,
    QuoteOut,
    QuoteQuery,
    RejectIn,
    VersionIn,
    VersionQuery,
)
from manyi.api.schemas import ErrorOut, PathId
from manyi.customers.selectors import customer_get
from manyi.sales import pdf
from manyi.sales.models import Quote
from manyi.sales.selectors import deals as deal_selectors
from manyi.sales.selectors import quotes as selectors
from manyi.sales.services import quotes as services

router = Router(tags=["quotes"])

CHANGE_ERRORS = {**WRITE_ERRORS, 409: ErrorOut}
_PDF = {"description": "The version as a PDF, in the quote's language.", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


def _quote(request: HttpRequest, quote_id: int) -> Quote:
    return selectors.quote_get(user=request.auth, pk=quote_id)


def _detail(request: HttpRequest, quote: Quote) -> Quote:
    """The quote as the caller now sees it, with its versions, events and the actions open to them."""
    quote = selectors.quote_get(user=request.auth, pk=quote.pk)
    quote.version_list = selectors.quote_versions(user=request.auth, quote=quote)
    quote.event_list = selectors.quote_events(user=request.auth, quote=quote)
    quote.allowed_actions = selectors.quote_actions(user=request.auth, quote=quote, version=quote.version_list[-1])
    return quote


@router.get("", response={200: Page[QuoteListItem], **ERRORS})
def quote_list(request: HttpRequest, paging: Query[PageParams], filters: Query[QuoteQuery]) -> dict:
    """The quotes you may see, newest first unless asked otherwise."""
    if filters.customer is not None:
        customer_get(user=request.auth, pk=filters.customer)
    query = selectors.QuoteFilters(status=filters.status or "", customer=filters.customer, deal=filters.deal, q=filters.q, sort=filters.sort)
    return paginate(selectors.quote_list(user=request.auth, filters=query), paging)


@router.post("", response={201: QuoteOut, **CHANGE_ERRORS})
def quote_create(request: HttpRequest, payload: QuoteIn) -> Status:
    """Write a quote (version 1, a draft) for a customer you may see, on one of
    its deals or none. A discount needs `discount_condition`; one above the
    team's limit needs a manager's approval before the quote is sent."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    deal = None
    if payload.deal is not None:
        with referenced("deal"):
            deal = deal_selectors.deal_get(user=request.auth, pk=payload.deal)
    quote = services.quote_create(by=request.auth, customer=customer, deal=deal, data=payload.service_data())
    return Status(201, _detail(request, quote))


@router.get("/{quote_id}", response={200: QuoteOut, **ERRORS})
def quote_get(request: HttpRequest, quote_id: PathId) -> Quote:
    """A quote with every version (oldest first) and its events."""
    return _detail(request, _quote(request, quote_id))


@router.post("/{quote_id}/versions", response={201: QuoteOut, **CHANGE_ERRORS})
def quote_revise(request: HttpRequest, quote_id: PathId, payload: VersionIn) -> Status:
    """Revise: a new version with the whole content sent; the earlier versions
    stay as they were and the quote is a draft again."""
    quote = _quote(request, quote_id)
    services.quote_revise(by=request.auth, quote=quote, data=payload.service_data())
    return Status(201, _detail(request, quote))


@router.post("/{quote_id}/submit", response={200: QuoteOut, **CHANGE_ERRORS})
def quote_submit(request: HttpRequest, quote_id: PathId) -> Quote:
    """Ask the team's manager to approve the current version's discount."""
    return _detail(request, services.quote_submit(by=request.auth, quote=_quote(request, quote_id)))


@router.post("/{quote_id}/approve", response={200: QuoteOut, **CHANGE_ERRORS})
def quote_approve(request: HttpRequest, quote_id: PathId, payload: ApproveIn) -> Quote:
    """The team's manager or an administrator, never the version's author."""
    return _detail(request, services.quote_approve(by=request.auth, quote=_quote(request, quote_id), note=payload.note))


@router.post("/{quote_id}/decline", response={200: QuoteOut, **CHANGE_ERRORS})
def quote_decline(request: HttpRequest, quote_id: PathId, payload: DeclineIn) -> Quote:
    """The manager does not approve the discount asked for, and says why; the
    quote is a draft again."""
    return _detail(request, services.quote_decline(by=request.auth, quote=_quote(request, quote_id), reason=payload.reason))


@router.post("/{quote_id}/send", response={200: QuoteOut, **CHANGE_ERRORS})
def quote_send(request: HttpRequest, quote_id: PathId) -> Quote:
    """Record that the current version went to the customer."""
    return _detail(request, services.quote_send(by=request.auth, quote=_quote(request, quote_id)))


@router.post("/{quote_id}/accept", response={200: QuoteOut, **CHANGE_ERRORS})
def quote_accept(request: HttpRequest, quote_id: PathId, payload: AcceptIn) -> Quote:
    """The customer accepts the current version: its product lines become an
    order (lines without a product are not in it), and an open deal is won."""
    quote = services.quote_accept(by=request.auth, quote=_quote(request, quote_id), create_order=payload.create_order)
    return _detail(request, quote)


@router.post("/{quote_id}/reject", response={200: QuoteOut, **CHANGE_ERRORS})
def quote_reject(request: HttpRequest, quote_id: PathId, payload: RejectIn) -> Quote:
    """The customer said no, and why. The deal stays open."""
    return _detail(request, services.quote_reject(by=request.auth, quote=_quote(request, quote_id), reason=payload.reason))


@router.get("/{quote_id}/pdf", response=ERRORS, openapi_extra={"responses": {200: _PDF}})
def quote_pdf(request: HttpRequest, quote_id: PathId, query: Query[VersionQuery]) -> HttpResponse:
    """The current version (or `version`) as a PDF, in the quote's language."""
    quote = _quote(request, quote_id)
    version = selectors.quote_version(user=request.auth, quote=quote, number=query.version)
    response = HttpResponse(pdf.render_pdf(quote=quote, version=version), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.pdf_filename(quote, version)}"'
    return response
