"""Interactions: visits, calls, e-mails, chats, meetings and notes."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced, renamed
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import InteractionIn, InteractionOut, InteractionQuery, PathId
from manyi.customers.selectors import contact_get, customer_get
from manyi.interactions import selectors, services
from manyi.interactions.models import Interaction

router = Router(tags=["interactions"])

# The columns a list row needs: the related customer, contact and author by name only.
LIST_COLUMNS = (
    "id", "kind", "direction", "channel", "occurred_at", "subject", "participants", "text", "outcome", "created_at",
    "customer__id", "customer__name", "contact__id", "contact__name", "created_by__id", "created_by__username",
    "created_by__first_name", "created_by__last_name", "created_by__display_name",
    *(f"emotion__{name}" for name in (
        "id", "polarity", "polarity_score", "primary", "emotions", "intensity", "escalation", "complaint", "cause", "tags", "evidence",
        "model_version", "created_at",
    )),
)  # fmt: skip


@router.get("", response={200: Page[InteractionOut], **ERRORS})
def interaction_list(request: HttpRequest, paging: Query[PageParams], filters: Query[InteractionQuery]) -> dict:
    qs = selectors.interaction_list(user=request.auth, filters=selectors.InteractionFilters(**filters.model_dump()))
    return paginate(qs.select_related("emotion").only(*LIST_COLUMNS), paging)


@router.post("", response={201: InteractionOut, **WRITE_ERRORS})
def interaction_create(request: HttpRequest, payload: InteractionIn) -> Status:
    data = payload.model_dump(exclude={"customer_id", "contact_id"})
    with referenced("customer_id"):
        customer = customer_get(user=request.auth, pk=payload.customer_id)
    if payload.contact_id is not None:
        with referenced("contact_id"):
            data["contact"] = contact_get(user=request.auth, pk=payload.contact_id)
    with renamed(contact="contact_id"):
        item = services.interaction_create(by=request.auth, customer=customer, data=data)
    return Status(201, item)


@router.get("/{interaction_id}", response={200: InteractionOut, **ERRORS})
def interaction_get(request: HttpRequest, interaction_id: PathId) -> Interaction:
    return selectors.interaction_get(user=request.auth, pk=interaction_id)
