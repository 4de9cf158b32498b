"""Forms render and parse; the services validate and save. Each form's
`service_data()` is the dict a service takes."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.core.text import format_phone
from manyi.customers import access
from manyi.customers.models import SENSITIVE_FIELDS, AccessKind, Contact, Customer
from manyi.customers.services import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    PHONE_FIELDS,
    credit_code_error,
    phone_error,
)
from manyi.interactions.models import Interaction
from manyi.interactions.services import FIELDS as INTERACTION_FIELDS
from manyi.web.profile import CONTACT_GROUPS, CUSTOMER_GROUPS

FORMAT_RULES = {**{name: phone_error for name in PHONE_FIELDS}, "credit_code": credit_code_error}
TEXTAREA = forms.Textarea(attrs={"rows": 3})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _widget_class(widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


def style(form: forms.BaseForm) -> None:
    """Bootstrap's class on every widget that has none yet."""
    for f in form.fields.values():
        f.widget.attrs.setdefault("class", _widget_class(f.widget))


class FilterForm(forms.Form):
    """A list's filters, styled; a value that does not parse counts as not given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def value(self, name: str) -> Any:
        """The cleaned value, or None when it is missing or did not parse."""
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None


# Fields with a default that a form (or a script posting to it) may leave
# out: the record keeps its value.
KEEP_WHEN_MISSING = ("birthday_calendar",)


class ServiceForm(forms.ModelForm):
    """A ModelForm over a copy of the instance: parsing never touches the
    record itself, the service does the write."""

    groups = ()

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=copy.copy(instance) if instance is not None else None, **kwargs)
        for name in KEEP_WHEN_MISSING:
            if name in self.fields:
                self.fields[name].required = False
        style(self)
        if instance is not None and instance.pk:
            for name in PHONE_FIELDS:
                if name in self.fields:
                    self.initial[name] = format_phone(getattr(instance, name))

    @property
    def fieldsets(self):
        """(group, bound fields) in display order, skipping fields this user does not get."""
        return [(g, [self[name] for name in g.fields if name in self.fields]) for g in self.groups]

    def clean(self):
        """Ask the services' format rules now, so a phone or code error shows
        together with the form's own errors rather than in a second round."""
        cleaned = super().clean()
        for name, rule in FORMAT_RULES.items():
            value = cleaned.get(name)
            message = rule(value) if name in self.fields and value else None
            if message:
                self.add_error(name, message)
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in KEEP_WHEN_MISSING:
            if data.get(name) == "":
                del data[name]
        return data


class CustomerForm(ServiceForm):
    groups = CUSTOMER_GROUPS
    tags = forms.CharField(
        label=_("tags"), required=False, max_length=500,
        help_text=_("Separate tags with commas, e.g. VIP, 老客户"),
    )  # fmt: skip
    website = forms.URLField(label=Customer._meta.get_field("website").verbose_name, required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = Customer
        fields = (*CUSTOMER_FIELDS, "owner")
        widgets = {
            **{name: TEXTAREA for name in (
                "notes", "leader_background", "family_notes", "resume", "health_notes", "preferences",
                "lifestyle", "purchase_story",
            )},
            "birthday": DATE,
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel"}),
            "fax": forms.TextInput(attrs={"inputmode": "tel"}),
        }  # fmt: skip

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True
        if access.can_assign_owner(user):
            self.fields["owner"].queryset = access.assignable_owners(user)
            self.initial.setdefault("owner", user.pk)
        else:
            del self.fields["owner"]
        if instance is not None and instance.pk:
            self.initial["tags"] = ", ".join(sorted(t.name for t in instance.tags.all()))
            if not access.can_see_sensitive(user, instance):
                for name in SENSITIVE_FIELDS:
                    del self.fields[name]


class ContactForm(ServiceForm):
    groups = CONTACT_GROUPS

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        labels = {"name": pgettext_lazy("a person's", "name")}
        widgets = {
            "notes": TEXTAREA,
            "birthday": DATE,
            "phone": forms.TextInput(attrs={"inputmode": "tel"}),
            "mobile": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True


class InteractionForm(ServiceForm):
    occurred_at = forms.DateTimeField(
        label=_("time"), required=False, help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip

    class Meta:
        model = Interaction
        fields = (*INTERACTION_FIELDS, "contact")
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = contacts
        self.initial.setdefault("kind", "call")


class GrantForm(forms.Form):
    user = forms.ModelChoiceField(label=_("colleague"), queryset=None, widget=forms.Select(attrs={"class": "form-select"}))
    kind = forms.ChoiceField(label=_("access"), choices=AccessKind.choices, widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates
