"""Forms of the order and product pages. They render and parse; the analytics
services validate and save. An order's lines are not a Django formset: they are
rows of three repeated fields (product, quantity, price), read by `OrderLines`,
so a script or the server can add and remove rows without renumbering a
management form."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.analytics.models import Order, OrderChannel, OrderStatus, Product
from manyi.web.forms import DATE, FilterForm, style

SORTS = {"-date": ("-ordered_on", "-id"), "date": ("ordered_on", "id"), "-amount": ("-amount", "-id"), "amount": ("amount", "id")}
DEFAULT_SORT = "-date"


def _label(model, name: str) -> str:
    return model._meta.get_field(name).verbose_name


class OrderForm(forms.Form):
    """The order's own fields; its lines come from `OrderLines`."""

    ordered_on = forms.DateField(label=_label(Order, "ordered_on"), widget=DATE)
    channel = forms.ChoiceField(label=_label(Order, "channel"), choices=OrderChannel.choices, initial=OrderChannel.DIRECT)
    status = forms.ChoiceField(label=_label(Order, "status"), choices=OrderStatus.choices, initial=OrderStatus.CONFIRMED)
    notes = forms.CharField(label=_label(Order, "notes"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ordered_on"].initial = timezone.localdate
        style(self)


@dataclass
class Line:
    """One row of the order form as typed, with the messages that concern it."""

    product: str = ""
    quantity: str = "1"
    unit_price: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        # A new row carries quantity 1: a row nobody touched is left out.
        return not self.product and not self.unit_price and self.quantity in ("", "1")

    def service_data(self) -> dict[str, Any]:
        return {
            "product": int(self.product) if self.product.isdigit() else self.product or None,
            "quantity": self.quantity or "1",  # an empty quantity means one
            "unit_price": self.unit_price,
        }


class OrderLines:
    """The rows of the order form: read from the POST, blanks left out, and the
    service's "lines.<n>.<field>" messages put back on row n."""

    FIELDS = ("line_product", "line_quantity", "line_price")

    def __init__(self, data=None):
        self.errors: list[str] = []
        if data is None:
            self.rows = [Line()]
            return
        columns = [[v.strip() for v in data.getlist(name)] for name in self.FIELDS]
        rows = [Line(p or "", q or "", u or "") for p, q, u in zip_longest(*columns)]
        self.rows = [row for row in rows if not row.blank] or [Line()]

    def remove(self, number: str) -> None:
        """Drop row `number` (1-based), keeping at least one row."""
        if number.isdigit() and 1 <= int(number) <= len(self.rows):
            del self.rows[int(number) - 1]
        self.rows = self.rows or [Line()]

    def add(self) -> None:
        self.rows.append(Line())

    def service_data(self) -> list[dict[str, Any]]:
        return [row.service_data() for row in self.rows if not row.blank]

    def take_errors(self, fields: dict[str, list[str]]) -> dict[str, list[str]]:
        """Keep the messages about lines; return the others (the order's own fields)."""
        rest = {}
        for key, messages in fields.items():
            parts = key.split(".")
            if parts[0] != "lines":
                rest[key] = messages
            elif len(parts) == 1 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(self.rows):
                self.errors.extend(messages)
            else:
                name = {"product": "product", "quantity": "quantity", "unit_price": "unit_price"}.get(parts[2] if len(parts) > 2 else "", "line")
                self.rows[int(parts[1]) - 1].errors.setdefault(name, []).extend(messages)
        return rest


class OrderFilterForm(FilterForm):
    """The order list's filters; a value that does not parse is ignored."""

    date_from = forms.DateField(label=_("from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("to"), required=False, widget=DATE)
    status = forms.ChoiceField(label=_label(Order, "status"), required=False, choices=[("", _("All")), *OrderStatus.choices])
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput)

    @property
    def sort_key(self) -> str:
        return self.value("sort") or DEFAULT_SORT

    @property
    def active(self) -> bool:
        return any(self.value(name) for name in ("date_from", "date_to", "status"))

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        return self.value("date_from"), self.value("date_to")


class ProductForm(forms.Form):
    sku = forms.CharField(label=_label(Product, "sku"), max_length=40)
    name = forms.CharField(label=_label(Product, "name"), max_length=120)
    unit_price = forms.CharField(label=_label(Product, "unit_price"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    category = forms.CharField(label=_label(Product, "category"), max_length=64, required=False, widget=forms.TextInput(attrs={"list": "product-categories"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

