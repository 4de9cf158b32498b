"""The survey a customer answers through their personal link (/s/<token>/):
no login, phone-first, in the link's language (or the one the customer
switches to), one answer per link. An unknown link is a plain 404; an
expired or answered one says so."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from manyi.core.errors import ValidationFailed
from manyi.satisfaction import scoring, selectors, services
from manyi.satisfaction.drivers import GROUP_OF, DriverGroup, drivers_for
from manyi.satisfaction.models import SurveyKind

SCALE_HINTS = {
    SurveyKind.CSAT: (gettext_lazy("1 = very dissatisfied"), gettext_lazy("5 = very satisfied")),
    SurveyKind.NPS: (gettext_lazy("0 = not at all likely"), gettext_lazy("10 = extremely likely")),
    SurveyKind.SPE: (gettext_lazy("1 = very low"), gettext_lazy("5 = very high")),
}


def questions(kind: str, customer_kind: str, values=None, errors: dict | None = None) -> dict:
    """What the survey asks, with what was sent and the errors on it: the
    context of web/surveys/_questions.html (the public page and staff entry)."""
    values, errors = values or {}, errors or {}

    def field(name: str) -> dict:
        return {"name": name, "value": str(values.get(name, "") or ""), "errors": errors.get(name, [])}

    context = {"kind": kind, "hints": SCALE_HINTS[kind], "comment": field("comment"), "answers_errors": errors.get("answers", [])}
    if kind in (SurveyKind.CSAT, SurveyKind.NPS):
        low, high = scoring.CSAT_RANGE if kind == SurveyKind.CSAT else scoring.NPS_RANGE
        context["score"] = {**field("score"), "choices": [str(n) for n in range(low, high + 1)]}
        return context
    groups: dict[str, list[dict]] = {}
    for driver in drivers_for(customer_kind):
        groups.setdefault(GROUP_OF[driver], []).append({
            "driver": driver.value, "label": driver.label,
            "expectation": field(f"expectation_{driver.value}"), "perception": field(f"perception_{driver.value}"),
        })  # fmt: skip
    low, high = scoring.RATING_RANGE
    context["ratings"] = [str(n) for n in range(low, high + 1)]
    context["groups"] = [{"label": DriverGroup(group).label, "items": items} for group, items in groups.items()]
    return context


def error_summary(errors: dict) -> list[str]:
    return [m for ms in errors.values() for m in ms]


def _public(view):
    """A page for the customer: in the language asked for (?lang=) or the
    link's, never cached, kept out of search engines."""

    @wraps(view)
    def wrapper(request, token):
        invitation = selectors.invitation_by_token(token)
        asked = request.GET.get("lang", "")
        if asked not in dict(settings.LANGUAGES):
            asked = invitation.language if invitation else translation.get_language()
        with translation.override(asked):
            if invitation is None:
                response = render(request, "web/surveys/public_unknown.html", status=404)
            else:
                response = view(request, token, invitation=invitation, language=asked)
        response.headers["Content-Language"] = asked
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return never_cache(wrapper)


@_public
@require_http_methods(["GET", "POST"])
def survey_public(request, token, *, invitation, language):
    context = {"invitation": invitation, "language": language, "customer_name": invitation.customer.name}
    if invitation.answered_at is not None:
        return render(request, "web/surveys/public_answered.html", context)
    if invitation.is_expired:
        return render(request, "web/surveys/public_expired.html", context, status=410)
    values, errors = {}, {}
    if request.method == "POST":
        try:
            services.survey_rate_check(client_address=request.META.get("REMOTE_ADDR", ""))
            services.survey_answer(invitation=invitation, data=request.POST.dict())
        except services.RateLimited as exc:
            return render(request, "web/surveys/public_limited.html", {**context, "message": exc.message}, status=429)
        except services.SurveyAnswered:
            return render(request, "web/surveys/public_answered.html", context, status=409)
        except services.SurveyExpired:
            return render(request, "web/surveys/public_expired.html", context, status=410)
        except ValidationFailed as exc:
            values, errors = request.POST, exc.fields or {"__all__": [exc.message]}
        else:
            return HttpResponseRedirect(f"{reverse('web:survey_public_thanks', args=[token])}?lang={language}")
    else:
        services.survey_open(invitation=invitation)
    context |= {"q": questions(invitation.kind, invitation.customer.kind, values, errors), "errors": error_summary(errors)}
    return render(request, "web/surveys/public_form.html", context)


@_public
@require_http_methods(["GET"])
def survey_public_thanks(request, token, *, invitation, language):
    if invitation.answered_at is None:
        return HttpResponseRedirect(f"{reverse('web:survey_public', args=[token])}?lang={language}")
    return render(request, "web/surveys/public_thanks.html", {"invitation": invitation, "language": language})
