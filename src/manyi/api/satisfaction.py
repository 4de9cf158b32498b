"""Surveys (domain §6): personal survey links, responses (through a link or
entered by staff) and the results. Reads go through satisfaction.selectors
(only the responses of customers you may see; anyone else's is 404), writes
through satisfaction.services."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.satisfaction_schemas import (
    InvitationIn,
    InvitationOut,
    ResponseIn,
    ResponseOut,
    ResponseQuery,
    ResultsOut,
    ResultsQuery,
)
from manyi.api.schemas import PathId
from manyi.core.errors import ValidationFailed
from manyi.customers.selectors import customer_get
from manyi.satisfaction import selectors, services
from manyi.satisfaction.drivers import Driver

router = Router(tags=["satisfaction"])


@router.post("/invitations", response={201: InvitationOut, **WRITE_ERRORS})
def invitation_create(request: HttpRequest, payload: InvitationIn) -> Status:
    """A personal survey link for a customer you may see. The token (and the
    link) are in this answer only. 400 `survey_already_invited` when a link
    was made for the same trigger and source before."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    data = payload.model_dump(exclude={"customer"})
    invitation, token = services.survey_invite(customer=customer, by=request.auth, **data)
    body = {
        "id": invitation.pk, "customer": {"id": customer.pk, "name": customer.name}, "kind": invitation.kind, "trigger": invitation.trigger,
        "source": invitation.source, "language": invitation.language, "expires_at": invitation.expires_at, "token": token,
        "url": request.build_absolute_uri(reverse("web:survey_public", args=[token])),
    }  # fmt: skip
    return Status(201, body)


@router.get("/responses", response={200: Page[ResponseOut], **ERRORS})
def response_list(request: HttpRequest, paging: Query[PageParams], query: Query[ResponseQuery]) -> dict:
    """The responses of customers you may see, newest first unless asked otherwise."""
    filters = selectors.ResponseFilters(**query.model_dump())
    return paginate(selectors.response_list(user=request.auth, filters=filters).prefetch_related("answers"), paging)


@router.get("/responses/{response_id}", response={200: ResponseOut, **ERRORS})
def response_get(request: HttpRequest, response_id: PathId):
    return selectors.response_get(user=request.auth, pk=response_id)


@router.post("/responses", response={201: ResponseOut, **WRITE_ERRORS})
def response_create(request: HttpRequest, payload: ResponseIn) -> Status:
    """Enter an answer the customer gave on paper, by phone or in person. A
    dissatisfied answer opens a follow-up task for the customer's owner."""
    with referenced("customer"):
        customer = customer_get(user=request.auth, pk=payload.customer)
    drivers = [a.driver for a in payload.answers]
    if len(set(drivers)) != len(drivers):
        message = _("Rate each driver once.")
        raise ValidationFailed(message, fields={"answers": [message]})
    data = {"score": payload.score, "comment": payload.comment}
    for answer in payload.answers:
        driver = Driver(answer.driver).value
        data[f"expectation_{driver}"] = answer.expectation
        data[f"perception_{driver}"] = answer.perception
    response = services.survey_enter(by=request.auth, customer=customer, kind=payload.kind, data=data)
    return Status(201, selectors.response_get(user=request.auth, pk=response.pk))


@router.get("/results", response={200: ResultsOut, **ERRORS})
def results(request: HttpRequest, query: Query[ResultsQuery]):
    """CSAT %, NPS and mean gap overall, by month, team, rep and product, and
    each driver's mean gap (the largest shortfalls apart), from the
    responses of customers you may see."""
    return selectors.results(user=request.auth, filters=selectors.ResponseFilters(**query.model_dump()))
