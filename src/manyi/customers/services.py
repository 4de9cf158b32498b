"""Every write to customers and contacts. Pages, the API, commands and tasks
all call these functions: one write path per action."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.core.text import (
    PhoneError,
    name_key,
    name_keys,
    normalize_phone,
    normalize_text,
)
from manyi.customers import access
from manyi.customers.models import (
    SENSITIVE_FIELDS,
    AccessKind,
    ChangeAction,
    ChangeRecord,
    Contact,
    Customer,
    CustomerAccess,
    Depth,
    DepthChange,
    DepthEvidence,
    Tag,
)

CUSTOMER_FIELDS = (
    "kind", "name", "category", "importance", "grade", "depth", "notes", "social_style", "temperament",
    "phone", "mobile", "fax", "email", "wechat", "website", "province", "city", "address", "postal_code",
    "latitude", "longitude", "credit_code", "enterprise_type", "ownership", "industry", "registered_capital", "market_value",
    "employee_count", "leader_name", "leader_background", "marketing_head", "purchasing_head",
    "annual_sales", "business_volume",
    "gender", "birthday", "birthday_calendar", "western_festivals", "marital_status", "family_notes", "occupation", "position", "professional_title",
    "income_level", "education", "resume", "health_notes", "preferences", "lifestyle", "purchase_story",
)  # fmt: skip
CONTACT_FIELDS = (
    "name", "gender", "title", "department", "phone", "mobile", "email", "wechat", "birthday", "birthday_calendar",
    "is_key_person", "key_role", "influence", "social_style", "temperament", "notes",
)  # fmt: skip
PHONE_FIELDS = ("phone", "mobile", "fax")
MAX_TAGS = 20


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def _apply(instance, data: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, list[str]]:
    """Copy known fields from data onto instance, normalising text and phones.
    Returns field errors found before model validation."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(allowed) - {"tags", "owner"})
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    for name in allowed:
        if name not in data:
            continue
        value = data[name]
        kind = instance._meta.get_field(name).get_internal_type()
        if isinstance(value, str):
            # Free text keeps its inner spacing and line breaks; one-line fields are normalised.
            value = value.strip() if kind == "TextField" else normalize_text(value)
        if value is None and kind in ("CharField", "TextField", "EmailField", "URLField"):
            value = ""
        if name in PHONE_FIELDS and value:
            message = phone_error(value)
            if message:
                errors.setdefault(name, []).append(message)
                continue
            value = normalize_phone(value)
        if name == "email" and value:
            value = value.lower()
        if name == "credit_code" and value:
            value = value.upper()
        setattr(instance, name, value)
    return errors


def _validate(instance, errors: dict[str, list[str]], *, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude + list(errors), validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)


def phone_error(value: str) -> str | None:
    """Why a phone number is refused, or None; forms ask too, so that every
    error shows in one round."""
    try:
        normalize_phone(value)
    except PhoneError:
        return _("“%(value)s” is not a valid phone number; use e.g. 138 1234 5678 or 010-8888 6666.") % {"value": value}
    return None


def credit_code_error(code: str) -> str | None:
    if code and (len(code) != 18 or not code.isalnum()):
        return _("A unified social credit code has 18 letters and digits.")
    return None


def _validate_credit_code(customer: Customer, errors: dict[str, list[str]]) -> None:
    message = credit_code_error(customer.credit_code)
    if message:
        errors.setdefault("credit_code", []).append(message)


def _validate_coordinates(customer: Customer, errors: dict[str, list[str]]) -> None:
    """A place is both its latitude and its longitude, or neither."""
    if (customer.latitude is None) != (customer.longitude is None) and "latitude" not in errors and "longitude" not in errors:
        missing = "longitude" if customer.longitude is None else "latitude"
        errors.setdefault(missing, []).append(_("Give both the latitude and the longitude, or neither."))


def _snapshot(instance, fields: tuple[str, ...]) -> dict[str, str]:
    return {f: _display(getattr(instance, f)) for f in fields}


def _diff(model, before: dict[str, str], after: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for field, old in before.items():
        new = after.get(field, "")
        if old != new:
            if field == "owner":
                label = str(_("owner"))
            elif field == "tags":
                label = str(_("tags"))
            else:
                label = str(model._meta.get_field(field).verbose_name)
            out.append({"field": field, "label": label, "old": old, "new": new})
    return out


def _clean_tags(names: Any, errors: dict[str, list[str]]) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str):
        names = [n for n in names.replace("，", ",").split(",")]
    clean = []
    for n in names:
        n = normalize_text(str(n))
        if not n:
            continue
        if len(n) > 40:
            errors.setdefault("tags", []).append(_("Tag “%(tag)s…” is longer than 40 characters.") % {"tag": n[:20]})
            continue
        if n not in clean:
            clean.append(n)
    if len(clean) > MAX_TAGS:
        errors.setdefault("tags", []).append(_("At most %(n)d tags.") % {"n": MAX_TAGS})
    return clean


def _set_tags(customer: Customer, names: list[str]) -> None:
    tags = []
    for n in names:
        tag, _created = Tag.objects.get_or_create(name=n)
        tags.append(tag)
    customer.tags.set(tags)


def _tag_string(customer: Customer) -> str:
    return ", ".join(sorted(t.name for t in customer.tags.all())) if customer.pk else ""


def _set_search_keys(record: Customer | Contact) -> None:
    """Pinyin and initials for search; only their start is matched, so they are
    cut to the column (a 200-character name spells up to 1,200 letters)."""
    meta = record._meta
    pinyin, initials = name_keys(record.name)
    record.name_pinyin = pinyin[: meta.get_field("name_pinyin").max_length]
    record.name_initials = initials[: meta.get_field("name_initials").max_length]
    if isinstance(record, Customer):
        record.name_key = name_key(record.name)[: meta.get_field("name_key").max_length]


def _resolve_owner(by: User, owner: User | None, errors: dict[str, list[str]]) -> User:
    if owner is None or owner == by:
        return by
    if not access.assignable_owners(by).filter(pk=owner.pk).exists():
        errors.setdefault("owner", []).append(_("You cannot assign customers to %(user)s.") % {"user": owner})
        return by
    return owner


@transaction.atomic
def customer_create(*, by: User, data: dict[str, Any]) -> Customer:
    if not access.can_create_customers(by):
        raise PermissionDenied(_("Your role may not create customers."))
    customer = Customer()
    errors = _apply(customer, data, CUSTOMER_FIELDS)
    tags = _clean_tags(data.get("tags"), errors)
    customer.owner = _resolve_owner(by, data.get("owner"), errors)
    customer.team_id = customer.owner.team_id
    _validate_credit_code(customer, errors)
    _validate_coordinates(customer, errors)
    _validate(customer, errors, exclude=["owner", "team"])
    _set_search_keys(customer)
    customer.save()
    if tags:
        _set_tags(customer, tags)
    after = _snapshot(customer, CUSTOMER_FIELDS)
    after["tags"] = ", ".join(sorted(tags or []))
    changes = _diff(Customer, {k: "" for k in after}, after)
    ChangeRecord.objects.create(customer=customer, actor=by, action=ChangeAction.CREATED, changes=changes)
    if customer.depth != Depth.AWARENESS:
        DepthChange.objects.create(customer=customer, from_depth=Depth.AWARENESS, to_depth=customer.depth, evidence=DepthEvidence.MANUAL, by=by)
    return customer


@transaction.atomic
def customer_update(*, by: User, customer: Customer, data: dict[str, Any]) -> Customer:
    if not access.can_edit(by, customer):
        raise PermissionDenied(_("You may not change this customer."))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    fields = CUSTOMER_FIELDS
    if not access.can_see_sensitive(by, customer):
        data = {k: v for k, v in data.items() if k not in SENSITIVE_FIELDS}
    before = _snapshot(customer, fields)
    depth_before = customer.depth
    before["owner"] = str(customer.owner)
    before["tags"] = _tag_string(customer)
    errors = _apply(customer, data, fields)
    tags = _clean_tags(data.get("tags"), errors)
    if "owner" in data and data["owner"] is not None and data["owner"].pk != customer.owner_id:
        if not access.can_assign_owner(by):
            errors.setdefault("owner", []).append(_("Only a manager can hand a customer to someone else."))
        else:
            customer.owner = _resolve_owner(by, data["owner"], errors)
            customer.team_id = customer.owner.team_id
    _validate_credit_code(customer, errors)
    _validate_coordinates(customer, errors)
    _validate(customer, errors, exclude=["owner", "team"])
    _set_search_keys(customer)
    if (customer.grade, customer.importance) != (before["grade"], before["importance"]):
        # A person chose them: the grades proposed from value leave them alone.
        customer.grade_manual = True
    customer.save()
    if tags is not None:
        _set_tags(customer, tags)
    after = _snapshot(customer, fields)
    after["owner"] = str(customer.owner)
    after["tags"] = _tag_string(customer)
    changes = _diff(Customer, before, after)
    if changes:
        ChangeRecord.objects.create(customer=customer, actor=by, action=ChangeAction.UPDATED, changes=changes)
    if customer.depth != depth_before:
        DepthChange.objects.create(customer=customer, from_depth=depth_before, to_depth=customer.depth, evidence=DepthEvidence.MANUAL, by=by)
    return customer


@transaction.atomic
def customer_delete(*, by: User, customer: Customer) -> None:
    """Soft delete: the customer disappears from every list; an administrator can restore it."""
    if not access.can_edit(by, customer):
        raise PermissionDenied(_("You may not delete this customer."))
    customer.refresh_from_db(fields=["deleted_at"])
    if customer.deleted_at is not None:
        return
    customer.deleted_at = timezone.now()
    customer.deleted_by = by
    Customer.objects.filter(pk=customer.pk).update(deleted_at=customer.deleted_at, deleted_by=by)
    ChangeRecord.objects.create(customer=customer, actor=by, action=ChangeAction.DELETED, changes=[])


@transaction.atomic
def customer_restore(*, by: User, customer: Customer) -> Customer:
    if not by.is_admin:
        raise PermissionDenied(_("Only an administrator can restore a deleted customer."))
    customer.refresh_from_db(fields=["deleted_at"])
    if customer.deleted_at is None:
        raise ValidationFailed(_("This customer is not deleted."), code="not_deleted")
    Customer.objects.filter(pk=customer.pk).update(deleted_at=None, deleted_by=None)
    ChangeRecord.objects.create(customer=customer, actor=by, action=ChangeAction.RESTORED, changes=[])
    customer.refresh_from_db()
    return customer


@transaction.atomic
def customer_grant_access(*, by: User, customer: Customer, user: User, kind: str) -> CustomerAccess:
    """Share a customer with a rep or assign a service agent to it."""
    if not access.can_edit(by, customer):
        raise PermissionDenied(_("You may not share this customer."))
    if kind not in AccessKind.values:
        raise ValidationFailed(_("Unknown access kind."), fields={"kind": [_("Choose shared or service.")]})
    grant, created = CustomerAccess.objects.get_or_create(customer=customer, user=user, kind=kind)
    if created:
        ChangeRecord.objects.create(
            customer=customer, actor=by, action=ChangeAction.UPDATED,
            changes=[{"field": f"access:{kind}", "label": str(AccessKind(kind).label), "old": "", "new": str(user)}],
        )  # fmt: skip
    return grant


@transaction.atomic
def customer_revoke_access(*, by: User, customer: Customer, user: User, kind: str) -> None:
    if not access.can_edit(by, customer):
        raise PermissionDenied(_("You may not change sharing of this customer."))
    deleted, _n = CustomerAccess.objects.filter(customer=customer, user=user, kind=kind).delete()
    if deleted:
        ChangeRecord.objects.create(
            customer=customer, actor=by, action=ChangeAction.UPDATED,
            changes=[{"field": f"access:{kind}", "label": str(AccessKind(kind).label), "old": str(user), "new": ""}],
        )  # fmt: skip


def _check_contact_parent(by: User, customer: Customer) -> None:
    if not access.can_edit(by, customer):
        raise PermissionDenied(_("You may not change the contacts of this customer."))


@transaction.atomic
def contact_create(*, by: User, customer: Customer, data: dict[str, Any]) -> Contact:
    _check_contact_parent(by, customer)
    contact = Contact(customer=customer)
    errors = _apply(contact, data, CONTACT_FIELDS)
    _validate(contact, errors, exclude=["customer"])
    _set_search_keys(contact)
    contact.save()
    after = _snapshot(contact, CONTACT_FIELDS)
    ChangeRecord.objects.create(
        customer=customer, contact=contact, actor=by, action=ChangeAction.CREATED,
        changes=_diff(Contact, {k: "" for k in after}, after),
    )  # fmt: skip
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())
    return contact


@transaction.atomic
def contact_update(*, by: User, contact: Contact, data: dict[str, Any]) -> Contact:
    _check_contact_parent(by, contact.customer)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    before = _snapshot(contact, CONTACT_FIELDS)
    errors = _apply(contact, data, CONTACT_FIELDS)
    _validate(contact, errors, exclude=["customer"])
    _set_search_keys(contact)
    contact.save()
    changes = _diff(Contact, before, _snapshot(contact, CONTACT_FIELDS))
    if changes:
        ChangeRecord.objects.create(customer=contact.customer, contact=contact, actor=by, action=ChangeAction.UPDATED, changes=changes)
    return contact


@transaction.atomic
def contact_delete(*, by: User, contact: Contact) -> None:
    _check_contact_parent(by, contact.customer)
    if contact.deleted_at is not None:
        return
    Contact.objects.filter(pk=contact.pk).update(deleted_at=timezone.now())
    ChangeRecord.objects.create(customer=contact.customer, contact=contact, actor=by, action=ChangeAction.DELETED, changes=[])


def customer_keys_backfill(*, chunk: int = 5000) -> int:
    """Give customers saved before name keys existed their key; returns how
    many were filled. Cheap when none is missing (one indexed lookup)."""
    filled = 0
    limit = Customer._meta.get_field("name_key").max_length
    while True:
        rows = list(Customer.objects.filter(name_key="").values_list("pk", "name")[:chunk])
        if not rows:
            return filled
        with transaction.atomic():
            for pk, name in rows:
                # A name of only punctuation still gets a key, so the loop ends.
                Customer.objects.filter(pk=pk).update(name_key=name_key(name)[:limit] or "-")
        filled += len(rows)
