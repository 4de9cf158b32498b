"""The SLA settings: response and resolution targets (SlaPolicy) and a team's
working hours (TeamHours). A manager manages those of their own team, an
administrator every team's and the policies for all teams. A change applies to
complaints filed after it: a complaint keeps the targets it was filed with
(deadlines.snapshot_for)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from manyi.accounts.models import Team, User
from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.service.models import (
    ClockMode,
    ComplaintChannel,
    Holidays,
    Severity,
    SlaPolicy,
    TeamHours,
)

MAX_HOURS = Decimal(24 * 365)  # a target of more than a year is a typing mistake


@cache
def time_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


# --- who may -----------------------------------------------------------------------


def can_manage_sla(user: User) -> bool:
    """The SLA settings page: administrators, and managers with a team."""
    return bool(user and user.is_authenticated and user.is_active and (user.is_admin or (user.is_manager and user.team_id)))


def can_manage_team(user: User, team: Team | None) -> bool:
    """A team's policies and hours: its manager or an administrator; the
    policies for every team (team None): administrators only."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_admin:
        return True
    return user.is_manager and team is not None and user.team_id == team.pk


# --- reads (filtered by who asks) ----------------------------------------------------


def sla_policy_list(*, user: User) -> QuerySet[SlaPolicy]:
    """An administrator sees every policy; a manager their team's and those
    for every team (which apply to their team too, read-only for them)."""
    qs = SlaPolicy.objects.select_related("team")
    if not can_manage_sla(user):
        return qs.none()
    if user.is_admin:
        return qs
    return qs.filter(Q(team_id=user.team_id) | Q(team__isnull=True))


def sla_policy_get(*, user: User, pk: Any) -> SlaPolicy:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("SLA policy not found.")) from None
    found = sla_policy_list(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("SLA policy not found."))
    return found


def team_choices(*, user: User) -> QuerySet[Team]:
    """The teams whose settings the user manages."""
    if not can_manage_sla(user):
        return Team.objects.none()
    return Team.objects.all() if user.is_admin else Team.objects.filter(pk=user.team_id)


def team_get(*, user: User, pk: Any) -> Team:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Team not found.")) from None
    found = team_choices(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Team not found."))
    return found


def team_hours_get(*, user: User, team: Team) -> TeamHours:
    """The team's working hours; the defaults (unsaved) when it has none yet."""
    if not can_manage_team(user, team):
        raise NotFound(_("Team not found."))
    return TeamHours.objects.filter(team=team).first() or TeamHours(team=team)


# --- writes -------------------------------------------------------------------------


def _hours(data: dict, field: str, errors: dict[str, list[str]], *, allow_zero: bool = False) -> int | None:
    """Hours as typed (1.5 is fine) into whole minutes."""
    raw = data.get(field)
    text = str(raw).strip().replace(",", ".") if raw is not None else ""
    if not text:
        errors.setdefault(field, []).append(_("This field is required."))
        return None
    try:
        hours = Decimal(text)
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter a number of hours, such as 24 or 1.5."))
        return None
    if not hours.is_finite() or hours < 0 or (hours == 0 and not allow_zero):
        errors.setdefault(field, []).append(_("Enter a number of hours greater than zero."))
        return None
    if hours > MAX_HOURS:
        errors.setdefault(field, []).append(_("At most %(max)d hours.") % {"max": int(MAX_HOURS)})
        return None
    minutes = int((hours * 60).to_integral_value())
    if minutes == 0 and not allow_zero:
        errors.setdefault(field, []).append(_("Enter at least one minute (0.02 hours)."))
        return None
    return minutes


def _choice(data: dict, field: str, choices: type, errors: dict[str, list[str]], *, blank: bool) -> str:
    value = str(data.get(field) or "").strip()
    if (value or not blank) and value not in choices.values:
        errors.setdefault(field, []).append(_("Choose one of the options."))
    return value


@transaction.atomic
def sla_policy_save(*, by: User, policy: SlaPolicy | None = None, data: dict[str, Any]) -> SlaPolicy:
    """Create a policy (policy None) or change one. `data`: name, team (a Team
    or None for every team), severity and channel ("" for any), mode,
    first_response_minutes, resolution_minutes, warn_before_minutes (or the
    same as *_hours, as typed), is_active."""
    if policy is not None and not can_manage_team(by, policy.team):
        raise PermissionDenied(_("You may not change this SLA policy."))
    team = data.get("team")
    if team is not None and not isinstance(team, Team):
        raise ValidationFailed(_("Please correct the fields marked below."), fields={"team": [_("Unknown team.")]})
    if not can_manage_team(by, team):
        raise PermissionDenied(_("Only an administrator may set policies for every team.") if team is None else _("You may only set the policies of your own team."))
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors.setdefault("name", []).append(_("This field is required."))
    elif len(name) > 100:
        errors.setdefault("name", []).append(_("At most %(max)d characters (this has %(n)d).") % {"max": 100, "n": len(name)})
    severity = _choice(data, "severity", Severity, errors, blank=True)
    channel = _choice(data, "channel", ComplaintChannel, errors, blank=True)
    mode = _choice(data, "mode", ClockMode, errors, blank=False)
    minutes = {}
    for field, allow_zero in (("first_response", False), ("resolution", False), ("warn_before", True)):
        if f"{field}_minutes" in data:
            value = data[f"{field}_minutes"]
            ok = isinstance(value, int) and not isinstance(value, bool) and (value > 0 or (allow_zero and value == 0))
            if not ok:
                errors.setdefault(f"{field}_hours", []).append(_("Enter a number of hours greater than zero."))
            minutes[field] = value if ok else None
        else:
            minutes[field] = _hours(data, f"{field}_hours", errors, allow_zero=allow_zero)
    response, resolution, warn = minutes["first_response"], minutes["resolution"], minutes["warn_before"]
    if response and resolution and response >= resolution:
        errors.setdefault("first_response_hours", []).append(_("The first response must be due before the resolution."))
    if warn is not None and resolution and warn >= resolution:
        errors.setdefault("warn_before_hours", []).append(_("The warning must come before the resolution is due: choose fewer hours than the resolution target."))
    is_active = bool(data.get("is_active"))
    if is_active and not errors:
        same = SlaPolicy.objects.filter(is_active=True, team=team, severity=severity, channel=channel)
        if policy is not None:
            same = same.exclude(pk=policy.pk)
        clash = same.first()
        if clash is not None:
            errors.setdefault("__all__", []).append(
                _("The active policy “%(name)s” already covers this team, severity and channel: change that one, or make it inactive first.") % {"name": clash.name}
            )
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    target = policy if policy is not None else SlaPolicy()
    target.name, target.team, target.severity, target.channel, target.mode = name, team, severity, channel, mode
    target.first_response_minutes, target.resolution_minutes, target.warn_before_minutes = response, resolution, warn
    target.is_active = is_active
    target.save()
    return target


def _time(data: dict, field: str, errors: dict[str, list[str]]) -> dt.time | None:
    value = data.get(field)
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value or "").strip())
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a time such as 09:00."))
        return None


@transaction.atomic
def team_hours_save(*, by: User, team: Team, data: dict[str, Any]) -> TeamHours:
    """Set the team's working calendar: time_zone (an IANA name such as
    Asia/Shanghai), day_start and day_end, holidays (cn | weekends)."""
    if not can_manage_team(by, team):
        raise PermissionDenied(_("You may only set the working hours of your own team."))
    errors: dict[str, list[str]] = {}
    time_zone = str(data.get("time_zone") or "").strip()
    if time_zone not in time_zones():
        errors.setdefault("time_zone", []).append(_("Choose a time zone from the list, such as Asia/Shanghai."))
    day_start, day_end = _time(data, "day_start", errors), _time(data, "day_end", errors)
    if day_start and day_end and day_end <= day_start:
        errors.setdefault("day_end", []).append(_("The working day must end after it starts."))
    holidays = _choice(data, "holidays", Holidays, errors, blank=False)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    hours, _created = TeamHours.objects.select_for_update().update_or_create(
        team=team, defaults={"time_zone": time_zone, "day_start": day_start, "day_end": day_end, "holidays": holidays}
    )
    return hours
