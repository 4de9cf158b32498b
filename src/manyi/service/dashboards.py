"""The reads behind the complaint dashboards: Haier's four no-misses (四个不漏)
and three controls (三控), handling times against the SLA, causes by month
and the value of the complaining customers (domain §4). Every figure counts
only what the asking user may see: complaints through service.access,
customers through customers.access. The arithmetic lives in
service.controls."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from manyi.accounts.models import Role, User
from manyi.analytics.models import CustomerValue, Order, OrderStatus
from manyi.customers.access import visible_customers
from manyi.interactions.models import Direction, Interaction
from manyi.service import access, causes, controls
from manyi.service.controls import Period
from manyi.service.models import (
    Complaint,
    ComplaintEvent,
    EventKind,
    FeedbackItem,
    FeedbackStatus,
    RecheckResult,
    Step,
)

# A complaint-sounding message is covered by a complaint of the same customer
# received this close to it.
RECORDED_WINDOW = dt.timedelta(days=3)
# Carried out this long ago and still not rechecked with the customer: a miss.
RECHECK_WITHIN = dt.timedelta(days=7)
# Closed this long ago and the department has not even acknowledged the feedback: a miss.
FEEDBACK_WITHIN = dt.timedelta(days=14)

KINDS = ("recorded", "handled", "rechecked", "fed_back")


def received_in(user: User, period: Period) -> QuerySet[Complaint]:
    """The user's complaints received in the period."""
    return access.visible_complaints(user).filter(received_at__gte=period.start, received_at__lt=period.end)


# --- the four no-misses ------------------------------------------------------------


def recorded_misses(*, user: User, period: Period) -> QuerySet[Interaction]:
    """Customers' words the emotion engine read as a complaint that never
    became one: inbound, in the period, on a customer the user sees, linked to
    no complaint, and no complaint of that customer received within three days
    either side."""
    linked = ComplaintEvent.objects.filter(interaction_id=OuterRef("pk"))
    near = Complaint.objects.filter(
        customer_id=OuterRef("customer_id"),
        received_at__gte=OuterRef("occurred_at") - RECORDED_WINDOW,
        received_at__lte=OuterRef("occurred_at") + RECORDED_WINDOW,
    )
    return (
        Interaction.objects.filter(
            direction=Direction.INBOUND, emotion__complaint=True, occurred_at__gte=period.start, occurred_at__lt=period.end,
            customer__in=visible_customers(user).values("pk"),
        )
        .filter(~Exists(linked), ~Exists(near))
        .select_related("customer")
        .order_by("-occurred_at", "-id")
    )  # fmt: skip


def _late(now: dt.datetime) -> Q:
    """No first response and past its due time, answered late, or open past the resolution deadline."""
    return (
        Q(responded_at__isnull=True, response_due__lt=now)
        | Q(responded_at__gt=F("response_due"))
        | (~Q(status=Step.CLOSED) & Q(resolution_due__lt=now))
    )


def handled_misses(*, user: User, period: Period, now: dt.datetime | None = None) -> QuerySet[Complaint]:
    """Complaints received in the period not handled in time."""
    now = now or timezone.now()
    return received_in(user, period).filter(_late(now)).select_related("customer", "assignee").order_by("received_at", "id")


def _rechecked() -> Exists:
    """A recheck with the customer really done (not skipped) since the complaint was last reopened."""
    reopened_after = ComplaintEvent.objects.filter(complaint_id=OuterRef("complaint_id"), kind=EventKind.REOPENED, at__gt=OuterRef("at"))
    return Exists(
        ComplaintEvent.objects.filter(complaint_id=OuterRef("pk"), kind=EventKind.STEP, step=Step.RECHECKED)
        .filter(Q(data__skipped__isnull=True) | Q(data__skipped=False))  # not skipped (exclude() would drop the events without the key)
        .filter(~Exists(reopened_after))
    )


def _carried_out_lately(now: dt.datetime) -> Exists:
    return Exists(ComplaintEvent.objects.filter(complaint_id=OuterRef("pk"), kind=EventKind.STEP, step=Step.CARRIED_OUT, at__gte=now - RECHECK_WITHIN))


def _recheck_overdue(now: dt.datetime) -> Q:
    """Open, carried out more than seven days ago and not rechecked since."""
    return Q(status=Step.CARRIED_OUT) & ~Q(_carried_out_lately(now))


def rechecked_misses(*, user: User, period: Period, now: dt.datetime | None = None) -> QuerySet[Complaint]:
    """Complaints received in the period closed without a recheck with the
    customer (a manager's override), or carried out over a week ago and still
    not rechecked."""
    now = now or timezone.now()
    closed_unchecked = Q(status=Step.CLOSED) & ~Q(_rechecked())
    return received_in(user, period).filter(closed_unchecked | _recheck_overdue(now)).select_related("customer", "assignee").order_by("received_at", "id")


def _feedback(**filters) -> Exists:
    return Exists(FeedbackItem.objects.filter(complaint_id=OuterRef("pk"), **filters))


def fed_back_misses(*, user: User, period: Period, now: dt.datetime | None = None) -> QuerySet[Complaint]:
    """Closed complaints received in the period without a feedback item to the
    department, or whose feedback items nobody has acknowledged two weeks
    after closing."""
    now = now or timezone.now()
    answered = Exists(FeedbackItem.objects.filter(complaint_id=OuterRef("pk")).exclude(status=FeedbackStatus.OPEN))
    unanswered = ~Q(answered) & Q(closed_at__lt=now - FEEDBACK_WITHIN)
    return (
        received_in(user, period).filter(status=Step.CLOSED).filter(~Q(_feedback()) | unanswered)
        .select_related("customer", "assignee").order_by("received_at", "id")
    )  # fmt: skip


def misses(kind: str, *, user: User, period: Period, now: dt.datetime | None = None) -> QuerySet:
    """The drill-down list of one kind of miss (KINDS); KeyError for another."""
    if kind == "recorded":
        return recorded_misses(user=user, period=period)
    return {"handled": handled_misses, "rechecked": rechecked_misses, "fed_back": fed_back_misses}[kind](user=user, period=period, now=now)


@dataclass(frozen=True, slots=True)
class NoMiss:
    """One of the four no-misses: done out of what should have been, and the misses."""

    kind: str
    done: int
    should: int
    misses: int

    @property
    def share(self) -> float | None:
        return self.done / self.should if self.should else None


def four_no_misses(*, user: User, period: Period, now: dt.datetime | None = None) -> list[NoMiss]:
    """Over the complaints received in the period:
    - recorded: complaints recorded, out of those plus the complaint-sounding words left unrecorded;
    - handled: complaints handled in time, out of all;
    - rechecked: rechecked with the customer, out of the closed ones, those at the recheck step and those overdue for one;
    - fed back: fed back to the department, out of the closed ones."""
    now = now or timezone.now()
    received = received_in(user, period)
    counts = received.aggregate(
        all=Count("id"),
        closed=Count("id", filter=Q(status=Step.CLOSED)),
        at_recheck=Count("id", filter=Q(status=Step.RECHECKED)),
    )
    recorded = recorded_misses(user=user, period=period).count()
    handled = handled_misses(user=user, period=period, now=now).count()
    rechecked = rechecked_misses(user=user, period=period, now=now).count()
    overdue = received.filter(_recheck_overdue(now)).count()
    fed_back = fed_back_misses(user=user, period=period, now=now).count()
    should_recheck = counts["closed"] + counts["at_recheck"] + overdue
    return [
        NoMiss("recorded", counts["all"], counts["all"] + recorded, recorded),
        NoMiss("handled", counts["all"] - handled, counts["all"], handled),
        NoMiss("rechecked", should_recheck - rechecked, should_recheck, rechecked),
        NoMiss("fed_back", counts["closed"] - fed_back, counts["closed"], fed_back),
    ]


# --- the three controls ------------------------------------------------------------


def orders_in(user: User, period: Period) -> QuerySet[Order]:
    """Orders of the user's customers placed in the period, cancelled ones left out."""
    return Order.objects.filter(
        customer__in=visible_customers(user).values("pk"), ordered_on__gte=period.first, ordered_on__lte=period.last,
    ).exclude(status=OrderStatus.CANCELLED)  # fmt: skip


def customers_served(user: User, period: Period) -> int:
    """The user's customers with an interaction or an order (not cancelled) in the period."""
    talked = Interaction.objects.filter(occurred_at__gte=period.start, occurred_at__lt=period.end).values("customer_id")
    bought = Order.objects.filter(ordered_on__gte=period.first, ordered_on__lte=period.last).exclude(status=OrderStatus.CANCELLED).values("customer_id")
    return visible_customers(user).filter(Q(pk__in=talked) | Q(pk__in=bought)).count()


@dataclass(frozen=True, slots=True)
class Controls:
    basis: str  # customers | orders
    served: int
    orders: int
    complaint: controls.Control
    omission: controls.Control
    dissatisfaction: controls.Control

    @property
    def all(self) -> list[controls.Control]:
        return [self.complaint, self.omission, self.dissatisfaction]


BASES = ("customers", "orders")


def three_controls(*, user: User, period: Period, basis: str = "customers", no_misses: list[NoMiss] | None = None, now: dt.datetime | None = None) -> Controls:
    """Complaint, omission and dissatisfaction rates per 100,000 customers
    served (or orders) in the period, each against controls.DEFAULT_TARGET."""
    basis = basis if basis in BASES else "customers"
    served, orders = customers_served(user, period), orders_in(user, period).count()
    denominator = served if basis == "customers" else orders
    figures = {m.kind: m for m in no_misses or four_no_misses(user=user, period=period, now=now)}
    received = received_in(user, period).aggregate(all=Count("id"), dissatisfied=Count("id", filter=Q(recheck_result=RecheckResult.DISSATISFIED)))
    return Controls(
        basis=basis, served=served, orders=orders,
        complaint=controls.Control("complaint", received["all"], denominator),
        omission=controls.Control("omission", figures["recorded"].misses + figures["handled"].misses, denominator),
        dissatisfaction=controls.Control("dissatisfaction", received["dissatisfied"], denominator),
    )  # fmt: skip


# --- handling times, causes, value ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MonthTimes:
    month: tuple[int, int]
    received: int
    response: controls.Times
    resolution: controls.Times


def handling_times(*, user: User, period: Period, now: dt.datetime | None = None) -> list[MonthTimes]:
    """For each of the twelve months up to the period's last: first-response
    and resolution times in calendar hours (median, 90th percentile) of the
    complaints received that month, and the share that met the deadline
    stored with the complaint."""
    now = now or timezone.now()
    months = period.chart_months()
    rows = (
        access.visible_complaints(user)
        .filter(received_at__gte=period.chart_start(), received_at__lt=period.chart_end())
        .values_list("received_at", "responded_at", "response_due", "response_breached_at", "closed_at", "resolution_due", "resolution_breached_at", "status")
    )
    found: dict[tuple[int, int], dict[str, list]] = {m: defaultdict(list) for m in months}
    for received, responded, response_due, response_breached, closed, resolution_due, resolution_breached, state in rows.iterator(chunk_size=2000):
        bucket = found.get(controls.month_key(received.astimezone(period.tz)))
        if bucket is None:
            continue
        bucket["received"].append(1)
        took, met = controls.outcome(started=received, done=responded, due=response_due, breached_at=response_breached, now=now)
        if took is not None:
            bucket["response_hours"].append(took)
        bucket["response_met"].append(met)
        done = closed if state == Step.CLOSED else None
        took, met = controls.outcome(started=received, done=done, due=resolution_due, breached_at=resolution_breached, now=now)
        if took is not None:
            bucket["resolution_hours"].append(took)
        bucket["resolution_met"].append(met)
    return [
        MonthTimes(
            month=m, received=len(b["received"]),
            response=controls.summarise(b["response_hours"], b["response_met"]),
            resolution=controls.summarise(b["resolution_hours"], b["resolution_met"]),
        )
        for m, b in found.items()
    ]  # fmt: skip


NOT_ANALYSED = ""


def causes_by_month(*, user: User, period: Period) -> dict[str, dict[tuple[int, int], int]]:
    """Complaints received in each of the twelve months by cause group
    (causes.GROUPS; "" for not analysed yet), every group present in the order
    of GROUPS, months oldest first."""
    months = period.chart_months()
    rows = (
        access.visible_complaints(user)
        .filter(received_at__gte=period.chart_start(), received_at__lt=period.chart_end())
        .annotate(month=TruncMonth("received_at", tzinfo=period.tz))
        .values("month", "cause")
        .annotate(n=Count("id"))
        .order_by()
    )
    table: dict[str, dict[tuple[int, int], int]] = {g: dict.fromkeys(months, 0) for g in [*causes.GROUPS, NOT_ANALYSED]}
    for row in rows:
        group = row["cause"].partition("/")[0]
        group = group if group in causes.GROUPS else NOT_ANALYSED
        key = controls.month_key(row["month"])
        if key in table[group]:
            table[group][key] += row["n"]
    return table


@dataclass(frozen=True, slots=True)
class ValueKept:
    customers: int
    at_risk: float
    kept_customers: int
    kept: float

    @property
    def share(self) -> float | None:
        return self.kept / self.at_risk if self.at_risk else None


def value_kept(*, user: User, period: Period) -> ValueKept:
    """The last twelve months' revenue of the customers who complained in the
    period (value at risk), and the part of it from those who ordered again
    (not cancelled) on a later day than their last complaint in the period."""
    last_complaint = dict(
        received_in(user, period).filter(customer__in=visible_customers(user).values("pk"))
        .values("customer_id").annotate(last=Max("received_at")).order_by().values_list("customer_id", "last")
    )  # fmt: skip
    if not last_complaint:
        return ValueKept(0, 0.0, 0, 0.0)
    revenue = dict(CustomerValue.objects.filter(customer_id__in=list(last_complaint)).values_list("customer_id", "revenue_year"))
    last_order = dict(
        Order.objects.filter(customer_id__in=list(last_complaint)).exclude(status=OrderStatus.CANCELLED)
        .values("customer_id").annotate(last=Max("ordered_on")).order_by().values_list("customer_id", "last")
    )  # fmt: skip
    kept = [c for c, at in last_complaint.items() if c in last_order and last_order[c] > timezone.localtime(at, period.tz).date()]
    return ValueKept(
        customers=len(last_complaint), at_risk=float(sum(revenue.get(c) or 0 for c in last_complaint)),
        kept_customers=len(kept), kept=float(sum(revenue.get(c) or 0 for c in kept)),
    )  # fmt: skip


# --- why each listed complaint is a miss ------------------------------------------------


def why_missed(kind: str, complaints: list[Complaint], *, now: dt.datetime | None = None) -> dict[int, list[str]]:
    """For a page of a drill-down list, each complaint's reasons as codes:
    no_response, late_response, overdue (handled); closed_unchecked,
    recheck_overdue (rechecked); no_feedback, feedback_unanswered (fed back)."""
    now = now or timezone.now()
    reasons: dict[int, list[str]] = {c.pk: [] for c in complaints}
    with_items = set(FeedbackItem.objects.filter(complaint_id__in=list(reasons)).values_list("complaint_id", flat=True)) if kind == "fed_back" else set()
    for c in complaints:
        why = reasons[c.pk]
        if kind == "handled":
            if c.responded_at is None and c.response_due is not None and c.response_due < now:
                why.append("no_response")
            if c.responded_at is not None and c.response_due is not None and c.responded_at > c.response_due:
                why.append("late_response")
            if not c.is_closed and c.resolution_due is not None and c.resolution_due < now:
                why.append("overdue")
        elif kind == "rechecked":
            why.append("closed_unchecked" if c.is_closed else "recheck_overdue")
        elif kind == "fed_back":
            why.append("feedback_unanswered" if c.pk in with_items else "no_feedback")
    return reasons


# --- agent load ---------------------------------------------------------------------------

# This many hostile conversations in a day and someone should take over or have a break.
HOSTILE_TODAY_LIMIT = 5


def can_see_agent_load(user: User) -> bool:
    """Managers, analysts and administrators (selectors.agent_load answers them only)."""
    return bool(user and user.is_authenticated and (user.is_admin or user.role in (Role.MANAGER, Role.ANALYST)))
