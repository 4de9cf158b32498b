from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers import access
from manyi.customers.models import Contact, Customer
from manyi.interactions.models import Interaction

FIELDS = ("kind", "direction", "channel", "occurred_at", "subject", "participants", "text", "outcome")


@transaction.atomic
def interaction_create(*, by: User, customer: Customer, data: dict[str, Any]) -> Interaction:
    """Log a visit, call, e-mail, chat, meeting or note on a customer the user can see."""
    if not access.can_log_interaction(by, customer):
        raise PermissionDenied(_("Your role may not log interactions."))
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(data) - set(FIELDS) - {"contact"})
    for name in unknown:
        errors[name] = [_("Unknown field.")]
    item = Interaction(customer=customer, created_by=by)
    for name in FIELDS:
        if name in data and data[name] is not None:
            value = data[name]
            setattr(item, name, value.strip() if isinstance(value, str) else value)
    if item.occurred_at is None:
        item.occurred_at = timezone.now()
    elif item.occurred_at > timezone.now() + timedelta(days=1) and item.kind != "visit":
        errors.setdefault("occurred_at", []).append(_("Only a planned visit can lie in the future."))
    contact = data.get("contact")
    if contact is not None:
        if not isinstance(contact, Contact) or contact.customer_id != customer.pk or contact.deleted_at is not None:
            errors.setdefault("contact", []).append(_("This contact does not belong to the customer."))
        else:
            item.contact = contact
    if not (item.text or item.subject or item.outcome):
        errors.setdefault("text", []).append(_("Write what was said or done."))
    try:
        item.full_clean(exclude=["customer", "contact", "created_by", *errors])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    item.save()
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())
    return item
