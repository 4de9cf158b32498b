"""The SLA clock of a complaint, in the database: which targets and working
calendar apply, the deadlines to store, and the sweep that warns before a
breach and escalates at one, once each (the pure arithmetic is service.sla)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from manyi.service import risk, sla
from manyi.service.models import (
    ClockMode,
    Complaint,
    ComplaintEvent,
    EventKind,
    NotificationKind,
    SlaPolicy,
    Step,
    TeamHours,
)

logger = logging.getLogger(__name__)

DEFAULT_RESPONSE_MINUTES = 24 * 60  # Haier's star service: every problem answered within 24 hours
DEFAULT_RESOLUTION_MINUTES = 72 * 60
DEFAULT_WARN_MINUTES = 120


def calendar_for(team_id: int | None) -> dict:
    hours = TeamHours.objects.filter(team_id=team_id).first() if team_id else None
    if hours is None:
        return {"time_zone": "Asia/Shanghai", "day_start": "09:00", "day_end": "18:00", "holidays": "cn"}
    return {"time_zone": hours.time_zone, "day_start": hours.day_start.strftime("%H:%M"), "day_end": hours.day_end.strftime("%H:%M"), "holidays": hours.holidays}


def work_calendar(snapshot: dict) -> sla.WorkCalendar:
    cal = snapshot.get("calendar") or {}
    return sla.WorkCalendar(
        time_zone=cal.get("time_zone", "Asia/Shanghai"),
        day_start=dt.time.fromisoformat(cal.get("day_start", "09:00")),
        day_end=dt.time.fromisoformat(cal.get("day_end", "18:00")),
        holidays=cal.get("holidays", "cn"),
    )


def policy_for(*, team_id: int | None, severity: str, channel: str) -> SlaPolicy | None:
    """The most specific active policy: the team's over everyone's, then one
    naming the severity, then one naming the channel."""
    candidates = SlaPolicy.objects.filter(is_active=True).filter(Q(team_id=team_id) | Q(team__isnull=True))
    candidates = candidates.filter(Q(severity=severity) | Q(severity="")).filter(Q(channel=channel) | Q(channel=""))
    ranked = sorted(candidates, key=lambda p: (p.team_id is not None, p.severity != "", p.channel != "", -p.pk), reverse=True)
    return ranked[0] if ranked else None


def snapshot_for(*, team_id: int | None, severity: str, channel: str) -> tuple[SlaPolicy | None, dict]:
    """The targets a new complaint keeps for its life (a later change of the
    policy applies to complaints filed after it)."""
    policy = policy_for(team_id=team_id, severity=severity, channel=channel)
    minutes = (
        (policy.first_response_minutes, policy.resolution_minutes, policy.warn_before_minutes, policy.mode)
        if policy
        else (DEFAULT_RESPONSE_MINUTES, DEFAULT_RESOLUTION_MINUTES, DEFAULT_WARN_MINUTES, ClockMode.CALENDAR)
    )
    response, resolution, warn, mode = minutes
    return policy, {
        "mode": str(mode),
        "response_seconds": response * 60,
        "resolution_seconds": resolution * 60,
        "warn_seconds": warn * 60,
        "calendar": calendar_for(team_id),
        "policy": policy.name if policy else _("Default (24 h first response)"),
    }


def pauses_of(complaint: Complaint) -> list[sla.Pause]:
    """Waiting for the customer, and the time a complaint stood closed before
    it was reopened, do not count."""
    pauses: list[sla.Pause] = []
    if complaint.pk is None:
        return pauses
    open_start: dt.datetime | None = None
    events = complaint.events.filter(Q(kind__in=[EventKind.PAUSED, EventKind.RESUMED, EventKind.REOPENED]) | Q(kind=EventKind.STEP, step=Step.CLOSED))
    for event in events.order_by("at", "id"):
        starts = event.kind == EventKind.PAUSED or (event.kind == EventKind.STEP and event.step == Step.CLOSED)
        if starts and open_start is None:
            open_start = event.at
        elif not starts and open_start is not None:
            pauses.append(sla.Pause(open_start, event.at))
            open_start = None
    if open_start is not None:
        pauses.append(sla.Pause(open_start, None))
    return pauses


def set_deadlines(complaint: Complaint) -> None:
    """Store the deadlines from the complaint's own targets and pauses. Called
    when it is filed and when its clock starts again; a page only reads them."""
    snap = complaint.sla
    mode, cal = sla.Mode(snap["mode"]), work_calendar(snap)
    pauses = pauses_of(complaint)
    if complaint.is_closed and pauses and pauses[-1].end is None:
        pauses = pauses[:-1]  # a closed complaint's clock stopped because it is done: its deadline stands
    complaint.response_due = sla.due_at(started=complaint.received_at, target_seconds=snap["response_seconds"], pauses=[], mode=mode, calendar=cal)
    complaint.resolution_due = sla.due_at(started=complaint.received_at, target_seconds=snap["resolution_seconds"], pauses=pauses, mode=mode, calendar=cal)


def clock_state(complaint: Complaint, now: dt.datetime | None = None) -> dict:
    """The resolution and first-response clocks as a page shows them."""
    now = now or timezone.now()
    snap = complaint.sla
    mode, cal = sla.Mode(snap["mode"]), work_calendar(snap)
    resolution = sla.remaining(due=complaint.resolution_due, now=complaint.closed_at or now, mode=mode, calendar=cal)
    response = sla.remaining(due=complaint.response_due, now=complaint.responded_at or now, mode=mode, calendar=cal)
    return {
        "mode": mode,
        "policy": snap.get("policy", ""),
        "paused": complaint.paused_at is not None,
        "response_due": complaint.response_due,
        "response_remaining": response,
        "response_met": complaint.responded_at is not None and response is not None and response >= 0,
        "response_breached": response is not None and response < 0,
        "resolution_due": complaint.resolution_due,
        "resolution_remaining": resolution,
        "resolution_breached": resolution is not None and resolution < 0,
        "warn": resolution is not None and 0 <= resolution <= snap["warn_seconds"],
    }


def customer_clv(customer_id: int) -> float:
    from manyi.analytics.models import CustomerValue

    value = CustomerValue.objects.filter(customer_id=customer_id).values_list("clv", flat=True).first()
    return float(value or 0)


def compute_risk(complaint: Complaint, now: dt.datetime | None = None, clv: float | None = None) -> float:
    now = now or timezone.now()
    snap = complaint.sla
    remaining = None
    if complaint.resolution_due is not None:
        remaining = sla.remaining(due=complaint.resolution_due, now=now, mode=sla.Mode(snap["mode"]), calendar=work_calendar(snap))
    return risk.score(
        escalation=complaint.escalation,
        intensity=complaint.intensity,
        severity=complaint.severity,
        clv=customer_clv(complaint.customer_id) if clv is None else clv,
        remaining_seconds=remaining,
        target_seconds=snap["resolution_seconds"],
        closed=complaint.is_closed,
    )


def _claim(complaint_id: int, field: str, now: dt.datetime) -> bool:
    """Mark a warning or breach as sent; True for the one caller that did."""
    return Complaint.objects.filter(pk=complaint_id, **{f"{field}__isnull": True}).update(**{field: now}) == 1


def _warn_or_breach(complaint: Complaint, clock: str, now: dt.datetime) -> list[str]:
    from manyi.service.services import managers_of, notify

    due = getattr(complaint, f"{clock}_due")
    done = complaint.responded_at if clock == "response" else complaint.closed_at
    if due is None or done is not None:
        return []
    snap = complaint.sla
    left = sla.remaining(due=due, now=now, mode=sla.Mode(snap["mode"]), calendar=work_calendar(snap))
    what = gettext_lazy("first response") if clock == "response" else gettext_lazy("resolution")
    due_text = timezone.localtime(due).strftime("%Y-%m-%d %H:%M")
    sent: list[str] = []
    if left is not None and left <= snap["warn_seconds"] and left > 0:
        with transaction.atomic():
            if _claim(complaint.pk, f"{clock}_warned_at", now):
                ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.SLA_WARNING, at=now, data={"clock": clock, "due": due.isoformat()})
                if complaint.assignee_id:
                    notify(
                        user_id=complaint.assignee_id, kind=NotificationKind.WARNING, complaint=complaint,
                        message=gettext_noop("%(number)s: the %(what)s is due %(due)s."), params={"number": complaint.number, "what": what, "due": due_text},
                    )  # fmt: skip
                sent.append(f"{clock}_warning")
    if left is not None and left <= 0:
        with transaction.atomic():
            if _claim(complaint.pk, f"{clock}_breached_at", now):
                ComplaintEvent.objects.create(complaint=complaint, kind=EventKind.SLA_BREACH, at=now, data={"clock": clock, "due": due.isoformat()})
                Complaint.objects.filter(pk=complaint.pk).update(escalated=True)
                for manager_id in managers_of(complaint):
                    notify(
                        user_id=manager_id, kind=NotificationKind.BREACH, complaint=complaint,
                        message=gettext_noop("%(number)s breached its %(what)s deadline (%(due)s) and is escalated to you."),
                        params={"number": complaint.number, "what": what, "due": due_text},
                    )  # fmt: skip
                sent.append(f"{clock}_breach")
    return sent


def sla_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warn the assignee before a breach and escalate to the team's managers at
    one, once each however many workers sweep at the same time; refresh the
    risk of every open complaint, as its clock runs down."""
    now = now or timezone.now()
    counts = {"checked": 0, "warnings": 0, "breaches": 0}
    open_ = Complaint.objects.exclude(status=Step.CLOSED).order_by("pk")
    for complaint in open_.iterator(chunk_size=500):
        counts["checked"] += 1
        for clock in ("response", "resolution"):
            for sent in _warn_or_breach(complaint, clock, now):
                counts["warnings" if sent.endswith("warning") else "breaches"] += 1
        figure = compute_risk(complaint, now)
        if figure != complaint.risk:
            Complaint.objects.filter(pk=complaint.pk).update(risk=figure)
    return counts
