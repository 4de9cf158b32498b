"""Forms of the complaint pages. They render and parse; manyi.service.services
validates and saves, and its field messages come back onto these fields
(web.errors.add_service_errors). Several forms share the complaint's page, so
each has its own `auto_id` prefix there and no two fields share an id."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.service import causes, uploads
from manyi.service.models import (
    STEPS,
    Complaint,
    ComplaintChannel,
    Department,
    FeedbackItem,
    RecheckResult,
    Responsibility,
    Severity,
    Step,
)
from manyi.service.selectors import ComplaintFilters
from manyi.web.forms import FilterForm, style

# The channels an agent records a complaint from (the web form and the API file their own).
AGENT_CHANNELS = (ComplaintChannel.PHONE, ComplaintChannel.IN_PERSON, ComplaintChannel.CHAT, ComplaintChannel.EMAIL)

SORT_CHOICES = (
    ("risk", _("Highest risk first")),
    ("due", _("Due soonest first")),
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
)

# What each step records on the complaint; the other steps record notes only.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    Step.CONFIRMED: ("wants",),
    Step.ANALYSED: ("cause", "responsibility", "severity", "department"),
    Step.PROPOSED: ("solution", "compensation", "compensation_amount"),
    Step.RECHECKED: ("recheck_result",),
}

ROWS2 = {"rows": 2}
ROWS3 = {"rows": 3}


def _label(model, name: str) -> str:
    return model._meta.get_field(name).verbose_name


def step_label(step: str) -> str:
    """"4. Analysed": a step with its place in the process."""
    return f"{STEPS.index(step) + 1}. {Step(step).label}"


def status_choices() -> list[tuple[str, str]]:
    return [("open", _("Open")), ("closed", _("Closed")), ("all", _("All")), *((s, step_label(s)) for s in STEPS)]


class ComplaintFilterForm(FilterForm):
    """The queue's filters; a value that does not parse is ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, subject, customer or reporter")}))  # fmt: skip
    status = forms.ChoiceField(label=_("Status"), required=False, choices=status_choices)
    severity = forms.ChoiceField(label=_label(Complaint, "severity"), required=False, choices=[("", _("Any severity")), *Severity.choices])
    channel = forms.ChoiceField(label=_label(Complaint, "channel"), required=False, choices=[("", _("Any channel")), *ComplaintChannel.choices])
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    escalated = forms.BooleanField(label=_("Escalated"), required=False)
    breached = forms.BooleanField(label=_("SLA breached"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False, choices=SORT_CHOICES)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def filters(self) -> ComplaintFilters:
        return ComplaintFilters(
            status=self.value("status") or "open", assignee="me" if self.value("mine") else "",
            severity=self.value("severity") or "", channel=self.value("channel") or "", customer=self.value("customer"),
            q=(self.value("q") or "").strip(), escalated=bool(self.value("escalated")), breached=bool(self.value("breached")),
            sort=self.value("sort") or "risk",
        )  # fmt: skip

    @property
    def active(self) -> bool:
        """Whether anything narrows the queue beyond its default (open complaints)."""
        f = self.filters()
        return bool(f.q or f.status != "open" or f.assignee or f.severity or f.channel or f.escalated or f.breached)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.Field):
    """Any number of files; the service checks each (kind by its first bytes, size, count)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Images, PDF or plain text; up to %(n)d files of at most %(mb)d MB each.") % {
            "n": settings.MANYI_ATTACHMENT_MAX_FILES, "mb": settings.MANYI_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        })  # fmt: skip
        super().__init__(**kwargs)
        self.widget.attrs.update({"multiple": True, "accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.txt"})

    def to_python(self, value):
        if not value:
            return []
        return list(value) if isinstance(value, (list, tuple)) else [value]


def read_uploads(files) -> tuple[uploads.Upload, ...]:
    """The uploaded files of a request, as the services take them (one more
    than the limit is enough to refuse)."""
    return tuple(uploads.Upload.from_file(f) for f in files.getlist("files")[: settings.MANYI_ATTACHMENT_MAX_FILES + 1])


class ComplaintForm(forms.Form):
    """An agent records a complaint heard by phone, face to face, in a chat or by e-mail."""

    customer = forms.IntegerField(label=_label(Complaint, "customer"), widget=forms.Select)
    contact = forms.IntegerField(label=_label(Complaint, "contact"), required=False, widget=forms.Select)
    channel = forms.ChoiceField(label=_label(Complaint, "channel"), choices=[(c.value, c.label) for c in AGENT_CHANNELS], initial=ComplaintChannel.PHONE)
    severity = forms.ChoiceField(label=_label(Complaint, "severity"), choices=Severity.choices, initial=Severity.NORMAL)
    subject = forms.CharField(label=_label(Complaint, "subject"), max_length=200)
    description = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 5}),
                                  help_text=_("In the customer's own words where you can: the emotion engine reads them."))  # fmt: skip
    wants = forms.CharField(label=_label(Complaint, "wants"), required=False, widget=forms.Textarea(attrs=ROWS2))
    files = FilesField(label=_("Attachments"))

    def __init__(self, *args, customers: list[tuple[int, str]] = (), contacts: list[tuple[int, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].widget.choices = [("", _("Choose a customer")), *customers]
        self.fields["contact"].widget.choices = [("", _("No contact / not known")), *contacts]
        # Choosing a customer (or a search replacing the list) loads its contacts.
        self.fields["customer"].widget.attrs.update({
            "hx-get": reverse_lazy("web:complaint_contact_options"), "hx-trigger": "change, htmx:afterSwap",
            "hx-target": "#id_contact", "hx-swap": "innerHTML",
        })  # fmt: skip
        style(self)


def cause_choices() -> list:
    return [("", _("Choose a cause")), *causes.choices()]


class StepForm(forms.Form):
    """The next step of the process, with the fields that step records. A later
    step may be chosen with the reason the ones between are skipped; a manager
    may close without a recheck or a feedback item, giving the reason."""

    step = forms.ChoiceField(label=_("Step"))
    # The steps' own fields (only the chosen step's are kept).
    wants = forms.CharField(label=_label(Complaint, "wants"), widget=forms.Textarea(attrs=ROWS2))
    cause = forms.ChoiceField(label=_label(Complaint, "cause"), choices=cause_choices)
    responsibility = forms.ChoiceField(label=_label(Complaint, "responsibility"), choices=[c for c in Responsibility.choices if c[0]])
    severity = forms.ChoiceField(label=_label(Complaint, "severity"), choices=Severity.choices)
    department = forms.ChoiceField(label=_label(Complaint, "department"), choices=[("", _("Choose a department")), *Department.choices])
    solution = forms.CharField(label=_label(Complaint, "solution"), widget=forms.Textarea(attrs=ROWS3))
    compensation = forms.CharField(label=_label(Complaint, "compensation"), required=False, max_length=300)
    compensation_amount = forms.CharField(label=_("Compensation amount (¥)"), required=False, max_length=20,
                                          widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}))  # fmt: skip
    recheck_result = forms.ChoiceField(label=_label(Complaint, "recheck_result"), choices=RecheckResult.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs=ROWS2))
    skip_reason = forms.CharField(label=_("Why the steps in between are skipped"), required=False, max_length=500)
    override_reason = forms.CharField(label=_("Reason for closing anyway (manager's override, recorded)"), required=False, max_length=500,
                                      widget=forms.Textarea(attrs=ROWS2))  # fmt: skip

    def __init__(self, *args, complaint: Complaint, step: str | None = None, override: bool = False, **kwargs):
        kwargs.setdefault("auto_id", "step-%s")
        super().__init__(*args, **kwargs)
        later = list(STEPS[complaint.step_index + 1 :])
        self.later = later
        self.fields["step"].choices = [(s, step_label(s)) for s in later]
        chosen = self.data.get("step") if self.is_bound else step
        self.chosen = chosen if chosen in later else (later[0] if later else "")
        self.skipping = bool(later) and self.chosen != later[0]
        self.fields["step"].initial = self.chosen
        keep = {"step", "notes", *STEP_FIELDS.get(self.chosen, ())}
        if self.skipping:
            keep.add("skip_reason")
            self.fields["skip_reason"].required = True
        if self.chosen == Step.CLOSED and override:
            keep.add("override_reason")
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name in STEP_FIELDS.get(self.chosen, ()):
            if not self.is_bound and name != "recheck_result":
                value = getattr(complaint, name)
                self.fields[name].initial = "" if value is None else value
        style(self)

    @property
    def step_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in STEP_FIELDS.get(self.chosen, ()) if name in self.fields]

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in STEP_FIELDS.get(self.chosen, ())}


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 4}))
    confirm = forms.BooleanField(label=_("Send anyway (recorded)"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "reply-%s")
        super().__init__(*args, **kwargs)
        style(self)


class TextForm(forms.Form):
    """A customer's message typed in by the agent, or an internal note; both may carry files."""

    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs=ROWS3))
    files = FilesField(label=_("Attachments"))

    def __init__(self, *args, label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["text"].label = label
        style(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs=ROWS2))

    def __init__(self, *args, label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        style(self)


class AssignForm(forms.Form):
    assignee = forms.IntegerField(label=_label(Complaint, "assignee"), widget=forms.Select)

    def __init__(self, *args, people: list[tuple[int, str]] = (), **kwargs):
        kwargs.setdefault("auto_id", "assign-%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].widget.choices = [("", _("Choose a colleague")), *people]
        style(self)


class FeedbackForm(forms.Form):
    department = forms.ChoiceField(label=_label(FeedbackItem, "department"), choices=[("", _("Choose a department")), *Department.choices])
    summary = forms.CharField(label=_label(FeedbackItem, "summary"), max_length=2000, widget=forms.Textarea(attrs=ROWS3))
    recipient = forms.IntegerField(label=pgettext_lazy("feedback", "Recipient (optional)"), required=False, widget=forms.Select)

    def __init__(self, *args, people: list[tuple[int, str]] = (), **kwargs):
        kwargs.setdefault("auto_id", "feedback-%s")
        super().__init__(*args, **kwargs)
        self.fields["recipient"].widget.choices = [("", _("Nobody in particular")), *people]
        style(self)


class FeedbackCloseForm(forms.Form):
    action_taken = forms.CharField(label=_label(FeedbackItem, "action_taken"), max_length=2000, widget=forms.Textarea(attrs=ROWS2))

    def __init__(self, *args, item: FeedbackItem, **kwargs):
        kwargs.setdefault("auto_id", f"feedback-{item.pk}-%s")
        super().__init__(*args, **kwargs)
        self.item = item
        style(self)
