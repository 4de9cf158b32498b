"""Request and response shapes of campaigns, templates, recipients, results and consent."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from manyi.api.schemas import BodyId, InputSchema, IsoDateTime, max_length
from manyi.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ChannelKind,
    ConsentEvent,
    ConsentSource,
    Group,
    Language,
    RecipientStatus,
    SkipReason,
    Template,
)


class TemplateIn(InputSchema):
    name: str = Field(min_length=1, max_length=max_length(Template, "name"))
    channel: ChannelKind
    language: Language = Language.ZH
    subject: str = Field("", max_length=max_length(Template, "subject"), description="E-mail only; may use merge fields.")
    body: str = Field(min_length=1, max_length=10_000, description="Merge fields: {{name}}, {{honorific}}, {{company}}, {{owner_name}}, {{owner_phone}}, {{unsubscribe_url}}, {{points}}.")


class TemplateOut(Schema):
    id: int
    name: str
    channel: ChannelKind
    language: Language
    subject: str
    body: str
    team_id: int | None
    created_at: datetime


class TemplateQuery(InputSchema):
    channel: ChannelKind | Literal[""] = ""


class Audience(InputSchema):
    segments: list[str] = Field(default_factory=list, max_length=20, description="RFM segments (analytics): champions, loyal, potential, new, at_risk, cant_lose, hibernating, lost, none.")
    tags: list[str] = Field(default_factory=list, max_length=50)
    grades: list[Literal["A", "B", "C", "D"]] = Field(default_factory=list, max_length=4)
    importance: list[str] = Field(default_factory=list, max_length=10)
    winback: bool = Field(False, description="Only customers on the analytics win-back list.")
    owner: int | None = Field(None, ge=1, le=2**63 - 1, description="Only this owner's customers.")


class CampaignIn(InputSchema):
    name: str = Field(min_length=1, max_length=max_length(Campaign, "name"))
    kind: CampaignKind = CampaignKind.MARKETING
    channel: ChannelKind
    template: BodyId
    audience: Audience = Field(default_factory=Audience)
    control_share: float | None = Field(None, ge=0, le=0.5, description="Share held back as a control group; 0.1 for win-back and 0 for marketing by default.")
    throttle_limit: int = Field(60, ge=1, le=1_000_000, description="At most this many messages ...")
    throttle_window: int = Field(60, ge=1, le=86_400, description="... in any window of this many seconds.")
    scheduled_at: IsoDateTime | None = None


class CampaignOut(Schema):
    id: int
    name: str
    kind: CampaignKind
    channel: ChannelKind
    template_id: int
    audience: dict[str, Any]
    control_share: float
    throttle_limit: int
    throttle_window: int
    scheduled_at: datetime | None
    status: CampaignStatus
    team_id: int | None
    created_by_id: int
    launched_at: datetime | None
    finished_at: datetime | None


class CampaignDetailOut(CampaignOut):
    counts: dict[str, int] = Field(description="Recipients by status, with total and control.")


class CampaignQuery(InputSchema):
    status: CampaignStatus | Literal[""] = ""


class RecipientQuery(InputSchema):
    status: RecipientStatus | Literal[""] = ""
    group: Group | Literal[""] = ""


class RecipientOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    address: str
    group: Group | Literal[""]
    status: RecipientStatus
    skip_reason: SkipReason | Literal[""]
    attempts: int
    sent_at: datetime | None
    provider_id: str
    error: str

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.customer.name


class GroupOut(Schema):
    size: int
    converted: int
    rate: float | None


class ResultOut(Schema):
    days: int
    treatment: GroupOut
    control: GroupOut
    difference: float | None = Field(description="Treatment rate minus control rate.")
    z: float | None
    p_value: float | None = Field(description="Two-sided two-proportion z-test.")


class ResultQuery(InputSchema):
    days: int = Field(90, ge=1, le=730)


class ConsentIn(InputSchema):
    channel: ChannelKind
    granted: bool
    source: ConsentSource = ConsentSource.STAFF
    note: str = Field("", max_length=max_length(ConsentEvent, "note"))


class ConsentEventOut(Schema):
    id: int
    channel: ChannelKind
    granted: bool
    source: ConsentSource
    note: str
    at: datetime
    by_id: int | None


class ConsentOut(Schema):
    customer_id: int
    email: bool = Field(description="Consent in force for marketing e-mail.")
    sms: bool = Field(description="Consent in force for marketing SMS.")
    events: list[ConsentEventOut]
