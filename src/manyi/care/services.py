"""Every write of care: follow-up tasks, and greetings logged as interactions."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.care.models import FollowUp, FollowUpKind
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.customers import access
from manyi.customers.models import Contact, Customer
from manyi.interactions.models import Channel, Direction, Interaction, InteractionKind
from manyi.interactions.services import interaction_create

TITLE_MAX = FollowUp._meta.get_field("title").max_length
DETAIL_MAX = 2000


def followup_open(
    *,
    customer: Customer,
    title: str,
    due_on: dt.date | None = None,
    kind: str = FollowUpKind.MANUAL,
    detail: str = "",
    assignee: User | None = None,
    source: str = "",
    by: User | None = None,
) -> FollowUp:
    """Open a task for `customer`, assigned to its owner unless said otherwise,
    due today unless said otherwise. With a `source`, the task already opened
    for that source is returned instead of a second one."""
    if source:
        existing = FollowUp.objects.filter(source=source).first()
        if existing:
            return existing
    title = title.strip()
    if not title:
        raise ApplicationError("A task needs a title.", code="follow_up_title")
    assignee = assignee or customer.owner
    try:
        with transaction.atomic():
            return FollowUp.objects.create(
                customer=customer,
                assignee=assignee,
                team_id=assignee.team_id,
                kind=kind,
                title=title[:200],
                detail=detail,
                due_on=due_on or timezone.localdate(),
                source=source,
                created_by=by,
            )
    except IntegrityError:
        # Another request opened the task for this source first.
        return FollowUp.objects.get(source=source)


def followup_done(*, follow_up: FollowUp, by: User, outcome: str = "") -> FollowUp:
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.done_at is not None:
            raise ApplicationError("This task is done already.", code="follow_up_done")
        locked.done_at = timezone.now()
        locked.done_by = by
        locked.outcome = outcome.strip()
        locked.save(update_fields=["done_at", "done_by", "outcome", "updated_at"])
        return locked


def followup_create(
    *, by: User, customer: Customer, title: str, due_on: dt.date | None, detail: str = "", assignee: User | None = None
) -> FollowUp:
    """A task someone opens by hand on a customer they may see, for themselves
    or (a manager, an administrator) for someone they may assign work to."""
    if by.is_read_only:
        raise PermissionDenied(_("Your role may not open tasks."))
    if not access.visible_customers(by).filter(pk=customer.pk).exists():
        raise NotFound(_("Customer not found."))
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Say what is to be done.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("Keep the title within %(n)d characters.") % {"n": TITLE_MAX}]
    if len(detail or "") > DETAIL_MAX:
        errors["detail"] = [_("Keep the detail within %(n)d characters.") % {"n": DETAIL_MAX}]
    if due_on is None:
        errors["due_on"] = [_("Enter the day the task is due.")]
    elif due_on < timezone.localdate():
        errors["due_on"] = [_("The due date cannot lie in the past.")]
    assignee = assignee or by
    if assignee.pk != by.pk and not access.assignable_owners(by).filter(pk=assignee.pk).exists():
        errors["assignee"] = [_("You may not give tasks to this person.")]
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    return followup_open(customer=customer, title=title, due_on=due_on, kind=FollowUpKind.MANUAL, detail=(detail or "").strip(), assignee=assignee, by=by)


# How a greeting went out, and the kind of interaction that records it.
CHANNEL_KINDS = {
    Channel.WECHAT: InteractionKind.CHAT,
    Channel.SMS: InteractionKind.CHAT,
    Channel.PHONE: InteractionKind.CALL,
    Channel.EMAIL: InteractionKind.EMAIL,
    Channel.IN_PERSON: InteractionKind.VISIT,
}


@transaction.atomic
def greeting_log(
    *,
    by: User,
    customer: Customer,
    text: str,
    channel: str = Channel.WECHAT,
    subject: str = "",
    contact: Contact | None = None,
    follow_up: FollowUp | None = None,
    source: str = "",
) -> Interaction:
    """Log what was said to the customer (an adapted greeting draft) as an
    outbound interaction. With `follow_up`, the task is done with the text as
    its outcome; with a `source` (a birthday or a festival of the agenda), a
    care task for that occasion is recorded done, so the agenda shows the
    customer greeted and the occasion is not logged twice."""
    errors: dict[str, list[str]] = {}
    if not (text or "").strip():
        errors["text"] = [_("Write what was said or done.")]
    if channel not in CHANNEL_KINDS:
        errors["channel"] = [_("Choose how the message went out.")]
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    if follow_up is not None and follow_up.customer_id != customer.pk:
        raise ValidationFailed(_("The task is not about this customer."), fields={"follow_up": [_("The task is not about this customer.")]})
    if follow_up is not None and follow_up.is_done:
        raise ApplicationError(_("This task is done already."), code="follow_up_done")
    if source and FollowUp.objects.filter(source=source, done_at__isnull=False).exists():
        raise ApplicationError(_("This greeting has been logged already."), code="greeting_logged")
    data = {"kind": CHANNEL_KINDS[channel], "direction": Direction.OUTBOUND, "channel": channel, "subject": subject[:200], "text": text, "contact": contact}
    interaction = interaction_create(by=by, customer=customer, data=data)
    if follow_up is not None:
        followup_done(follow_up=follow_up, by=by, outcome=interaction.text)
    elif source:
        task = followup_open(customer=customer, title=subject or interaction.text[:200], kind=FollowUpKind.CARE, assignee=by, source=source, by=by)
        followup_done(follow_up=task, by=by, outcome=interaction.text)
    return interaction
