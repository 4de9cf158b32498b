"""Every read of the loyalty programme, filtered to what the asking user may
see: a member is seen by whoever sees its customer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import NotFound
from manyi.customers.access import visible_customers
from manyi.customers.models import Customer
from manyi.loyalty import ledger
from manyi.loyalty.models import (
    EarnRule,
    EntryKind,
    LedgerEntry,
    Member,
    Redemption,
    Reward,
    RuleCode,
    Tier,
    parse_number,
)
from manyi.loyalty.services import thresholds

SORTS = {
    "-joined": ("-joined_at", "-id"),
    "joined": ("joined_at", "id"),
    "-balance": ("-balance", "-id"),
    "balance": ("balance", "id"),
}
EXPIRING_DAYS = 90


@dataclass
class MemberFilters:
    q: str = ""
    tier: int | None = None
    status: str = ""
    sort: str = "-joined"


def visible_members(user: User) -> QuerySet[Member]:
    return Member.objects.filter(customer__in=visible_customers(user))


def member_list(*, user: User, filters: MemberFilters | None = None) -> QuerySet[Member]:
    f = filters or MemberFilters()
    qs = visible_members(user).select_related("customer", "tier")
    text = f.q.strip()
    if text:
        number = parse_number(text)
        qs = qs.filter(Q(customer__name__icontains=text) | Q(pk=number)) if number else qs.filter(customer__name__icontains=text)
    if f.tier:
        qs = qs.filter(tier_id=f.tier)
    if f.status:
        qs = qs.filter(status=f.status)
    return qs.order_by(*SORTS.get(f.sort, SORTS["-joined"]))


def _pk(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def member_get(*, user: User, pk: Any) -> Member:
    member = visible_members(user).select_related("customer", "customer__owner", "tier").filter(pk=_pk(pk)).first()
    if member is None:
        raise NotFound(_("Member not found."))
    return member


def member_of_customer(*, customer: Customer) -> Member | None:
    """The membership of a customer the caller has already fetched through customers.selectors."""
    return Member.objects.select_related("tier").filter(customer_id=customer.pk).first()


def entry_get(*, user: User, pk: Any) -> LedgerEntry:
    entry = LedgerEntry.objects.select_related("member", "member__customer").filter(pk=_pk(pk), member__in=visible_members(user)).first()
    if entry is None:
        raise NotFound(_("Entry not found."))
    return entry


def member_entries(*, member: Member) -> QuerySet[LedgerEntry]:
    """The member's ledger, newest first, with what each entry reversed or was reversed by."""
    return member.entries.select_related("by", "reversed_by", "redemption__reward").order_by("-id")


def member_redemptions(*, member: Member) -> QuerySet[Redemption]:
    return member.redemptions.select_related("reward", "entry").order_by("-at", "-id")


def rewards_offered() -> QuerySet[Reward]:
    return Reward.objects.filter(active=True).order_by("cost", "name")


def rewards_all() -> QuerySet[Reward]:
    return Reward.objects.order_by("-active", "cost", "name")


def reward_get(*, pk: Any, offered_only: bool = True) -> Reward:
    qs = rewards_offered() if offered_only else Reward.objects.all()
    reward = qs.filter(pk=_pk(pk)).first()
    if reward is None:
        raise NotFound(_("Reward not found."))
    return reward


def tiers() -> QuerySet[Tier]:
    return Tier.objects.order_by("threshold")


def rules() -> dict[str, EarnRule | None]:
    found = {r.code: r for r in EarnRule.objects.all()}
    return {code: found.get(code) for code in RuleCode.values}


@dataclass
class Card:
    """What the member card shows, computed from the ledger."""

    balance: int
    tier: Tier | None
    earned_last_year: int
    next_tier: Tier | None
    to_next: int
    progress: float
    expiring: int
    expiring_by: dt.date
    lapsed: int


def member_card(*, member: Member, today: dt.date | None = None) -> Card:
    today = today or timezone.localdate()
    entries = [e.as_entry() for e in member.entries.order_by("id").only("id", "kind", "points", "at", "expires_on", "reverses_id", "lot_id")]
    table = thresholds()
    earned = ledger.earned_last_year(entries, today)
    upcoming = ledger.next_tier(earned, table)
    horizon = today + dt.timedelta(days=EXPIRING_DAYS)
    return Card(
        balance=ledger.balance(entries), tier=ledger.tier_for(earned, table), earned_last_year=earned,
        next_tier=upcoming[1] if upcoming else None, to_next=upcoming[0] - earned if upcoming else 0,
        progress=ledger.progress(earned, table), expiring=ledger.expiring_by(entries, horizon), expiring_by=horizon,
        lapsed=ledger.expiring_by(entries, today),
    )  # fmt: skip


def describe(entry: LedgerEntry) -> str:
    """What an entry was for, in the reader's language (system entries keep data, not words)."""
    kind, _sep, rest = entry.source.partition(":")
    if entry.kind == EntryKind.EXPIRE:
        return _("Points that lapsed on %(day)s") % {"day": entry.reason}
    if kind == "order":
        return _("Order %(number)s") % {"number": entry.reason}
    if kind == "birthday":
        return _("Birthday %(year)s") % {"year": entry.reason}
    if kind == "survey":
        return _("Survey answered")
    if kind == "referral":
        return _("Referred %(name)s") % {"name": entry.reason}
    return entry.reason


def is_reversed(entry: LedgerEntry) -> bool:
    try:
        return entry.reversed_by is not None
    except LedgerEntry.reversed_by.RelatedObjectDoesNotExist:
        return False


def reversible(entry: LedgerEntry) -> bool:
    return entry.kind in ledger.REVERSIBLE and not is_reversed(entry)
