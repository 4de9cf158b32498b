"""Every write on a complaint: filing, the nine steps, messages and replies,
pauses, escalation, reopening, feedback items and notifications. Each writes
its ComplaintEvent in the same transaction; pages, the API, the mailbox task
and the public form all call these."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from manyi.accounts.models import Role, User
from manyi.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from manyi.customers.models import AccessKind, Contact, Customer, CustomerAccess
from manyi.emotion.engine import Engine
from manyi.interactions.models import Channel, Direction, Interaction, InteractionKind
from manyi.interactions.services import emotion_reading_store
from manyi.satisfaction.models import SurveyTrigger
from manyi.service import access, causes, deadlines, uploads
from manyi.service.models import (
    STEPS,
    Complaint,
    ComplaintChannel,
    ComplaintEvent,
    Department,
    EventKind,
    FeedbackItem,
    FeedbackStatus,
    Notification,
    NotificationKind,
    RecheckResult,
    Responsibility,
    Severity,
    Step,
)

logger = logging.getLogger(__name__)

MAX_SUBJECT = 200
MAX_TEXT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# How a complaint's channel is logged as an interaction.
_INTERACTION = {
    ComplaintChannel.PHONE: (InteractionKind.CALL, Channel.PHONE),
    ComplaintChannel.IN_PERSON: (InteractionKind.VISIT, Channel.IN_PERSON),
    ComplaintChannel.EMAIL: (InteractionKind.EMAIL, Channel.EMAIL),
    ComplaintChannel.WEB: (InteractionKind.NOTE, Channel.WEB),
    ComplaintChannel.CHAT: (InteractionKind.CHAT, Channel.WECHAT),
    ComplaintChannel.API: (InteractionKind.NOTE, Channel.OTHER),
}


class ReplyFlagged(ApplicationError):
    """The reply checker found a forbidden phrase; send again with confirm=True to send it anyway."""

    status = 409
    code = "reply_flagged"

    def __init__(self, message: str, *, review: dict):
        super().__init__(message)
        self.review = review

    def as_dict(self) -> dict:
        return {**super().as_dict(), "review": self.review}


def clean_text(value: Any, *, field: str, errors: dict[str, list[str]], required: bool = False, max_length: int = MAX_TEXT) -> str:
    """Plain text only: HTML tags and control characters are removed, so no
    script is ever stored; too long or missing is an error on `field`."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = _CONTROL.sub("", strip_tags(text)).strip()
    if required and not text:
        errors.setdefault(field, []).append(_("This field is required."))
    if len(text) > max_length:
        errors.setdefault(field, []).append(_("At most %(max)d characters (this has %(n)d).") % {"max": max_length, "n": len(text)})
    return text


def _event(complaint: Complaint, kind: str, *, by: User | None, at: dt.datetime | None = None, **fields) -> ComplaintEvent:
    return ComplaintEvent.objects.create(complaint=complaint, kind=kind, by=by, at=at or timezone.now(), **fields)


def managers_of(complaint: Complaint) -> list[int]:
    """Who an escalation goes to: the managers of the complaint's team, else the administrators."""
    managers = list(User.objects.filter(is_active=True, role=Role.MANAGER, team_id=complaint.team_id).values_list("pk", flat=True)) if complaint.team_id else []
    return managers or list(User.objects.filter(is_active=True, role=Role.ADMIN).values_list("pk", flat=True))


def notify(*, user_id: int, kind: str, complaint: Complaint | None, message: str, params: dict[str, Any]) -> Notification:
    """An in-app notification, e-mailed too (after the commit) when an SMTP
    server is configured and the person has an address. `message` (marked
    with gettext_noop) is written in the team's language (LANGUAGE_CODE),
    not in the language of whoever caused it, nor English in a worker."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _(message) % {name: str(value) for name, value in params.items()}
    note = Notification.objects.create(user_id=user_id, kind=kind, complaint=complaint, text=text[:300], created_at=timezone.now())
    if settings.MANYI_SMTP_URL:
        from manyi.service.tasks import email_notification

        transaction.on_commit(lambda: email_notification.enqueue(note.pk))
    return note


def notification_email(*, notification_id: int) -> bool:
    """Send one notification by e-mail, once; False when there is nothing to send."""
    note = Notification.objects.select_related("user", "complaint").filter(pk=notification_id, emailed_at__isnull=True).first()
    if note is None or not note.user.email:
        return False
    if not Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
        return False
    try:
        send_mail(f"[Manyi] {note.get_kind_display()}", note.text, settings.MANYI_MAIL_FROM, [note.user.email])
    except Exception:
        Notification.objects.filter(pk=note.pk).update(emailed_at=None)
        logger.exception("Notification %s could not be e-mailed", note.pk)
        return False
    return True


def notification_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (all of them without ids)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def default_assignee(customer: Customer) -> int | None:
    """The agent who serves the customer, else its owner."""
    serving = CustomerAccess.objects.filter(customer=customer, kind=AccessKind.SERVICE, user__is_active=True).order_by("pk").values_list("user_id", flat=True).first()
    return serving or customer.owner_id


def _customer_words(complaint: Complaint, text: str, *, at: dt.datetime, by: User | None, channel: str, subject: str = "") -> Interaction:
    """Log what the customer said as an inbound interaction of the customer,
    read by the emotion engine; the complaint takes the reading's risk."""
    kind, interaction_channel = _INTERACTION.get(channel, (InteractionKind.NOTE, Channel.OTHER))
    item = Interaction.objects.create(
        customer_id=complaint.customer_id, contact_id=complaint.contact_id, kind=kind, direction=Direction.INBOUND,
        channel=interaction_channel, occurred_at=at, subject=subject[:200], text=text, created_by=by,
    )  # fmt: skip
    reading = emotion_reading_store(interaction=item)
    if reading is not None:
        complaint.escalation = reading.escalation
        complaint.intensity = reading.intensity
        if not complaint.cause and reading.cause in causes.CODES:
            complaint.cause = reading.cause
    return item


def _save(complaint: Complaint, *fields: str) -> None:
    complaint.risk = deadlines.compute_risk(complaint)
    complaint.save(update_fields=[*fields, "risk", "updated_at"] if fields else None)


@dataclass(frozen=True, slots=True)
class Filing:
    """A complaint as it arrives, from any channel."""

    customer: Customer
    channel: str
    subject: str
    description: str
    wants: str = ""
    severity: str = Severity.NORMAL
    contact: Contact | None = None
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    received_at: dt.datetime | None = None
    files: tuple[uploads.Upload, ...] = ()


@transaction.atomic
def complaint_create(*, by: User | None, filing: Filing) -> Complaint:
    """File a complaint (step 1, received). `by` is the agent who recorded it,
    None when the customer filed it (public form, e-mail). The description is
    the customer's first message and gets its emotion reading; the SLA
    targets of the matching policy are copied and the deadlines stored."""
    if by is not None and not access.can_file(by):
        raise PermissionDenied(_("Your role may not record complaints."))
    errors: dict[str, list[str]] = {}
    subject = clean_text(filing.subject, field="subject", errors=errors, required=True, max_length=MAX_SUBJECT)
    description = clean_text(filing.description, field="description", errors=errors, required=True)
    wants = clean_text(filing.wants, field="wants", errors=errors)
    if filing.channel not in ComplaintChannel.values:
        errors.setdefault("channel", []).append(_("Unknown channel."))
    if filing.severity not in Severity.values:
        errors.setdefault("severity", []).append(_("Unknown severity."))
    if filing.contact is not None and filing.contact.customer_id != filing.customer.pk:
        errors.setdefault("contact", []).append(_("This contact does not belong to the customer."))
    if filing.customer.deleted_at is not None:
        errors.setdefault("customer", []).append(_("This customer is deleted."))
    uploads.check_all(filing.files, errors)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    now = timezone.now()
    received_at = min(filing.received_at or now, now)
    policy, snapshot = deadlines.snapshot_for(team_id=filing.customer.team_id, severity=filing.severity, channel=filing.channel)
    complaint = Complaint(
        customer=filing.customer, contact=filing.contact, team_id=filing.customer.team_id, assignee_id=default_assignee(filing.customer),
        channel=filing.channel, subject=subject, description=description, wants=wants, severity=filing.severity,
        reporter_name=filing.reporter_name[:100], reporter_phone=filing.reporter_phone[:32], reporter_email=filing.reporter_email[:254],
        sla_policy=policy, sla=snapshot, received_at=received_at,
    )  # fmt: skip
    deadlines.set_deadlines(complaint)
    complaint.save()
    complaint.number = f"TS{timezone.localtime(received_at):%Y%m%d}-{complaint.pk:05d}"
    interaction = _customer_words(complaint, description, at=received_at, by=by, channel=filing.channel, subject=subject)
    _save(complaint, "number", "escalation", "intensity", "cause")
    event = _event(complaint, EventKind.STEP, step=Step.RECEIVED, by=by, at=received_at, notes=wants, interaction=interaction, data={"channel": filing.channel})
    uploads.store_all(complaint=complaint, event=event, files=filing.files, by=by)
    if complaint.assignee_id and complaint.assignee_id != getattr(by, "pk", None):
        notify(user_id=complaint.assignee_id, kind=NotificationKind.ASSIGNED, complaint=complaint,
               message=gettext_noop("New complaint %(number)s from %(customer)s: %(subject)s"), params={"number": complaint.number, "customer": filing.customer.name, "subject": subject})  # fmt: skip
    return complaint


def _check_handle(by: User, complaint: Complaint) -> None:
    if not access.can_handle(by, complaint):
        raise PermissionDenied(_("You may not handle this complaint."))


def _lock(complaint: Complaint) -> Complaint:
    """The complaint's row, locked until the transaction ends (PostgreSQL), so
    two people recording steps at once do not overwrite each other."""
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


@transaction.atomic
def complaint_message(*, complaint: Complaint, text: str, by: User | None = None, channel: str | None = None, files: Sequence[uploads.Upload] = (), at: dt.datetime | None = None) -> ComplaintEvent:
    """What the customer said next (typed in by an agent, or arrived by
    e-mail): read for emotion, raising or lowering the risk; a paused clock
    starts again, since the customer answered; the assignee is told."""
    if by is not None:
        _check_handle(by, complaint)
    errors: dict[str, list[str]] = {}
    words = clean_text(text, field="text", errors=errors, required=True)
    uploads.check_all(files, errors)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    complaint = _lock(complaint)
    at = at or timezone.now()
    interaction = _customer_words(complaint, words, at=at, by=by, channel=channel or complaint.channel)
    event = _event(complaint, EventKind.MESSAGE, by=by, at=at, notes=words, interaction=interaction,
                   data={"escalation": complaint.escalation, "intensity": round(complaint.intensity, 3)})  # fmt: skip
    uploads.store_all(complaint=complaint, event=event, files=files, by=by)
    if complaint.paused_at is not None:
        _resume(complaint, by=by, at=at)
    _save(complaint, "escalation", "intensity", "cause", "paused_at", "resolution_due")
    if complaint.assignee_id and complaint.assignee_id != getattr(by, "pk", None):
        notify(user_id=complaint.assignee_id, kind=NotificationKind.REPLIED, complaint=complaint,
               message=gettext_noop("%(number)s: the customer wrote again."), params={"number": complaint.number})  # fmt: skip
    return event


def latest_reading(complaint: Complaint):
    """The engine's reading of the customer's latest words on this complaint."""
    event = complaint.events.filter(kind__in=[EventKind.MESSAGE, EventKind.STEP], interaction__isnull=False, interaction__direction=Direction.INBOUND).order_by("-at", "-id").first()
    if event is None:
        return None
    return Engine.default().analyze(event.interaction.customer_words())


def reply_review(*, complaint: Complaint, text: str) -> dict:
    """The reply checker's view of a draft, in the light of the customer's latest words."""
    return Engine.default().check_reply(text, context=latest_reading(complaint)).to_dict()


@transaction.atomic
def complaint_reply(*, complaint: Complaint, by: User, text: str, confirm: bool = False) -> ComplaintEvent:
    """Send (log) a reply to the customer. The reply checker reads it first: a
    forbidden phrase stops it (ReplyFlagged, with better wordings) unless the
    agent confirms, and that confirmation is recorded with the phrases."""
    _check_handle(by, complaint)
    errors: dict[str, list[str]] = {}
    words = clean_text(text, field="text", errors=errors, required=True)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    review = reply_review(complaint=complaint, text=words)
    if review["findings"] and not confirm:
        raise ReplyFlagged(_("The reply contains words that should not be said to a complaining customer. Change them, or confirm to send it anyway."), review=review)
    complaint = _lock(complaint)
    now = timezone.now()
    kind, channel = _INTERACTION.get(complaint.channel, (InteractionKind.NOTE, Channel.OTHER))
    interaction = Interaction.objects.create(
        customer_id=complaint.customer_id, contact_id=complaint.contact_id, kind=kind, direction=Direction.OUTBOUND,
        channel=channel, occurred_at=now, subject=complaint.subject[:200], text=words, created_by=by,
    )  # fmt: skip
    data = {"flagged": [{"text": f["text"], "kind": f["kind"], "better": f["better"]} for f in review["findings"]], "confirmed": bool(review["findings"])}
    event = _event(complaint, EventKind.REPLY, by=by, at=now, notes=words, interaction=interaction, data=data)
    if complaint.responded_at is None:
        complaint.responded_at = now
        _save(complaint, "responded_at")
    return event


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter an amount such as 200 or 99.50."))
        return None
    if amount < 0 or amount >= Decimal("1e10"):
        errors.setdefault(field, []).append(_("Enter an amount between 0 and 9,999,999,999."))
        return None
    return amount.quantize(Decimal("0.01"))


def _choice(value: Any, choices: type, field: str, errors: dict[str, list[str]], *, required: bool) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            errors.setdefault(field, []).append(_("This field is required."))
        return ""
    if text not in choices.values:
        errors.setdefault(field, []).append(_("Unknown value %(value)s.") % {"value": text[:40]})
        return ""
    return text


def _step_fields(complaint: Complaint, step: str, data: dict[str, Any], errors: dict[str, list[str]]) -> list[str]:
    """Apply what the step records to the complaint; the names of the fields changed."""
    changed: list[str] = []

    def put(name: str, value: Any) -> None:
        setattr(complaint, name, value)
        changed.append(name)

    if step == Step.CONFIRMED:
        put("wants", clean_text(data.get("wants", complaint.wants), field="wants", errors=errors, required=True))
    elif step == Step.ANALYSED:
        cause = str(data.get("cause") or complaint.cause or "").strip()
        if cause not in causes.CODES:
            errors.setdefault("cause", []).append(_("Choose a cause from the list."))
        put("cause", cause)
        put("responsibility", _choice(data.get("responsibility", complaint.responsibility), Responsibility, "responsibility", errors, required=True))
        put("severity", _choice(data.get("severity", complaint.severity), Severity, "severity", errors, required=True))
        put("department", _choice(data.get("department", complaint.department), Department, "department", errors, required=True))
    elif step == Step.PROPOSED:
        put("solution", clean_text(data.get("solution", complaint.solution), field="solution", errors=errors, required=True))
        put("compensation", clean_text(data.get("compensation", complaint.compensation), field="compensation", errors=errors, max_length=300))
        put("compensation_amount", _decimal(data.get("compensation_amount", complaint.compensation_amount), "compensation_amount", errors))
    elif step == Step.RECHECKED:
        put("recheck_result", _choice(data.get("recheck_result"), RecheckResult, "recheck_result", errors, required=True))
    return changed


def _since_reopen(complaint: Complaint):
    last = complaint.events.filter(kind=EventKind.REOPENED).order_by("-at", "-id").values_list("at", flat=True).first()
    events = complaint.events.all()
    return events.filter(at__gte=last) if last else events


@transaction.atomic
def complaint_step(*, complaint: Complaint, by: User, step: str, notes: str = "", data: dict[str, Any] | None = None, skip_reason: str = "", override_reason: str = "") -> Complaint:
    """Record the next step of the process. A later step needs `skip_reason`,
    and each step it passes over is recorded as skipped with that reason.
    Closing (reviewed and fed back) is refused without a recheck done with the
    customer and a feedback item to the department, unless a manager of the
    team gives an `override_reason`, which is recorded."""
    _check_handle(by, complaint)
    complaint = _lock(complaint)
    data = data or {}
    if step not in STEPS or step == Step.RECEIVED:
        raise ValidationFailed(_("Unknown step."), fields={"step": [_("Unknown step.")]})
    if complaint.is_closed:
        raise ApplicationError(_("This complaint is closed; reopen it to record more steps."), code="closed")
    current, wanted = STEPS.index(complaint.status), STEPS.index(step)
    if wanted <= current:
        raise ApplicationError(_("The step “%(step)s” is already done.") % {"step": Step(step).label}, code="step_done")
    errors: dict[str, list[str]] = {}
    notes = clean_text(notes, field="notes", errors=errors)
    skip_reason = clean_text(skip_reason, field="skip_reason", errors=errors, max_length=500)
    override_reason = clean_text(override_reason, field="override_reason", errors=errors, max_length=500)
    skipped = [s for s in STEPS[current + 1 : wanted] if s != Step.RECEIVED]
    if skipped and not skip_reason:
        names = "、".join(str(Step(s).label) for s in skipped)
        raise ApplicationError(_("Steps cannot be skipped silently: %(steps)s not done yet. Record them, or give a reason for skipping.") % {"steps": names}, code="step_skipped")
    changed = _step_fields(complaint, step, data, errors)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    now = timezone.now()
    missing: list[str] = []
    if step == Step.CLOSED:
        done = _since_reopen(complaint)
        if not any(not e.data.get("skipped") for e in done.filter(kind=EventKind.STEP, step=Step.RECHECKED)):
            missing.append(_("the recheck with the customer has not been done"))
        if not complaint.feedback_items.exists():
            missing.append(_("no feedback item has been sent to the responsible department"))
        if missing and not override_reason:
            raise ApplicationError(_("The complaint cannot be closed: %(why)s.") % {"why": _("; ").join(missing)}, code="close_refused")
        if missing and not access.can_override(by, complaint):
            raise PermissionDenied(_("Only a manager of the team may close a complaint when %(why)s.") % {"why": _("; ").join(missing)})
    for passed in skipped:
        _event(complaint, EventKind.STEP, step=passed, by=by, at=now, notes=skip_reason, data={"skipped": True})
    if missing:
        _event(complaint, EventKind.OVERRIDE, by=by, at=now, notes=override_reason, data={"missing": [str(m) for m in missing]})
    _event(complaint, EventKind.STEP, step=step, by=by, at=now, notes=notes, data={name: str(getattr(complaint, name) or "") for name in changed})
    complaint.status = step
    fields = ["status", *changed]
    if complaint.responded_at is None:
        complaint.responded_at = now
        fields.append("responded_at")
    if step == Step.CLOSED:
        complaint.closed_at = now
        complaint.paused_at = None
        fields += ["closed_at", "paused_at"]
    _save(complaint, *fields)
    if step == Step.CLOSED:
        # Imported here: surveys file complaints themselves (satisfaction → service).
        from manyi.satisfaction.delivery import survey_send_after

        survey_send_after(customer=complaint.customer, trigger=SurveyTrigger.COMPLAINT_CLOSED, source=f"complaint:{complaint.pk}")
    return complaint


def _reason(text: str, *, max_length: int, missing: str) -> str:
    """The reason an action needs, cleaned; ValidationFailed (with `missing` as its message) when blank or too long."""
    errors: dict[str, list[str]] = {}
    reason = clean_text(text, field="reason", errors=errors, required=True, max_length=max_length)
    if errors:
        raise ValidationFailed(missing, fields=errors)
    return reason


def _resume(complaint: Complaint, *, by: User | None, at: dt.datetime) -> None:
    _event(complaint, EventKind.RESUMED, by=by, at=at)
    complaint.paused_at = None
    deadlines.set_deadlines(complaint)


@transaction.atomic
def complaint_pause(*, complaint: Complaint, by: User, reason: str) -> Complaint:
    """Stop the resolution clock while waiting for the customer."""
    _check_handle(by, complaint)
    complaint = _lock(complaint)
    reason = _reason(reason, max_length=500, missing=_("Say what you are waiting for."))
    if complaint.is_closed or complaint.paused_at is not None:
        raise ApplicationError(_("The clock is not running."), code="not_running")
    now = timezone.now()
    _event(complaint, EventKind.PAUSED, by=by, at=now, notes=reason)
    complaint.paused_at = now
    complaint.resolution_due = None
    _save(complaint, "paused_at", "resolution_due")
    return complaint


@transaction.atomic
def complaint_resume(*, complaint: Complaint, by: User) -> Complaint:
    _check_handle(by, complaint)
    complaint = _lock(complaint)
    if complaint.paused_at is None:
        raise ApplicationError(_("The clock is running already."), code="not_paused")
    _resume(complaint, by=by, at=timezone.now())
    _save(complaint, "paused_at", "resolution_due")
    return complaint


@transaction.atomic
def complaint_escalate(*, complaint: Complaint, by: User, reason: str) -> Complaint:
    """Hand the complaint up to the team's managers, with the reason."""
    _check_handle(by, complaint)
    complaint = _lock(complaint)
    reason = _reason(reason, max_length=1000, missing=_("Give the reason for escalating."))
    managers = managers_of(complaint)
    _event(complaint, EventKind.ESCALATED, by=by, notes=reason, data={"to": managers})
    complaint.escalated = True
    _save(complaint, "escalated")
    for manager_id in managers:
        if manager_id != by.pk:
            notify(user_id=manager_id, kind=NotificationKind.ESCALATED, complaint=complaint,
                   message=gettext_noop("%(number)s escalated by %(by)s: %(reason)s"), params={"number": complaint.number, "by": by.name, "reason": reason})  # fmt: skip
    return complaint


@transaction.atomic
def complaint_reopen(*, complaint: Complaint, by: User, reason: str) -> Complaint:
    """Open a closed complaint again: it returns to "analysed" (a new solution
    is due) and must be rechecked and fed back again before it closes."""
    _check_handle(by, complaint)
    complaint = _lock(complaint)
    reason = _reason(reason, max_length=1000, missing=_("Give the reason for reopening."))
    if not complaint.is_closed:
        raise ApplicationError(_("Only a closed complaint can be reopened."), code="not_closed")
    now = timezone.now()
    _event(complaint, EventKind.REOPENED, by=by, at=now, notes=reason)
    complaint.status = Step.ANALYSED
    complaint.closed_at = None
    complaint.recheck_result = ""
    deadlines.set_deadlines(complaint)
    _save(complaint, "status", "closed_at", "recheck_result", "resolution_due")
    return complaint


@transaction.atomic
def complaint_assign(*, complaint: Complaint, by: User, assignee: User) -> Complaint:
    """Give the complaint to someone else in the team (managers)."""
    if not access.can_override(by, complaint):
        raise PermissionDenied(_("Only a manager of the team may reassign a complaint."))
    if not assignee.is_active or assignee.is_read_only or (complaint.team_id and not by.is_admin and assignee.team_id != complaint.team_id):
        raise ValidationFailed(_("Choose an active member of the team."), fields={"assignee": [_("Choose an active member of the team.")]})
    complaint = _lock(complaint)
    _event(complaint, EventKind.ASSIGNED, by=by, data={"from": complaint.assignee_id, "to": assignee.pk})
    complaint.assignee = assignee
    _save(complaint, "assignee")
    if assignee.pk != by.pk:
        notify(user_id=assignee.pk, kind=NotificationKind.ASSIGNED, complaint=complaint,
               message=gettext_noop("%(by)s gave you complaint %(number)s: %(subject)s"), params={"by": by.name, "number": complaint.number, "subject": complaint.subject})  # fmt: skip
    return complaint


@transaction.atomic
def complaint_note(*, complaint: Complaint, by: User, text: str, files: Sequence[uploads.Upload] = ()) -> ComplaintEvent:
    """An internal note (not sent to the customer), with attachments."""
    _check_handle(by, complaint)
    errors: dict[str, list[str]] = {}
    words = clean_text(text, field="text", errors=errors, required=True)
    uploads.check_all(files, errors)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    event = _event(complaint, EventKind.NOTE, by=by, notes=words)
    uploads.store_all(complaint=complaint, event=event, files=files, by=by)
    return event


@transaction.atomic
def feedback_create(*, complaint: Complaint, by: User, department: str, summary: str, recipient: User | None = None) -> FeedbackItem:
    """Send what must change to the department that caused the complaint (反馈)."""
    _check_handle(by, complaint)
    errors: dict[str, list[str]] = {}
    department = _choice(department or complaint.department, Department, "department", errors, required=True)
    summary = clean_text(summary, field="summary", errors=errors, required=True, max_length=2000)
    if recipient is not None and (not recipient.is_active or recipient.is_read_only):
        errors.setdefault("recipient", []).append(_("Choose an active colleague."))
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    item = FeedbackItem.objects.create(complaint=complaint, department=department, summary=summary, recipient=recipient, created_by=by)
    _event(complaint, EventKind.FEEDBACK, by=by, notes=summary, data={"item": item.pk, "department": department, "status": FeedbackStatus.OPEN})
    if recipient is not None and recipient.pk != by.pk:
        notify(user_id=recipient.pk, kind=NotificationKind.FEEDBACK, complaint=complaint,
               message=gettext_noop("Feedback from complaint %(number)s for %(department)s: %(summary)s"),
               params={"number": complaint.number, "department": Department(department).label, "summary": summary[:120]})  # fmt: skip
    return item


@transaction.atomic
def feedback_acknowledge(*, item: FeedbackItem, by: User) -> FeedbackItem:
    if not access.can_answer_feedback(by, item):
        raise PermissionDenied(_("Only the recipient or a manager of the team may answer this feedback item."))
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if item.status != FeedbackStatus.OPEN:
        raise ApplicationError(_("This feedback item is acknowledged already."), code="feedback_state")
    item.status, item.acknowledged_by, item.acknowledged_at = FeedbackStatus.ACKNOWLEDGED, by, timezone.now()
    item.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "updated_at"])
    _event(item.complaint, EventKind.FEEDBACK, by=by, data={"item": item.pk, "status": item.status})
    return item


@transaction.atomic
def feedback_close(*, item: FeedbackItem, by: User, action_taken: str) -> FeedbackItem:
    if not access.can_answer_feedback(by, item):
        raise PermissionDenied(_("Only the recipient or a manager of the team may answer this feedback item."))
    errors: dict[str, list[str]] = {}
    action_taken = clean_text(action_taken, field="action_taken", errors=errors, required=True, max_length=2000)
    if errors:
        raise ValidationFailed(_("Say what the department did."), fields=errors)
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if item.status == FeedbackStatus.CLOSED:
        raise ApplicationError(_("This feedback item is closed already."), code="feedback_state")
    now = timezone.now()
    if item.acknowledged_at is None:
        item.acknowledged_by, item.acknowledged_at = by, now
    item.status, item.action_taken, item.closed_by, item.closed_at = FeedbackStatus.CLOSED, action_taken, by, now
    item.save()
    _event(item.complaint, EventKind.FEEDBACK, by=by, notes=action_taken, data={"item": item.pk, "status": item.status})
    return item
