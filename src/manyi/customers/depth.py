"""Relationship depth (domain §1: awareness → contact → satisfaction → loyalty)
moves with evidence. `depth_after` is the rule, free of Django; `depth_record`
is the one write path, and keeps every move in DepthChange."""

from __future__ import annotations

from django.db import transaction

from manyi.accounts.models import User
from manyi.customers.models import Customer, Depth, DepthChange, DepthEvidence

ORDER = (Depth.AWARENESS, Depth.CONTACT, Depth.SATISFACTION, Depth.LOYALTY)


def _rank(depth: str) -> int:
    return ORDER.index(depth)


def depth_after(current: str, evidence: str) -> str:
    """The depth that `evidence` supports, starting from `current`.

    - a first interaction or purchase: at least contact;
    - a satisfied survey answer: at least satisfaction;
    - a repeat purchase: one step deeper, up to loyalty from satisfaction
      (behaviour confirms an attitude already shown), at least satisfaction;
    - a referral: loyalty;
    - a dissatisfied survey answer: no deeper than contact.
    Manual moves are not decided here.
    """
    rank = _rank(current)
    if evidence in (DepthEvidence.FIRST_INTERACTION, DepthEvidence.FIRST_PURCHASE):
        return ORDER[max(rank, _rank(Depth.CONTACT))]
    if evidence == DepthEvidence.SURVEY_SATISFIED:
        return ORDER[max(rank, _rank(Depth.SATISFACTION))]
    if evidence == DepthEvidence.REPEAT_PURCHASE:
        if rank >= _rank(Depth.SATISFACTION):
            return Depth.LOYALTY
        return Depth.SATISFACTION
    if evidence == DepthEvidence.REFERRAL:
        return Depth.LOYALTY
    if evidence == DepthEvidence.SURVEY_DISSATISFIED:
        return ORDER[min(rank, _rank(Depth.CONTACT))]
    raise ValueError(f"unknown depth evidence {evidence!r}")


def depth_record(*, customer: Customer, evidence: str, by: User | None = None, note: str = "", to: str | None = None) -> DepthChange | None:
    """Move `customer` as `evidence` supports (or to `to` for a manual move)
    and record the move; None when the depth stays."""
    with transaction.atomic():
        locked = Customer.objects.select_for_update().only("id", "depth").get(pk=customer.pk)
        if evidence == DepthEvidence.MANUAL:
            if to not in ORDER:
                raise ValueError(f"unknown depth {to!r}")
            target = to
        else:
            target = depth_after(locked.depth, evidence)
        if target == locked.depth:
            return None
        change = DepthChange.objects.create(
            customer_id=locked.pk, from_depth=locked.depth, to_depth=target, evidence=evidence, note=note[:200], by=by
        )
        Customer.objects.filter(pk=locked.pk).update(depth=target)
        customer.depth = target
        return change
