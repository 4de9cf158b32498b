"""Request and response shapes of complaints, their timeline, feedback items
and notifications.

Texts are limited as the service limits them (a subject 200 characters, any
other text 10,000); choices are the models' own enums. Money travels as a
decimal string, as everywhere in the API."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from ninja import Field, Schema
from pydantic import ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from manyi.api.schemas import (
    Blank,
    BodyId,
    CheckReplyOut,
    InputSchema,
    Money,
    RecordId,
    Ref,
    max_length,
)
from manyi.interactions.models import Direction, Escalation, Polarity
from manyi.service import causes
from manyi.service.models import (
    STEPS,
    ClockMode,
    Complaint,
    ComplaintChannel,
    ComplaintEvent,
    Department,
    EventKind,
    FeedbackStatus,
    NotificationKind,
    RecheckResult,
    Responsibility,
    Severity,
    Step,
)
from manyi.service.selectors import SORTS
from manyi.service.services import MAX_SUBJECT, MAX_TEXT

# What the service allows for the short texts it checks itself.
MAX_REASON = 500  # skip and override reasons, a pause's reason
MAX_LONG_REASON = 1000  # escalating, reopening
MAX_FEEDBACK = 2000  # a feedback item's summary, the action taken
MAX_NOTIFICATIONS = 500  # ids marked read at once

NextStep = Literal[tuple(step for step in STEPS if step != Step.RECEIVED)]
StatusFilter = Literal[("open", "closed", "all", *STEPS)]
Cause = Literal[tuple(sorted(causes.CODES))]


# --- list and filing -----------------------------------------------------------


class ComplaintQuery(InputSchema):
    status: StatusFilter = Field("open", description="open (the default), closed, all, or one step.")
    assignee: str = Field("", pattern=r"^(me|[0-9]{1,18})?$", description='"me", or a user id.')
    severity: Severity = None
    channel: ComplaintChannel = None
    customer: RecordId = Field(None, description="Only this customer's complaints (404 for a customer you may not see).")
    escalated: bool = Field(False, description="Only escalated complaints.")
    breached: bool = Field(False, description="Only complaints past a deadline.")
    q: str = Field("", max_length=100, description="Number, subject, customer or reporter name contains.")
    sort: Literal[tuple(SORTS)] = Field("risk", description="risk (highest first), due (resolution deadline), newest, oldest.")


class ComplaintIn(InputSchema):
    customer: BodyId = Field(description="Customer id; a customer you may see.")
    contact: BodyId | None = Field(None, description="Contact id, of that customer.")
    channel: ComplaintChannel = ComplaintChannel.API
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    description: str = Field(min_length=1, max_length=MAX_TEXT, description="What happened, in the customer's words: read by the emotion engine. Plain text; HTML tags are removed.")
    wants: str = Field("", max_length=MAX_TEXT, description="What the customer wants.")
    severity: Severity = Severity.NORMAL


class ComplaintListItem(Schema):
    id: int
    number: str | None = Field(description="TS<yyyymmdd>-<id>.")
    customer: Ref
    channel: ComplaintChannel
    status: Step = Field(description="The last step done.")
    step_index: int = Field(ge=0, le=len(STEPS) - 1, description="0 (received) to 8 (closed).")
    severity: Severity
    subject: str
    escalation: Escalation = Field(description="Escalation risk of the customer's latest words.")
    intensity: float = Field(description="Intensity of the customer's latest words, 0-1.")
    risk: float = Field(description="The queue's order, 0-100.")
    assignee: Ref | None
    received_at: datetime
    response_due: datetime | None
    resolution_due: datetime | None = Field(description="Null while the clock is paused.")
    responded_at: datetime | None
    closed_at: datetime | None
    paused: bool = Field(description="Waiting for the customer: the resolution clock is stopped.")
    escalated: bool
    breached: bool = Field(description="A first-response or resolution deadline has passed.")

    @staticmethod
    def resolve_paused(obj: Complaint) -> bool:
        return obj.paused_at is not None

    @staticmethod
    def resolve_breached(obj: Complaint) -> bool:
        return obj.response_breached_at is not None or obj.resolution_breached_at is not None


# --- detail --------------------------------------------------------------------


class SlaOut(Schema):
    """The targets the complaint was given when it was filed."""

    mode: ClockMode
    policy: str = Field(description="The policy's name when the complaint was filed.")
    response_seconds: int
    resolution_seconds: int
    warn_seconds: int


class FeedbackOut(Schema):
    id: int
    complaint_id: int
    department: Department
    summary: str
    status: FeedbackStatus
    recipient: Ref | None
    created_by: Ref | None
    created_at: datetime
    acknowledged_by: Ref | None
    acknowledged_at: datetime | None
    action_taken: str
    closed_by: Ref | None
    closed_at: datetime | None


class ComplaintOut(ComplaintListItem):
    contact: Ref | None
    team: Ref | None
    description: str
    wants: str
    reporter_name: str = Field(description="Who filed it through the public form or by e-mail.")
    reporter_phone: str
    reporter_email: str
    cause: str = Field(description='"group/detail", or "" until analysed.')
    cause_label: str
    responsibility: Responsibility
    department: Department | Blank
    solution: str
    compensation: str
    compensation_amount: str | None = Field(description="CNY, a decimal string.", examples=["239.50"])
    recheck_result: RecheckResult | Blank
    sla: SlaOut
    feedback_items: list[FeedbackOut]

    @staticmethod
    def resolve_cause_label(obj: Complaint) -> str:
        return str(causes.label(obj.cause))

    @staticmethod
    def resolve_compensation_amount(obj: Complaint) -> str | None:
        amount = obj.compensation_amount
        return None if amount is None else str(Decimal(amount).quantize(Decimal("0.01")))

    @staticmethod
    def resolve_sla(obj: Complaint) -> dict:
        snap = obj.sla or {}
        return {name: snap.get(name, 0) for name in ("response_seconds", "resolution_seconds", "warn_seconds")} | {
            "mode": snap.get("mode", ClockMode.CALENDAR),
            "policy": str(snap.get("policy", "")),
        }

    @staticmethod
    def resolve_feedback_items(obj: Complaint) -> list:
        return list(obj.feedback_items.select_related("recipient", "created_by", "acknowledged_by", "closed_by"))


# --- timeline ------------------------------------------------------------------


class EventEmotionOut(Schema):
    polarity: Polarity
    primary: str
    escalation: Escalation
    intensity: float


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int = Field(description="Bytes.")
    url: str = Field(description="Where to download it (with the same bearer token).")

    @staticmethod
    def resolve_url(obj) -> str:
        return reverse("api:complaint_attachment", kwargs={"attachment_id": obj.pk})


class EventOut(Schema):
    id: int
    kind: EventKind
    step: Step | Blank
    by: Ref | None = Field(description="Null when the customer wrote (e-mail, the public form) or the system did it.")
    at: datetime
    notes: str
    data: dict[str, Any] = Field(description='What the event recorded: a step\'s fields, {"skipped": true}, a reply\'s flagged phrases, ...')
    emotion: EventEmotionOut | None = Field(description="The emotion engine's reading of the customer's words; null for anything else.")
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_emotion(obj: ComplaintEvent):
        interaction = obj.interaction
        if interaction is None or interaction.direction != Direction.INBOUND:
            return None
        try:
            return interaction.emotion
        except ObjectDoesNotExist:
            return None

    @staticmethod
    def resolve_attachments(obj: ComplaintEvent) -> list:
        return list(obj.attachments.all())


# --- writes --------------------------------------------------------------------


class StepData(InputSchema):
    """What a step records; each field belongs to one step and is ignored by the others."""

    wants: str = Field(None, max_length=MAX_TEXT, description="confirmed: what the customer wants (required).")
    cause: Cause = Field(None, description="analysed: why the customer is dissatisfied.")
    responsibility: Responsibility = Field(None, description="analysed (required).")
    severity: Severity = Field(None, description="analysed.")
    department: Department = Field(None, description="analysed: the department that caused it (required).")
    solution: str = Field(None, max_length=MAX_TEXT, description="proposed (required).")
    compensation: str = Field(None, max_length=max_length(Complaint, "compensation"), description="proposed.")
    compensation_amount: Money = Field(None, description="proposed: CNY.")
    recheck_result: RecheckResult = Field(None, description="rechecked (required).")


# A field error of a step's data is named `data.<field>`, by the schema and by the service alike.
STEP_FIELDS = {name: f"data.{name}" for name in StepData.model_fields}


class StepIn(InputSchema):
    step: NextStep = Field(description="The step done now. A later one than the next needs skip_reason.")
    notes: str = Field("", max_length=MAX_TEXT)
    data: StepData = Field(default_factory=StepData)
    skip_reason: str = Field("", max_length=MAX_REASON, description="Why the steps passed over were not done.")
    override_reason: str = Field("", max_length=MAX_REASON, description="Managers: close without a recheck or a feedback item.")

    @model_validator(mode="wrap")
    @classmethod
    def _name_data_fields(cls, value, handler):
        """("data", "cause") -> ("data.cause",): the API names the field in the data, not just `data`."""
        try:
            return handler(value)
        except ValidationError as exc:
            details = [
                InitErrorDetails(type=PydanticCustomError(error["type"], error["msg"]), loc=_data_field(error["loc"]), input=error["input"])
                for error in exc.errors()
            ]
            raise ValidationError.from_exception_data(exc.title, details) from None


def _data_field(loc: tuple) -> tuple:
    if len(loc) > 1 and loc[0] == "data":
        return (".".join(str(part) for part in loc),)
    return loc


class TextIn(InputSchema):
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class ReplyIn(TextIn):
    confirm: bool = Field(False, description="Send it even though the reply checker flagged words (recorded).")


class ReplyFlaggedOut(Schema):
    """409: the reply checker flagged words; change them, or send again with confirm=true."""

    code: Literal["reply_flagged"]
    message: str
    review: CheckReplyOut


class ReasonIn(InputSchema):
    reason: str = Field(min_length=1, max_length=MAX_REASON)


class LongReasonIn(InputSchema):
    reason: str = Field(min_length=1, max_length=MAX_LONG_REASON)


class AssignIn(InputSchema):
    assignee_id: BodyId = Field(description="An active member of the complaint's team.")


class NoteForm(InputSchema):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="An internal note about the files (not sent to the customer).")


class FeedbackIn(InputSchema):
    department: Department = Field(None, description="The complaint's responsible department when left out.")
    summary: str = Field(min_length=1, max_length=MAX_FEEDBACK, description="What should change so it does not happen again.")
    recipient_id: BodyId | None = Field(None, description="Who in the department should answer it.")


class FeedbackCloseIn(InputSchema):
    action_taken: str = Field(min_length=1, max_length=MAX_FEEDBACK)


# --- notifications -------------------------------------------------------------


class NotificationQuery(InputSchema):
    unread: bool = Field(False, description="Only unread notifications.")


class ComplaintRef(Schema):
    id: int
    number: str | None


class NotificationOut(Schema):
    id: int
    kind: NotificationKind
    complaint: ComplaintRef | None
    text: str
    created_at: datetime
    read_at: datetime | None


class NotificationReadIn(InputSchema):
    ids: list[BodyId] | None = Field(None, max_length=MAX_NOTIFICATIONS, description="Which to mark read; all of yours when left out.")


class NotificationReadOut(Schema):
    read: int = Field(description="How many were marked read.")
