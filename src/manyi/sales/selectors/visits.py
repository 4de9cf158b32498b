"""Every read of visit planning (拜访计划), already filtered to what the asking
user may see: a rep their own plan, a manager or an analyst their team's, an
administrator everyone's; anyone else meets NotFound.

The week plan is read back from the PlannedVisit rows; which customers could
not be given a weekday is worked out again by the pure planner (cheap, and
the same answer the last planning gave)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import ApiToken, Role, Team, User
from manyi.core.errors import NotFound
from manyi.customers.models import Customer
from manyi.sales import access, planner, routes
from manyi.sales.config import DAY_END, settings_for, visits_per_month
from manyi.sales.ical import address_of
from manyi.sales.models import CalendarFeed, PlannedVisit, SalesSettings, VisitSlot

FEED_WEEKS_BACK = 4
FEED_WEEKS_AHEAD = 8
GRADES = ("A", "B", "C", "D")


# --- who -----------------------------------------------------------------------------


def _active(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def may_see_plan(user: User | None, rep: User) -> bool:
    """The rep, a manager or an analyst of the rep's team, an administrator (as visible_visits)."""
    if not _active(user):
        return False
    if user.is_admin or user.pk == rep.pk:
        return True
    return user.role in (Role.MANAGER, Role.ANALYST) and user.team_id is not None and user.team_id == rep.team_id


def rep_get(*, user: User, ref: Any) -> User:
    """The active person `ref` (an id or a username) whose plan `user` may see; else NotFound."""
    try:
        if isinstance(ref, User):
            rep = User.objects.get(pk=ref.pk, is_active=True)
        elif isinstance(ref, int) or str(ref).isdigit():
            rep = User.objects.get(pk=int(ref), is_active=True)
        else:
            rep = User.objects.get(username=str(ref), is_active=True)
    except User.DoesNotExist:
        rep = None
    if rep is None or not may_see_plan(user, rep):
        raise NotFound(_("No such rep."), fields={"rep": [_("No such rep.")]})
    return rep


def rep_choices(*, user: User) -> list[User]:
    """Whose plans `user` may open: themselves, and their team (a manager or an
    analyst) or every active rep (an administrator)."""
    if not _active(user):
        return []
    qs = User.objects.filter(is_active=True)
    if user.is_admin:
        qs = qs.filter(Q(role=Role.SALES) | Q(pk=user.pk))
    elif user.role in (Role.MANAGER, Role.ANALYST) and user.team_id is not None:
        qs = qs.filter(Q(team_id=user.team_id, role=Role.SALES) | Q(pk=user.pk))
    else:
        qs = qs.filter(pk=user.pk)
    return sorted(qs, key=lambda u: (u.pk != user.pk, str(u)))


def team_get(*, user: User, ref: Any) -> Team:
    """A team by id or name whose workload `user` may see: their own (a manager
    or an analyst), any (an administrator)."""
    try:
        team = Team.objects.get(pk=int(ref)) if isinstance(ref, int) or str(ref).isdigit() else Team.objects.get(name=str(ref))
    except Team.DoesNotExist:
        team = None
    if team is None or not _active(user):
        raise NotFound(_("No such team."), fields={"team": [_("No such team.")]})
    if not (user.is_admin or (user.role in (Role.MANAGER, Role.ANALYST) and user.team_id == team.pk)):
        raise NotFound(_("No such team."), fields={"team": [_("No such team.")]})
    return team


def visit_get(*, user: User, pk: Any) -> PlannedVisit:
    try:
        return access.visible_visits(user).select_related("rep", "customer").get(pk=int(pk))
    except (TypeError, ValueError, PlannedVisit.DoesNotExist):
        raise NotFound(_("Visit not found.")) from None


# --- planning input (shared with the service) ------------------------------------------


@dataclass(frozen=True)
class PlanningInput:
    """What the planner needs for one rep: their live customers, the team's
    settings and the weekdays they already have."""

    rep: User
    settings: SalesSettings
    frequencies: dict[str, float]
    base: routes.Point | None
    customers: dict[int, Customer]
    existing: dict[int, planner.Slot]
    slot_rows: dict[int, VisitSlot]
    problem: str = ""  # why the team's frequencies cannot be planned, when they cannot

    @property
    def plan_customers(self) -> list[planner.PlanCustomer]:
        return [planner.PlanCustomer(id=c.pk, grade=c.grade, point=point_of(c)) for c in self.customers.values()]

    @property
    def without_point(self) -> list[Customer]:
        return sorted((c for c in self.customers.values() if point_of(c) is None), key=lambda c: (c.grade, c.name))


def point_of(customer: Customer) -> routes.Point | None:
    if customer.latitude is None or customer.longitude is None:
        return None
    return (customer.latitude, customer.longitude)


def base_of(settings: SalesSettings) -> routes.Point | None:
    if settings.base_latitude is None or settings.base_longitude is None:
        return None
    return (settings.base_latitude, settings.base_longitude)


def frequency_problem(frequencies: dict[str, float]) -> str:
    """Why these visits a month cannot be planned on fixed weekdays ("" when they can)."""
    for grade, per_month in sorted(frequencies.items()):
        if per_month < 0 or per_month > planner.MAX_VISITS_PER_MONTH:
            return _(
                "Grade %(grade)s is set to %(n)s visits a month, but a customer has one fixed weekday, so at most "
                "%(max)d; a manager can change it in the team's sales settings."
            ) % {"grade": grade, "n": f"{per_month:g}", "max": planner.MAX_VISITS_PER_MONTH}
    return ""


def planning_input(rep: User) -> PlanningInput:
    settings = settings_for(rep.team_id)
    frequencies = visits_per_month(settings)
    fields = ("id", "name", "grade", "latitude", "longitude", "province", "city", "address", "owner_id", "team_id")
    customers = {c.pk: c for c in Customer.objects.filter(owner_id=rep.pk, deleted_at__isnull=True).only(*fields).order_by("pk")}
    rows = {s.customer_id: s for s in VisitSlot.objects.filter(customer__owner_id=rep.pk, customer__deleted_at__isnull=True)}
    # Every weekday the customers have, a colleague's before a takeover too: the
    # planner keeps those with the right interval that fit, and gives a customer
    # whose interval changed its old weekday again where it can.
    existing = {
        s.customer_id: planner.Slot(customer_id=s.customer_id, weekday=s.weekday, interval=s.interval, phase=s.phase)
        for s in rows.values()
        if s.customer_id in customers
    }
    return PlanningInput(
        rep=rep, settings=settings, frequencies=frequencies, base=base_of(settings), customers=customers, existing=existing, slot_rows=rows,
        problem=frequency_problem(frequencies),
    )  # fmt: skip


def assign(inputs: PlanningInput) -> planner.Assignment:
    """The planner's weekdays for the rep's customers (existing ones kept where they fit)."""
    return planner.assign_slots(
        inputs.plan_customers, visits_per_month=inputs.frequencies, capacity=max(1, inputs.settings.daily_capacity),
        existing=inputs.existing, base=inputs.base,
    )  # fmt: skip


# --- the week ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    id: int
    stop: int
    customer_id: int
    customer_name: str
    grade: str
    address: str
    latitude: float | None
    longitude: float | None
    arrive_at: dt.time | None
    travel_km: float | None
    travel_minutes: int | None
    checked_in_at: dt.datetime | None
    interaction_id: int | None

    @property
    def done(self) -> bool:
        return self.checked_in_at is not None


@dataclass(frozen=True)
class Day:
    day: dt.date
    holiday: bool
    stops: list[Stop]
    return_km: float = 0.0
    return_minutes: int = 0
    visit_minutes: int = 40

    @property
    def visits(self) -> int:
        return len(self.stops)

    @property
    def done(self) -> int:
        return sum(1 for s in self.stops if s.done)

    @property
    def km(self) -> float:
        return round(sum(s.travel_km or 0.0 for s in self.stops) + self.return_km, 1)

    @property
    def travel_minutes(self) -> int:
        return sum(s.travel_minutes or 0 for s in self.stops) + self.return_minutes

    @property
    def minutes(self) -> int:
        """Driving and visiting, the way back included."""
        return self.travel_minutes + self.visit_minutes * self.visits

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def back_at(self) -> dt.time | None:
        """When the rep is back at the office: the last stop's arrival, the
        visit, the way back. None without arrival times."""
        last = next((stop.arrive_at for stop in reversed(self.stops) if stop.arrive_at is not None), None)
        if last is None:
            return None
        back = dt.datetime.combine(self.day, last) + dt.timedelta(minutes=self.visit_minutes + self.return_minutes)
        return back.time() if back.date() == self.day else dt.time(23, 59)

    @property
    def late(self) -> bool:
        return self.back_at is not None and self.back_at > DAY_END


@dataclass(frozen=True)
class Unplaced:
    customer_id: int
    name: str
    grade: str
    reason: str
    message: str


@dataclass(frozen=True)
class Pending:
    """A customer without a point on the map: visited, but not routed."""

    customer_id: int
    name: str
    grade: str


@dataclass(frozen=True)
class WeekPlan:
    rep: User
    monday: dt.date
    days: list[Day]
    unplaced: list[Unplaced]
    no_coordinates: list[Pending]
    daily_capacity: int
    visit_minutes: int
    speed_kmh: int
    has_base: bool
    customers: int = 0
    waiting: list[Pending] = field(default_factory=list)  # customers new since the last planning, without a weekday yet
    created: int = 0  # rows written by the planning that returned this plan
    kept: int = 0  # checked-in (or past) rows it left as they were
    extra: dict = field(default_factory=dict)

    @property
    def week(self) -> str:
        return iso_week(self.monday)

    @property
    def visits(self) -> int:
        return sum(d.visits for d in self.days)

    @property
    def km(self) -> float:
        return round(sum(d.km for d in self.days), 1)

    @property
    def hours(self) -> float:
        return round(sum(d.minutes for d in self.days) / 60, 1)


# A working day by the Chinese calendar (statutory holidays off, make-up days
# on); past the calendar package's data, Monday to Friday.
is_workday = planner.cn_is_workday
iso_week = planner.iso_week


REASONS = {
    planner.CAPACITY: lambda: _("Every weekday is full: raise the daily capacity, give the customer to a colleague, or lower the grade's visit frequency."),
    planner.NO_VISITS: lambda: _("The grade is set to no visits a month."),
    planner.UNKNOWN_GRADE: lambda: _("The customer's grade has no visit frequency."),
}


def reason_text(reason: str) -> str:
    make = REASONS.get(reason)
    return make() if make else _("Could not be given a weekday (%(reason)s).") % {"reason": reason}


def unplaced_rows(customers: dict[int, Customer], unplaced) -> list[Unplaced]:
    rows = []
    for customer_id, reason in unplaced:
        c = customers.get(customer_id)
        if c is not None:
            rows.append(Unplaced(customer_id=c.pk, name=c.name, grade=c.grade, reason=str(reason), message=reason_text(str(reason))))
    return sorted(rows, key=lambda r: (r.grade, r.name))


def _stop(v: PlannedVisit) -> Stop:
    c = v.customer
    return Stop(
        id=v.pk, stop=v.stop, customer_id=c.pk, customer_name=c.name, grade=c.grade, address=address_of(c),
        latitude=c.latitude, longitude=c.longitude, arrive_at=v.arrive_at, travel_km=v.travel_km,
        travel_minutes=v.travel_minutes, checked_in_at=v.checked_in_at, interaction_id=v.interaction_id,
    )  # fmt: skip


def _way_back(stops: list[Stop], base: routes.Point | None, speed_kmh: int) -> tuple[float, int]:
    """Road km and minutes from the day's last stop on the map back to the office."""
    last = next((s for s in reversed(stops) if s.latitude is not None and s.longitude is not None), None)
    if base is None or last is None:
        return 0.0, 0
    km = round(routes.ROAD_FACTOR * routes.haversine_km((last.latitude, last.longitude), base), 1)
    return km, routes.travel_minutes(km, speed_kmh=max(1, speed_kmh))


def week_plan(*, user: User, rep: User, monday: dt.date, unplaced: list[Unplaced] | None = None, **extra: Any) -> WeekPlan:
    """The rep's planned stops Monday to Friday of the week, in route order,
    holidays marked; the customers without a weekday (with why) and those
    without coordinates. NotFound when `user` may not see the rep's plan."""
    if not may_see_plan(user, rep):
        raise NotFound(_("No such rep."))
    inputs = planning_input(rep)
    s = inputs.settings
    waiting: list[Pending] = []
    if unplaced is None:
        unplaced = []
        if not inputs.problem:
            assignment = assign(inputs)
            unplaced = unplaced_rows(inputs.customers, assignment.unplaced)
            # Placed by this dry run but without that weekday stored: new customers, or a grade changed since.
            for customer_id, slot in assignment.slots.items():
                row = inputs.slot_rows.get(customer_id)
                if row is None or (row.rep_id, row.weekday, row.interval, row.phase) != (rep.pk, slot.weekday, slot.interval, slot.phase):
                    c = inputs.customers[customer_id]
                    waiting.append(Pending(customer_id=c.pk, name=c.name, grade=c.grade))
            waiting.sort(key=lambda p: (p.grade, p.name))
    if inputs.problem:
        extra.setdefault("problem", inputs.problem)
    friday = monday + dt.timedelta(days=4)
    rows = PlannedVisit.objects.filter(rep=rep, day__range=(monday, friday)).select_related("customer").order_by("day", "stop", "pk")
    by_day: dict[dt.date, list[Stop]] = {}
    for v in rows:
        by_day.setdefault(v.day, []).append(_stop(v))
    days = []
    for offset in range(5):
        day = monday + dt.timedelta(days=offset)
        stops = by_day.get(day, [])
        back_km, back_minutes = _way_back(stops, inputs.base, s.speed_kmh)
        days.append(Day(day=day, holiday=not is_workday(day), stops=stops, return_km=back_km, return_minutes=back_minutes, visit_minutes=s.visit_minutes))
    pending = [Pending(customer_id=c.pk, name=c.name, grade=c.grade) for c in inputs.without_point]
    return WeekPlan(
        rep=rep, monday=monday, days=days, unplaced=unplaced, no_coordinates=pending, daily_capacity=s.daily_capacity,
        visit_minutes=s.visit_minutes, speed_kmh=s.speed_kmh, has_base=inputs.base is not None, customers=len(inputs.customers), waiting=waiting,
        created=extra.pop("created", 0), kept=extra.pop("kept", 0), extra=extra,
    )  # fmt: skip


# --- the calendar feed -----------------------------------------------------------------


def feed_user(token: str) -> User | None:
    """The active user whose calendar feed `token` opens, or None."""
    if not token:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(digest=ApiToken.digest_of(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def has_feed(*, user: User) -> bool:
    return CalendarFeed.objects.filter(user_id=user.pk).exists()


def feed_visits(*, user: User, today: dt.date | None = None) -> list[PlannedVisit]:
    """The user's own planned visits from four weeks back to eight weeks ahead
    (customers since deleted left out)."""
    today = today or timezone.localdate()
    start, end = today - dt.timedelta(weeks=FEED_WEEKS_BACK), today + dt.timedelta(weeks=FEED_WEEKS_AHEAD)
    return list(
        PlannedVisit.objects.filter(rep_id=user.pk, day__range=(start, end), customer__deleted_at__isnull=True)
        .select_related("customer").order_by("day", "stop", "pk")
    )  # fmt: skip
