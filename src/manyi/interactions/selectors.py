from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
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
from manyi.interactions.models import Interaction


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
        .select_related("customer", "contact", "created_by")
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


@dataclass
class CustomerOverview:
    contacts: list[Contact]
    timeline: list[TimelineEntry]
    grants: dict[str, list[User]]
    grant_choices: list[tuple[int, str]] | None


def customer_overview(*, user: User, customer: Customer, limit: int, grant_choices: bool) -> CustomerOverview:
    """The 360° page's reads of a customer: its contacts, the newest `limit`
    timeline entries, who it is shared with and, for who may share it, with
    whom it can be. The five queries are sent together (read_together): on
    PostgreSQL, waiting for each in turn cost the page more than running them."""
    customer_check_held(user=user, customer=customer)
    reads = [contacts_read(customer), _NEWEST.read(limit, customer=customer.pk), newest_changes_read(customer, limit), grantees_read(customer)]
    if grant_choices:
        reads.append(grant_choices_read(customer))
    contacts, items, changes, grantees, *choices = read_together(*reads)
    changes = masked_changes(user=user, customer=customer, records=changes)
    return CustomerOverview(
        contacts=contacts,
        timeline=_entries(items, changes, contacts, limit),
        grants=grants_by_kind(grantees),
        grant_choices=[(person.pk, person.name) for person in choices[0]] if grant_choices else None,
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


def recent_interactions(*, user: User, limit: int = 10) -> QuerySet[Interaction]:
    """The newest interactions on customers the user can see."""
    qs = Interaction.objects.filter(customer__in=access.visible_customers(user))
    return qs.select_related("customer", "created_by").order_by("-occurred_at", "-id")[:limit]
