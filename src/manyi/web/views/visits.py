"""Visit planning pages (拜访计划与路线): a rep's week with each day's stops in
route order, making the plan, checking in, the workload table (计算工作量),
plan against done, and the calendar feed (its address reset here, the .ics
served without a login to whoever holds the token)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from manyi.accounts.models import Role, Team
from manyi.core.errors import ValidationFailed
from manyi.sales import access, ical, planner
from manyi.sales.config import settings_for
from manyi.sales.selectors import visit_reports
from manyi.sales.selectors import visits as selectors
from manyi.sales.services import visits as services
from manyi.web.errors import page


def this_monday(today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=today.weekday())


def parse_week(value: str | None) -> dt.date:
    """"2026-W49" -> that week's Monday; empty -> this week. ValueError when it is no week."""
    if not value:
        return this_monday()
    return planner.parse_iso_week(value.strip())


def parse_month(value: str | None) -> tuple[int, int]:
    """"2026-12" -> (2026, 12); empty or wrong -> this month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    except ValueError:
        pass
    today = timezone.localdate()
    return today.year, today.month


def parse_date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def plan_url(*, week: str, rep_id: int) -> str:
    return reverse("web:visit_plan") + "?" + urlencode({"week": week, "rep": rep_id})


@page
def visit_plan(request):
    rep = selectors.rep_get(user=request.user, ref=request.GET.get("rep") or request.user.pk)
    try:
        monday = parse_week(request.GET.get("week"))
    except ValueError:
        messages.error(request, _("“%(week)s” is not a week; write it as 2026-W49. Showing this week.") % {"week": request.GET.get("week", "")})
        monday = this_monday()
    plan = selectors.week_plan(user=request.user, rep=rep, monday=monday)
    own = rep.pk == request.user.pk
    context = {
        "plan": plan, "rep": rep, "reps": selectors.rep_choices(user=request.user),
        "previous": selectors.iso_week(monday - dt.timedelta(weeks=1)), "next": selectors.iso_week(monday + dt.timedelta(weeks=1)),
        "this_week": selectors.iso_week(this_monday()), "today": timezone.localdate(),
        "can_plan": access.can_plan_for(request.user, rep), "own": own, "has_feed": own and selectors.has_feed(user=request.user),
    }  # fmt: skip
    return render(request, "web/visits/plan.html", context)


@page
@require_POST
def visit_plan_make(request):
    rep = selectors.rep_get(user=request.user, ref=request.POST.get("rep") or request.user.pk)
    try:
        monday = parse_week(request.POST.get("week"))
    except ValueError:
        messages.error(request, _("“%(week)s” is not a week; write it as 2026-W49.") % {"week": request.POST.get("week", "")})
        return redirect(plan_url(week=selectors.iso_week(this_monday()), rep_id=rep.pk))
    plan = services.visit_plan_make(by=request.user, rep=rep, monday=monday)
    messages.success(request, _("Week %(week)s planned: %(visits)d visits on the customers' fixed weekdays.") % {"week": plan.week, "visits": plan.visits})
    if plan.unplaced:
        messages.warning(request, _("%(n)d customers could not be given a weekday; see the list below the week.") % {"n": len(plan.unplaced)})
    return redirect(plan_url(week=plan.week, rep_id=rep.pk))


@page
@require_POST
def visit_check_in(request, pk):
    visit = selectors.visit_get(user=request.user, pk=pk)
    back = plan_url(week=selectors.iso_week(visit.day - dt.timedelta(days=visit.day.weekday())), rep_id=visit.rep_id)
    try:
        services.visit_check_in(by=request.user, visit=visit, note=request.POST.get("note", ""), outcome=request.POST.get("outcome", ""))
    except (ValidationFailed, services.AlreadyCheckedIn) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Checked in at %(customer)s; the visit is logged on the customer.") % {"customer": visit.customer.name})
    return redirect(back + f"#visit-{visit.pk}")


@page
def visit_workload(request):
    year, month = parse_month(request.GET.get("month"))
    rep = selectors.rep_get(user=request.user, ref=request.GET["rep"]) if request.GET.get("rep") else None
    team = selectors.team_get(user=request.user, ref=request.GET["team"]) if request.GET.get("team") and rep is None else None
    table = visit_reports.workload_table(user=request.user, rep=rep, team=team, year=year, month=month)
    if request.user.is_admin:
        teams = list(Team.objects.order_by("name"))
    elif request.user.role in (Role.MANAGER, Role.ANALYST) and request.user.team_id:
        teams = [request.user.team]
    else:
        teams = []
    context = {"table": table, "month": f"{year:04d}-{month:02d}", "reps": selectors.rep_choices(user=request.user), "teams": teams}
    return render(request, "web/visits/workload.html", context)


@page
def visit_report(request):
    today = timezone.localdate()
    first = today.replace(day=1)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    start = parse_date(request.GET.get("start"), first)
    end = parse_date(request.GET.get("end"), last)
    if end < start:
        start, end = end, start
    report = visit_reports.plan_vs_done(user=request.user, start=start, end=end)
    return render(request, "web/visits/report.html", {"report": report, "today": today})


@page
@require_POST
def visit_feed_reset(request):
    token = services.calendar_feed_reset(by=request.user)
    url = request.build_absolute_uri(reverse("web:visit_feed", args=[token]))
    messages.success(request, _("Your calendar address (shown only now; any earlier address no longer works): %(url)s") % {"url": url})
    return redirect(reverse("web:visit_plan") + "#feed")


@require_safe
def visit_feed(request, token):
    """The .ics a calendar app subscribes to: no login, the token is the key."""
    user = selectors.feed_user(token)
    if user is None:
        raise Http404("No such calendar.")
    minutes = settings_for(user.team_id).visit_minutes
    with translation.override(settings.LANGUAGE_CODE):
        body = ical.visits_calendar(
            selectors.feed_visits(user=user), name=_("Visits of %(rep)s") % {"rep": user.name}, visit_minutes=minutes,
            url=lambda v: request.build_absolute_uri(reverse("web:customer_detail", args=[v.customer_id])),
        )  # fmt: skip
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="manyi-visits.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response
