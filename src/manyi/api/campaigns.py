"""Campaigns and win-back: templates with merge fields, campaigns to an
audience (RFM segment, tags, grades, importance, the win-back list), launching,
pausing, resuming and cancelling, recipients, the win-back result against the
control group, and each customer's marketing consent. Reads go through
campaigns.selectors (a rep sees their own campaigns, a manager and an analyst
their team's; anyone else gets 404), writes through campaigns.services. The
SMS provider's webhooks are plain views (web:sms_receipt, web:sms_inbound)."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from manyi.api.campaigns_schemas import (
    CampaignDetailOut,
    CampaignIn,
    CampaignOut,
    CampaignQuery,
    ConsentIn,
    ConsentOut,
    RecipientOut,
    RecipientQuery,
    ResultOut,
    ResultQuery,
    TemplateIn,
    TemplateOut,
    TemplateQuery,
)
from manyi.api.errors import ERRORS, WRITE_ERRORS, referenced
from manyi.api.pagination import Page, PageParams, paginate
from manyi.api.schemas import PathId
from manyi.campaigns import selectors, services
from manyi.campaigns.models import Campaign, ChannelKind
from manyi.customers.selectors import customer_get

router = Router(tags=["campaigns"])


def _campaign(request: HttpRequest, campaign_id: int) -> Campaign:
    return selectors.campaign_get(user=request.auth, pk=campaign_id)


def _detail(campaign: Campaign) -> dict:
    data = CampaignOut.model_validate(campaign).model_dump()
    return {**data, "counts": selectors.campaign_counts(campaign=campaign)}


@router.get("/templates", response={200: list[TemplateOut], **ERRORS})
def template_list(request: HttpRequest, query: Query[TemplateQuery]) -> list:
    """Your team's templates and the company-wide ones."""
    return list(selectors.template_list(user=request.auth, channel=query.channel))


@router.post("/templates", response={201: TemplateOut, **WRITE_ERRORS})
def template_create(request: HttpRequest, payload: TemplateIn) -> Status:
    """An unknown merge field or stray braces is a 422 naming the field."""
    return Status(201, services.template_create(by=request.auth, data=payload.model_dump()))


@router.get("", response={200: Page[CampaignOut], **ERRORS})
def campaign_list(request: HttpRequest, paging: Query[PageParams], query: Query[CampaignQuery]) -> dict:
    return paginate(selectors.campaign_list(user=request.auth, status=query.status), paging)


@router.post("", response={201: CampaignDetailOut, **WRITE_ERRORS})
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status:
    """A draft; nothing is sent until it is launched."""
    with referenced("template"):
        template = selectors.template_get(user=request.auth, pk=payload.template)
    data = payload.model_dump(exclude={"template"})
    data["audience"] = {k: v for k, v in data["audience"].items() if v not in (None, [], False)}
    campaign = services.campaign_create(by=request.auth, data={**data, "template": template})
    return Status(201, _detail(campaign))


@router.get("/{campaign_id}", response={200: CampaignDetailOut, **ERRORS})
def campaign_get(request: HttpRequest, campaign_id: PathId) -> dict:
    return _detail(_campaign(request, campaign_id))


@router.post("/{campaign_id}/launch", response={200: CampaignDetailOut, **WRITE_ERRORS})
def campaign_launch(request: HttpRequest, campaign_id: PathId) -> dict:
    """Resolve the audience, record who is skipped and why, hold back the
    control group and queue the sending (at scheduled_at, if set)."""
    campaign = services.campaign_launch(campaign=_campaign(request, campaign_id), by=request.auth, public_url=request.build_absolute_uri("/"))
    return _detail(_campaign(request, campaign.pk))


@router.post("/{campaign_id}/pause", response={200: CampaignDetailOut, **WRITE_ERRORS})
def campaign_pause(request: HttpRequest, campaign_id: PathId) -> dict:
    services.campaign_pause(campaign=_campaign(request, campaign_id), by=request.auth)
    return _detail(_campaign(request, campaign_id))


@router.post("/{campaign_id}/resume", response={200: CampaignDetailOut, **WRITE_ERRORS})
def campaign_resume(request: HttpRequest, campaign_id: PathId) -> dict:
    services.campaign_resume(campaign=_campaign(request, campaign_id), by=request.auth)
    return _detail(_campaign(request, campaign_id))


@router.post("/{campaign_id}/cancel", response={200: CampaignDetailOut, **WRITE_ERRORS})
def campaign_cancel(request: HttpRequest, campaign_id: PathId) -> dict:
    services.campaign_cancel(campaign=_campaign(request, campaign_id), by=request.auth)
    return _detail(_campaign(request, campaign_id))


@router.get("/{campaign_id}/recipients", response={200: Page[RecipientOut], **ERRORS})
def recipient_list(request: HttpRequest, campaign_id: PathId, paging: Query[PageParams], query: Query[RecipientQuery]) -> dict:
    rows = selectors.recipient_list(campaign=_campaign(request, campaign_id), status=query.status, group=query.group)
    return paginate(rows, paging)


@router.post("/recipients/{recipient_id}/resend", response={200: RecipientOut, **WRITE_ERRORS})
def recipient_resend(request: HttpRequest, recipient_id: PathId) -> object:
    """Send an uncertain or failed message again, once a person has checked it did not arrive."""
    recipient = services.recipient_resend(recipient=selectors.recipient_get(user=request.auth, pk=recipient_id), by=request.auth)
    return selectors.recipient_get(user=request.auth, pk=recipient.pk)


@router.get("/{campaign_id}/result", response={200: ResultOut, **ERRORS})
def campaign_result(request: HttpRequest, campaign_id: PathId, query: Query[ResultQuery]) -> dict:
    """Who bought again within `days` of the launch: treatment against the held-back control group."""
    result = selectors.campaign_result(campaign=_campaign(request, campaign_id), days=query.days)
    group = lambda g: {"size": g.size, "converted": g.converted, "rate": g.rate}  # noqa: E731
    return {"days": query.days, "treatment": group(result.treatment), "control": group(result.control),
            "difference": result.difference, "z": result.z, "p_value": result.p_value}  # fmt: skip


def _consent(customer) -> dict:
    events = list(selectors.consent_history(customer=customer))
    state = {}
    for channel in ChannelKind.values:
        latest = next((e for e in events if e.channel == channel), None)
        state[channel] = bool(latest and latest.granted)
    return {"customer_id": customer.pk, **state, "events": events}


@router.get("/consent/{customer_id}", response={200: ConsentOut, **ERRORS})
def consent_get(request: HttpRequest, customer_id: PathId) -> dict:
    """A customer's marketing consent in force per channel, and every grant and withdrawal."""
    return _consent(customer_get(user=request.auth, pk=customer_id))


@router.post("/consent/{customer_id}", response={200: ConsentOut, **WRITE_ERRORS})
def consent_post(request: HttpRequest, customer_id: PathId, payload: ConsentIn) -> dict:
    """Record what the customer said (granted or withdrawn); the latest event is in force."""
    customer = customer_get(user=request.auth, pk=customer_id)
    services.consent_record(customer=customer, by=request.auth, **payload.model_dump())
    return _consent(customer)
