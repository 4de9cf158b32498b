"""Every read of deals, already filtered to what the asking user may see: the
list with its filters, one deal and its events, the board, the weighted
forecast and the win / loss analysis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User, person_name
from manyi.core.errors import NotFound
from manyi.sales import access, pipeline
from manyi.sales.config import stages_for
from manyi.sales.models import Deal, DealEvent, DealStatus, Stage

SORTS = {
    "updated": ("-updated_at", "-id"),
    "close": ("expected_close", "id"),
    "-close": ("-expected_close", "-id"),
    "amount": ("amount", "id"),
    "-amount": ("-amount", "-id"),
    "title": ("title", "id"),
    "stage": ("stage__position", "-amount", "id"),
}
FLAGS = ("attention", "no_next_step", "stuck")


@dataclass
class DealFilters:
    q: str = ""
    status: str = DealStatus.OPEN
    stage: str = ""
    owner: int | None = None
    heat: str = ""
    customer: int | None = None
    flag: str = ""
    sort: str = "updated"


def deal_flags(deal: Deal, *, today: dt.date | None = None) -> pipeline.Flags | None:
    """What needs attention on an open deal; None for a closed one."""
    if deal.status != DealStatus.OPEN:
        return None
    now = timezone.now()
    return pipeline.flags(
        next_step=deal.next_step, next_step_on=deal.next_step_on, days_in_stage=(now - deal.stage_entered_at).days,
        stuck_after_days=deal.stage.stuck_after_days, today=today or timezone.localdate(now),
    )  # fmt: skip


def _attention_q(today: dt.date) -> Q:
    """Open deals with no next step, an overdue one, or stuck in their stage
    (a deal is stuck after its stage's days; the database compares dates)."""
    return Q(next_step="") | Q(next_step_on__isnull=True) | Q(next_step_on__lt=today)


def deal_list(*, user: User, filters: DealFilters | None = None) -> QuerySet[Deal]:
    f = filters or DealFilters()
    qs = access.visible_deals(user).select_related("customer", "owner", "stage")
    if f.status in DealStatus.values:
        qs = qs.filter(status=f.status)
    if f.stage:
        qs = qs.filter(stage__key=f.stage)
    if f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.heat:
        qs = qs.filter(heat=f.heat)
    if f.customer:
        qs = qs.filter(customer_id=f.customer)
    if f.q.strip():
        text = f.q.strip()
        qs = qs.filter(Q(title__icontains=text) | Q(customer__name__icontains=text) | Q(competitors__icontains=text))
    if f.flag in FLAGS:
        today = timezone.localdate()
        now = timezone.now()
        rows = qs.filter(status=DealStatus.OPEN).values_list("pk", "stage_entered_at", "stage__stuck_after_days")
        stuck_ids = [pk for pk, since, limit in rows if limit and (now - since).days > limit]
        if f.flag == "stuck":
            qs = qs.filter(pk__in=stuck_ids)
        elif f.flag == "no_next_step":
            qs = qs.filter(status=DealStatus.OPEN).filter(_attention_q(today))
        else:
            qs = qs.filter(status=DealStatus.OPEN).filter(_attention_q(today) | Q(pk__in=stuck_ids))
    return qs.order_by(*SORTS.get(f.sort, SORTS["updated"]))


def deal_get(*, user: User, pk: Any) -> Deal:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Deal not found.")) from None
    deal = access.visible_deals(user).select_related("customer", "owner", "stage").filter(pk=pk).first()
    if deal is None:
        raise NotFound(_("Deal not found."))
    return deal


def deal_events(*, deal: Deal) -> QuerySet[DealEvent]:
    return deal.events.select_related("by", "from_stage", "to_stage").order_by("-at", "-id")


def deal_owners(*, user: User) -> list[tuple[int, str]]:
    """The people whose deals `user` may see, for the owner filter."""
    rows = access.visible_deals(user).values_list("owner_id", "owner__display_name", "owner__first_name", "owner__last_name", "owner__username").distinct()
    return sorted({(r[0], person_name(*r[1:])) for r in rows}, key=lambda pair: pair[1])


@dataclass
class Column:
    stage: Stage
    deals: list[Deal] = field(default_factory=list)
    amount: Decimal = Decimal("0")
    weighted: Decimal = Decimal("0")
    wall_before: bool = False


def board(*, user: User, team_id: int | None = None, owner: int | None = None, heat: str = "", limit: int = 50) -> list[Column]:
    """The open deals by stage of a team's pipeline (the user's own team
    unless an administrator picks one), the largest first in each column
    (`limit` cards each; the sums count all). `wall_before` marks the first
    stage inside the wall."""
    stages = stages_for(team_id if user.is_admin and team_id else user.team_id)
    columns = {s.pk: Column(stage=s) for s in stages}
    qs = deal_list(user=user, filters=DealFilters(owner=owner, heat=heat, sort="-amount"))
    for deal in qs.filter(stage_id__in=columns):
        column = columns[deal.stage_id]
        if len(column.deals) < limit:
            column.deals.append(deal)
        column.amount += deal.amount
        column.weighted += deal.weighted
    ordered = list(columns.values())
    for before, after in zip(ordered, ordered[1:], strict=False):
        after.wall_before = after.stage.inside_wall and not before.stage.inside_wall
    return ordered


def forecast(*, user: User, owner: int | None = None, months: int = 6) -> list[pipeline.MonthForecast]:
    rows = deal_list(user=user, filters=DealFilters(owner=owner)).values_list("amount", "probability", "expected_close")
    return pipeline.forecast((pipeline.OpenDeal(*row) for row in rows), today=timezone.localdate(), months=months)


GROUPS = ("owner", "stage", "month")


def win_loss(*, user: User, start: dt.date, end: dt.date, group: str = "owner") -> list[pipeline.WinRate]:
    """Won and lost deals closed between `start` and `end`, grouped by rep,
    by the stage they were in when they closed, or by month; the groups are
    labelled for display."""
    qs = access.visible_deals(user).filter(status__in=[DealStatus.WON, DealStatus.LOST], closed_on__gte=start, closed_on__lte=end)
    rows = qs.values_list("status", "amount", "lost_reason", "closed_on", "stage__position", "stage__name", "stage__name_en",
                          "owner__display_name", "owner__first_name", "owner__last_name", "owner__username")  # fmt: skip
    deals = []
    for status, amount, reason, closed_on, position, name, name_en, *person in rows:
        if group == "stage":
            key = (position, Stage(name=name, name_en=name_en).label)
        elif group == "month":
            key = closed_on.strftime("%Y-%m")
        else:
            key = person_name(*person)
        deals.append(pipeline.ClosedDeal(group=key, won=status == DealStatus.WON, amount=amount, lost_reason=reason))
    return sorted(pipeline.win_rates(deals), key=lambda row: row.group)
