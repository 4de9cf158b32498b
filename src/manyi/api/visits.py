"""Visit planning (拜访计划): a rep's week with each day's stops in route order,
making it, checking in at a visit, the workload table (计算工作量) and planned
against done.

Reads go through sales.selectors.visits (a rep sees their own plan, a manager
or an analyst their team's: anyone else gets 404), writes through
sales.services.visits."""

import calendar
import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from manyi.api.errors import ERRORS, WRITE_ERRORS
from manyi.api.schemas import ErrorOut, PathId
from manyi.api.visits_schemas import (
    CheckInIn,
    CheckInOut,
    PlanIn,
    PlanQuery,
    ReportOut,
    ReportQuery,
    WeekPlanOut,
    WorkloadOut,
    WorkloadQuery,
)
from manyi.core.errors import ValidationFailed
from manyi.sales import planner
from manyi.sales.selectors import visit_reports
from manyi.sales.selectors import visits as selectors
from manyi.sales.services import visits as services

router = Router(tags=["visits"])


def _monday(week: str | None) -> dt.date:
    if not week:
        today = timezone.localdate()
        return today - dt.timedelta(days=today.weekday())
    try:
        return planner.parse_iso_week(week)
    except ValueError:
        message = _("Not a week: write it as 2026-W49.")
        raise ValidationFailed(message, fields={"week": [message]}) from None


def _ref(pk: int, name: str) -> dict:
    return {"id": pk, "name": name}


def _plan(plan: selectors.WeekPlan) -> dict:
    return {
        "rep": _ref(plan.rep.pk, plan.rep.name), "week": plan.week, "monday": plan.monday, "visits": plan.visits, "km": plan.km,
        "hours": plan.hours, "daily_capacity": plan.daily_capacity, "visit_minutes": plan.visit_minutes,
        "days": [
            {
                "day": d.day, "holiday": d.holiday, "visits": d.visits, "km": d.km, "hours": d.hours,
                "stops": [{**s.__dict__, "customer": _ref(s.customer_id, s.customer_name)} for s in d.stops],
            }
            for d in plan.days
        ],
        "unplaced": [{"customer": _ref(u.customer_id, u.name), "grade": u.grade, "reason": u.reason, "message": u.message} for u in plan.unplaced],
        "no_coordinates": [{"customer": _ref(p.customer_id, p.name), "grade": p.grade} for p in plan.no_coordinates],
        "waiting": [{"customer": _ref(p.customer_id, p.name), "grade": p.grade} for p in plan.waiting],
    }  # fmt: skip


@router.get("/plan", response={200: WeekPlanOut, **ERRORS})
def plan_get(request: HttpRequest, query: Query[PlanQuery]) -> dict:
    """A rep's week (yourself unless `rep` names one you may see): each day's
    stops in route order, statutory holidays marked, the customers without a
    weekday and those not on the map."""
    monday = _monday(query.week)
    rep = selectors.rep_get(user=request.auth, ref=query.rep or request.auth.pk)
    return _plan(selectors.week_plan(user=request.auth, rep=rep, monday=monday))


@router.post("/plan", response={200: WeekPlanOut, **WRITE_ERRORS})
def plan_make(request: HttpRequest, payload: PlanIn) -> dict:
    """Plan the week: every customer keeps a fixed weekday (new ones get one
    by grade), holidays are skipped, each day is routed from the office.
    Visits checked in are never changed. The rep, their manager or an administrator."""
    monday = _monday(payload.week)
    rep = selectors.rep_get(user=request.auth, ref=payload.rep or request.auth.pk)
    return _plan(services.visit_plan_make(by=request.auth, rep=rep, monday=monday))


@router.post("/{visit_id}/check-in", response={200: CheckInOut, 409: ErrorOut, **WRITE_ERRORS})
def check_in(request: HttpRequest, visit_id: PathId, payload: CheckInIn) -> dict:
    """Check in at a planned visit: a visit is logged on the customer and
    linked. Once only (409 the second time), not before the visit's day."""
    visit = selectors.visit_get(user=request.auth, pk=visit_id)
    interaction = services.visit_check_in(by=request.auth, visit=visit, note=payload.note, outcome=payload.outcome)
    return {"visit_id": visit.pk, "interaction_id": interaction.pk, "checked_in_at": visit.checked_in_at}


@router.get("/workload", response={200: WorkloadOut, **ERRORS})
def workload(request: HttpRequest, query: Query[WorkloadQuery]) -> dict:
    """Customers by grade × visit frequency = visits needed; over the month's
    working days (Chinese calendar), the visits a day, per rep."""
    today = timezone.localdate()
    year, month = today.year, today.month
    if query.month:
        year, month = (int(part) for part in query.month.split("-"))
        if not 1 <= month <= 12:
            message = _("Not a month: write it as 2026-12.")
            raise ValidationFailed(message, fields={"month": [message]})
    rep = selectors.rep_get(user=request.auth, ref=query.rep) if query.rep else None
    team = selectors.team_get(user=request.auth, ref=query.team) if query.team and rep is None else None
    table = visit_reports.workload_table(user=request.auth, rep=rep, team=team, year=year, month=month)
    return {
        "title": table.title, "month": f"{year:04d}-{month:02d}", "rows": [r.__dict__ for r in table.rows], "customers": table.customers,
        "visits_needed": table.visits_needed, "working_days": table.working_days, "reps": table.reps, "visits_per_day": table.visits_per_day,
        "visits_per_rep_day": table.visits_per_rep_day, "daily_capacity": table.daily_capacity, "over_capacity": table.over_capacity,
    }  # fmt: skip


@router.get("/report", response={200: ReportOut, **ERRORS})
def report(request: HttpRequest, query: Query[ReportQuery]) -> dict:
    """Visits planned, due by today and checked in, per rep you may see (a
    rep: yourself; a manager or an analyst: the team)."""
    today = timezone.localdate()
    start = query.start or today.replace(day=1)
    end = query.end or today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if end < start:
        message = _("The end comes before the start.")
        raise ValidationFailed(message, fields={"end": [message]})
    done = visit_reports.plan_vs_done(user=request.auth, start=start, end=end)
    rows = [{"rep": _ref(r.rep.pk, r.rep.name), "planned": r.planned, "due": r.due, "done": r.done, "percent": r.percent} for r in done.rows]
    return {"start": start, "end": end, "planned": done.planned, "due": done.due, "done": done.done, "percent": done.percent, "rows": rows}
