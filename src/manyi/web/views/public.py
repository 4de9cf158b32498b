"""The public complaint form (no login: a link per customer company), the
link's management on a customer, notifications, the feedback inbox and the
SLA settings."""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from manyi.core.errors import ApplicationError, NotFound, ValidationFailed
from manyi.customers import selectors as customer_selectors
from manyi.service import (
    deadlines,
    intake,
    selectors,
    services,
    settings_services,
    uploads,
)
from manyi.service.models import (
    ClockMode,
    ComplaintChannel,
    FeedbackStatus,
    Holidays,
    Severity,
    SlaPolicy,
)
from manyi.web.errors import add_service_errors, page, require
from manyi.web.pagination import paginate

# --- the public complaint form ----------------------------------------------------

# The form's fields, in order: (name, label, kind, max length, autocomplete).
PUBLIC_FIELDS = (
    ("name", gettext_lazy("Your name"), "text", 100, "name"),
    ("phone", gettext_lazy("Phone"), "tel", 32, "tel"),
    ("email", gettext_lazy("E-mail"), "email", 254, "email"),
    ("subject", gettext_lazy("Subject"), "text", services.MAX_SUBJECT, "off"),
    ("description", gettext_lazy("What happened"), "textarea", services.MAX_TEXT, "off"),
    ("wants", gettext_lazy("What you would like us to do"), "textarea", services.MAX_TEXT, "off"),
)
LABELS = {name: label for name, label, *_rest in PUBLIC_FIELDS} | {"files": gettext_lazy("Attachments")}
THANKS_SALT = "manyi.web.public.thanks"


def _language(request) -> str:
    """?lang=en or ?lang=zh-hans picks the page's language; else the usual one
    (Chinese unless the visitor chose English with the switch)."""
    asked = request.GET.get("lang", "")
    return asked if asked in dict(settings.LANGUAGES) else translation.get_language()


def _public(view):
    """A page for the customer, not for staff: no login, in the language asked
    for, never cached, kept out of search engines."""

    @wraps(view)
    def wrapper(request, token, *args, **kwargs):
        language = _language(request)
        with translation.override(language):
            response = view(request, token, *args, language=language, **kwargs)
        response.headers["Content-Language"] = language
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapper)


def _invalid_link(request, exc: NotFound):
    return render(request, "web/public/invalid.html", {"message": exc.message}, status=404)


def _promise(snapshot: dict) -> dict:
    """The response target a complaint was given, in hours, as the thanks page promises it."""
    hours = Decimal(snapshot.get("response_seconds", 0)) / 3600
    text = f"{hours.normalize():f}" if hours == hours.to_integral_value() else f"{hours:.1f}"
    return {"h": text, "b": snapshot.get("mode") == ClockMode.BUSINESS}


@_public
@require_http_methods(["GET", "POST"])
def public_complaint(request, token, *, language):
    """File a complaint without an account. Robots filling the hidden field
    get the same thanks as people, and nothing is stored."""
    try:
        link = intake.link_get(token)
    except NotFound as exc:
        return _invalid_link(request, exc)
    values, errors, files_dropped = {}, {}, False
    if request.method == "POST":
        chosen = request.FILES.getlist("files")[: settings.MANYI_ATTACHMENT_MAX_FILES + 1]  # one more says "too many"
        try:
            complaint = intake.public_complaint_submit(
                token=token, client_address=request.META.get("REMOTE_ADDR", ""), data=request.POST.dict(),
                files=tuple(uploads.Upload.from_file(f) for f in chosen),
            )  # fmt: skip
        except NotFound as exc:
            return _invalid_link(request, exc)
        except intake.RateLimited as exc:
            return render(request, "web/public/limited.html", {"message": exc.message}, status=429)
        except ValidationFailed as exc:
            values, errors, files_dropped = request.POST, exc.fields or {"__all__": [exc.message]}, bool(chosen)
        except ApplicationError as exc:  # anything else the service refuses: said above the form
            values, errors, files_dropped = request.POST, {"__all__": [exc.message]}, bool(chosen)
        else:
            if complaint is None:
                _policy, snapshot = deadlines.snapshot_for(team_id=link.customer.team_id, severity=Severity.NORMAL, channel=ComplaintChannel.WEB)
                payload = {"n": "", **_promise(snapshot)}
            else:
                payload = {"n": complaint.number, **_promise(complaint.sla)}
            receipt = signing.dumps(payload, salt=f"{THANKS_SALT}:{token}")
            return redirect(f"{reverse('web:public_complaint_thanks', args=[token])}?r={receipt}&lang={language}")
    fields = [
        {"name": name, "label": label, "kind": kind, "max": max_length, "autocomplete": autocomplete,
         "value": values.get(name, ""), "errors": errors.get(name, []), "required": name in ("name", "subject", "description")}
        for name, label, kind, max_length, autocomplete in PUBLIC_FIELDS
    ]  # fmt: skip
    context = {
        "fields": fields,
        "file_errors": errors.get("files", []),
        "other_errors": [m for field, ms in errors.items() if field not in LABELS for m in ms],
        "error_summary": [(name, LABELS[name], ms) for name, ms in errors.items() if name in LABELS],
        "files_dropped": files_dropped,
        "max_files": settings.MANYI_ATTACHMENT_MAX_FILES,
        "max_mb": settings.MANYI_ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "language": language,
    }
    return render(request, "web/public/form.html", context)


@_public
@require_http_methods(["GET"])
def public_complaint_thanks(request, token, *, language):
    try:
        receipt = signing.loads(request.GET.get("r", ""), salt=f"{THANKS_SALT}:{token}", max_age=24 * 3600)
    except signing.BadSignature:
        receipt = {}
    context = {"number": receipt.get("n", ""), "hours": receipt.get("h", ""), "business": receipt.get("b", False), "token": token, "language": language}
    return render(request, "web/public/thanks.html", context)


# --- the link, on a customer's page ---------------------------------------------------


def link_panel(user, customer) -> dict:
    """The context of web/service/_link_panel.html on the customer's page."""
    can_manage = intake.can_publish_link(user, customer)
    link = selectors.complaint_link_current(user=user, customer=customer) if can_manage else None
    return {"complaint_link": link, "can_manage_complaint_link": can_manage}


@page
@require_POST
def complaint_link_create(request, pk):
    customer = customer_selectors.customer_get(user=request.user, pk=pk)
    link = intake.complaint_link_create(customer=customer, by=request.user)
    url = request.build_absolute_uri(reverse("web:public_complaint", args=[link.token]))
    messages.success(request, _("New complaint form link for %(customer)s: %(url)s (any earlier link no longer works).") % {"customer": customer.name, "url": url})
    return redirect(reverse("web:customer_detail", args=[customer.pk]) + "#complaint-link")


# --- notifications --------------------------------------------------------------------


@page
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page_obj = paginate(request, selectors.notification_list(user=request.user, unread_only=unread_only))
    context = {"page_obj": page_obj, "unread_only": unread_only, "unread_total": selectors.unread_count(user=request.user)}
    return render(request, "web/service/notifications.html", context)


@page
@require_POST
def notification_read(request):
    """Mark read: all of the user's notifications ("all"), or those named in
    "ids" (others' ids are ignored); then go on to "next" (a complaint) or back."""
    ids = None if request.POST.get("all") else [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    services.notification_read(user=request.user, ids=ids)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("web:notification_list")
    return redirect(target)


# --- the feedback inbox -------------------------------------------------------------------


@page
def feedback_list(request):
    status = request.GET.get("status", "")
    status = status if status in FeedbackStatus.values else FeedbackStatus.OPEN
    counts = dict(selectors.feedback_list(user=request.user).order_by().values_list("status").annotate(n=Count("id")))
    tabs = [(value, label, counts.get(value, 0)) for value, label in FeedbackStatus.choices]
    page_obj = paginate(request, selectors.feedback_list(user=request.user, status=status))
    return render(request, "web/service/feedback.html", {"page_obj": page_obj, "status": status, "tabs": tabs})


# --- SLA settings --------------------------------------------------------------------------


def hours(minutes: int) -> str:
    """Minutes as hours, as people type them: 24, 1.5, 0.25."""
    value = (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()
    return f"{value:f}"


class SlaPolicyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=None, required=False, empty_label=gettext_lazy("Every team"))
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), choices=[("", gettext_lazy("Any severity")), *Severity.choices], required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=[("", gettext_lazy("Any channel")), *ComplaintChannel.choices], required=False)
    mode = forms.ChoiceField(label=gettext_lazy("Counted in"), choices=ClockMode.choices, initial=ClockMode.CALENDAR)
    first_response_hours = forms.CharField(label=gettext_lazy("First response within (hours)"), initial="24")
    resolution_hours = forms.CharField(label=gettext_lazy("Resolution within (hours)"), initial="72")
    warn_before_hours = forms.CharField(
        label=gettext_lazy("Warn before a breach (hours)"), initial="2", help_text=gettext_lazy("The assignee is warned this long before the resolution is due.")
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = settings_services.team_choices(user=user)
        if not user.is_admin:  # a manager sets their own team's policies only
            self.fields["team"].required = True
            self.fields["team"].empty_label = None
        for name in ("first_response_hours", "resolution_hours", "warn_before_hours"):
            self.fields[name].widget = forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"})
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", _css_class(field.widget))

    @classmethod
    def of(cls, policy: SlaPolicy, *, user, data=None) -> SlaPolicyForm:
        initial = {
            "name": policy.name, "team": policy.team_id, "severity": policy.severity, "channel": policy.channel, "mode": policy.mode,
            "first_response_hours": hours(policy.first_response_minutes), "resolution_hours": hours(policy.resolution_minutes),
            "warn_before_hours": hours(policy.warn_before_minutes), "is_active": policy.is_active,
        }  # fmt: skip
        return cls(data, user=user, initial=initial)


class TeamHoursForm(forms.Form):
    time_zone = forms.ChoiceField(label=gettext_lazy("Time zone"), choices=())
    day_start = forms.TimeField(label=gettext_lazy("Working day starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    day_end = forms.TimeField(label=gettext_lazy("Working day ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    holidays = forms.ChoiceField(label=gettext_lazy("Days off"), choices=Holidays.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in settings_services.time_zones()]
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", _css_class(field.widget))


def _css_class(widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    return "form-select" if isinstance(widget, forms.Select) else "form-control"


def _hours_form(team_hours, data=None) -> TeamHoursForm:
    initial = {"time_zone": team_hours.time_zone, "day_start": team_hours.day_start, "day_end": team_hours.day_end, "holidays": team_hours.holidays}
    return TeamHoursForm(data, initial=initial, prefix="hours")


def _sla_page(request, *, form, team=None, hours_form=None, editing=None):
    user = request.user
    teams = list(settings_services.team_choices(user=user))
    if team is None and teams:
        chosen = request.GET.get("team", "")
        team = next((t for t in teams if str(t.pk) == chosen), None) or next((t for t in teams if t.pk == user.team_id), teams[0])
    if team is not None and hours_form is None:
        hours_form = _hours_form(settings_services.team_hours_get(user=user, team=team))
    rows = [
        (p, hours(p.first_response_minutes), hours(p.resolution_minutes), hours(p.warn_before_minutes), settings_services.can_manage_team(user, p.team))
        for p in settings_services.sla_policy_list(user=user).order_by("team__name", "name", "pk")
    ]
    context = {"rows": rows, "form": form, "editing": editing, "teams": teams, "team": team, "hours_form": hours_form}
    return render(request, "web/service/sla.html", context)


def _save_policy(request, form, policy=None):
    if not form.is_valid():
        return None
    try:
        return settings_services.sla_policy_save(by=request.user, policy=policy, data=form.cleaned_data)
    except ValidationFailed as exc:
        add_service_errors(form, exc)
        return None


def _may_manage_sla(user) -> None:
    require(settings_services.can_manage_sla(user), _("Only managers and administrators may change the SLA settings."))


@page
def sla_settings(request):
    """The policies, a form for a new one, and the team's working hours."""
    _may_manage_sla(request.user)
    form = SlaPolicyForm(request.POST or None, user=request.user, initial={"team": request.user.team_id})
    if request.method == "POST":
        saved = _save_policy(request, form)
        if saved:
            messages.success(request, _("SLA policy “%(name)s” saved.") % {"name": saved.name})
            return redirect("web:sla_settings")
    return _sla_page(request, form=form)


@page
def sla_policy_edit(request, pk):
    _may_manage_sla(request.user)
    policy = settings_services.sla_policy_get(user=request.user, pk=pk)
    require(settings_services.can_manage_team(request.user, policy.team), _("Only an administrator may change the policies for every team."))
    form = SlaPolicyForm.of(policy, user=request.user, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        saved = _save_policy(request, form, policy)
        if saved:
            messages.success(request, _("SLA policy “%(name)s” saved.") % {"name": saved.name})
            return redirect("web:sla_settings")
    return _sla_page(request, form=form, editing=policy)


@page
@require_POST
def team_hours_edit(request, team_id):
    _may_manage_sla(request.user)
    team = settings_services.team_get(user=request.user, pk=team_id)
    hours_form = _hours_form(settings_services.team_hours_get(user=request.user, team=team), data=request.POST)
    if hours_form.is_valid():
        try:
            settings_services.team_hours_save(by=request.user, team=team, data=hours_form.cleaned_data)
        except ValidationFailed as exc:
            add_service_errors(hours_form, exc)
        else:
            messages.success(request, _("Working hours of %(team)s saved.") % {"team": team.name})
            return redirect(f"{reverse('web:sla_settings')}?team={team.pk}#hours")
    form = SlaPolicyForm(user=request.user, initial={"team": request.user.team_id})
    return _sla_page(request, form=form, team=team, hours_form=hours_form)
