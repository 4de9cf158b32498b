"""Forms of the quote pages. They render and parse; the quote services
validate and save. A quote's lines and its workload rows are rows of repeated
fields (like the order form's lines, manyi.web.forms_orders), read by `Rows`,
so a script or the server can add and remove rows; the service's
"lines.<n>.<field>" and "workload.<n>.<field>" messages go back to row n."""

from __future__ import annotations

from itertools import zip_longest
from typing import Any, ClassVar

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from manyi.sales.models import Difficulty, QuoteStatus, QuoteVersion
from manyi.sales.selectors.quotes import SORTS
from manyi.web.forms import DATE, FilterForm, style


def _label(name: str) -> str:
    return QuoteVersion._meta.get_field(name).verbose_name


def _decimal_text(value) -> str:
    return "" if value is None else format(value.normalize(), "f")


class QuoteForm(forms.Form):
    """A version's own fields; its lines and workload come from `Rows`. The
    values go to the service as typed: it says what is wrong."""

    valid_until = forms.DateField(label=_label("valid_until"), required=False, widget=DATE)
    language = forms.ChoiceField(label=_("Language of the quote"), choices=QuoteVersion._meta.get_field("language").choices)
    market_reference = forms.CharField(
        label=_("Market reference price (¥)"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("What the market charges for the same: the customer sees our total beside it."),
    )  # fmt: skip
    market_reference_note = forms.CharField(label=_label("market_reference_note"), required=False, max_length=300)
    difficulty = forms.ChoiceField(label=_label("difficulty"), choices=Difficulty.choices, initial=Difficulty.MEDIUM)
    difficulty_note = forms.CharField(label=_label("difficulty_note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    quality_note = forms.CharField(label=_label("quality_note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    discount_percent = forms.CharField(
        label=_label("discount_percent"), required=False, max_length=8, initial="0", widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=_("Above the team's limit a manager must approve it before the quote is sent."),
    )  # fmt: skip
    discount_condition = forms.CharField(
        label=_label("discount_condition"), required=False, max_length=300,
        help_text=_("A discount only against something: another purchase, a guaranteed volume, prompt payment…"),
    )  # fmt: skip
    notes = forms.CharField(label=_label("notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = "en" if (get_language() or "").startswith("en") else "zh-hans"
        style(self)

    @staticmethod
    def initial_from(version: QuoteVersion) -> dict[str, Any]:
        """What a revision starts from: the current version as it is."""
        return {
            "valid_until": version.valid_until, "language": version.language, "market_reference": _decimal_text(version.market_reference),
            "market_reference_note": version.market_reference_note, "difficulty": version.difficulty, "difficulty_note": version.difficulty_note,
            "quality_note": version.quality_note, "discount_percent": _decimal_text(version.discount_percent),
            "discount_condition": version.discount_condition, "notes": version.notes,
        }  # fmt: skip

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class Rows:
    """Rows of repeated fields, read from the POST with blank rows left out,
    and the service's "<prefix>.<n>.<field>" messages put back on row n."""

    prefix = ""
    fields: tuple[str, ...] = ()  # each row's keys; the POST names are "<input>_<key>"
    input = ""
    names: ClassVar[dict[str, str]] = {}  # a key whose POST name differs: "<input>_<name>"
    defaults: ClassVar[dict[str, str]] = {}

    def __init__(self, data=None, *, initial: list[dict[str, Any]] | None = None):
        self.errors: list[str] = []
        if data is None:
            self.rows = [self.row(**{k: "" if v is None else str(v) for k, v in r.items()}) for r in (initial or [])] or [self.row()]
            return
        columns = [[v.strip() for v in data.getlist(f"{self.input}_{self.names.get(name, name)}")] for name in self.fields]
        rows = [self.row(**dict(zip(self.fields, (v or "" for v in values), strict=True))) for values in zip_longest(*columns)]
        self.rows = [row for row in rows if not self.blank(row)] or [self.row()]

    def row(self, **values: str) -> dict[str, Any]:
        return {**{name: self.defaults.get(name, "") for name in self.fields}, **values, "errors": {}}

    def blank(self, row: dict[str, Any]) -> bool:
        return all(row[name] in ("", self.defaults.get(name, "")) for name in self.fields)

    def add(self) -> None:
        self.rows.append(self.row())

    def remove(self, number: str) -> None:
        """Drop row `number` (1-based), keeping at least one row."""
        if number.isdigit() and 1 <= int(number) <= len(self.rows):
            del self.rows[int(number) - 1]
        self.rows = self.rows or [self.row()]

    def service_data(self) -> list[dict[str, Any]]:
        return [{name: row[name] for name in self.fields} for row in self.rows if not self.blank(row)]

    def take_errors(self, fields: dict[str, list[str]]) -> dict[str, list[str]]:
        """Keep the messages about these rows; return the others."""
        rest = {}
        for key, messages in fields.items():
            parts = key.split(".")
            if parts[0] != self.prefix:
                rest[key] = messages
            elif len(parts) == 1 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(self.rows):
                self.errors.extend(messages)
            else:
                name = parts[2] if len(parts) > 2 and parts[2] in self.fields else "row"
                self.rows[int(parts[1]) - 1]["errors"].setdefault(name, []).extend(messages)
        return rest


class QuoteLines(Rows):
    prefix, input = "lines", "line"
    fields = ("part", "description", "product", "quantity", "unit", "unit_price")
    names: ClassVar[dict[str, str]] = {"unit_price": "price"}  # as on the order form, which manyi.js knows
    defaults: ClassVar[dict[str, str]] = {"quantity": "1"}

    def service_data(self) -> list[dict[str, Any]]:
        rows = super().service_data()
        for row in rows:
            row["product"] = int(row["product"]) if row["product"].isdigit() else row["product"] or None
        return rows

    @classmethod
    def of(cls, version: QuoteVersion) -> QuoteLines:
        return cls(initial=[
            {"part": line.part, "description": line.description, "product": line.product_id or "", "quantity": _decimal_text(line.quantity),
             "unit": line.unit, "unit_price": _decimal_text(line.unit_price)}
            for line in version.lines.all()
        ])  # fmt: skip


class WorkloadRows(Rows):
    prefix, input = "workload", "work"
    fields = ("role", "people", "days")

    @classmethod
    def of(cls, version: QuoteVersion) -> WorkloadRows:
        return cls(initial=list(version.workload or []))


class QuoteFilterForm(FilterForm):
    """The quote list's filters; a value that does not parse is ignored."""

    q = forms.CharField(label=_("Number or customer"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), ("open", _("Open (not yet answered)")), *QuoteStatus.choices])
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput)

    @property
    def active(self) -> bool:
        return any(self.value(name) for name in ("q", "status"))
