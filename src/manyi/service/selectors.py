"""Every read of complaints, already filtered to what the asking user may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, User
from manyi.core.errors import NotFound
from manyi.customers import access as customer_access
from manyi.interactions.models import Direction, EmotionReading
from manyi.service import access
from manyi.service.models import (
    Attachment,
    Complaint,
    ComplaintEvent,
    ComplaintLink,
    EventKind,
    FeedbackItem,
    Notification,
    Step,
)

SORTS = {
    "risk": ("-risk", "-id"),
    "due": (F("resolution_due").asc(nulls_last=True), "id"),  # paused ones (no deadline) last on both databases
    "newest": ("-received_at", "-id"),
    "oldest": ("received_at", "id"),
}


@dataclass(frozen=True, slots=True)
class ComplaintFilters:
    status: str = "open"  # open | closed | all | a step
    assignee: str = ""  # "me" or a user id
    severity: str = ""
    channel: str = ""
    customer: int | None = None
    q: str = ""
    escalated: bool = False
    breached: bool = False
    sort: str = "risk"


def complaint_list(*, user: User, filters: ComplaintFilters | None = None) -> QuerySet[Complaint]:
    """The complaint queue: open ones by risk (escalation, intensity, customer
    value and time left on the clock) unless another order is asked for."""
    f = filters or ComplaintFilters()
    qs = access.visible_complaints(user).select_related("customer", "assignee")
    if f.status == "open":
        qs = qs.exclude(status=Step.CLOSED)
    elif f.status == "closed":
        qs = qs.filter(status=Step.CLOSED)
    elif f.status in Step.values:
        qs = qs.filter(status=f.status)
    if f.assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif str(f.assignee).isdigit():
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.severity:
        qs = qs.filter(severity=f.severity)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    if f.escalated:
        qs = qs.filter(escalated=True)
    if f.breached:
        qs = qs.filter(Q(response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False))
    if f.q:
        q = f.q.strip()
        qs = qs.filter(Q(number__icontains=q) | Q(subject__icontains=q) | Q(customer__name__icontains=q) | Q(reporter_name__icontains=q))
    return qs.order_by(*SORTS.get(f.sort, SORTS["risk"]))


def complaint_get(*, user: User, pk: Any) -> Complaint:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Complaint not found.")) from None
    found = access.visible_complaints(user).select_related("customer", "assignee", "team", "contact").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Complaint not found."))
    return found


def complaint_events(*, user: User, complaint: Complaint) -> list[ComplaintEvent]:
    """The timeline, oldest first, with each customer message's emotion reading and the attachments."""
    if not access.can_see(user, complaint):
        raise NotFound(_("Complaint not found."))
    events = list(complaint.events.select_related("by", "interaction", "interaction__emotion").prefetch_related("attachments").order_by("at", "id"))
    return events


def attachment_get(*, user: User, pk: Any) -> Attachment:
    """An attachment, only for those who may see its complaint."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("File not found.")) from None
    found = Attachment.objects.filter(pk=pk, complaint__in=access.visible_complaints(user).values("pk")).first()
    if found is None:
        raise NotFound(_("File not found."))
    return found


def feedback_list(*, user: User, status: str = "") -> QuerySet[FeedbackItem]:
    qs = access.visible_feedback(user).select_related("complaint", "recipient")
    return qs.filter(status=status) if status else qs


def feedback_for(*, user: User, complaint: Complaint) -> list[FeedbackItem]:
    """A complaint's feedback items, oldest first, for one who sees the complaint."""
    if not access.can_see(user, complaint):
        raise NotFound(_("Complaint not found."))
    return list(complaint.feedback_items.select_related("recipient", "complaint").order_by("created_at", "id"))


def feedback_get(*, user: User, pk: Any) -> FeedbackItem:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Feedback item not found.")) from None
    found = access.visible_feedback(user).select_related("complaint").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Feedback item not found."))
    return found


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user_id=user.pk).select_related("complaint")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(*, user: User) -> int:
    if not user or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def hostile_readings() -> QuerySet[EmotionReading]:
    """Readings of a hostile customer: high escalation risk, or negative with anger."""
    return EmotionReading.objects.filter(Q(escalation="high") | Q(polarity="negative", primary="anger"))


def agent_load(*, user: User, now: dt.datetime | None = None) -> list[dict]:
    """How many hostile conversations each person of the manager's team
    handled today and this week (domain §3, staff emotion): hostile customer
    messages on the complaints assigned to them, and hostile inbound
    interactions they logged themselves. Managers, analysts and administrators only."""
    if not (user.is_admin or user.role in (Role.MANAGER, Role.ANALYST)):
        return []
    now = timezone.localtime(now or timezone.now())
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - dt.timedelta(days=today.weekday())
    people = User.objects.filter(is_active=True, role__in=[Role.SERVICE, Role.SALES, Role.MANAGER])
    if not user.is_admin:
        people = people.filter(team_id=user.team_id) if user.team_id else people.filter(pk=user.pk)
    hostile = hostile_readings().filter(occurred_at__gte=week, interaction__direction=Direction.INBOUND)
    rows: dict[int, dict] = {p.pk: {"user": p, "today": 0, "week": 0, "open": 0} for p in people}

    def count(pairs) -> None:
        for person_id, at in pairs:
            if person_id in rows:
                rows[person_id]["week"] += 1
                rows[person_id]["today"] += at >= today

    # A hostile message counts for whoever took it down (the conversation was
    # theirs), or, when it came in by itself (e-mail, the public form), for the
    # complaint's assignee: handing a complaint over does not move the load.
    on_complaints = ComplaintEvent.objects.filter(kind__in=[EventKind.MESSAGE, EventKind.STEP], interaction__emotion__in=hostile)
    count(on_complaints.annotate(person=Coalesce("by_id", "complaint__assignee_id")).values_list("person", "at"))
    count(hostile.filter(interaction__complaint_events__isnull=True, interaction__created_by__isnull=False).values_list("interaction__created_by_id", "occurred_at"))
    open_counts = Complaint.objects.exclude(status=Step.CLOSED).filter(assignee_id__in=rows).values("assignee_id").annotate(n=Count("id"))
    for row in open_counts:
        rows[row["assignee_id"]]["open"] = row["n"]
    return sorted(rows.values(), key=lambda r: (-r["today"], -r["week"], r["user"].name))


def complaint_link_current(*, user: User, customer) -> ComplaintLink | None:
    """The customer's public complaint form link in use, if the user sees the customer."""
    visible = customer_access.visible_customers(user).filter(pk=customer.pk)
    return ComplaintLink.objects.filter(customer=customer, revoked_at__isnull=True, customer__in=visible).order_by("-created_at", "-pk").first()


def people_names(ids) -> dict[int, str]:
    """Colleagues' names for the "assigned" events of a timeline the user
    already sees (names only: the timeline says who had the complaint before)."""
    wanted = {i for i in ids if isinstance(i, int)}
    return {u.pk: u.name for u in User.objects.filter(pk__in=wanted)} if wanted else {}


def feedback_recipients() -> list[tuple[int, str]]:
    """Who a feedback item may go to: any active colleague who is not read-only
    (the responsible department is often outside the complaint's team)."""
    people = User.objects.filter(is_active=True).exclude(role=Role.ANALYST).select_related("team").order_by("team__name", "display_name", "username")
    return [(p.pk, f"{p.name} · {p.team.name}" if p.team else p.name) for p in people]
