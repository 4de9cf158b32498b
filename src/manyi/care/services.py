"""Every write to follow-up tasks."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from manyi.accounts.models import User
from manyi.care.models import FollowUp, FollowUpKind
from manyi.core.errors import ApplicationError
from manyi.customers.models import Customer


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
