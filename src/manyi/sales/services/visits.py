"""Every write of visit planning (路线管理): making a rep's week — each customer
a fixed weekday by grade, each day's stops in route order with arrival
times — checking in at a visit, and the calendar feed's token.

Rules, so a customer knows on which day the rep comes:
- a customer keeps their weekday (VisitSlot) while their grade's visit
  frequency asks for the same interval, also when a colleague takes them over
  (where the day has room); only new customers and those whose frequency
  changed get a new one, on their old weekday where it fits;
- statutory holidays (法定假日, the Chinese calendar) are skipped, not moved;
- a visit checked in is never changed, and a customer checked in this week is
  not planned again in it; days before today keep their rows, so visits
  missed stay on record for the plan-against-done report;
- a day's route starts at the office at 09:00 when the team set one, else at
  the first stop; customers without coordinates come last, after the routed
  ones, without travel figures.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import ApiToken, User
from manyi.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from manyi.customers.models import Customer
from manyi.interactions.models import Channel, Direction, Interaction, InteractionKind
from manyi.interactions.services import interaction_create
from manyi.sales import access, planner, routes
from manyi.sales.config import DAY_START
from manyi.sales.models import CalendarFeed, PlannedVisit, SalesSettings, VisitSlot
from manyi.sales.selectors.visits import (
    PlanningInput,
    WeekPlan,
    assign,
    is_workday,
    planning_input,
    point_of,
    unplaced_rows,
    week_plan,
)
from manyi.satisfaction.delivery import survey_send_after
from manyi.satisfaction.models import SurveyTrigger

ROUTE_METHOD = "heuristic"
MAX_NOTE = 2000
MAX_OUTCOME = 300


class AlreadyCheckedIn(ApplicationError):
    status = 409
    code = "already_checked_in"


def _check_monday(monday: dt.date) -> None:
    if not isinstance(monday, dt.date) or monday.weekday() != 0:
        raise ValidationFailed(_("A plan starts on a Monday."), fields={"week": [_("A plan starts on a Monday.")]})


def _save_slots(rep: User, inputs: PlanningInput, slots: list[planner.Slot]) -> None:
    """Write the rep's weekdays: new ones created, changed ones updated, those
    of customers no longer the rep's (or not placed) removed."""
    wanted = {s.customer_id: s for s in slots}
    VisitSlot.objects.filter(Q(rep_id=rep.pk) | Q(customer_id__in=list(inputs.slot_rows))).exclude(customer_id__in=list(wanted)).delete()
    create, update = [], []
    for customer_id, slot in wanted.items():
        row = inputs.slot_rows.get(customer_id)
        if row is None:
            create.append(VisitSlot(customer_id=customer_id, rep_id=rep.pk, weekday=slot.weekday, interval=slot.interval, phase=slot.phase))
        elif (row.rep_id, row.weekday, row.interval, row.phase) != (rep.pk, slot.weekday, slot.interval, slot.phase):
            row.rep_id, row.weekday, row.interval, row.phase = rep.pk, slot.weekday, slot.interval, slot.phase
            update.append(row)
    VisitSlot.objects.bulk_create(create)
    if update:
        now = timezone.now()
        for row in update:
            row.updated_at = now
        VisitSlot.objects.bulk_update(update, ["rep", "weekday", "interval", "phase", "updated_at"])


def _local(moment: dt.datetime) -> dt.datetime:
    """The wall-clock time in the server's zone (MANYI_TIME_ZONE, China time by default)."""
    return timezone.localtime(moment).replace(tzinfo=None)


def _day_rows(
    *, rep: User, day: dt.date, customers: list[Customer], settings: SalesSettings, base: routes.Point | None, kept: list[PlannedVisit]
) -> list[PlannedVisit]:
    """The day's new stops in route order with arrival and travel. After
    visits already checked in that day, the route goes on from the last of
    them, numbered after it."""
    cursor = dt.datetime.combine(day, DAY_START)
    start, back = base, base is not None
    if kept:
        last = max(kept, key=lambda v: v.stop)
        ends = [dt.datetime.combine(day, v.arrive_at) for v in kept if v.arrive_at]
        ends += [_local(v.checked_in_at) for v in kept if v.checked_in_at and _local(v.checked_in_at).date() == day]
        if ends:
            cursor = max(cursor, max(ends) + dt.timedelta(minutes=settings.visit_minutes))
        here = point_of(last.customer)
        if here is not None:
            start, back = here, False
    on_map = [c for c in customers if point_of(c) is not None]
    off_map = sorted((c for c in customers if point_of(c) is None), key=lambda c: (c.grade, c.name, c.pk))
    ordered: list[tuple[Customer, float | None]] = []
    if on_map:
        route = routes.solve_route([point_of(c) for c in on_map], start=start, return_to_start=back, method=ROUTE_METHOD)
        ordered = [(on_map[i], km) for i, km in zip(route.order, route.legs_km, strict=True)]
    ordered += [(c, None) for c in off_map]
    number = max((v.stop for v in kept), default=0)
    rows = []
    for customer, km in ordered:
        minutes = None if km is None else routes.travel_minutes(km, speed_kmh=max(1, settings.speed_kmh))
        cursor += dt.timedelta(minutes=minutes or 0)
        number += 1
        rows.append(PlannedVisit(
            rep=rep, customer=customer, day=day, stop=number, arrive_at=cursor.time() if cursor.date() == day else None,
            travel_km=None if km is None else round(km, 1), travel_minutes=minutes,
        ))  # fmt: skip
        cursor += dt.timedelta(minutes=settings.visit_minutes)
    return rows


@transaction.atomic
def visit_plan_make(*, by: User, rep: User, monday: dt.date, today: dt.date | None = None) -> WeekPlan:
    """Plan the rep's week starting `monday`: weekdays for the rep's live
    customers (kept where still valid), the week's visits by those weekdays
    with holidays skipped, each day's stops in route order. Rows of the week
    not yet checked in, from today on, are replaced. Returns the week as
    week_plan() reads it, with the customers that could not be placed."""
    if not access.can_plan_for(by, rep):
        raise PermissionDenied(_("You may not plan this rep's visits."))
    _check_monday(monday)
    today = today or timezone.localdate()
    inputs = planning_input(rep)
    settings = inputs.settings
    if inputs.problem:
        raise ValidationFailed(inputs.problem, code="frequency_too_high")
    assignment = assign(inputs)
    _save_slots(rep, inputs, list(assignment.slots.values()))
    friday = monday + dt.timedelta(days=4)
    week = list(PlannedVisit.objects.select_for_update().filter(rep=rep, day__range=(monday, friday)).select_related("customer"))
    kept = [v for v in week if v.checked_in_at is not None or v.day < today]
    PlannedVisit.objects.filter(pk__in=[v.pk for v in week if v not in kept]).delete()
    done_this_week = {v.customer_id for v in kept if v.checked_in_at is not None}
    created: list[PlannedVisit] = []
    deferred = 0
    for plan in planner.plan_week(assignment.slots, monday, is_workday=is_workday):
        if plan.holiday or plan.day < today:
            continue
        here = {v.customer_id for v in kept if v.day == plan.day}
        customers = [inputs.customers[i] for i in plan.customer_ids if i in inputs.customers and i not in done_this_week and i not in here]
        room = max(0, settings.daily_capacity - len(here))
        if len(customers) > room:  # visits checked in after an earlier plan fill part of the day
            customers = sorted(customers, key=lambda c: (c.grade, c.pk))
            deferred += len(customers) - room
            customers = customers[:room]
        if customers:
            day_kept = [v for v in kept if v.day == plan.day]
            created += _day_rows(rep=rep, day=plan.day, customers=customers, settings=settings, base=inputs.base, kept=day_kept)
    PlannedVisit.objects.bulk_create(created)
    unplaced = unplaced_rows(inputs.customers, assignment.unplaced)
    return week_plan(user=by, rep=rep, monday=monday, unplaced=unplaced, created=len(created), kept=len(kept), deferred=deferred)


@transaction.atomic
def visit_check_in(*, by: User, visit: PlannedVisit, note: str = "", outcome: str = "") -> Interaction:
    """Check in at a planned visit: a visit (in person, outbound) is logged on
    the customer with the note and the outcome, and linked to the visit. The
    rep, their manager or an administrator; once only, and not before the day."""
    rep = User.objects.get(pk=visit.rep_id)
    if not access.can_plan_for(by, rep):
        raise PermissionDenied(_("Only the rep or their manager may check in at this visit."))
    locked = PlannedVisit.objects.select_for_update().select_related("customer").get(pk=visit.pk)
    if locked.checked_in_at is not None:
        raise AlreadyCheckedIn(_("This visit was checked in already, at %(time)s.") % {"time": _local(locked.checked_in_at).strftime("%Y-%m-%d %H:%M")})
    now = timezone.now()
    if locked.day > timezone.localdate(now):
        raise ValidationFailed(_("This visit is planned for %(day)s; check in on the day.") % {"day": locked.day.isoformat()})
    if locked.customer.deleted_at is not None:
        raise ValidationFailed(_("The customer has been deleted."))
    errors: dict[str, list[str]] = {}
    note, outcome = (note or "").strip(), (outcome or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = [_("At most %(max)d characters (this has %(n)d).") % {"max": MAX_NOTE, "n": len(note)}]
    if len(outcome) > MAX_OUTCOME:
        errors["outcome"] = [_("At most %(max)d characters (this has %(n)d).") % {"max": MAX_OUTCOME, "n": len(outcome)}]
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    data = {
        "kind": InteractionKind.VISIT, "direction": Direction.OUTBOUND, "channel": Channel.IN_PERSON, "occurred_at": now,
        "subject": _("Planned visit, stop %(stop)d") % {"stop": locked.stop}, "text": note, "outcome": outcome,
    }  # fmt: skip
    interaction = interaction_create(by=by, customer=locked.customer, data=data)
    locked.interaction = interaction
    locked.checked_in_at = now
    locked.save(update_fields=["interaction", "checked_in_at", "updated_at"])
    survey_send_after(customer=locked.customer, trigger=SurveyTrigger.VISIT, source=f"visit:{locked.pk}")
    visit.interaction, visit.checked_in_at = interaction, now
    return interaction


@transaction.atomic
def calendar_feed_reset(*, by: User) -> str:
    """A new address for the user's calendar feed; the old one stops working.
    Only the token's SHA-256 is kept: the token is returned this once."""
    if not (by and by.is_authenticated and by.is_active):
        raise PermissionDenied(_("Log in first."))
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user_id=by.pk, defaults={"digest": ApiToken.digest_of(token)})
    return token
