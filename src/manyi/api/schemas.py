"""Request and response shapes shared by the routers.

String limits come from the model fields, so the OpenAPI document and the
database agree; choice fields are the models' own enums.
"""

from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model
from django.utils import timezone
from ninja import Field, Path, Schema
from pydantic import BeforeValidator, ConfigDict, StrictBool, StrictInt, field_validator

from manyi.accounts.models import User
from manyi.customers.access import can_see_sensitive
from manyi.customers.models import (
    BirthdayCalendar,
    Category,
    ChangeAction,
    Contact,
    Customer,
    Depth,
    Gender,
    Grade,
    Importance,
    Influence,
    Kind,
    MaritalStatus,
    SocialStyle,
    Tag,
    Temperament,
)
from manyi.customers.selectors import DEFAULT_SORT, SORTS
from manyi.customers.services import MAX_TAGS
from manyi.interactions.models import (
    Channel,
    Direction,
    Escalation,
    Interaction,
    InteractionKind,
    Polarity,
)

# Ids are 64-bit database keys; a larger number is a validation error, not a crash.
MAX_ID = 2**63 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
BodyId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
PathId = Path[int, {"ge": 1, "le": MAX_ID}]
# Money (10k CNY) travels as a decimal string, in and out: "1250.50".
Money = Annotated[str, Field(pattern=r"^[0-9]{1,12}(\.[0-9]{1,2})?$", examples=["1250.50"])]
Blank = Literal[""]


def _iso_datetime(value: Any) -> datetime:
    """ISO 8601 only (no Unix timestamps); without an offset, the server's time zone."""
    try:
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return (parsed if parsed.tzinfo else timezone.make_aware(parsed)).astimezone(dt_timezone.utc)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("Send an ISO 8601 date and time, e.g. 2026-05-01T09:30:00+08:00.") from None


def _iso_date(value: Any) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("Send an ISO 8601 date, e.g. 1990-05-01.") from None


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def max_length(model: type[Model], name: str) -> int:
    return model._meta.get_field(name).max_length


class InputSchema(Schema):
    """Unknown fields are refused; text that no database can store is refused."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if not isinstance(text, str):
                continue
            if "\x00" in text:
                raise ValueError("Null characters are not allowed.")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("Text contains characters that cannot be stored.") from None
        return value


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] | None = None


class Ref(Schema):
    """A related record (a user, a customer, a contact) by id and display name."""

    id: int
    name: str


# --- auth -------------------------------------------------------------------


class TokenIn(InputSchema):
    username: str = Field(max_length=max_length(User, "username"))
    password: str = Field(max_length=1024)


class TokenOut(Schema):
    token: str
    expires_at: datetime


# --- customers --------------------------------------------------------------


def _c(name: str) -> int:
    return max_length(Customer, name)


class CustomerPatch(InputSchema):
    """Every field optional; only the fields sent are changed. Send "" to clear a text field."""

    kind: Kind = None
    name: str = Field(None, min_length=1, max_length=_c("name"))
    category: Category = None
    importance: Importance = None
    grade: Grade = None
    depth: Depth = None
    owner: BodyId = Field(None, description="User id of the new owner (managers and administrators).")
    tags: list[Annotated[str, Field(max_length=max_length(Tag, "name"))]] = Field(None, max_length=MAX_TAGS)
    notes: str = None
    social_style: SocialStyle | Blank = None
    temperament: Temperament | Blank = None

    phone: str = Field(None, max_length=_c("phone"))
    mobile: str = Field(None, max_length=_c("mobile"))
    fax: str = Field(None, max_length=_c("fax"))
    email: str = Field(None, max_length=_c("email"))
    wechat: str = Field(None, max_length=_c("wechat"))
    website: str = Field(None, max_length=_c("website"))
    province: str = Field(None, max_length=_c("province"))
    city: str = Field(None, max_length=_c("city"))
    address: str = Field(None, max_length=_c("address"))
    postal_code: str = Field(None, max_length=_c("postal_code"))
    latitude: float | None = Field(None, ge=-90, le=90, description="WGS-84 degrees, for visit routes; give both or neither.")
    longitude: float | None = Field(None, ge=-180, le=180)

    credit_code: str = Field(None, max_length=_c("credit_code"))
    enterprise_type: str = Field(None, max_length=_c("enterprise_type"))
    ownership: str = Field(None, max_length=_c("ownership"))
    industry: str = Field(None, max_length=_c("industry"))
    registered_capital: Money | None = None
    market_value: Money | None = None
    employee_count: Annotated[StrictInt, Field(ge=0, le=2_147_483_647)] | None = None
    leader_name: str = Field(None, max_length=_c("leader_name"))
    leader_background: str = None
    marketing_head: str = Field(None, max_length=_c("marketing_head"))
    purchasing_head: str = Field(None, max_length=_c("purchasing_head"))
    annual_sales: Money | None = None
    business_volume: Money | None = None

    gender: Gender | Blank = None
    birthday: IsoDate | None = None
    birthday_calendar: BirthdayCalendar = None
    western_festivals: StrictBool = None
    marital_status: MaritalStatus | Blank = None
    family_notes: str = None
    occupation: str = Field(None, max_length=_c("occupation"))
    position: str = Field(None, max_length=_c("position"))
    professional_title: str = Field(None, max_length=_c("professional_title"))
    income_level: str = Field(None, max_length=_c("income_level"))
    education: str = Field(None, max_length=_c("education"))
    resume: str = None
    health_notes: str = None
    preferences: str = None
    lifestyle: str = None
    purchase_story: str = None


class CustomerIn(CustomerPatch):
    name: str = Field(min_length=1, max_length=_c("name"))
    owner: BodyId = Field(None, description="User id of the owner; the caller when left out.")


class CustomerQuery(InputSchema):
    q: str = Field("", max_length=100, description="Name, pinyin or initials prefix, phone, e-mail or tag.")
    kind: Kind = None
    category: Category = None
    importance: Importance = None
    grade: Grade = None
    depth: Depth = None
    tag: str = Field("", max_length=max_length(Tag, "name"))
    owner: RecordId = None
    sort: Literal[tuple(SORTS)] = DEFAULT_SORT
    deleted: bool = Field(False, description="Administrators: list deleted customers instead.")


class CustomerListItem(Schema):
    id: int
    kind: Kind
    name: str
    category: Category
    importance: Importance
    grade: Grade
    depth: Depth
    owner: Ref
    tags: list[str]
    phone: str
    mobile: str
    email: str
    city: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        """A list row (selectors.CustomerRow) carries its tag names; a Customer its tags."""
        return obj.tags if isinstance(obj.tags, list) else [t.name for t in obj.tags.all()]


def _sensitive(name: str) -> staticmethod:
    """A resolver that gives null to users who may not read this field of this customer."""

    def resolve(obj: Customer, context: dict) -> str | None:
        return getattr(obj, name) if can_see_sensitive(context["request"].auth, obj) else None

    return staticmethod(resolve)


class CustomerOut(CustomerListItem):
    notes: str
    social_style: SocialStyle | Blank
    temperament: Temperament | Blank
    fax: str
    wechat: str
    website: str
    province: str
    address: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    credit_code: str
    enterprise_type: str
    ownership: str
    industry: str
    registered_capital: Decimal | None
    market_value: Decimal | None
    employee_count: int | None
    leader_name: str
    leader_background: str
    marketing_head: str
    purchasing_head: str
    annual_sales: Decimal | None
    business_volume: Decimal | None
    gender: Gender | Blank
    birthday: date | None
    birthday_calendar: BirthdayCalendar
    western_festivals: bool
    marital_status: MaritalStatus | Blank | None = Field(description="Null when you may not read it.")
    family_notes: str | None = Field(description="Null when you may not read it.")
    occupation: str
    position: str
    professional_title: str
    income_level: str | None = Field(description="Null when you may not read it.")
    education: str
    resume: str
    health_notes: str | None = Field(description="Null when you may not read it.")
    preferences: str
    lifestyle: str
    purchase_story: str
    deleted_at: datetime | None

    resolve_marital_status = _sensitive("marital_status")
    resolve_family_notes = _sensitive("family_notes")
    resolve_income_level = _sensitive("income_level")
    resolve_health_notes = _sensitive("health_notes")


# --- contacts ---------------------------------------------------------------


def _k(name: str) -> int:
    return max_length(Contact, name)


class ContactPatch(InputSchema):
    name: str = Field(None, min_length=1, max_length=_k("name"))
    gender: Gender | Blank = None
    title: str = Field(None, max_length=_k("title"))
    department: str = Field(None, max_length=_k("department"))
    phone: str = Field(None, max_length=_k("phone"))
    mobile: str = Field(None, max_length=_k("mobile"))
    email: str = Field(None, max_length=_k("email"))
    wechat: str = Field(None, max_length=_k("wechat"))
    birthday: IsoDate | None = None
    birthday_calendar: BirthdayCalendar = None
    is_key_person: StrictBool = None
    key_role: str = Field(None, max_length=_k("key_role"))
    influence: Influence | Blank = None
    social_style: SocialStyle | Blank = None
    temperament: Temperament | Blank = None
    notes: str = None


class ContactIn(ContactPatch):
    name: str = Field(min_length=1, max_length=_k("name"))


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    gender: Gender | Blank
    title: str
    department: str
    phone: str
    mobile: str
    email: str
    wechat: str
    birthday: date | None
    birthday_calendar: BirthdayCalendar
    is_key_person: bool
    key_role: str
    influence: Influence | Blank
    social_style: SocialStyle | Blank
    temperament: Temperament | Blank
    notes: str
    created_at: datetime
    updated_at: datetime


# --- interactions -----------------------------------------------------------


def _i(name: str) -> int:
    return max_length(Interaction, name)


class InteractionIn(InputSchema):
    customer_id: BodyId
    contact_id: BodyId | None = None
    kind: InteractionKind
    direction: Direction = Direction.OUTBOUND
    channel: Channel = Channel.PHONE
    occurred_at: IsoDateTime | None = Field(None, description="Now when left out.")
    subject: str = Field("", max_length=_i("subject"))
    participants: str = Field("", max_length=_i("participants"))
    text: str = ""
    outcome: str = Field("", max_length=_i("outcome"))


class InteractionQuery(InputSchema):
    customer_id: RecordId = None
    kind: InteractionKind = None
    direction: Direction = None
    since: IsoDateTime = Field(None, description="Occurred at or after.")
    until: IsoDateTime = Field(None, description="Occurred before.")


class InteractionEntry(Schema):
    id: int
    contact: Ref | None
    kind: InteractionKind
    direction: Direction
    channel: Channel
    occurred_at: datetime
    subject: str
    participants: str
    text: str
    outcome: str
    created_by: Ref | None
    created_at: datetime


class StoredEvidence(Schema):
    text: str
    start: int
    end: int
    points_to: str = Field(description='What the words drove: "negative", "anger", "escalation:refund", "tag:impatience", "complaint", "cause:delivery/late".')


class EmotionOut(Schema):
    """The emotion reading stored with an inbound interaction. Evidence spans
    index the interaction's subject and text joined by a line break, cleaned
    as the engine reads them (HTML and repeated spaces removed)."""

    polarity: Polarity
    polarity_score: float = Field(ge=-1, le=1)
    primary: str
    emotions: dict[str, float]
    intensity: float
    escalation: Escalation
    complaint: bool
    cause: str | None
    tags: list[str]
    evidence: list[StoredEvidence]
    model_version: str
    created_at: datetime

    @staticmethod
    def resolve_cause(obj) -> str | None:
        return obj.cause or None


class InteractionOut(InteractionEntry):
    customer: Ref
    emotion: EmotionOut | None = Field(description="What the emotion engine read in an inbound interaction's words; null for an outbound one.")

    @staticmethod
    def resolve_emotion(obj: Interaction):
        try:
            return obj.emotion
        except ObjectDoesNotExist:
            return None


# --- emotion ----------------------------------------------------------------

# What one request may ask the engine to read: texts, and characters in each
# (the engine reads the first 4,000 of a text and says so).
MAX_ANALYZE_TEXTS = 100
MAX_TEXT_CHARS = 10_000
AnalyzedText = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]


class AnalyzeIn(InputSchema):
    text: AnalyzedText | None = Field(None, description="One text to read; or send `texts`.")
    texts: list[AnalyzedText] | None = Field(None, min_length=1, max_length=MAX_ANALYZE_TEXTS, description=f"Up to {MAX_ANALYZE_TEXTS} texts, read together.")


class CueOut(Schema):
    kind: str
    text: str
    start: int
    end: int


class EvidenceOut(StoredEvidence):
    weight: float


class ReadingOut(Schema):
    """Spans (cues, evidence) index `text`: the text as read (cleaned, Chinese in Simplified characters)."""

    text: str
    language: Literal["zh", "en", "other"]
    truncated: bool = Field(description="Only the first 4,000 characters were read.")
    length: int
    polarity: Polarity
    polarity_score: float = Field(ge=-1, le=1)
    emotions: dict[str, float] = Field(description="joy, like, anger, sadness, fear, disgust, surprise, neutral: probabilities summing to 1.")
    primary: str
    tags: list[str]
    intensity: float
    escalation: Escalation
    cues: list[CueOut]
    complaint: bool
    cause: str | None
    evidence: list[EvidenceOut]
    model_version: str


class AnalyzeOut(Schema):
    readings: list[ReadingOut] = Field(description="One a text, in the order sent.")


class CheckReplyIn(InputSchema):
    reply: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The draft answer to review.")
    context: str | None = Field(None, max_length=MAX_TEXT_CHARS, description="The customer's message it answers.")


class FindingOut(CueOut):
    why: str
    better: str = Field(description="A better wording to start from.")


class MissingOut(Schema):
    kind: str
    message: str


class CheckReplyOut(Schema):
    text: str = Field(description="The reply as reviewed: finding spans index it.")
    ok: bool
    findings: list[FindingOut]
    missing: list[MissingOut]


# --- timeline ---------------------------------------------------------------


class FieldChange(Schema):
    field: str
    label: str
    old: str
    new: str


class ChangeOut(Schema):
    id: int
    at: datetime
    action: ChangeAction
    actor: Ref | None
    contact_id: int | None
    changes: list[FieldChange]


class TimelineQuery(InputSchema):
    limit: int = Field(50, ge=1, le=200)
    before: IsoDateTime = None


class TimelineEntryOut(Schema):
    at: datetime
    kind: Literal["interaction", "change"]
    interaction: InteractionEntry | None
    change: ChangeOut | None
