"""Survey links sent by the system after a closed complaint, a purchase or a
visit. The token is known only when the invitation is made, so the link is
mailed from here, after the transaction that made it commits."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from manyi.campaigns.models import ChannelKind
from manyi.campaigns.selectors import consent_state
from manyi.customers.models import Customer
from manyi.satisfaction.models import SurveyInvitation, SurveyKind, SurveyTrigger
from manyi.satisfaction.services import AlreadyInvited, survey_invite

logger = logging.getLogger(__name__)

# Ask a customer no more often than this, except after a closed complaint.
QUIET_DAYS = 30


def survey_link(token: str) -> str:
    return settings.MANYI_PUBLIC_URL.rstrip("/") + reverse("web:survey_public", args=[token])


def survey_send_after(*, customer: Customer, trigger: str, source: str) -> SurveyInvitation | None:
    """E-mail `customer` a CSAT link for `source` ("complaint:12", "order:5",
    "visit:9"); None when it is not sent: no e-mail address, no mail server
    (MANYI_SMTP_URL), the customer unsubscribed from our e-mail, a link for
    this source exists, or — except after a complaint — the customer was
    asked within QUIET_DAYS."""
    if not customer.email or not settings.MANYI_SMTP_URL or customer.deleted_at is not None:
        return None
    consent = consent_state(customer=customer, channel=ChannelKind.EMAIL)
    if consent is not None and not consent.granted:
        return None
    if trigger != SurveyTrigger.COMPLAINT_CLOSED:
        since = timezone.now() - dt.timedelta(days=QUIET_DAYS)
        if SurveyInvitation.objects.filter(customer=customer, created_at__gte=since).exists():
            return None
    try:
        invitation, token = survey_invite(customer=customer, kind=SurveyKind.CSAT, trigger=trigger, source=source)
    except AlreadyInvited:
        return None
    address, name, link = customer.email, customer.name, survey_link(token)
    transaction.on_commit(lambda: _mail(address, name, link, invitation.language))
    return invitation


def _mail(address: str, name: str, link: str, language: str) -> None:
    with translation.override(language):
        subject = _("How did we do? A one-minute survey")
        body = _(
            "Dear %(name)s,\n\nThank you for your trust. Would you tell us how satisfied you are? "
            "It takes a minute:\n\n%(link)s\n\nThe link is personal and can be used once."
        ) % {"name": name, "link": link}
    try:
        send_mail(subject, body, settings.MANYI_MAIL_FROM, [address])
    except OSError:
        # The survey is a courtesy: a mail server that is down must not undo
        # the complaint, order or visit that asked for it.
        logger.exception("survey link to %s not sent", address)
