"""Reads for duplicates and merges, filtered to what the user may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import NotFound
from manyi.core.text import name_key
from manyi.customers import access, dedup
from manyi.customers.models import (
    Contact,
    Customer,
    CustomerMerge,
    DuplicatePair,
    PairStatus,
)
from manyi.customers.selectors import customer_check_held


def duplicate_pairs(*, user: User, status: str = PairStatus.OPEN) -> QuerySet[DuplicatePair]:
    """Pairs of live customers the user sees both of, likeliest first."""
    visible = access.visible_customers(user).values("pk")
    return (
        DuplicatePair.objects.filter(status=status, customer_a__in=visible, customer_b__in=visible)
        .select_related("customer_a", "customer_b")
        .order_by("-score", "id")
    )


def duplicate_pair_get(*, user: User, pk: Any) -> DuplicatePair:
    try:
        return duplicate_pairs(user=user).get(pk=int(pk))
    except (TypeError, ValueError, DuplicatePair.DoesNotExist):
        raise NotFound(_("This pair of possible duplicates is not there (any more).")) from None


def merge_history(*, user: User, customer: Customer) -> QuerySet[CustomerMerge]:
    """Merges this customer took part in, newest first."""
    customer_check_held(user=user, customer=customer, include_deleted=True)
    return (
        CustomerMerge.objects.filter(Q(survivor=customer) | Q(other=customer))
        .select_related("survivor", "other", "by", "undone_by")
        .order_by("-at", "-id")
    )


def customer_merge_get(*, user: User, pk: Any) -> CustomerMerge:
    """A merge of customers the user sees one of (deleted ones too: the
    record merged away is deleted)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Merge not found.")) from None
    visible = access.visible_customers(user, include_deleted=True).values("pk")
    merge = CustomerMerge.objects.filter(Q(survivor__in=visible) | Q(other__in=visible), pk=pk).select_related("survivor", "other").first()
    if merge is None:
        raise NotFound(_("Merge not found."))
    return merge


@dataclass(frozen=True)
class ContactPair:
    a: Contact
    b: Contact
    score: float
    reasons: list[str]


def _contact_keys(contact: Contact) -> dedup.Keys:
    return dedup.Keys(mobile=contact.mobile, email=contact.email.lower(), name_key=name_key(contact.name), name_pinyin=contact.name_pinyin)


def contact_duplicates(*, user: User, customer: Customer) -> list[ContactPair]:
    """Contacts of one customer that are likely one person (the same mobile,
    e-mail or name), likeliest first."""
    customer_check_held(user=user, customer=customer)
    contacts = list(Contact.objects.filter(customer=customer, deleted_at__isnull=True).order_by("id"))
    keys = {c.pk: _contact_keys(c) for c in contacts}
    groups: dict[tuple[str, str], list[Contact]] = defaultdict(list)
    for contact in contacts:
        k = keys[contact.pk]
        for code, value in (("mobile", k.mobile), ("email", k.email), ("name", k.name_key), ("pinyin", k.name_pinyin)):
            if value:
                groups[(code, value)].append(contact)
    seen, pairs = set(), []
    for group in groups.values():
        for a, b in combinations(group, 2):
            if (a.pk, b.pk) in seen:
                continue
            seen.add((a.pk, b.pk))
            score, reasons = dedup.contact_score(keys[a.pk], keys[b.pk])
            if score >= dedup.MIN_SCORE:
                pairs.append(ContactPair(a, b, score, reasons))
    return sorted(pairs, key=lambda p: (-p.score, p.a.pk, p.b.pk))

