"""Forms of the deal, pipeline and sales-settings pages. They render and parse;
manyi.sales.services.deals validates and saves."""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.sales.models import Deal, DealStatus, Heat, LostReason, SalesSettings, Stage
from manyi.sales.selectors.deals import SORTS, DealFilters
from manyi.sales.services.deals import SETTINGS_FIELDS
from manyi.web.forms import DATE, FilterForm, style


def _label(model, name: str) -> str:
    return model._meta.get_field(name).verbose_name


def stage_choices(stages: list[Stage]) -> list[tuple[str, str]]:
    return [(s.key, f"{s.label} · {s.probability}%") for s in stages]


class DealForm(forms.Form):
    title = forms.CharField(label=_label(Deal, "title"), max_length=200)
    stage = forms.ChoiceField(label=_label(Deal, "stage"))
    amount = forms.CharField(label=_label(Deal, "amount"), required=False, max_length=20, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    expected_close = forms.DateField(label=_label(Deal, "expected_close"), required=False, widget=DATE)
    probability = forms.CharField(
        label=_label(Deal, "probability"), required=False, max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("Leave empty to take the stage's probability."),
    )
    heat = forms.ChoiceField(label=_label(Deal, "heat"), choices=Heat.choices, initial=Heat.WARM)
    heat_reason = forms.CharField(label=_label(Deal, "heat_reason"), required=False, max_length=300)
    next_step = forms.CharField(label=_label(Deal, "next_step"), required=False, max_length=200)
    next_step_on = forms.DateField(label=_label(Deal, "next_step_on"), required=False, widget=DATE)
    competitors = forms.CharField(label=_label(Deal, "competitors"), required=False, max_length=300)

    def __init__(self, *args, stages: list[Stage], editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = stage_choices(stages)
        if editing:  # the stage has its own action (move)
            del self.fields["stage"]
        style(self)

    @classmethod
    def initial_of(cls, deal: Deal) -> dict[str, Any]:
        return {name: getattr(deal, name) for name in cls.base_fields if name != "stage"}

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class DealFilterForm(FilterForm):
    """The deal list's filters; a value that does not parse is ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_label(Deal, "status"), required=False, choices=[("", _("All")), *DealStatus.choices], initial=DealStatus.OPEN)
    stage = forms.ChoiceField(label=_label(Deal, "stage"), required=False)
    owner = forms.TypedChoiceField(label=_label(Deal, "owner"), required=False, coerce=int, empty_value=None)
    heat = forms.ChoiceField(label=_label(Deal, "heat"), required=False, choices=[("", _("Any")), *Heat.choices])
    flag = forms.ChoiceField(
        label=_("Needs attention"), required=False,
        choices=[("", _("Any")), ("attention", _("Needs attention")), ("no_next_step", _("No next step, or overdue")), ("stuck", _("Stuck in its stage"))],
    )  # fmt: skip
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput)

    def __init__(self, data, *, stages: list[Stage], owners: list[tuple[int, str]]):
        if "status" not in data:
            data = data.copy()
            data["status"] = DealStatus.OPEN
        super().__init__(data)
        self.fields["stage"].choices = [("", _("Any")), *[(s.key, s.label) for s in stages]]
        self.fields["owner"].choices = [("", _("Anyone")), *owners]

    def filters(self) -> DealFilters:
        return DealFilters(
            q=self.value("q") or "", status=self.value("status") or "", stage=self.value("stage") or "", owner=self.value("owner"),
            heat=self.value("heat") or "", flag=self.value("flag") or "", sort=self.value("sort") or "updated",
        )  # fmt: skip

    @property
    def active(self) -> bool:
        return any(self.value(n) for n in ("q", "stage", "owner", "heat", "flag")) or self.value("status") != DealStatus.OPEN


class LoseForm(forms.Form):
    reason = forms.ChoiceField(label=_label(Deal, "lost_reason"), choices=[("", "—"), *LostReason.choices])
    note = forms.CharField(label=_label(Deal, "lost_note"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


class PeriodForm(FilterForm):
    start = forms.DateField(label=_("from"), required=False, widget=DATE)
    end = forms.DateField(label=_("to"), required=False, widget=DATE)
    group = forms.ChoiceField(
        label=pgettext_lazy("group by", "by"), required=False, choices=[("owner", _("Rep")), ("stage", _("Stage when closed")), ("month", _("Month closed"))]
    )


class SalesSettingsForm(forms.ModelForm):
    class Meta:
        model = SalesSettings
        fields = SETTINGS_FIELDS
        widgets = {"company_details": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.required = False
        style(self)


class StageRows:
    """The rows of the stage editor: repeated fields read from the POST, in
    board order; a row with no name is left out. Messages of the service
    ("stages.<n>.<field>") are put back on row n."""

    FIELDS = ("stage_key", "stage_name", "stage_name_en", "stage_probability", "stage_stuck")

    def __init__(self, data=None, *, stages: list[Stage] | None = None):
        self.errors: list[str] = []
        if data is None:
            self.rows = [
                {"key": s.key, "name": s.name, "name_en": s.name_en, "probability": str(s.probability),
                 "stuck_after_days": str(s.stuck_after_days), "inside_wall": s.inside_wall, "active": True, "errors": {}}
                for s in stages or []
            ]  # fmt: skip
            return
        columns = [data.getlist(name) for name in self.FIELDS]
        inside, retired = set(data.getlist("stage_inside")), set(data.getlist("stage_retire"))
        self.rows = []
        for i, (key, name, name_en, probability, stuck) in enumerate(zip_longest(*columns, fillvalue="")):
            if not (name or "").strip() and not key:
                continue
            self.rows.append({
                "key": key, "name": name, "name_en": name_en, "probability": probability, "stuck_after_days": stuck,
                "inside_wall": str(i) in inside, "active": str(i) not in retired, "errors": {},
            })  # fmt: skip

    def service_rows(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k != "errors"} for row in self.rows]

    def take_errors(self, fields: dict[str, list[str]]) -> None:
        for name, messages in fields.items():
            parts = name.split(".")
            if len(parts) == 3 and parts[0] == "stages" and parts[1].isdigit() and int(parts[1]) < len(self.rows):
                self.rows[int(parts[1])]["errors"].setdefault(parts[2], []).extend(messages)
            else:
                self.errors.extend(messages)
