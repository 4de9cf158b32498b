"""Every read of customers and contacts, already filtered to what the asking
user may see. A record outside the user's scope is NotFound, never Forbidden:
an outsider learns nothing, not even that it exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import NotFound
from manyi.core.text import normalize_text, phone_search_key, pinyin_key
from manyi.customers import access
from manyi.customers.models import SENSITIVE_FIELDS, ChangeRecord, Contact, Customer, Tag

SORTS = {
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "grade": ("grade", "-updated_at", "-id"),
    "-grade": ("-grade", "-updated_at", "-id"),
}
DEFAULT_SORT = "-updated"


@dataclass
class CustomerFilters:
    q: str = ""
    kind: str = ""
    category: str = ""
    importance: str = ""
    grade: str = ""
    depth: str = ""
    tag: str = ""
    owner: int | None = None
    sort: str = DEFAULT_SORT
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def search_q(query: str) -> Q:
    """Name prefix, full pinyin or initials prefix (张三 ← 'zhangsan', 'zs'),
    phone prefix, e-mail prefix, tag name. Each term uses an index."""
    q = normalize_text(query)
    if not q:
        return Q()
    cond = Q(name__prefix=q) | Q(name__contains=q) if len(q) >= 2 and not q.isascii() else Q(name__prefix=q)
    key = pinyin_key(q)
    if key and q.replace(" ", "").isascii():
        cond |= Q(name_pinyin__prefix=key) | Q(name_initials__prefix=key)
    phone = phone_search_key(q)
    if phone:
        cond |= Q(mobile__prefix=phone) | Q(phone__prefix=phone)
    if "@" in q:
        cond |= Q(email__prefix=q.lower())
    tag_ids = list(Tag.objects.filter(name=q).values_list("id", flat=True)[:1])
    if tag_ids:
        cond |= Q(pk__in=Customer.tags.through.objects.filter(tag_id=tag_ids[0]).values("customer_id"))
    return cond


def customer_list(*, user: User, filters: CustomerFilters | None = None) -> QuerySet[Customer]:
    f = filters or CustomerFilters()
    if f.deleted:
        if not user.is_admin:
            return Customer.objects.none()
        qs = access.visible_customers(user, include_deleted=True).filter(deleted_at__isnull=False)
    else:
        qs = access.visible_customers(user)
    if f.q:
        qs = qs.filter(search_q(f.q))
    for name in ("kind", "category", "importance", "grade", "depth"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    if f.owner:
        qs = qs.filter(owner_id=f.owner)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    order = SORTS.get(f.sort) or SORTS[DEFAULT_SORT]
    return qs.select_related("owner").order_by(*order)


def customer_get(*, user: User, pk: Any, include_deleted: bool = False) -> Customer:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Customer not found.")) from None
    scope = access.visible_customers(user, include_deleted=include_deleted and user.is_admin)
    customer = scope.select_related("owner", "team").prefetch_related("tags").filter(pk=pk).first()
    if customer is None:
        raise NotFound(_("Customer not found."))
    return customer


def customer_profile(*, user: User, customer: Customer) -> dict[str, Any]:
    """Field values as this user may read them: sensitive fields are blank
    unless the user is the owner, their manager or an administrator."""
    hidden = () if access.can_see_sensitive(user, customer) else SENSITIVE_FIELDS
    return {"hidden": hidden, "can_see_sensitive": not hidden}


def contact_list(*, user: User, customer: Customer) -> QuerySet[Contact]:
    """Contacts of a customer the caller has already fetched through customer_get."""
    customer_get(user=user, pk=customer.pk)
    return customer.contacts.filter(deleted_at__isnull=True).order_by("-is_key_person", "name_pinyin")


def contact_search(*, user: User, q: str = "", customer_id: int | None = None) -> QuerySet[Contact]:
    qs = Contact.objects.filter(deleted_at__isnull=True, customer__in=access.visible_customers(user)).select_related("customer")
    if customer_id:
        qs = qs.filter(customer_id=customer_id)
    q = normalize_text(q)
    if q:
        key = pinyin_key(q)
        cond = Q(name__prefix=q)
        if key and q.isascii():
            cond |= Q(name_pinyin__prefix=key) | Q(name_initials__prefix=key)
        phone = phone_search_key(q)
        if phone:
            cond |= Q(mobile__prefix=phone)
        qs = qs.filter(cond)
    return qs.order_by("customer_id", "-is_key_person", "name_pinyin")


def contact_get(*, user: User, pk: Any) -> Contact:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("Contact not found.")) from None
    contact = (
        Contact.objects.filter(pk=pk, deleted_at__isnull=True, customer__in=access.visible_customers(user))
        .select_related("customer", "customer__owner")
        .first()
    )
    if contact is None:
        raise NotFound(_("Contact not found."))
    return contact


def change_history(*, user: User, customer: Customer, limit: int | None = None) -> list[ChangeRecord]:
    """Changes to the customer and its contacts, newest first, with sensitive
    values masked for users who may not read them."""
    customer_get(user=user, pk=customer.pk, include_deleted=True)
    qs = ChangeRecord.objects.filter(customer=customer).select_related("actor", "contact")
    if limit:
        qs = qs[:limit]
    records = list(qs)
    if not access.can_see_sensitive(user, customer):
        for record in records:
            record.changes = [
                {**c, "old": "•••" if c["old"] else "", "new": "•••" if c["new"] else ""} if c["field"] in SENSITIVE_FIELDS else c
                for c in record.changes
            ]
    return records


def customer_with_grants(*, user: User, customer: Customer) -> dict[str, list[User]]:
    grants = customer.access_grants.select_related("user").order_by("kind", "user__username")
    out: dict[str, list[User]] = {"shared": [], "service": []}
    for g in grants:
        out[g.kind].append(g.user)
    return out


def tag_list(*, user: User) -> QuerySet[Tag]:
    """Tags in use on customers the user can see."""
    return Tag.objects.filter(customers__in=access.visible_customers(user)).distinct().order_by("name")


def home_customers(*, user: User, limit: int = 8) -> QuerySet[Customer]:
    return access.visible_customers(user).select_related("owner").order_by("-updated_at", "-id")[:limit]

