from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.accounts.selectors import name_columns_of, person_of
from manyi.core.errors import NotFound
from manyi.core.queries import QueryTemplate, read_together
from manyi.customers import access
from manyi.customers.models import ChangeRecord, Contact, Customer
from manyi.customers.selectors import (
    change_history,
    contacts_read,
    customer_check_held,
    customer_get,
    grant_choices_read,
    grantees_read,
    grants_by_kind,
    masked_changes,
    newest_changes_read,
)
from manyi.interactions.models import EmotionReading, Escalation, Interaction, Polarity


@dataclass
class InteractionFilters:
    customer_id: int | None = None
    kind: str = ""
    direction: str = ""
    since: datetime | None = None
    until: datetime | None = None


def interaction_list(*, user: User, filters: InteractionFilters | None = None) -> QuerySet[Interaction]:
    f = filters or InteractionFilters()
    if f.customer_id:
        customer = customer_get(user=user, pk=f.customer_id)
        qs = Interaction.objects.filter(customer=customer)
    else:
        qs = Interaction.objects.filter(customer__in=access.visible_customers(user))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.direction:
        qs = qs.filter(direction=f.direction)
    if f.since:
        qs = qs.filter(occurred_at__gte=f.since)
    if f.until:
        qs = qs.filter(occurred_at__lt=f.until)
    return qs.select_related("customer", "contact", "created_by").order_by("-occurred_at", "-id")


def interaction_get(*, user: User, pk: Any) -> Interaction:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Interaction not found.")) from None
    item = (
        Interaction.objects.filter(pk=pk, customer__in=access.visible_customers(user))
        .select_related("customer", "contact", "created_by", "emotion")
        .first()
    )
    if item is None:
        raise NotFound(_("Interaction not found."))
    return item


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # "interaction" | "change"
    interaction: Interaction | None = None
    change: ChangeRecord | None = None


def _newest(customer: Any, *, limit: int, before: datetime | None = None) -> QuerySet[Interaction]:
    qs = Interaction.objects.filter(customer_id=customer).annotate(**name_columns_of("created_by"))
    if before is not None:
        qs = qs.filter(occurred_at__lt=before)
    return qs.order_by("-occurred_at", "-id")[:limit]


# The newest interactions of a customer, compiled once per page size (see QueryTemplate).
_NEWEST = QueryTemplate("customer", build=lambda limit, customer: _newest(customer, limit=limit))


def customer_timeline(
    *, user: User, customer: Customer, limit: int = 50, before: datetime | None = None, contacts: list[Contact] | None = None
) -> list[TimelineEntry]:
    """Interactions and change history of one customer, newest first.

    Related rows are attached afterwards, not joined: with a join between the
    index and the LIMIT, SQLite sorts all of a customer's interactions
    (thousands for a key account) instead of stopping after `limit`. The
    names of the people who logged or changed something come as subqueries;
    contacts from `contacts` (the customer's, when the caller has them) or
    one query."""
    customer_check_held(user=user, customer=customer)
    if before is None:
        items = _NEWEST.raw(limit, customer=customer.pk)
    else:
        items = list(_newest(customer.pk, limit=limit, before=before))
    changes = change_history(user=user, customer=customer, limit=limit, before=before, related=False)
    return _entries(items, changes, contacts, limit)


def _entries(items: list[Interaction], changes: list[ChangeRecord], contacts: list[Contact] | None, limit: int) -> list[TimelineEntry]:
    _attach(items, changes, contacts)
    entries = [TimelineEntry(at=i.occurred_at, kind="interaction", interaction=i) for i in items]
    entries += [TimelineEntry(at=c.at, kind="change", change=c) for c in changes]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


# The 360° page's emotion trend: a customer's newest readings, at most this many.
TREND_READINGS = 60


def _newest_readings(customer: Any, *, limit: int) -> QuerySet[EmotionReading]:
    """A customer's newest readings with the words they read (their
    interaction's subject and text, as subqueries: a join before the LIMIT
    lets SQLite sort every reading of the customer)."""
    source = Interaction.objects.filter(pk=OuterRef("interaction_id"))
    return (
        EmotionReading.objects.filter(customer_id=customer)
        .defer("emotions", "intensity", "model_version", "created_at")
        .annotate(source_subject=Subquery(source.values("subject")[:1]), source_text=Subquery(source.values("text")[:1]))
        .order_by("-occurred_at", "-id")[:limit]
    )


_NEWEST_READINGS = QueryTemplate("customer", build=lambda limit, customer: _newest_readings(customer, limit=limit))


@dataclass
class CustomerOverview:
    contacts: list[Contact]
    timeline: list[TimelineEntry]
    grants: dict[str, list[User]]
    grant_choices: list[tuple[int, str]] | None
    readings: list[EmotionReading] = field(default_factory=list)


def customer_overview(*, user: User, customer: Customer, limit: int, grant_choices: bool, readings: int = TREND_READINGS) -> CustomerOverview:
    """The 360° page's reads of a customer: its contacts, the newest `limit`
    timeline entries, who it is shared with, its newest `readings` emotion
    readings and, for who may share it, with whom it can be. The six queries
    are sent together (read_together): on PostgreSQL, waiting for each in
    turn cost the page more than running them."""
    customer_check_held(user=user, customer=customer)
    reads = [
        contacts_read(customer), _NEWEST.read(limit, customer=customer.pk), newest_changes_read(customer, limit), grantees_read(customer),
        _NEWEST_READINGS.read(readings, customer=customer.pk),
    ]  # fmt: skip
    if grant_choices:
        reads.append(grant_choices_read(customer))
    contacts, items, changes, grantees, newest_readings, *choices = read_together(*reads)
    changes = masked_changes(user=user, customer=customer, records=changes)
    return CustomerOverview(
        contacts=contacts,
        timeline=_entries(items, changes, contacts, limit),
        grants=grants_by_kind(grantees),
        grant_choices=[(person.pk, person.name) for person in choices[0]] if grant_choices else None,
        readings=newest_readings,
    )


def _attach(items: list[Interaction], changes: list[ChangeRecord], contacts: list[Contact] | None) -> None:
    known = {c.pk: c for c in contacts or ()}
    contact_ids = {i.contact_id for i in items} | {c.contact_id for c in changes}
    missing = contact_ids - set(known) - {None}
    if missing:
        known.update(Contact.objects.in_bulk(missing))
    for i in items:
        i.created_by = person_of(i, "created_by")
        i.contact = known.get(i.contact_id)
    for c in changes:
        c.actor = person_of(c, "actor")
        c.contact = known.get(c.contact_id)


# How many of the newest interactions of all the home page walks before it
# looks a user's customers up one by one.
RECENT_WALK = 20_000


def recent_interactions(*, user: User, limit: int = 10) -> list[Interaction]:
    """The newest interactions on customers the user can see.

    The newest RECENT_WALK interactions of all are walked newest first (index
    inter_time) and each one's customer checked until `limit` are found: as
    `customer IN (...)`, both databases read and sorted every interaction of
    every visible customer (an administrator's home page took 100 s with
    10,000,000 interactions, a rep's with 3,359 customers 0.3 s). Only who
    sees too few customers to fill the page in that walk has them looked up
    customer by customer (inter_customer_time): few customers, few rows."""
    visible = access.visible_customers(user)
    qs = Interaction.objects.select_related("customer", "created_by").order_by("-occurred_at", "-id")
    # (NULL when there are fewer interactions than that: the lookup below then answers)
    bound = Interaction.objects.order_by("-occurred_at", "-id").values("occurred_at")[RECENT_WALK - 1 : RECENT_WALK]
    items = list(qs.filter(occurred_at__gte=Subquery(bound)).filter(Exists(visible.filter(pk=OuterRef("customer_id"))))[:limit])
    if len(items) == limit:
        return items
    return list(qs.filter(customer__in=visible)[:limit])


# Customers at risk (the home page): a high escalation risk read in the last
# RISK_DAYS, or STREAK negative readings in a row, the newest of them in the
# last STREAK_DAYS (an old streak is not today's risk).
RISK_DAYS = 7
STREAK = 3
STREAK_DAYS = 30
# How many of the newest risky readings are looked at: enough for a page of
# customers, bounded for a manager of thousands.
RISK_WALK = 200


@dataclass
class CustomerAtRisk:
    customer_id: int
    name: str
    at: datetime  # the newest reading that put the customer here
    cues: list[str] = field(default_factory=list)  # the words behind a high risk
    high: bool = False  # a high escalation risk in the last RISK_DAYS
    streak: bool = False  # the last STREAK readings are all negative


def customers_at_risk(*, user: User, limit: int = 10, now: datetime | None = None) -> list[CustomerAtRisk]:
    """Customers the user can see who are at risk today, newest first (see RISK_DAYS)."""
    now = now or timezone.now()
    found: dict[int, CustomerAtRisk] = {}
    high = (
        _risky_readings(user, since=now - timedelta(days=RISK_DAYS), walk=True, escalation=Escalation.HIGH)
        .values_list("customer_id", "occurred_at", "evidence")[:RISK_WALK]
    )
    for customer_id, at, evidence in high:
        entry = found.setdefault(customer_id, CustomerAtRisk(customer_id, "", at, high=True))
        for item in evidence:
            if item.get("points_to", "").startswith("escalation:") and item.get("text") not in entry.cues and len(entry.cues) < 3:
                entry.cues.append(item["text"])
    negative = (
        _risky_readings(user, since=now - timedelta(days=STREAK_DAYS), walk=not access.sees_own_and_granted_only(user), polarity=Polarity.NEGATIVE)
        .values_list("customer_id", flat=True)
    )
    for customer_id, at in _negative_streaks(list(dict.fromkeys(negative[:RISK_WALK]))):
        entry = found.setdefault(customer_id, CustomerAtRisk(customer_id, "", at))
        entry.streak = True
        entry.at = max(entry.at, at)
    entries = sorted(found.values(), key=lambda e: (e.at, e.customer_id), reverse=True)[:limit]
    if entries:
        names = dict(Customer.objects.filter(pk__in=[e.customer_id for e in entries]).values_list("id", "name"))
        for entry in entries:
            entry.name = names.get(entry.customer_id, "")
    return entries


def _risky_readings(user: User, *, since: datetime, walk: bool, **condition: Any) -> QuerySet[EmotionReading]:
    """Readings since `since` that meet `condition`, of customers the user can
    see, newest first. With `walk`, the partial index of the condition is
    walked newest first and each reading's customer checked (EXISTS) until
    the LIMIT is met: right for a team's or everyone's customers, and for
    anyone's high risks (a week's are few). Without, each visible customer
    is looked up in emotion_customer_time: right for a rep's or an agent's
    few thousand customers and a month of negative readings. As
    `customer IN (...)` for everyone, SQLite probed the index once for each
    of a million customers for the administrator."""
    readings = EmotionReading.objects.filter(occurred_at__gte=since, **condition).order_by("-occurred_at", "-id")
    visible = access.visible_customers(user)
    if walk:
        return readings.filter(Exists(visible.filter(pk=OuterRef("customer_id"))))
    return readings.filter(customer__in=visible)


def _negative_streaks(customer_ids: list[int]) -> list[tuple[int, datetime]]:
    """Of these customers, those whose newest STREAK readings are all
    negative, with the time of the newest. Each customer's newest readings
    are looked up in emotion_customer_time, STREAK at most (correlated
    subqueries): a window over all their readings read every reading of a
    customer with thousands."""
    if not customer_ids:
        return []
    newest = EmotionReading.objects.filter(customer_id=OuterRef("pk")).order_by("-occurred_at", "-id")
    rows = (
        Customer.objects.filter(pk__in=customer_ids)
        .annotate(at=Subquery(newest.values("occurred_at")[:1]), **{f"p{k}": Subquery(newest.values("polarity")[k : k + 1]) for k in range(STREAK)})
        .values_list("pk", "at", *(f"p{k}" for k in range(STREAK)))
    )
    return [(customer_id, at) for customer_id, at, *polarities in rows if all(p == Polarity.NEGATIVE for p in polarities)]
