"""The two-level taxonomy of why customers are dissatisfied (客户不满的原因,
domain §4), with the same "group/detail" codes the emotion engine reads
(manyi.emotion.lexicon.CAUSES), so a reading's cause can be offered as the
complaint's."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

GROUPS = {
    "product": (_("Product"), {
        "manufacturing": _("Manufacturing quality"),
        "handling": _("Retailer's or shipper's handling"),
        "use": _("The customer's own use"),
    }),
    "service": (_("Service"), {
        "manner": _("Manner and method"),
        "attitude": _("Attitude"),
        "environment": _("Environment"),
        "staff": _("Staff quality and behaviour"),
    }),
    "advertising": (_("Advertising"), {"misleading": _("Misleading claims")}),
    "price": (_("Price"), {"overcharge": _("Overcharged")}),
    "delivery": (pgettext_lazy("cause", "Delivery"), {"late": _("Late delivery")}),
    "quote": (_("Quote"), {"dishonest": _("Dishonest quote")}),
    "promise": (_("Promises"), {"broken": _("Broken promise")}),
    "work": (_("Quality of work"), {"quality": _("Poor workmanship"), "errors": _("Errors in execution")}),
    "communication": (_("Communication"), {"insufficient": _("Insufficient communication")}),
}  # fmt: skip

CODES: frozenset[str] = frozenset(f"{group}/{detail}" for group, (_label, details) in GROUPS.items() for detail in details)


def label(code: str) -> str:
    """"Product · Manufacturing quality" for "product/manufacturing"; "" for ""."""
    if not code:
        return ""
    group, _sep, detail = code.partition("/")
    if group not in GROUPS:
        return code
    name, details = GROUPS[group]
    return f"{name} · {details[detail]}" if detail in details else str(name)


def choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a <select>: [(group label, [(code, detail label)])]."""
    return [(str(name), [(f"{group}/{detail}", str(text)) for detail, text in details.items()]) for group, (name, details) in GROUPS.items()]
