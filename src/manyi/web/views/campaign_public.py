"""What a campaign's recipients and the SMS provider reach without logging in:
the personal unsubscribe page (also the one-click List-Unsubscribe-Post
target, RFC 8058) and the provider's webhooks for delivery receipts and
inbound replies, authenticated by MANYI_SMS_TOKEN."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from manyi.campaigns import services
from manyi.campaigns.models import ChannelKind, ConsentSource
from manyi.core.errors import ApplicationError, NotFound


def _language(request, fallback: str) -> str:
    asked = request.GET.get("lang", "")
    return asked if asked in dict(settings.LANGUAGES) else fallback


@csrf_exempt  # the signed token in the address is the credential; mail providers post without a session
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET: who is unsubscribing from what, and a button. POST: record the
    opt-out. A POST of `List-Unsubscribe=One-Click` is a mail program's one-click request."""
    one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
    with translation.override(_language(request, translation.get_language())):
        try:
            recipient = services.unsubscribe_recipient(token)
        except NotFound as exc:
            return render(request, "web/campaigns/public/invalid.html", {"message": exc.message}, status=404)
    language = _language(request, recipient.campaign.template.language)
    with translation.override(language):
        if request.method == "POST":
            source = ConsentSource.LIST_UNSUBSCRIBE if one_click else ConsentSource.UNSUBSCRIBE_LINK
            services.unsubscribe_apply(token=token, source=source)
            if one_click:
                return HttpResponse(status=200)
        context = {"recipient": recipient, "email": recipient.campaign.channel == ChannelKind.EMAIL, "done": request.method == "POST"}
        response = render(request, "web/campaigns/public/unsubscribe.html", context)
    response.headers["Content-Language"] = language
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _provider_call(view):
    """JSON in, JSON out; 401 without `Authorization: Bearer <MANYI_SMS_TOKEN>`."""

    def wrapper(request):
        expected = settings.MANYI_SMS_TOKEN
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return JsonResponse({"code": "unauthorized", "message": "Send Authorization: Bearer <the SMS token>."}, status=401)
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JsonResponse({"code": "bad_request", "message": "The body must be a JSON object."}, status=400)
        try:
            return JsonResponse(view(body))
        except ApplicationError as exc:
            return JsonResponse(exc.as_dict(), status=exc.status)

    return csrf_exempt(require_POST(wrapper))


@_provider_call
def sms_receipt(body: dict) -> dict:
    """{"id": provider message id, "status": delivered|failed|bounced|undelivered, "detail": ""}."""
    event = services.delivery_receipt(provider_id=str(body.get("id", "")), status=str(body.get("status", "")), detail=str(body.get("detail", "")))
    return {"recorded": event is not None}


@_provider_call
def sms_inbound(body: dict) -> dict:
    """{"from": mobile number, "text": the reply, "ref": our ref of the message replied to (optional)}."""
    return services.sms_inbound(sender=str(body.get("from", "")), text=str(body.get("text", "")), ref=str(body.get("ref", "")))
