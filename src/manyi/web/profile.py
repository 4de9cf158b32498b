"""How a customer's profile is grouped on the form and on the 360° page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from manyi.core.text import format_phone
from manyi.customers.models import SENSITIVE_FIELDS, Customer

PHONE_FIELDS = {"phone", "mobile", "fax"}


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    fields: tuple[str, ...]
    kind: str = ""  # only shown for this customer kind


CUSTOMER_GROUPS = (
    Group("basics", _("Basics"), ("kind", "name", "category", "owner", "tags")),
    Group("classification", _("Classification"), ("importance", "grade", "depth")),
    Group("channels", _("Contact channels"), (
        "mobile", "phone", "fax", "email", "wechat", "website", "province", "city", "address", "postal_code",
        "latitude", "longitude",
    )),
    Group("enterprise", _("Enterprise profile"), (
        "credit_code", "enterprise_type", "ownership", "industry", "registered_capital", "market_value",
        "employee_count", "annual_sales", "business_volume", "leader_name", "leader_background",
        "marketing_head", "purchasing_head",
    ), kind="enterprise"),
    Group("individual", _("Individual profile"), (
        "gender", "birthday", "birthday_calendar", "western_festivals", "marital_status", "occupation", "position", "professional_title", "income_level",
        "education", "resume", "family_notes", "health_notes", "preferences", "lifestyle", "purchase_story",
    ), kind="individual"),
    Group("personality", _("Personality and style"), ("social_style", "temperament")),
    Group("notes", _("Notes"), ("notes",)),
)  # fmt: skip

CONTACT_GROUPS = (
    Group("person", _("Person"), ("name", "gender", "title", "department", "birthday", "birthday_calendar")),
    Group("channels", _("Contact channels"), ("mobile", "phone", "email", "wechat")),
    Group("role", _("Role in decisions"), ("is_key_person", "key_role", "influence")),
    Group("personality", _("Personality and style"), ("social_style", "temperament")),
    Group("notes", _("Notes"), ("notes",)),
)

# Shown in the header of the 360° page rather than in a profile section.
HEADER_FIELDS = {"kind", "name", "owner", "tags", "importance", "grade", "depth", "social_style", "temperament", "notes"}
LONG_TEXT = {
    "notes", "leader_background", "resume", "family_notes", "health_notes", "preferences", "lifestyle", "purchase_story",
}  # fmt: skip


@dataclass
class Row:
    name: str
    label: str
    value: object
    long: bool = False
    sensitive: bool = False


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)


def _value(instance, name: str):
    value = getattr(instance, name)
    if value in (None, ""):
        return None
    display = getattr(instance, f"get_{name}_display", None)
    if display is not None:
        return display()
    if name in PHONE_FIELDS:
        return format_phone(value)
    return value


def profile_sections(customer: Customer, *, hidden: tuple[str, ...] = ()) -> list[Section]:
    """Filled-in fields of the customer, grouped; hidden (sensitive) fields left out."""
    sections = []
    for group in CUSTOMER_GROUPS:
        if group.kind and group.kind != customer.kind:
            continue
        section = Section(group.key, group.title)
        for name in group.fields:
            if name in HEADER_FIELDS or name in hidden:
                continue
            value = _value(customer, name)
            if value is not None:
                label = Customer._meta.get_field(name).verbose_name
                section.rows.append(Row(name, label, value, name in LONG_TEXT, name in SENSITIVE_FIELDS))
        if section.rows:
            sections.append(section)
    return sections

