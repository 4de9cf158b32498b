"""Forms of the campaign pages. They render and parse; the campaign services
validate and save (manyi.campaigns.services), and their field messages come
back next to the fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.analytics.metrics.rfm import SEGMENTS
from manyi.campaigns import selectors
from manyi.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ChannelKind,
    ConsentSource,
    Group,
    Language,
    RecipientStatus,
    SkipReason,
    Template,
)
from manyi.campaigns.services import WINBACK_CONTROL_SHARE
from manyi.customers import access
from manyi.customers.models import Grade, Importance
from manyi.web.forms import FilterForm, style
from manyi.web.views.analytics import segment_label

SORTS = ("created", "-created", "name", "-name", "launched", "-launched")
DEFAULT_SORT = "-created"
# What a launched campaign may still change (campaigns.services.campaign_update).
LAUNCHED_FIELDS = ("name", "throttle_limit", "throttle_window")
AUDIENCE_FIELDS = ("segments", "tags", "grades", "importance", "winback", "owner")


def _percent_text(share: float) -> str:
    """0.1 → "10", 0.125 → "12.5"."""
    return format(Decimal(str(round(share * 100, 2))), "f").rstrip("0").rstrip(".") if share else "0"


def _label(model, name: str) -> str:
    return model._meta.get_field(name).verbose_name


class CampaignFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *CampaignStatus.choices])
    kind = forms.ChoiceField(label=pgettext_lazy("campaign", "Kind"), required=False, choices=[("", _("All")), *CampaignKind.choices])
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS], widget=forms.HiddenInput)

    @property
    def active(self) -> bool:
        return any(self.value(name) for name in ("status", "kind"))


class RecipientFilterForm(FilterForm):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *RecipientStatus.choices])
    group = forms.ChoiceField(label=_("Group"), required=False, choices=[("", _("All")), *Group.choices])
    reason = forms.ChoiceField(label=_("Skipped because"), required=False, choices=[("", _("Any")), *SkipReason.choices])

    @property
    def active(self) -> bool:
        return any(self.value(name) for name in ("status", "group", "reason"))


def _checkboxes() -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


def template_label(template: Template) -> str:
    return f"{template.name} · {template.get_language_display()}"


class CampaignForm(forms.Form):
    """A campaign and its audience. The audience fields make the
    Campaign.audience dict; the control group share is typed in per cent."""

    # Checked by the service with the rest, so every message shows at once.
    name = forms.CharField(label=_label(Campaign, "name"), max_length=120, required=False)
    kind = forms.ChoiceField(label=pgettext_lazy("campaign", "Kind"), choices=CampaignKind.choices, initial=CampaignKind.MARKETING)
    channel = forms.ChoiceField(label=_label(Campaign, "channel"), choices=ChannelKind.choices, initial=ChannelKind.EMAIL)
    template = forms.ModelChoiceField(label=_label(Campaign, "template"), queryset=Template.objects.none(), error_messages={"required": _("Choose a template.")})
    segments = forms.MultipleChoiceField(label=_("Customer segments (RFM)"), required=False, widget=_checkboxes())
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500, help_text=_("Separate tags with commas; a customer with any of them is in."))
    grades = forms.MultipleChoiceField(label=_("Customer grades"), required=False, choices=Grade.choices, widget=_checkboxes())
    importance = forms.MultipleChoiceField(label=_("Importance"), required=False, choices=Importance.choices, widget=_checkboxes())
    winback = forms.BooleanField(label=_("Only customers on the win-back list"), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False, empty_label=_("Any owner"))
    control_share = forms.DecimalField(
        label=_("Control group (%)"), required=False, max_digits=5, decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "1", "min": "0", "max": "50"}),
        help_text=_("Customers held back to measure the effect. Left empty, a win-back campaign holds back a tenth, a marketing campaign nobody."),
    )  # fmt: skip
    throttle_limit = forms.IntegerField(label=_label(Campaign, "throttle_limit"), initial=60, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    throttle_window = forms.IntegerField(
        label=_label(Campaign, "throttle_window"), initial=60, widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("At most this many messages go out in each window."),
    )  # fmt: skip
    scheduled_at = forms.DateTimeField(
        label=_label(Campaign, "scheduled_at"), required=False, help_text=_("Leave empty to send as soon as it is launched."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip

    def __init__(self, *args, user, campaign: Campaign | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segments"].choices = [(code, segment_label(code)) for code in SEGMENTS]
        # Any template the user sees parses (the service names one of the other
        # channel); the choices offered are those of the channel picked.
        channel = self.data.get("channel") or self.initial.get("channel") or ChannelKind.EMAIL
        self.fields["template"].queryset = selectors.template_list(user=user)
        offered = selectors.template_list(user=user, channel=channel if channel in ChannelKind.values else "")
        self.fields["template"].widget.choices = [("", "—"), *((t.pk, template_label(t)) for t in offered)]
        if access.can_assign_owner(user):
            self.fields["owner"].queryset = access.assignable_owners(user)
        else:
            del self.fields["owner"]
        self.fields["name"].widget.attrs["autofocus"] = True
        style(self)
        if campaign is not None and campaign.status != CampaignStatus.DRAFT:
            for name, field in self.fields.items():
                field.disabled = name not in LAUNCHED_FIELDS

    @staticmethod
    def initial_from(campaign: Campaign) -> dict[str, Any]:
        audience = campaign.audience or {}
        return {
            "name": campaign.name, "kind": campaign.kind, "channel": campaign.channel, "template": campaign.template_id,
            "segments": audience.get("segments", []), "tags": ", ".join(audience.get("tags", [])), "grades": audience.get("grades", []),
            "importance": audience.get("importance", []), "winback": bool(audience.get("winback")), "owner": audience.get("owner"),
            "control_share": _percent_text(campaign.control_share), "throttle_limit": campaign.throttle_limit,
            "throttle_window": campaign.throttle_window, "scheduled_at": campaign.scheduled_at,
        }  # fmt: skip

    def audience(self) -> dict[str, Any]:
        """The audience from the fields that parsed (the preview asks before the form is complete)."""
        self.is_valid()
        data = self.cleaned_data
        tags = [t.strip() for t in (data.get("tags") or "").replace("，", ",").split(",") if t.strip()]
        audience: dict[str, Any] = {
            "segments": data.get("segments") or [], "tags": tags, "grades": data.get("grades") or [],
            "importance": data.get("importance") or [], "winback": bool(data.get("winback")),
        }  # fmt: skip
        if data.get("owner"):
            audience["owner"] = data["owner"].pk
        return {k: v for k, v in audience.items() if v}

    def control_fraction(self) -> float:
        """The share held back; empty: the default of the campaign's kind."""
        share = self.cleaned_data.get("control_share")
        if share is None:
            return WINBACK_CONTROL_SHARE if self.cleaned_data.get("kind") == CampaignKind.WINBACK else 0.0
        return float(share) / 100

    def service_data(self, *, launched: bool = False) -> dict[str, Any]:
        data = self.cleaned_data
        if launched:
            return {name: data[name] for name in LAUNCHED_FIELDS}
        return {
            "name": data["name"], "kind": data["kind"], "channel": data["channel"], "template": data.get("template"),
            "audience": self.audience(), "control_share": self.control_fraction(), "throttle_limit": data["throttle_limit"],
            "throttle_window": data["throttle_window"], "scheduled_at": data.get("scheduled_at"),
        }  # fmt: skip


class TemplateForm(forms.Form):
    name = forms.CharField(label=_label(Template, "name"), max_length=120)
    channel = forms.ChoiceField(label=_label(Template, "channel"), choices=ChannelKind.choices, initial=ChannelKind.EMAIL)
    language = forms.ChoiceField(label=_label(Template, "language"), choices=Language.choices, initial=Language.ZH)
    subject = forms.CharField(label=_label(Template, "subject"), required=False, max_length=200, help_text=_("E-mail only."))
    body = forms.CharField(
        label=_label(Template, "body"), max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "true"}),
        help_text=_("Write merge fields in double braces, e.g. {{honorific}}."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        style(self)

    @staticmethod
    def initial_from(template: Template) -> dict[str, Any]:
        return {name: getattr(template, name) for name in ("name", "channel", "language", "subject", "body")}

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ConsentForm(forms.Form):
    """A grant or withdrawal recorded by staff, with how it was obtained."""

    channel = forms.ChoiceField(label=_("Channel"), choices=ChannelKind.choices)
    granted = forms.TypedChoiceField(
        label=_("Consent"), coerce=lambda v: v == "yes", widget=forms.RadioSelect,
        choices=[("yes", _("Given: the customer agrees to receive marketing")), ("no", _("Withdrawn: no more marketing"))],
    )  # fmt: skip
    source = forms.ChoiceField(
        label=_("Source"), initial=ConsentSource.STAFF,
        choices=[(s, label) for s, label in ConsentSource.choices if s in (ConsentSource.STAFF, ConsentSource.FORM)],
    )  # fmt: skip
    note = forms.CharField(
        label=_("How it was obtained"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("E.g. “Asked by phone on 3 May, agreed to e-mail offers” or “signed form at the shop”."),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)
