"""Every write on a deal and on a team's pipeline: opening a deal, editing it,
moving it between stages (across the wall or back), winning, losing with a
reason, reopening; the team's own stages and sales settings. Each deal change
appends its DealEvent in the same transaction; pages, the API and the quote
services all call these."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from manyi.accounts.models import Role, User
from manyi.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from manyi.customers import access as customer_access
from manyi.customers.models import Customer
from manyi.sales import access
from manyi.sales.config import settings_for, stages_for
from manyi.sales.models import (
    Deal,
    DealEvent,
    DealEventKind,
    DealStatus,
    Heat,
    LostReason,
    SalesSettings,
    Stage,
)
from manyi.service.services import clean_text

MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")
# What an edit may change; the stage and the status have their own actions.
EDITABLE = ("title", "amount", "expected_close", "probability", "heat", "heat_reason", "next_step", "next_step_on", "competitors")


class DealClosed(ApplicationError):
    status = 409
    code = "deal_closed"


def _errors_or_raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)


def _amount(value: Any, errors: dict[str, list[str]]) -> Decimal:
    if value is None or value == "":
        return Decimal("0")
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
    except (InvalidOperation, ValueError):
        errors.setdefault("amount", []).append(_("“%(value)s” is not an amount of money.") % {"value": str(value)[:40]})
        return Decimal("0")
    if not number.is_finite() or number < 0:
        errors.setdefault("amount", []).append(_("The amount must be zero or more."))
    elif number > MAX_AMOUNT:
        errors.setdefault("amount", []).append(_("This amount is too large."))
    else:
        return number.quantize(CENT, rounding=ROUND_HALF_UP)
    return Decimal("0")


def _probability(value: Any, errors: dict[str, list[str]], name: str = "probability") -> int | None:
    try:
        number = int(str(value).strip().rstrip("%"))
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 100:
        errors.setdefault(name, []).append(_("Give the probability as a whole number from 0 to 100."))
        return None
    return number


def _date(value: Any, name: str, errors: dict[str, list[str]]) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        errors.setdefault(name, []).append(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": str(value)[:40]})
        return None


def _stage_of(value: Any, team_id: int | None, errors: dict[str, list[str]]) -> Stage | None:
    stages = stages_for(team_id)
    if value in (None, ""):
        return stages[0] if stages else None
    for stage in stages:
        if str(value) in (stage.key, str(stage.pk)):
            return stage
    errors.setdefault("stage", []).append(_("“%(value)s” is not a stage of this team's pipeline.") % {"value": str(value)[:40]})
    return None


def _clean(data: dict[str, Any], errors: dict[str, list[str]], *, partial: bool) -> dict[str, Any]:
    """The editable fields present in `data`, cleaned; problems go to `errors`."""
    out: dict[str, Any] = {}
    if not partial or "title" in data:
        out["title"] = clean_text(data.get("title"), field="title", errors=errors, required=True, max_length=200)
    if "amount" in data:
        out["amount"] = _amount(data["amount"], errors)
    if "expected_close" in data:
        out["expected_close"] = _date(data["expected_close"], "expected_close", errors)
    if data.get("probability") not in (None, ""):
        out["probability"] = _probability(data["probability"], errors)
    if "heat" in data:
        heat = data["heat"] or Heat.WARM
        if heat not in Heat.values:
            errors.setdefault("heat", []).append(_("Heat is cold, warm or hot."))
        out["heat"] = heat
    for name, limit in (("heat_reason", 300), ("next_step", 200), ("competitors", 300)):
        if name in data:
            out[name] = clean_text(data[name], field=name, errors=errors, max_length=limit)
    if "next_step_on" in data:
        out["next_step_on"] = _date(data["next_step_on"], "next_step_on", errors)
    return out


def _event(deal: Deal, kind: str, *, by: User, **fields) -> DealEvent:
    return DealEvent.objects.create(deal=deal, kind=kind, by=by, at=timezone.now(), **fields)


def _lock(deal: Deal) -> Deal:
    return Deal.objects.select_for_update().select_related("stage").get(pk=deal.pk)


def _check_change(by: User, deal: Deal) -> None:
    if not access.can_change(by, deal):
        raise PermissionDenied(_("Only the deal's owner or their manager may change it."))


def _check_open(deal: Deal) -> None:
    if deal.status != DealStatus.OPEN:
        raise DealClosed(_("This deal is closed (%(status)s); reopen it first.") % {"status": deal.get_status_display()})


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal | dt.date) else value


def deal_owner_for(*, by: User, customer: Customer) -> User:
    """Who owns a deal `by` opens: a rep or agent themselves, a manager or an
    administrator the customer's owner."""
    return by if by.role in (Role.SALES, Role.SERVICE) else customer.owner


@transaction.atomic
def deal_create(*, by: User, customer: Customer, data: dict[str, Any]) -> Deal:
    """Open a deal on a customer `by` may see. A rep owns what they open; a
    manager or administrator opens it for the customer's owner. It starts in
    the given stage (the first by default) with that stage's probability unless
    one is given."""
    if not access.can_sell(by):
        raise PermissionDenied(_("Your role may not open deals."))
    if not customer_access.visible_customers(by).filter(pk=customer.pk).exists():
        raise PermissionDenied(_("You may not open deals for this customer."))
    owner = deal_owner_for(by=by, customer=customer)
    errors: dict[str, list[str]] = {}
    if customer.deleted_at is not None:
        errors.setdefault("customer", []).append(_("This customer is deleted."))
    fields = _clean(data, errors, partial=False)
    stage = _stage_of(data.get("stage"), owner.team_id, errors)
    _errors_or_raise(errors)
    if fields.get("probability") is None:
        fields["probability"] = stage.probability
    deal = Deal.objects.create(
        customer=customer, owner=owner, team_id=owner.team_id, stage=stage, stage_entered_at=timezone.now(), **fields
    )
    _event(deal, DealEventKind.CREATED, by=by, to_stage=stage, changes={k: _json(v) for k, v in fields.items()})
    return deal


@transaction.atomic
def deal_update(*, by: User, deal: Deal, data: dict[str, Any]) -> Deal:
    """Change what `data` holds of the editable fields; the event records each
    change as [before, after]. Nothing changed: no event."""
    _check_change(by, deal)
    deal = _lock(deal)
    errors: dict[str, list[str]] = {}
    fields = _clean({k: v for k, v in data.items() if k in EDITABLE}, errors, partial=True)
    _errors_or_raise(errors)
    changes = {}
    for name, value in fields.items():
        if value is not None or name in ("expected_close", "next_step_on"):
            before = getattr(deal, name)
            if before != value:
                changes[name] = [_json(before), _json(value)]
                setattr(deal, name, value)
    if changes:
        deal.save()
        _event(deal, DealEventKind.UPDATED, by=by, changes=changes)
    return deal


@transaction.atomic
def deal_move(*, by: User, deal: Deal, stage: Stage | str | int, note: str = "") -> Deal:
    """Move an open deal to another stage of its team's pipeline. Its
    probability becomes the stage's (the forecast follows); crossing the wall
    is recorded as such."""
    _check_change(by, deal)
    deal = _lock(deal)
    _check_open(deal)
    errors: dict[str, list[str]] = {}
    target = _stage_of(stage.pk if isinstance(stage, Stage) else stage, deal.team_id, errors)
    note = clean_text(note, field="note", errors=errors, max_length=300)
    if target is None and "stage" not in errors:
        errors["stage"] = [_("Choose a stage.")]
    _errors_or_raise(errors)
    if target.pk == deal.stage_id:
        return deal
    before = deal.stage
    changes: dict[str, Any] = {"probability": [deal.probability, target.probability]}
    if before.inside_wall != target.inside_wall:
        changes["wall"] = "in" if target.inside_wall else "out"
    deal.stage, deal.probability, deal.stage_entered_at = target, target.probability, timezone.now()
    deal.save()
    _event(deal, DealEventKind.MOVED, by=by, from_stage=before, to_stage=target, changes=changes, note=note)
    return deal


@transaction.atomic
def deal_win(*, by: User, deal: Deal, note: str = "") -> Deal:
    _check_change(by, deal)
    deal = _lock(deal)
    _check_open(deal)
    errors: dict[str, list[str]] = {}
    note = clean_text(note, field="note", errors=errors, max_length=300)
    _errors_or_raise(errors)
    deal.status, deal.probability, deal.closed_on = DealStatus.WON, 100, timezone.localdate()
    deal.save()
    _event(deal, DealEventKind.WON, by=by, note=note, from_stage=deal.stage)
    return deal


@transaction.atomic
def deal_lose(*, by: User, deal: Deal, reason: str, note: str = "") -> Deal:
    """Close a deal as lost: the reason is required, so lost orders can be
    counted by why (流失的订单)."""
    _check_change(by, deal)
    deal = _lock(deal)
    _check_open(deal)
    errors: dict[str, list[str]] = {}
    if reason not in LostReason.values:
        errors["reason"] = [_("Say why the deal was lost.")]
    note = clean_text(note, field="note", errors=errors, max_length=300)
    if reason == LostReason.OTHER and not note:
        errors.setdefault("note", []).append(_("Describe the reason when it is “other”."))
    _errors_or_raise(errors)
    deal.status, deal.lost_reason, deal.lost_note, deal.closed_on = DealStatus.LOST, reason, note, timezone.localdate()
    deal.save()
    _event(deal, DealEventKind.LOST, by=by, note=note, from_stage=deal.stage, changes={"reason": reason})
    return deal


@transaction.atomic
def deal_reopen(*, by: User, deal: Deal, note: str) -> Deal:
    _check_change(by, deal)
    deal = _lock(deal)
    errors: dict[str, list[str]] = {}
    if deal.status == DealStatus.OPEN:
        errors["status"] = [_("This deal is open already.")]
    note = clean_text(note, field="note", errors=errors, required=True, max_length=300)
    _errors_or_raise(errors)
    before = deal.status
    deal.status, deal.lost_reason, deal.lost_note, deal.closed_on = DealStatus.OPEN, "", "", None
    deal.probability = deal.stage.probability
    deal.save()
    _event(deal, DealEventKind.REOPENED, by=by, note=note, changes={"status": [before, DealStatus.OPEN]})
    return deal


# --- a team's pipeline and settings ------------------------------------------


@transaction.atomic
def stages_save(*, by: User, team_id: int, rows: list[dict[str, Any]]) -> list[Stage]:
    """Set a team's own pipeline: `rows` in board order, each with key (new
    stages: omit it), name, name_en, probability, inside_wall, stuck_after_days
    and active. Prospects come before the wall, customers after it; a stage
    that still holds open deals cannot be taken out of use."""
    if not access.can_configure(by, team_id):
        raise PermissionDenied(_("Only the team's manager may change its pipeline."))
    errors: dict[str, list[str]] = {}
    if not Stage.objects.filter(team_id=team_id).exists():
        for stage in stages_for(None):
            Stage.objects.create(team_id=team_id, key=stage.key, name=stage.name, name_en=stage.name_en, position=stage.position,
                                 probability=stage.probability, inside_wall=stage.inside_wall, stuck_after_days=stage.stuck_after_days)  # fmt: skip
    own = {s.key: s for s in Stage.objects.select_for_update().filter(team_id=team_id)}
    seen_inside, active_count, kept = False, 0, []
    for i, row in enumerate(rows):
        prefix = f"stages.{i}"
        name = clean_text(row.get("name"), field=f"{prefix}.name", errors=errors, required=True, max_length=64)
        name_en = clean_text(row.get("name_en"), field=f"{prefix}.name_en", errors=errors, max_length=64)
        probability = _probability(row.get("probability"), errors, f"{prefix}.probability")
        try:
            stuck = int(row.get("stuck_after_days") or 0)
            if not 0 <= stuck <= 3650:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault(f"{prefix}.stuck_after_days", []).append(_("Give a number of days from 0 to 3650."))
            stuck = 0
        inside, active = bool(row.get("inside_wall")), bool(row.get("active", True))
        if active:
            active_count += 1
            if seen_inside and not inside:
                errors.setdefault(f"{prefix}.inside_wall", []).append(_("Prospect stages come before the wall, customer stages after it."))
            seen_inside = seen_inside or inside
        stage = own.get(row.get("key") or "")
        if stage is None:
            stage = Stage(team_id=team_id, key=_new_key(name_en or name, own))
            own[stage.key] = stage
        elif not active and stage.active and stage.deals.filter(status=DealStatus.OPEN).exists():
            errors.setdefault(f"{prefix}.active", []).append(_("Open deals are in this stage: move them before taking it out of use."))
        stage.name, stage.name_en, stage.probability, stage.inside_wall = name, name_en, probability or 0, inside
        stage.stuck_after_days, stage.active, stage.position = stuck, active, i + 1
        kept.append(stage)
    if active_count < 2:
        errors.setdefault("stages", []).append(_("A pipeline needs at least two stages in use."))
    _errors_or_raise(errors)
    listed = {s.key for s in kept}
    for stage in own.values():
        if stage.key not in listed and stage.pk:
            if stage.deals.filter(status=DealStatus.OPEN).exists():
                raise ValidationFailed(_("Open deals are in “%(stage)s”: move them first.") % {"stage": stage.label}, fields={"stages": [stage.label]})
            stage.active = False
            stage.position = len(kept) + 1
            kept.append(stage)
    for stage in kept:
        stage.save()
    return [s for s in kept if s.active]


def _new_key(name: str, taken: dict[str, Stage]) -> str:
    base = (slugify(name) or "stage")[:24]
    key, n = base, 1
    while key in taken:
        n += 1
        key = f"{base}-{n}"
    return key


SETTINGS_FIELDS = ("discount_approval_percent", "visits_a", "visits_b", "visits_c", "visits_d", "daily_capacity", "visit_minutes",
                   "speed_kmh", "base_latitude", "base_longitude", "company_name", "company_details")  # fmt: skip


@transaction.atomic
def sales_settings_save(*, by: User, team_id: int, data: dict[str, Any]) -> SalesSettings:
    """Change a team's discount threshold, visit frequencies, capacity, office
    and the company details printed on quotes."""
    if not access.can_configure(by, team_id):
        raise PermissionDenied(_("Only the team's manager may change its sales settings."))
    row = settings_for(team_id)
    errors: dict[str, list[str]] = {}
    for name in SETTINGS_FIELDS:
        if name in data:
            field = SalesSettings._meta.get_field(name)
            value = data[name]
            if value in ("", None) and field.null:
                setattr(row, name, None)
                continue
            try:
                setattr(row, name, field.clean(field.to_python(value), row))
            except Exception as exc:  # noqa: BLE001 - Django's ValidationError and conversion errors alike
                errors.setdefault(name, []).extend(getattr(exc, "messages", [str(exc)]))
    for grade in "abcd":
        value = getattr(row, f"visits_{grade}")
        if value is not None and not 0 <= value <= 4:
            errors.setdefault(f"visits_{grade}", []).append(_("From 0 to 4 visits a month: one fixed weekday allows at most one visit a week."))
    if (row.base_latitude is None) != (row.base_longitude is None):
        errors.setdefault("base_latitude", []).append(_("Give both the latitude and the longitude of the office, or neither."))
    if row.base_latitude is not None and not -90 <= row.base_latitude <= 90:
        errors.setdefault("base_latitude", []).append(_("A latitude lies between -90 and 90."))
    if row.base_longitude is not None and not -180 <= row.base_longitude <= 180:
        errors.setdefault("base_longitude", []).append(_("A longitude lies between -180 and 180."))
    if row.daily_capacity is not None and not 1 <= row.daily_capacity <= 30:
        errors.setdefault("daily_capacity", []).append(_("From 1 to 30 visits a day."))
    _errors_or_raise(errors)
    row.save()
    return row
