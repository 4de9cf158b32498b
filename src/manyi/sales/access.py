"""Who may see and change sales work: the one place that says so.

- administrator: everything;
- manager and analyst: their team's deals, quotes and visit plans (the analyst
  read-only); a manager without a team, only their own;
- sales rep and service agent: their own deals, quotes and visits only;
- anyone else (an outsider): nothing.
"""

from __future__ import annotations

from django.db.models import Model, QuerySet

from manyi.accounts.models import Role, User
from manyi.sales.models import Deal, PlannedVisit, Quote


def _active(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def _scoped(qs: QuerySet, user: User | None, *, owner: str = "owner_id", team: str = "team_id") -> QuerySet:
    if not _active(user):
        return qs.none()
    if user.is_admin:
        return qs
    if user.role in (Role.MANAGER, Role.ANALYST) and user.team_id is not None:
        return qs.filter(**{team: user.team_id})
    return qs.filter(**{owner: user.id})


def visible_deals(user: User | None) -> QuerySet[Deal]:
    return _scoped(Deal.objects.all(), user)


def visible_quotes(user: User | None) -> QuerySet[Quote]:
    return _scoped(Quote.objects.all(), user)


def visible_visits(user: User | None) -> QuerySet[PlannedVisit]:
    return _scoped(PlannedVisit.objects.all(), user, owner="rep_id", team="rep__team_id")


def is_team_manager(user: User, team_id: int | None) -> bool:
    return bool(_active(user) and (user.is_admin or (user.is_manager and user.team_id is not None and user.team_id == team_id)))


def can_change(user: User, item: Model) -> bool:
    """Edit, move, win or lose a deal; revise, send or accept a quote: the
    owner, their team's manager or an administrator (never read-only staff)."""
    if not _active(user) or user.is_read_only:
        return False
    return item.owner_id == user.id or is_team_manager(user, item.team_id)


def can_sell(user: User) -> bool:
    """Open deals and write quotes for customers one may see."""
    return _active(user) and not user.is_read_only


def can_approve(user: User, quote: Quote, *, author_id: int | None) -> bool:
    """A discount above the team's threshold: the team's manager or an
    administrator, and never the person who wrote that version."""
    return is_team_manager(user, quote.team_id) and user.id != author_id


def can_configure(user: User, team_id: int | None) -> bool:
    """Stages, discount threshold, visit frequencies and capacity of a team."""
    return team_id is not None and is_team_manager(user, team_id)


def can_plan_for(user: User, rep: User) -> bool:
    """Make or change a rep's visit plan: the rep, their manager, an administrator."""
    if not _active(user) or user.is_read_only:
        return False
    return rep.id == user.id or is_team_manager(user, rep.team_id)
