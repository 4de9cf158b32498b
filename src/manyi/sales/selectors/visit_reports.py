"""Reports on visit planning, filtered to what the asking user may see:
plan against done per rep, and the workload table (计算工作量) the sales
trainers draw."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, Team, User
from manyi.core.errors import NotFound
from manyi.customers.models import Customer
from manyi.sales import access, planner
from manyi.sales.config import settings_for, visits_per_month
from manyi.sales.selectors.visits import GRADES, may_see_plan, rep_get, team_get

# --- plan against done -----------------------------------------------------------------


@dataclass(frozen=True)
class RepDone:
    rep: User
    planned: int  # in the period
    due: int  # planned on days up to today
    done: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.due, 1) if self.due else None


@dataclass(frozen=True)
class DoneReport:
    start: dt.date
    end: dt.date
    rows: list[RepDone]

    @property
    def planned(self) -> int:
        return sum(r.planned for r in self.rows)

    @property
    def due(self) -> int:
        return sum(r.due for r in self.rows)

    @property
    def done(self) -> int:
        return sum(r.done for r in self.rows)

    @property
    def percent(self) -> float | None:
        return round(100 * self.done / self.due, 1) if self.due else None


def plan_vs_done(*, user: User, start: dt.date, end: dt.date, today: dt.date | None = None) -> DoneReport:
    """Per rep the user may see (a rep: only themselves; a manager or an
    analyst: their team; an administrator: everyone): visits planned in
    [start, end], those due by today, and those checked in."""
    today = today or timezone.localdate()
    counts = (
        access.visible_visits(user).filter(day__range=(start, end)).values("rep_id")
        .annotate(
            planned=Count("id"),
            due=Count("id", filter=Q(day__lte=today)),
            done=Count("id", filter=Q(checked_in_at__isnull=False)),
        )
        .order_by()
    )  # fmt: skip
    counts = {row["rep_id"]: row for row in counts}
    reps = {u.pk: u for u in User.objects.filter(pk__in=list(counts))}
    rows = [RepDone(rep=reps[pk], planned=row["planned"], due=row["due"], done=row["done"]) for pk, row in counts.items() if pk in reps]
    return DoneReport(start=start, end=end, rows=sorted(rows, key=lambda r: str(r.rep)))


# --- workload (计算工作量) ---------------------------------------------------------------


@dataclass(frozen=True)
class GradeRow:
    grade: str
    customers: int
    visits_per_month: float
    visits_needed: float


@dataclass(frozen=True)
class WorkloadTable:
    """The sales trainers' table: grade | customers | visits a month | visits
    needed; the total; working days this month; visits per working day."""

    title: str
    rep: User | None
    team: Team | None
    year: int
    month: int
    rows: list[GradeRow]
    working_days: int
    reps: int
    daily_capacity: int
    visits_needed: float
    visits_per_day: float  # all of the scope's visits per working day
    visits_per_rep_day: float  # what each rep must make a day

    @property
    def customers(self) -> int:
        return sum(r.customers for r in self.rows)

    @property
    def over_capacity(self) -> bool:
        return self.visits_per_rep_day > self.daily_capacity


def workload_table(*, user: User, rep: User | None = None, team: Team | None = None, year: int, month: int) -> WorkloadTable:
    """Customers by grade × the grade's visit frequency = visits needed; over
    the month's working days (the Chinese calendar: holidays out, make-up
    workdays in) that is the visits a day, per rep. Without a rep or a team:
    the user's team for a manager or an analyst, everyone for an
    administrator, else the user's own customers."""
    if rep is not None and not may_see_plan(user, rep):
        raise NotFound(_("No such rep."))
    if team is not None:
        team = team_get(user=user, ref=team.pk)
    if rep is None and team is None:
        if user.role in (Role.MANAGER, Role.ANALYST) and user.team_id is not None:
            team = team_get(user=user, ref=user.team_id)
        elif not user.is_admin:
            rep = rep_get(user=user, ref=user.pk)
    customers = Customer.objects.filter(deleted_at__isnull=True)
    reps_qs = User.objects.filter(is_active=True, role=Role.SALES)
    if rep is not None:
        customers, reps, settings, title = customers.filter(owner_id=rep.pk), 1, settings_for(rep.team_id), str(rep)
    elif team is not None:
        customers, settings, title = customers.filter(team_id=team.pk), settings_for(team.pk), str(team)
        reps = reps_qs.filter(team_id=team.pk).count()
    else:
        settings, title = settings_for(None), _("All teams")
        reps = reps_qs.count()
    counts = {g: 0 for g in GRADES}
    for row in customers.values("grade").annotate(n=Count("id")).order_by():
        if row["grade"] in counts:
            counts[row["grade"]] += row["n"]
    frequencies = visits_per_month(settings)
    days = planner.working_days_in_month(year, month)
    reps = max(1, reps)
    result = planner.workload(counts, frequencies, working_days=max(1, days), reps=reps)
    rows = [GradeRow(grade=r.grade, customers=r.customers, visits_per_month=r.visits_per_month, visits_needed=r.visits_needed) for r in result.rows]
    return WorkloadTable(
        title=title, rep=rep, team=team, year=year, month=month, rows=rows, working_days=days, reps=reps, daily_capacity=settings.daily_capacity,
        visits_needed=result.visits_needed, visits_per_day=round(result.visits_needed / max(1, days), 1), visits_per_rep_day=result.visits_per_day,
    )  # fmt: skip
