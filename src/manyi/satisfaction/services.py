"""Every write of surveys: invitations (personal links), answers through a
link, answers entered by staff, and what an answer sets off — the verdict,
the comment's emotion reading, a follow-up task (and, at high escalation
risk, a complaint) for a dissatisfied customer, and the move of the
customer's relationship depth.

The comment's emotion reading is kept on the response itself rather than as
an interactions.EmotionReading: that table is one-to-one with an Interaction,
and a survey comment is not a visit, call or message (counting it as one
would change activity figures and the first-interaction depth rule)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import ApiToken, User
from manyi.analytics.models import Order, OrderLine
from manyi.care.models import FollowUpKind
from manyi.care.services import followup_open
from manyi.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from manyi.customers.access import visible_customers
from manyi.customers.depth import depth_record
from manyi.customers.models import Customer, DepthEvidence
from manyi.emotion.engine import Engine
from manyi.interactions.models import Escalation
from manyi.loyalty.services import points_for_survey
from manyi.satisfaction import scoring
from manyi.satisfaction.drivers import Driver, drivers_for
from manyi.satisfaction.models import (
    SurveyAnswer,
    SurveyAttempt,
    SurveyInvitation,
    SurveyKind,
    SurveyLanguage,
    SurveyResponse,
    SurveyTrigger,
    Verdict,
)
from manyi.service import services as complaint_services
from manyi.service.intake import RateLimited, client_key
from manyi.service.models import ComplaintChannel

logger = logging.getLogger(__name__)

MAX_COMMENT = 2000
MAX_EXPIRY_DAYS = 90
# Posts to public survey pages from one client within RATE_WINDOW.
RATE_LIMIT = 20
RATE_WINDOW = dt.timedelta(minutes=10)


class AlreadyInvited(ApplicationError):
    """A link was made for this trigger and source already (its token was shown then)."""

    code = "survey_already_invited"


class SurveyAnswered(ApplicationError):
    status = 409
    code = "survey_answered"


class SurveyExpired(ApplicationError):
    status = 410
    code = "survey_expired"


def can_survey(user: User, customer: Customer) -> bool:
    """Send a link to, or enter an answer for, a customer: anyone who sees it and is not read-only."""
    if not (user and user.is_authenticated and user.is_active) or user.is_read_only:
        return False
    return visible_customers(user).filter(pk=customer.pk).exists()


def _main_product(customer: Customer, source: str) -> int | None:
    """For "order:<id>" of this customer, the product of its largest line."""
    kind, _sep, ref = source.partition(":")
    if kind != "order" or not ref.isdigit() or not Order.objects.filter(pk=int(ref), customer_id=customer.pk).exists():
        return None
    line = OrderLine.objects.filter(order_id=int(ref)).values("product_id").annotate(total=Sum("amount")).order_by("-total", "product_id").first()
    return line["product_id"] if line else None


def survey_invite(
    *,
    customer: Customer,
    kind: str,
    trigger: str = SurveyTrigger.MANUAL,
    source: str = "",
    language: str | None = None,
    by: User | None = None,
    expires_in_days: int = 14,
) -> tuple[SurveyInvitation, str]:
    """A personal survey link for `customer`; returns the invitation and its
    token, which is never stored (only its SHA-256) and so is known only now.
    `by` is None when the system sends it (a closed complaint, an order, a
    visit). With a `source`, one link per (trigger, source): a second call
    raises AlreadyInvited (code survey_already_invited)."""
    if by is not None and not can_survey(by, customer):
        raise PermissionDenied(_("You may not send surveys to this customer."))
    errors: dict[str, list[str]] = {}
    language = language or SurveyLanguage.ZH
    source = (source or "").strip()
    if kind not in SurveyKind.values:
        errors["kind"] = [_("Choose CSAT, NPS or expectation vs. perception.")]
    if trigger not in SurveyTrigger.values:
        errors["trigger"] = [_("Unknown trigger.")]
    if language not in SurveyLanguage.values:
        errors["language"] = [_("Choose Chinese or English.")]
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int) or not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        errors["expires_in_days"] = [_("Between 1 and %(max)d days.") % {"max": MAX_EXPIRY_DAYS}]
    if len(source) > SurveyInvitation._meta.get_field("source").max_length:
        errors["source"] = [_("At most 64 characters.")]
    if customer.deleted_at is not None:
        errors["customer"] = [_("This customer is deleted.")]
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    already = AlreadyInvited(_("A survey link was sent for this already."))
    if source and SurveyInvitation.objects.filter(trigger=trigger, source=source).exists():
        raise already
    token = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                customer=customer, kind=kind, trigger=trigger, source=source, language=language,
                product_id=_main_product(customer, source), digest=ApiToken.digest_of(token),
                expires_at=timezone.now() + dt.timedelta(days=expires_in_days), created_by=by,
            )  # fmt: skip
    except IntegrityError:  # another request made it first
        raise already from None
    return invitation, token


def survey_open(*, invitation: SurveyInvitation) -> None:
    """The customer opened the link: the first time is kept."""
    if invitation.opened_at is None:
        now = timezone.now()
        SurveyInvitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


def survey_rate_check(*, client_address: str) -> None:
    """Count a post to a public survey page; RateLimited past RATE_LIMIT in RATE_WINDOW."""
    now = timezone.now()
    client = client_key(client_address)
    with transaction.atomic():
        SurveyAttempt.objects.filter(at__lt=now - 2 * RATE_WINDOW).delete()
        recent = SurveyAttempt.objects.filter(client=client, at__gte=now - RATE_WINDOW).count()
        SurveyAttempt.objects.create(client=client, at=now)
    if recent >= RATE_LIMIT:
        raise RateLimited(_("Too many answers were sent from here in a short time. Please wait ten minutes."))


# --- answers ---------------------------------------------------------------------------


def _rating(value: Any, low: int, high: int) -> int | None:
    """An integer in [low, high] from a form or JSON value; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if low <= number <= high else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse(kind: str, customer_kind: str, data: dict[str, Any]) -> tuple[int | None, list[tuple[str, int, int]], str]:
    """(score, [(driver, expectation, perception)], comment), or ValidationFailed naming each field."""
    errors: dict[str, list[str]] = {}
    score = None
    answers: list[tuple[str, int, int]] = []
    if kind in (SurveyKind.CSAT, SurveyKind.NPS):
        low, high = scoring.CSAT_RANGE if kind == SurveyKind.CSAT else scoring.NPS_RANGE
        score = _rating(data.get("score"), low, high)
        if score is None:
            errors["score"] = [_("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high}]
    else:
        low, high = scoring.RATING_RANGE
        for driver in drivers_for(customer_kind):
            names = (f"expectation_{driver.value}", f"perception_{driver.value}")
            raw = [data.get(name) for name in names]
            if all(_blank(v) for v in raw):
                continue
            values = [_rating(v, low, high) for v in raw]
            for name, value, given in zip(names, values, raw, strict=True):
                if value is None and not _blank(given):
                    errors[name] = [_("Choose from %(low)d to %(high)d.") % {"low": low, "high": high}]
                elif value is None:
                    errors[name] = [_("Rate what you got as well.") if name.startswith("perception") else _("Rate what you expected as well.")]
            if None not in values:
                answers.append((driver.value, values[0], values[1]))
        unknown = sorted(k for k in data if k.startswith(("expectation_", "perception_")) and k.partition("_")[2] not in {d.value for d in drivers_for(customer_kind)})
        for name in unknown:
            errors[name] = [_("This survey does not ask about that.")]
        if not answers and not errors:
            errors["answers"] = [_("Rate at least one item: what you expected and what you got.")]
    comment = complaint_services.clean_text(data.get("comment"), field="comment", errors=errors, max_length=MAX_COMMENT)
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    return score, answers, comment


def _read_emotion(response: SurveyResponse) -> None:
    """The engine's reading of the comment, on the response. A reading that
    fails is logged; the answer is kept without one."""
    if not response.comment:
        return
    try:
        reading = Engine.default().analyze(response.comment)
    except Exception:
        logger.exception("The emotion reading of survey response %s failed; it is kept without one.", response.pk)
        return
    response.emotion_polarity = reading.polarity
    response.emotion_score = round(reading.polarity_score, 4)
    response.emotion_primary = reading.primary
    response.emotion_escalation = reading.escalation
    response.emotion_cause = reading.cause or ""
    response.emotion_tags = list(reading.tags)
    response.emotion_evidence = [{"text": e.text, "start": e.start, "end": e.end, "points_to": e.points_to} for e in reading.evidence]
    response.emotion_model = reading.model_version


def result_text(response: SurveyResponse) -> str:
    """"CSAT 2/5", "NPS 4/10", "mean gap -1.50"."""
    if response.kind == SurveyKind.CSAT:
        return f"CSAT {response.score}/5"
    if response.kind == SurveyKind.NPS:
        return f"NPS {response.score}/10"
    return _("mean gap %(gap)+.2f") % {"gap": response.mean_gap}


def _detail(response: SurveyResponse, answers: list[tuple[str, int, int]]) -> str:
    lines = [result_text(response)]
    labels = dict(Driver.choices)
    for driver, expectation, perception in answers:
        lines.append(_("%(driver)s: expected %(e)d, got %(p)d (%(gap)+d)") % {"driver": labels[driver], "e": expectation, "p": perception, "gap": perception - expectation})
    if response.comment:
        lines.append(_("Comment: %(comment)s") % {"comment": response.comment})
    if response.emotion_polarity:
        lines.append(_("Emotion: %(polarity)s %(score)+.2f, %(risk)s") % {
            "polarity": response.get_emotion_polarity_display(), "score": response.emotion_score, "risk": response.get_emotion_escalation_display(),
        })  # fmt: skip
    return "\n".join(lines)


def _record(*, customer: Customer, kind: str, data: dict[str, Any], invitation: SurveyInvitation | None = None, by: User | None = None) -> SurveyResponse:
    """Validate and keep one answer and everything it sets off (inside the caller's transaction)."""
    score, answers, comment = _parse(kind, customer.kind, data)
    gaps = [scoring.gap(e, p) for _d, e, p in answers]
    response = SurveyResponse(
        invitation=invitation, entered_by=by, customer=customer, kind=kind,
        trigger=invitation.trigger if invitation else SurveyTrigger.MANUAL,
        language=invitation.language if invitation else SurveyLanguage.ZH,
        owner_id=customer.owner_id, team_id=customer.team_id, product_id=invitation.product_id if invitation else None,
        answered_at=timezone.now(), score=score, mean_gap=scoring.mean(gaps) if kind == SurveyKind.SPE else None,
        verdict=scoring.verdict(kind, score=score, gaps=gaps), comment=comment,
    )  # fmt: skip
    _read_emotion(response)
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:  # the link was answered by a request that ran at the same time
        raise SurveyAnswered(_("This survey has been answered already. Thank you!")) from None
    SurveyAnswer.objects.bulk_create([SurveyAnswer(response=response, driver=d, expectation=e, perception=p) for d, e, p in answers])
    source = f"survey-response:{response.pk}"
    dissatisfied = response.verdict == Verdict.DISSATISFIED
    depth_record(
        customer=customer, evidence=DepthEvidence.SURVEY_DISSATISFIED if dissatisfied else DepthEvidence.SURVEY_SATISFIED, by=by, note=source,
    )  # fmt: skip
    points_for_survey(customer=customer, response_id=response.pk)
    if dissatisfied:
        title = _("Dissatisfied survey answer from %(customer)s: %(result)s") % {"customer": customer.name, "result": result_text(response)}
        response.follow_up = followup_open(
            customer=customer, kind=FollowUpKind.SURVEY, source=source, title=title, detail=_detail(response, answers), due_on=timezone.localdate(), by=by,
        )  # fmt: skip
        if response.emotion_escalation == Escalation.HIGH:
            filing = complaint_services.Filing(
                customer=customer, channel=ComplaintChannel.WEB if invitation else ComplaintChannel.IN_PERSON,
                subject=_("Survey answer: %(result)s") % {"result": result_text(response)}, description=comment,
            )  # fmt: skip
            response.complaint = complaint_services.complaint_create(by=by, filing=filing)
        response.save(update_fields=["follow_up", "complaint", "updated_at"])
    return response


def survey_answer(*, invitation: SurveyInvitation, data: dict[str, Any]) -> SurveyResponse:
    """The customer's answer through their personal link: once per link (a
    second answer, even one sent at the same moment, is SurveyAnswered), not
    after the link expired (SurveyExpired); field errors as ValidationFailed."""
    with transaction.atomic():
        locked = SurveyInvitation.objects.select_for_update().select_related("customer").get(pk=invitation.pk)
        if locked.answered_at is not None:
            raise SurveyAnswered(_("This survey has been answered already. Thank you!"))
        now = timezone.now()
        if locked.expires_at <= now or locked.customer.deleted_at is not None:
            raise SurveyExpired(_("This survey link has expired."))
        response = _record(customer=locked.customer, kind=locked.kind, data=data, invitation=locked)
        locked.answered_at = now
        locked.save(update_fields=["answered_at", "updated_at"])
        invitation.answered_at = now
        return response


def survey_enter(*, by: User, customer: Customer, kind: str, data: dict[str, Any]) -> SurveyResponse:
    """An answer the customer gave on paper, by phone or in person, typed in by staff."""
    if not can_survey(by, customer):
        raise PermissionDenied(_("You may not enter survey answers for this customer."))
    if kind not in SurveyKind.values:
        raise ValidationFailed(_("Please correct the fields marked below."), fields={"kind": [_("Choose CSAT, NPS or expectation vs. perception.")]})
    if customer.deleted_at is not None:
        raise ValidationFailed(_("Please correct the fields marked below."), fields={"customer": [_("This customer is deleted.")]})
    with transaction.atomic():
        return _record(customer=customer, kind=kind, data=data, by=by)
