"""Staff pages of surveys (domain §6): sending a customer a personal link,
entering an answer given on paper or by phone, the responses with their
filters, one response, and the results — scores by month, team, rep and
product, the drivers with the largest gaps, and the comments with their
emotion readings. Everything shows only the responses of customers the user
may see."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.core.errors import ValidationFailed
from manyi.customers.selectors import CustomerFilters, customer_get, customer_list
from manyi.satisfaction import selectors, services
from manyi.satisfaction.drivers import Driver
from manyi.satisfaction.models import SurveyKind, SurveyLanguage, Verdict
from manyi.web import emotion
from manyi.web.errors import add_service_errors, page, require
from manyi.web.forms import DATE, FilterForm, style
from manyi.web.pagination import paginate
from manyi.web.views.survey_public import error_summary, questions

VERDICT_COLOURS = {"satisfied": "success", "basically_satisfied": "warning", "dissatisfied": "danger"}


class InviteForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Survey"), choices=SurveyKind.choices, initial=SurveyKind.CSAT, widget=forms.RadioSelect)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=SurveyLanguage.choices, initial=SurveyLanguage.ZH)
    expires_in_days = forms.IntegerField(label=gettext_lazy("Expires after (days)"), min_value=1, max_value=services.MAX_EXPIRY_DAYS, initial=14)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)


class ResponseFilterForm(FilterForm):
    kind = forms.ChoiceField(label=gettext_lazy("Survey"), required=False, choices=[("", gettext_lazy("Any")), *SurveyKind.choices])
    verdict = forms.ChoiceField(label=gettext_lazy("Verdict"), required=False, choices=[("", gettext_lazy("Any")), *Verdict.choices])
    start = forms.DateField(label=gettext_lazy("from"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("to"), required=False, widget=DATE)
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(label=gettext_lazy("Rep"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in selectors.SORTS], widget=forms.HiddenInput)

    def __init__(self, data, *, user, results: bool = False):
        if results and not data.get("start"):  # the results look at the last twelve months unless told otherwise
            data = data.copy()
            data["start"] = (timezone.localdate().replace(day=1) - dt.timedelta(days=335)).replace(day=1).isoformat()
        super().__init__(data)
        teams, reps = selectors.filter_choices(user=user)
        self.fields["team"].choices = [("", _("Any")), *teams]
        self.fields["owner"].choices = [("", _("Anyone")), *reps]
        if results:
            del self.fields["verdict"], self.fields["sort"]

    def filters(self) -> selectors.ResponseFilters:
        return selectors.ResponseFilters(
            kind=self.value("kind") or "", verdict=self.value("verdict") or "", start=self.value("start"), end=self.value("end"),
            team=self.value("team"), owner=self.value("owner"), sort=self.value("sort") or selectors.DEFAULT_SORT,
        )  # fmt: skip

    @property
    def active(self) -> bool:
        return any(self.value(n) for n in ("kind", "verdict", "start", "end", "team", "owner"))


def _pick_customer(request, title: str, target: str):
    q = request.GET.get("q", "").strip()
    found = list(customer_list(user=request.user, filters=CustomerFilters(q=q))[:20]) if q else []
    return render(request, "web/surveys/pick_customer.html", {"q": q, "found": found, "title": title, "target": target})


@page
def survey_invite(request):
    """A personal survey link for a customer, shown once to copy."""
    ref = request.GET.get("customer") or request.POST.get("customer")
    if not ref:
        return _pick_customer(request, _("Send a survey"), "web:survey_invite")
    customer = customer_get(user=request.user, pk=ref)
    require(services.can_survey(request.user, customer), _("Your role may not send surveys."))
    form = InviteForm(request.POST or None)
    link = None
    if request.method == "POST" and form.is_valid():
        try:
            _invitation, token = services.survey_invite(customer=customer, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            link = request.build_absolute_uri(reverse("web:survey_public", args=[token]))
            form = InviteForm()
    invitations = selectors.invitations_of(user=request.user, customer=customer)
    return render(request, "web/surveys/invite.html", {"customer": customer, "form": form, "link": link, "invitations": invitations, "now": timezone.now()})


@page
def survey_enter(request):
    """Type in an answer the customer gave on paper, by phone or in person."""
    ref = request.GET.get("customer") or request.POST.get("customer")
    if not ref:
        return _pick_customer(request, _("Enter a survey answer"), "web:survey_enter")
    customer = customer_get(user=request.user, pk=ref)
    require(services.can_survey(request.user, customer), _("Your role may not enter survey answers."))
    kind = request.GET.get("kind") or request.POST.get("kind") or SurveyKind.CSAT
    kind = kind if kind in SurveyKind.values else SurveyKind.CSAT
    values, errors = {}, {}
    if request.method == "POST":
        try:
            response = services.survey_enter(by=request.user, customer=customer, kind=kind, data=request.POST.dict())
        except ValidationFailed as exc:
            values, errors = request.POST, exc.fields or {"__all__": [exc.message]}
        else:
            messages.success(request, _("The answer was saved: %(verdict)s.") % {"verdict": response.get_verdict_display()})
            return redirect("web:survey_detail", pk=response.pk)
    context = {"customer": customer, "kind": kind, "kinds": SurveyKind.choices, "q": questions(kind, customer.kind, values, errors), "errors": error_summary(errors)}
    return render(request, "web/surveys/enter.html", context)


@page
def survey_list(request):
    form = ResponseFilterForm(request.GET, user=request.user)
    page_obj = paginate(request, selectors.response_list(user=request.user, filters=form.filters()))
    context = {"form": form, "page_obj": page_obj, "sort": form.value("sort") or selectors.DEFAULT_SORT, "colours": VERDICT_COLOURS}
    return render(request, "web/surveys/list.html", context)


@page
def survey_detail(request, pk):
    response = selectors.response_get(user=request.user, pk=pk)
    labels = dict(Driver.choices)
    answers = [(labels.get(a.driver, a.driver), a) for a in selectors.response_answers(response=response)]
    context = {"r": response, "answers": answers, "colours": VERDICT_COLOURS, "reading": _reading(response), "result": services.result_text(response)}
    return render(request, "web/surveys/detail.html", context)


def _reading(response) -> dict | None:
    """The comment's emotion reading, as the pages show readings."""
    if not response.emotion_polarity:
        return None
    return {
        "text": emotion.highlighted(response.comment, response.emotion_evidence or []),
        "polarity": emotion.polarity_label(response.emotion_polarity),
        "polarity_colour": emotion.POLARITY_COLOURS.get(response.emotion_polarity, "secondary"),
        "score": f"{response.emotion_score:+.2f}",
        "primary": emotion.label(emotion.EMOTION_LABELS, response.emotion_primary),
        "escalation": emotion.escalation_label(response.emotion_escalation),
        "escalation_colour": emotion.ESCALATION_COLOURS.get(response.emotion_escalation, "secondary"),
        "tags": [emotion.label(emotion.TAG_LABELS, t) for t in response.emotion_tags or ()],
        "cause": emotion.label(emotion.CAUSE_LABELS, response.emotion_cause) if response.emotion_cause else "",
    }


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _months_chart(months) -> dict:
    return {
        "kind": "bar", "height": 280, "axes": [_("CSAT % / NPS"), _("Mean gap")],
        "categories": [m.label for m in months],
        "series": [
            {"name": _("CSAT (satisfied, %)"), "data": [_round(m.csat) for m in months], "format": "percent"},
            {"name": _("NPS"), "data": [_round(m.nps) for m in months], "line": True},
            {"name": _("Mean gap (perception − expectation)"), "data": [_round(m.mean_gap, 2) for m in months], "line": True, "axis": 1},
        ],
    }  # fmt: skip


def _drivers_chart(drivers) -> dict:
    labels = dict(Driver.choices)
    return {
        "kind": "bar", "horizontal": True, "height": 60 + 32 * len(drivers),
        "categories": [str(labels.get(d.driver, d.driver)) for d in drivers],
        "series": [{"name": _("Mean gap (perception − expectation)"), "data": [round(d.gap, 2) for d in drivers]}],
    }  # fmt: skip


@page
def survey_results(request):
    form = ResponseFilterForm(request.GET, user=request.user, results=True)
    found = selectors.results(user=request.user, filters=form.filters())
    labels = dict(Driver.choices)
    context = {
        "form": form, "results": found, "months_chart": _months_chart(found.months), "drivers_chart": _drivers_chart(found.drivers),
        "drivers": [(labels.get(d.driver, d.driver), d) for d in found.drivers],
        "largest": [(labels.get(d.driver, d.driver), d) for d in found.largest_gaps],
        "comments": [(r, _reading(r)) for r in found.comments], "colours": VERDICT_COLOURS,
    }  # fmt: skip
    return render(request, "web/surveys/results.html", context)
