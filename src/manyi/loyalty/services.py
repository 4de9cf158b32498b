"""Every write of the loyalty programme. Each one is a transaction that first
locks the member's row (select_for_update; on SQLite the IMMEDIATE
transaction itself serialises writers), then reads the member's ledger and
decides: so two redemptions at once are taken one after the other, and the
second sees the first's entry. The balance is always the ledger's sum;
Member.balance and Member.tier are copies written in the same transaction.

Automatic awards (orders, birthdays, surveys, referrals, expiries) carry a
`source` that is unique in the ledger: running one twice writes nothing more.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.customers.access import visible_customers
from manyi.customers.depth import depth_record
from manyi.customers.models import Customer, DepthEvidence
from manyi.loyalty import access, ledger
from manyi.loyalty.models import (
    EarnRule,
    EntryKind,
    LedgerEntry,
    Member,
    MemberStatus,
    Redemption,
    RedemptionStatus,
    Referral,
    Reward,
    RuleCode,
    Tier,
)
from manyi.service.services import clean_text

MAX_POINTS = 10_000_000
MAX_MULTIPLIER = Decimal("99.99")


# How long a write waits for SQLite's lock, as the connection's busy_timeout (settings).
LOCK_WAIT_SECONDS = 10.0


class InsufficientPoints(ApplicationError):
    code = "insufficient_points"


def serialised(write):
    """Run `write` again when SQLite answers "database is locked" or "table
    is locked" at once instead of waiting (a shared-cache in-memory database,
    as in tests, has no busy timeout; a file database waits busy_timeout
    first). Only outside an enclosing transaction, whose work the error
    has undone: inside one, the caller's transaction decides."""

    @functools.wraps(write)
    def wrapper(*args, **kwargs):
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        pause = 0.005
        while True:
            try:
                return write(*args, **kwargs)
            except OperationalError as exc:
                retry = connection.vendor == "sqlite" and not connection.in_atomic_block and "locked" in str(exc)
                if not retry or time.monotonic() > deadline:
                    raise
            time.sleep(pause * (1 + random.random()))
            pause = min(pause * 2, 0.1)

    return wrapper


def _refuse(message: str, code: str) -> None:
    raise ApplicationError(message, code=code)


# --- reading inside a write -----------------------------------------------------


def _lock(member: Member) -> Member:
    return Member.objects.select_for_update().select_related("customer").get(pk=member.pk)


def _entries(member: Member) -> list[ledger.Entry]:
    rows = LedgerEntry.objects.filter(member_id=member.pk).order_by("id")
    return [e.as_entry() for e in rows.only("id", "kind", "points", "at", "expires_on", "reverses_id", "lot_id")]


def thresholds() -> list[tuple[int, Tier]]:
    return [(t.threshold, t) for t in Tier.objects.order_by("threshold")]


def _refresh(member: Member, entries: list[ledger.Entry]) -> None:
    """Write the member's copies of its balance and tier from its ledger."""
    tier = ledger.tier_for(ledger.earned_last_year(entries, timezone.localdate()), thresholds())
    member.balance = ledger.balance(entries)
    member.tier = tier
    Member.objects.filter(pk=member.pk).update(balance=member.balance, tier=tier)


def _write(member: Member, entries: list[ledger.Entry], *, kind: str, points: int, by: User | None, reason: str = "",
           source: str = "", reverses: LedgerEntry | None = None, lot_id: int | None = None,
           expires_on: dt.date | None = None) -> LedgerEntry:  # fmt: skip
    entry = LedgerEntry.objects.create(
        member=member, kind=kind, points=points, reason=reason[:200], source=source, reverses=reverses, lot_id=lot_id,
        expires_on=expires_on, at=timezone.now(), by=by,
    )  # fmt: skip
    entries.append(entry.as_entry())
    _refresh(member, entries)
    return entry


def _check_write(by: User | None, customer: Customer) -> None:
    """A person acting on a customer must see it and not be read-only; None is the system."""
    if by is None:
        return
    if not visible_customers(by).filter(pk=customer.pk).exists():
        raise NotFound(_("Customer not found."))
    if not access.can_write(by, customer):
        raise PermissionDenied(_("Your role may only read the loyalty programme."))


def _check_active(member: Member) -> None:
    if member.status != MemberStatus.ACTIVE:
        _refuse(_("Member %(number)s has left the programme.") % {"number": member.number}, "member_left")


def _rule(code: str) -> EarnRule | None:
    return EarnRule.objects.filter(code=code, active=True, points__gt=0).first()


def _need_balance(balance: int, change: int, what: str) -> None:
    if balance + change < 0:
        raise InsufficientPoints(
            _("%(what)s needs %(needed)d points; the balance is %(balance)d.") % {"what": what, "needed": -change, "balance": balance}
        )


def _points(value: Any, field: str, *, allow_negative: bool = False) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(_("Please correct the fields marked below."), fields={field: [_("Give a whole number of points.")]}) from None
    if number == 0 or (number < 0 and not allow_negative) or abs(number) > MAX_POINTS:
        message = _("Give a number of points other than zero.") if allow_negative else _("Give a positive number of points.")
        if abs(number) > MAX_POINTS:
            message = _("At most %(max)d points at a time.") % {"max": MAX_POINTS}
        raise ValidationFailed(_("Please correct the fields marked below."), fields={field: [message]})
    return number


def _reason(value: Any, *, required: bool) -> str:
    errors: dict[str, list[str]] = {}
    text = clean_text(value, field="reason", errors=errors, required=required, max_length=200)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    return text


# --- members ----------------------------------------------------------------------


@serialised
def member_enroll(*, customer: Customer, by: User) -> Member:
    """Make `customer` a member (again, if they had left). Refused with
    `already_member` for a current member."""
    _check_write(by, customer)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk").first()
        member = Member.objects.filter(customer_id=customer.pk).first()
        if member is not None:
            if member.status == MemberStatus.ACTIVE:
                _refuse(_("%(name)s is already member %(number)s.") % {"name": customer.name, "number": member.number}, "already_member")
            member.status = MemberStatus.ACTIVE
            member.save(update_fields=["status", "updated_at"])
            return member
        try:
            with transaction.atomic():
                return Member.objects.create(customer=customer, joined_by=by, joined_at=timezone.now())
        except IntegrityError:
            _refuse(_("%(name)s is already a member.") % {"name": customer.name}, "already_member")


@serialised
def member_leave(*, member: Member, by: User) -> Member:
    """The member leaves: the ledger stays, nothing more is earned or redeemed."""
    _check_write(by, member.customer)
    with transaction.atomic():
        member = _lock(member)
        member.status = MemberStatus.LEFT
        member.save(update_fields=["status", "updated_at"])
        return member


# --- earning ----------------------------------------------------------------------


@serialised
def points_earn(*, member: Member, points: int, reason: str, source: str = "", by: User | None = None,
                expires_on: dt.date | None = None) -> LedgerEntry:  # fmt: skip
    """Award points by a programme rule (people use points_adjust). With a
    `source` already in the ledger, that entry is returned and nothing is
    written. The points lapse on `expires_on` (24 months from today by default)."""
    points = _points(points, "points")
    with transaction.atomic():
        member = _lock(member)
        if source:
            existing = LedgerEntry.objects.filter(source=source).first()
            if existing is not None:
                return existing
        _check_active(member)
        entries = _entries(member)
        return _write(member, entries, kind=EntryKind.EARN, points=points, by=by, reason=reason, source=source,
                      expires_on=expires_on or ledger.default_expiry(timezone.localdate()))  # fmt: skip


def _current_member(customer_id: int) -> Member | None:
    return Member.objects.filter(customer_id=customer_id, status=MemberStatus.ACTIVE).first()


def _multiplier(member: Member) -> Decimal:
    return member.tier.multiplier if member.tier_id else Decimal("1")


@serialised
def points_for_order(*, order, by: User | None = None) -> LedgerEntry | None:
    """Points for an order (analytics.Order) of a member: the spend rule's
    points per 100 CNY × the member's tier multiplier, rounded down; once per
    order (source "order:<id>"); they expire the usual time after the order
    date, so an order older than that earns nothing. An order that no longer counts (cancelled,
    returned) has its earlier award reversed, if the balance allows (else
    `insufficient_points`). Returns the order's earn entry, or None when
    there is none (not a member, rule off, nothing to earn)."""
    from manyi.analytics.models import COUNTED_STATUSES, Order

    member = Member.objects.filter(customer_id=order.customer_id).first()
    if member is None:  # most customers: no need to read the order again
        return None
    order = Order.objects.get(pk=order.pk)
    source = f"order:{order.pk}"
    counts = order.status in COUNTED_STATUSES
    with transaction.atomic():
        member = _lock(member)
        existing = LedgerEntry.objects.filter(source=source).first()
        if existing is not None:
            if not counts and not LedgerEntry.objects.filter(reverses=existing).exists():
                _reverse_locked(member, existing, by=by, reason=order.number)
            return existing
        rule = _rule(RuleCode.SPEND)
        if not counts or member.status != MemberStatus.ACTIVE or rule is None:
            return None
        points = int((order.amount / 100 * rule.points * _multiplier(member)).to_integral_value(rounding=ROUND_FLOOR))
        # Points live from the purchase: an old order entered (or a customer
        # enrolled) late earns what would still be valid today.
        expires_on = ledger.default_expiry(order.ordered_on)
        if points <= 0 or expires_on <= timezone.localdate():
            return None
        entries = _entries(member)
        return _write(member, entries, kind=EntryKind.EARN, points=min(points, MAX_POINTS), by=by, reason=order.number,
                      source=source, expires_on=expires_on)  # fmt: skip


def _rule_award(member: Member | None, code: str, source: str, *, by: User | None, reason: str = "") -> LedgerEntry | None:
    if member is None:
        return None
    existing = LedgerEntry.objects.filter(source=source).first()
    if existing is not None:
        return existing
    rule = _rule(code)
    if rule is None or not Member.objects.filter(pk=member.pk, status=MemberStatus.ACTIVE).exists():
        return None
    return points_earn(member=member, points=rule.points, reason=reason, source=source, by=by)


@serialised
def points_birthday(*, member: Member, year: int, by: User | None = None) -> LedgerEntry | None:
    """The birthday rule's points, once per member and year ("birthday:<member>:<year>")."""
    return _rule_award(member, RuleCode.BIRTHDAY, f"birthday:{member.pk}:{int(year)}", by=by, reason=str(int(year)))


@serialised
def points_for_survey(*, customer: Customer, response_id: int) -> LedgerEntry | None:
    """The survey rule's points for a member's answered survey, once per response ("survey:<id>")."""
    return _rule_award(_current_member(customer.pk), RuleCode.SURVEY, f"survey:{int(response_id)}", by=None)


@serialised
def referral_record(*, referrer: Customer, referred: Customer, by: User) -> Referral:
    """`referrer` brought `referred`: recorded once per referred customer;
    the referrer earns the referral rule's points if a member, and their
    relationship depth moves to loyalty (customers.depth)."""
    if referrer.pk == referred.pk:
        raise ValidationFailed(_("Please correct the fields marked below."), fields={"referred": [_("A customer cannot refer themselves.")]})
    _check_write(by, referrer)
    _check_write(by, referred)
    with transaction.atomic():
        Customer.objects.select_for_update().filter(pk=referred.pk).values_list("pk").first()
        if Referral.objects.filter(referred_id=referred.pk).exists():
            message = _("%(name)s was already recorded as referred.") % {"name": referred.name}
            raise ValidationFailed(message, code="already_referred", fields={"referred": [message]})
        referral = Referral.objects.create(referrer=referrer, referred=referred, by=by, at=timezone.now())
        _rule_award(_current_member(referrer.pk), RuleCode.REFERRAL, f"referral:{referred.pk}", by=by, reason=referred.name)
        depth_record(customer=referrer, evidence=DepthEvidence.REFERRAL, by=by, note=referred.name)
        return referral


# --- spending, reversing, adjusting -------------------------------------------------


@serialised
def points_redeem(*, member: Member, reward: Reward, by: User) -> Redemption:
    """Spend points on a catalogue reward: refused (`insufficient_points`,
    `out_of_stock`, `reward_inactive`, `member_left`) with nothing written."""
    _check_write(by, member.customer)
    with transaction.atomic():
        member = _lock(member)
        _check_active(member)
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        if not reward.active:
            _refuse(_("“%(name)s” is no longer offered.") % {"name": reward.name}, "reward_inactive")
        if reward.stock is not None and reward.stock < 1:
            _refuse(_("“%(name)s” is out of stock.") % {"name": reward.name}, "out_of_stock")
        entries = _entries(member)
        _need_balance(ledger.balance(entries), -reward.cost, _("“%(name)s”") % {"name": reward.name})
        entry = _write(member, entries, kind=EntryKind.REDEEM, points=-reward.cost, by=by, reason=reward.name)
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
        return Redemption.objects.create(member=member, reward=reward, entry=entry, by=by, at=entry.at)


def _reverse_locked(member: Member, entry: LedgerEntry, *, by: User | None, reason: str) -> LedgerEntry:
    if entry.kind not in ledger.REVERSIBLE:
        _refuse(_("An entry of this kind cannot be reversed; make an adjustment instead."), "not_reversible")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        _refuse(_("This entry has already been reversed."), "already_reversed")
    entries = _entries(member)
    _need_balance(ledger.balance(entries), -entry.points, _("Reversing this entry"))
    expires_on = ledger.restored_expiry(entries, entry.pk) if entry.points < 0 else None
    reversal = _write(member, entries, kind=EntryKind.REVERSE, points=-entry.points, by=by, reason=reason, reverses=entry, expires_on=expires_on)
    redemption = Redemption.objects.select_for_update().filter(entry=entry).first()
    if redemption is not None:
        Redemption.objects.filter(pk=redemption.pk).update(status=RedemptionStatus.CANCELLED)
        Reward.objects.filter(pk=redemption.reward_id, stock__isnull=False).update(stock=F("stock") + 1)
    return reversal


@serialised
def points_reverse(*, entry: LedgerEntry, by: User, reason: str) -> LedgerEntry:
    """Write the negation of `entry` (an earning, a redemption or an
    adjustment, once). A reversed redemption is cancelled and its reward put
    back in stock; the points it gives back lapse when the points it spent
    would have. Refused with `insufficient_points` when it would take the
    balance below zero."""
    reason = _reason(reason, required=True)
    with transaction.atomic():
        member = _lock(entry.member)
        entry = LedgerEntry.objects.get(pk=entry.pk)
        _check_write(by, member.customer)
        if entry.kind == EntryKind.ADJUST and not access.can_adjust(by, member.customer):
            raise PermissionDenied(_("Only the team's manager or an administrator may undo an adjustment."))
        return _reverse_locked(member, entry, by=by, reason=reason)


@serialised
def redemption_cancel(*, redemption: Redemption, by: User, reason: str) -> Redemption:
    """Cancel a redemption: its ledger entry is reversed (the points come back)."""
    if redemption.status == RedemptionStatus.CANCELLED:
        _refuse(_("This redemption is already cancelled."), "already_reversed")
    points_reverse(entry=redemption.entry, by=by, reason=reason)
    return Redemption.objects.get(pk=redemption.pk)


@serialised
def points_adjust(*, member: Member, points: int, reason: str, by: User) -> LedgerEntry:
    """A manual correction (managers of the customer's team, administrators),
    with a required reason; points added lapse after 24 months."""
    points = _points(points, "points", allow_negative=True)
    reason = _reason(reason, required=True)
    if not access.can_adjust(by, member.customer):
        raise PermissionDenied(_("Only the team's manager or an administrator may adjust points."))
    _check_write(by, member.customer)
    with transaction.atomic():
        member = _lock(member)
        entries = _entries(member)
        if points < 0:
            _need_balance(ledger.balance(entries), points, _("This adjustment"))
        expires_on = ledger.default_expiry(timezone.localdate()) if points > 0 else None
        return _write(member, entries, kind=EntryKind.ADJUST, points=points, by=by, reason=reason, expires_on=expires_on)


# --- expiry and tiers -------------------------------------------------------------


@serialised
def _expire_member(member_id: int, as_of: dt.date) -> tuple[int, int]:
    with transaction.atomic():
        member = _lock(Member(pk=member_id))
        entries = _entries(member)
        written = points = 0
        for lot in ledger.lapsed(entries, as_of):
            _write(member, entries, kind=EntryKind.EXPIRE, points=-lot.remaining, by=None, source=f"expire:{lot.id}",
                   lot_id=lot.id, reason=lot.expires_on.isoformat())  # fmt: skip
            written += 1
            points += lot.remaining
        return written, points


def points_expire(*, as_of: dt.date, member: Member | None = None) -> dict[str, int]:
    """Write an expiry for every lot that has lapsed by `as_of` with points
    left (each lot once: source "expire:<lot>"), for one member or all. Each
    member is its own transaction. Returns {"members", "entries", "points"}."""
    lots = LedgerEntry.objects.filter(points__gt=0, expires_on__lte=as_of, expiries__isnull=True)
    if member is not None:
        lots = lots.filter(member_id=member.pk)
    counts = {"members": 0, "entries": 0, "points": 0}
    for member_id in lots.order_by().values_list("member_id", flat=True).distinct():
        written, points = _expire_member(member_id, as_of)
        counts["entries"] += written
        counts["points"] += points
        counts["members"] += bool(written)
    return counts


def member_tiers_refresh(*, today: dt.date | None = None) -> int:
    """Set every member's tier from the points earned in the 12 months up to
    `today` (earnings age out daily; thresholds change). Returns how many changed."""
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=ledger.TIER_WINDOW_DAYS - 1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    earned = dict(
        LedgerEntry.objects.filter(kind=EntryKind.EARN, at__gte=since, reversed_by__isnull=True)
        .order_by().values("member_id").annotate(total=Sum("points")).values_list("member_id", "total")
    )  # fmt: skip
    table = thresholds()
    changed = 0
    for member_id, tier_id in Member.objects.values_list("pk", "tier_id"):
        tier = ledger.tier_for(earned.get(member_id, 0), table)
        if (tier.pk if tier else None) != tier_id:
            Member.objects.filter(pk=member_id).update(tier=tier)
            changed += 1
    return changed


# --- the programme's settings ----------------------------------------------------------


def _int_field(value: Any, field: str, errors: dict[str, list[str]], *, minimum: int = 0, required: bool = True) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Give a whole number."))
        return None
    if number < minimum or number > MAX_POINTS:
        errors.setdefault(field, []).append(_("Give a whole number from %(min)d to %(max)d.") % {"min": minimum, "max": MAX_POINTS})
        return None
    return number


def _multiplier_field(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        number = Decimal(str(value if value not in (None, "") else "1").strip())
    except (InvalidOperation, ValueError):
        number = Decimal("-1")
    if not number.is_finite() or number <= 0 or number > MAX_MULTIPLIER or number != number.quantize(Decimal("0.01")):
        errors.setdefault(field, []).append(_("Give a multiplier from 0.01 to 99.99, e.g. 1.5."))
        return None
    return number


@serialised
def tiers_save(*, by: User, rows: list[dict[str, Any]]) -> list[Tier]:
    """Replace the tier table with `rows` (in order; each with an `id` for an
    existing tier, `delete` to drop it): names required, thresholds strictly
    ascending. Field errors are named "<row>.<field>", rows counted from 0."""
    if not access.can_configure_programme(by):
        raise PermissionDenied(_("Only administrators may change the tiers."))
    errors: dict[str, list[str]] = {}
    kept: list[tuple[int | None, dict[str, Any]]] = []
    existing = {t.pk: t for t in Tier.objects.all()}
    previous = None
    for i, row in enumerate(rows):
        pk = row.get("id") or None
        if pk is not None and int(pk) not in existing:
            errors.setdefault(f"{i}.name", []).append(_("This tier no longer exists; reload the page."))
            continue
        if row.get("delete"):
            continue
        fields: dict[str, list[str]] = {}
        data = {
            "name": clean_text(row.get("name"), field="name", errors=fields, required=True, max_length=64),
            "name_en": clean_text(row.get("name_en"), field="name_en", errors=fields, max_length=64),
            "threshold": _int_field(row.get("threshold"), "threshold", fields),
            "multiplier": _multiplier_field(row.get("multiplier"), "multiplier", fields),
            "benefits": clean_text(row.get("benefits"), field="benefits", errors=fields, max_length=2000),
        }
        threshold = data["threshold"]
        if threshold is not None and previous is not None and threshold <= previous:
            fields.setdefault("threshold", []).append(
                _("Thresholds go up from row to row: above %(previous)d, the row before.") % {"previous": previous}
            )
        previous = threshold if threshold is not None else previous
        for name, messages in fields.items():
            errors[f"{i}.{name}"] = messages
        kept.append((int(pk) if pk else None, data))
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    with transaction.atomic():
        keep_ids = {pk for pk, _data in kept if pk}
        Tier.objects.exclude(pk__in=keep_ids).delete()
        # Out of the way first, so swapping two thresholds never meets the unique index.
        for n, pk in enumerate(keep_ids):
            Tier.objects.filter(pk=pk).update(threshold=2_000_000_000 + n)
        for pk, data in kept:
            if pk:
                Tier.objects.filter(pk=pk).update(**data, updated_at=timezone.now())
            else:
                Tier.objects.create(**data)
        member_tiers_refresh()
    return list(Tier.objects.order_by("threshold"))


@serialised
def rules_save(*, by: User, rows: dict[str, dict[str, Any]]) -> list[EarnRule]:
    """Set each rule given ({code: {"points", "active"}}); the spend rule's
    points are per 100 CNY, the others' per event."""
    if not access.can_configure_programme(by):
        raise PermissionDenied(_("Only administrators may change the earn rules."))
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for code, row in rows.items():
        if code not in RuleCode.values:
            errors.setdefault(code, []).append(_("Unknown rule."))
            continue
        points = _int_field(row.get("points"), f"{code}.points", errors)
        cleaned[code] = {"points": points, "active": bool(row.get("active"))}
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    with transaction.atomic():
        for code, data in cleaned.items():
            EarnRule.objects.update_or_create(code=code, defaults=data)
    return list(EarnRule.objects.order_by("code"))


@serialised
def reward_save(*, by: User, data: dict[str, Any], reward: Reward | None = None) -> Reward:
    """Add a reward to the catalogue, or change one (name, description, cost, stock, offered)."""
    if not access.can_manage_rewards(by):
        raise PermissionDenied(_("Only managers and administrators may change the rewards."))
    errors: dict[str, list[str]] = {}
    fields = {
        "name": clean_text(data.get("name"), field="name", errors=errors, required=True, max_length=120),
        "description": clean_text(data.get("description"), field="description", errors=errors, max_length=2000),
        "cost": _int_field(data.get("cost"), "cost", errors, minimum=1),
        "stock": _int_field(data.get("stock"), "stock", errors, required=False),
        "active": bool(data.get("active")),
    }
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    with transaction.atomic():
        if reward is None:
            return Reward.objects.create(**fields)
        Reward.objects.filter(pk=reward.pk).update(**fields, updated_at=timezone.now())
        return Reward.objects.get(pk=reward.pk)
