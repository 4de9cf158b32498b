"""Every write of campaigns: consent, templates, campaigns, launching and
sending, pausing, resuming, cancelling, resending, delivery reports and
unsubscribes. Keyword-only; one transaction each.

Sending (campaign_send_run, run by the task campaigns.tasks.campaign_send):
1. claim: in one transaction that locks the campaign row, count the
   messages claimed in the last throttle window (from the database, so
   several workers together keep the limit), re-check consent, and mark at
   most the remaining allowance (and one batch) `sending`; COMMIT;
2. send them over one channel connection;
3. record each outcome (sent / failed / pending again for a transient
   failure, at most MAX_ATTEMPTS tries);
4. repeat while the window allows, then queue the next run for when it
   opens again (django-tasks run_after); the campaign is done when no
   recipient is pending or sending.
A recipient still `sending` CLAIM_TIMEOUT after its claim belonged to a
worker that died between claim and result: it may or may not have received
the message, so it becomes `uncertain` and is never sent again on its own
(recipient_resend, by a person). A rerun after a crash sends no one twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import User
from manyi.analytics.metrics.rfm import SEGMENTS
from manyi.campaigns import merge, selectors, throttle
from manyi.campaigns.channels import Outcome, Outgoing, channel_for
from manyi.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    ChannelKind,
    ConsentEvent,
    ConsentSource,
    DeliveryEvent,
    DeliveryKind,
    Group,
    Language,
    Recipient,
    RecipientStatus,
    SkipReason,
    Template,
)
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from manyi.customers.models import Customer, Grade, Importance, Kind
from manyi.loyalty.models import Member, MemberStatus

BATCH_SIZE = 200
MAX_ATTEMPTS = 3
CLAIM_TIMEOUT = dt.timedelta(minutes=5)
# One run sends for at most this long, then queues the next: other tasks get a turn.
RUN_SECONDS = 60.0
CREATE_CHUNK = 2000
WINBACK_CONTROL_SHARE = 0.1
MAX_CONTROL_SHARE = 0.5
UNSUBSCRIBE_SALT = "manyi.campaigns.unsubscribe"
# An inbound SMS that is exactly one of these (case and spaces ignored) is an opt-out.
SMS_STOP_WORDS = {"t", "td", "退订", "unsubscribe", "stop", "n"}


# --- templates ---------------------------------------------------------------------


def template_check(*, channel: str, subject: str, body: str) -> None:
    """ValidationFailed naming the field and the merge field or position at fault."""
    errors: dict[str, list[str]] = {}
    for name, text in (("subject", subject), ("body", body)):
        try:
            merge.fields_used(text or "")
        except merge.MergeError as exc:
            if exc.kind == "unknown":
                message = _("Unknown merge field {{%(field)s}}. Use one of: %(known)s.") % {
                    "field": exc.field, "known": ", ".join("{{%s}}" % f for f in merge.FIELDS)}  # fmt: skip
            else:
                message = _("Braces that do not make a merge field at character %(position)s; a field is written {{name}}.") % {"position": exc.position}
            errors[name] = [message]
    if not (body or "").strip():
        errors.setdefault("body", []).append(_("Write the message."))
    if channel == ChannelKind.EMAIL and not (subject or "").strip():
        errors.setdefault("subject", []).append(_("An e-mail needs a subject."))
    if errors:
        raise ValidationFailed(_("The template has errors: %(fields)s.") % {"fields": ", ".join(errors)}, fields=errors)


TEMPLATE_FIELDS = ("name", "channel", "language", "subject", "body")


def template_create(*, by: User, data: dict[str, Any]) -> Template:
    """data: name, channel, language (zh-hans|en), subject (e-mail), body. The
    template belongs to the author's team (company-wide for an administrator without one)."""
    if not selectors.can_run_campaigns(by):
        raise PermissionDenied(_("Your role may not write campaign templates."))
    template = Template(team_id=by.team_id, created_by=by, **{k: v for k, v in data.items() if k in TEMPLATE_FIELDS})
    _template_validate(template)
    template.save()
    return template


def template_update(*, template: Template, by: User, data: dict[str, Any]) -> Template:
    if not selectors.can_run_campaigns(by) or not (by.is_admin or template.created_by_id == by.pk or (by.is_manager and template.team_id == by.team_id)):
        raise PermissionDenied(_("Only the author, their manager or an administrator may change this template."))
    for key, value in data.items():
        if key in TEMPLATE_FIELDS:
            setattr(template, key, value)
    _template_validate(template)
    template.save()
    return template


def _template_validate(template: Template) -> None:
    if not (template.name or "").strip():
        raise ValidationFailed(_("Name the template."), fields={"name": [_("Name the template.")]})
    if template.channel not in ChannelKind.values:
        raise ValidationFailed(_("Unknown channel."), fields={"channel": [_("Choose e-mail or SMS.")]})
    if template.language not in Language.values:
        raise ValidationFailed(_("Unknown language."), fields={"language": [_("Choose Chinese or English.")]})
    if template.channel == ChannelKind.SMS:
        template.subject = ""


# --- consent -----------------------------------------------------------------------------


@transaction.atomic
def consent_record(
    *, customer: Customer, channel: str, granted: bool, source: str, by: User | None = None, note: str = "", at: dt.datetime | None = None
) -> ConsentEvent:
    """Append a grant or withdrawal; the latest event is the consent in force."""
    if channel not in ChannelKind.values:
        raise ValidationFailed(_("Unknown channel."), fields={"channel": [_("Choose e-mail or SMS.")]})
    if source not in ConsentSource.values:
        raise ValidationFailed(_("Unknown source."), fields={"source": [_("Unknown source.")]})
    if by is not None and by.is_read_only:
        raise PermissionDenied(_("Your role is read-only."))
    return ConsentEvent.objects.create(customer=customer, channel=channel, granted=granted, source=source, by=by, note=note[:300], at=at or timezone.now())


def consent_record_many(*, customer_ids: Iterable[int], channel: str, granted: bool, source: str, by: User | None = None, note: str = "") -> int:
    """The same event for many customers at once (an import's consent column); returns how many."""
    now = timezone.now()
    rows = [ConsentEvent(customer_id=c, channel=channel, granted=granted, source=source, by=by, note=note[:300], at=now) for c in customer_ids]
    with transaction.atomic():
        ConsentEvent.objects.bulk_create(rows, batch_size=CREATE_CHUNK)
    return len(rows)


# --- unsubscribe links ------------------------------------------------------------------


def unsubscribe_token(recipient: Recipient) -> str:
    """Signed, without a date: the same link for the recipient every time, valid as long as the key."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([recipient.pk, recipient.customer_id], compress=True)


def unsubscribe_recipient(token: str) -> Recipient:
    """The recipient a link was made for; NotFound for a forged or damaged link."""
    try:
        recipient_id, customer_id = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
        return Recipient.objects.select_related("campaign", "customer").get(pk=recipient_id, customer_id=customer_id)
    except (signing.BadSignature, ValueError, TypeError, Recipient.DoesNotExist):
        raise NotFound(_("This unsubscribe link is not valid. Please use the link from the message itself.")) from None


@transaction.atomic
def unsubscribe_apply(*, token: str, source: str = ConsentSource.UNSUBSCRIBE_LINK) -> Recipient:
    """Withdraw the consent for the campaign's channel (once: a second click records nothing new)."""
    recipient = unsubscribe_recipient(token)
    channel = recipient.campaign.channel
    current = selectors.consent_state(customer=recipient.customer_id, channel=channel)
    if current is None or current.granted:
        note = _("Campaign: %(name)s") % {"name": recipient.campaign.name}
        consent_record(customer=recipient.customer, channel=channel, granted=False, source=source, note=note)
        DeliveryEvent.objects.create(recipient=recipient, kind=DeliveryKind.UNSUBSCRIBED, detail=source)
    return recipient


def unsubscribe_url(recipient: Recipient, campaign: Campaign) -> str:
    base = (campaign.public_url or settings.MANYI_PUBLIC_URL).rstrip("/")
    return base + reverse("web:unsubscribe", args=[unsubscribe_token(recipient)])


# --- campaigns -----------------------------------------------------------------------------

CAMPAIGN_FIELDS = ("name", "kind", "channel", "template", "audience", "control_share", "throttle_limit", "throttle_window", "scheduled_at")


def audience_check(audience: Any) -> dict[str, Any]:
    """The audience definition, normalised; ValidationFailed naming the bad key or value."""
    if audience in (None, ""):
        return {}
    if not isinstance(audience, dict):
        raise ValidationFailed(_("The audience must be an object."), fields={"audience": [_("The audience must be an object.")]})
    allowed = {"segments": list(SEGMENTS), "grades": list(Grade.values), "importance": list(Importance.values)}
    clean: dict[str, Any] = {}
    for key, value in audience.items():
        if key not in selectors.AUDIENCE_KEYS:
            message = _("Unknown audience key %(key)s; use %(keys)s.") % {"key": key, "keys": ", ".join(selectors.AUDIENCE_KEYS)}
            raise ValidationFailed(message, fields={"audience": [message]})
        if key == "winback":
            clean[key] = bool(value)
        elif key == "owner":
            if value in (None, ""):
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValidationFailed(_("The owner is a user id."), fields={"audience": [_("The owner is a user id.")]})
            clean[key] = value
        else:
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                message = _("%(key)s must be a list of names.") % {"key": key}
                raise ValidationFailed(message, fields={"audience": [message]})
            bad = [v for v in values if key in allowed and v not in allowed[key]]
            if bad:
                message = _("Unknown %(key)s: %(values)s.") % {"key": key, "values": ", ".join(bad)}
                raise ValidationFailed(message, fields={"audience": [message]})
            if values:
                clean[key] = sorted(set(values))
    return clean


def _campaign_validate(campaign: Campaign, by: User) -> None:
    errors: dict[str, list[str]] = {}
    if not (campaign.name or "").strip():
        errors["name"] = [_("Name the campaign.")]
    if campaign.kind not in CampaignKind.values:
        errors["kind"] = [_("Choose marketing or win-back.")]
    if campaign.channel not in ChannelKind.values:
        errors["channel"] = [_("Choose e-mail or SMS.")]
    elif campaign.template_id and campaign.template.channel != campaign.channel:
        errors["template"] = [_("The template is for another channel.")]
    if not 0 <= campaign.control_share <= MAX_CONTROL_SHARE:
        errors["control_share"] = [_("Hold back between 0 and 50%% of the audience.").replace("%%", "%")]
    if campaign.throttle_limit < 1:
        errors["throttle_limit"] = [_("At least one message per window.")]
    if campaign.throttle_window < 1:
        errors["throttle_window"] = [_("The window is at least one second.")]
    if errors:
        raise ValidationFailed(_("Please correct the fields marked below."), fields=errors)
    campaign.audience = audience_check(campaign.audience)


@transaction.atomic
def campaign_create(*, by: User, data: dict[str, Any]) -> Campaign:
    """data: name, kind (marketing|winback), channel (email|sms), template
    (a Template the user may see), audience (dict, see Campaign.audience),
    control_share (default 0.1 for win-back, 0 for marketing),
    throttle_limit / throttle_window (messages per seconds), scheduled_at."""
    if not selectors.can_run_campaigns(by):
        raise PermissionDenied(_("Your role may not run campaigns."))
    values = {k: v for k, v in data.items() if k in CAMPAIGN_FIELDS}
    if values.get("control_share") is None:
        values["control_share"] = WINBACK_CONTROL_SHARE if values.get("kind") == CampaignKind.WINBACK else 0.0
    values = {k: v for k, v in values.items() if v is not None}
    if "template" not in values:
        raise ValidationFailed(_("Choose a template."), fields={"template": [_("Choose a template.")]})
    campaign = Campaign(created_by=by, team_id=by.team_id, **values)
    _campaign_validate(campaign, by)
    campaign.save()
    return campaign


def _require_manage(campaign: Campaign, by: User) -> None:
    if not selectors.can_manage(by, campaign):
        raise PermissionDenied(_("Only the campaign's author, their manager or an administrator may do this."))


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: User, data: dict[str, Any]) -> Campaign:
    """Change a draft; a launched campaign only its name and throttle."""
    _require_manage(campaign, by)
    launched = campaign.status != CampaignStatus.DRAFT
    for key, value in data.items():
        if key not in CAMPAIGN_FIELDS:
            continue
        if launched and key not in ("name", "throttle_limit", "throttle_window"):
            raise ApplicationError(_("A launched campaign keeps its audience, template and schedule."), code="campaign_launched")
        setattr(campaign, key, value)
    _campaign_validate(campaign, by)
    campaign.save()
    return campaign


def _enqueue_send(campaign_id: int, run_after: dt.datetime | None = None) -> None:
    from manyi.campaigns.tasks import campaign_send

    task = campaign_send.using(run_after=run_after) if run_after and run_after > timezone.now() else campaign_send
    transaction.on_commit(lambda: task.enqueue(campaign_id))


def campaign_launch(*, campaign: Campaign, by: User, public_url: str = "", now: dt.datetime | None = None) -> Campaign:
    """Resolve the audience among the customers `by` may send to, write one
    Recipient per customer (skipped: no consent, unsubscribed, no address;
    held back: the control group) and queue the sending for scheduled_at (now
    when empty). `public_url`: the site's address, base of the unsubscribe links."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("template").get(pk=campaign.pk)
        _require_manage(campaign, by)
        if campaign.status != CampaignStatus.DRAFT:
            raise ApplicationError(_("This campaign has been launched already."), code="campaign_launched")
        if campaign.channel == ChannelKind.SMS and not settings.MANYI_SMS_URL:
            raise ApplicationError(_("No SMS provider is configured (MANYI_SMS_URL)."), code="no_sms_provider")
        address_field = "email" if campaign.channel == ChannelKind.EMAIL else "mobile"
        audience = selectors.audience_customers(user=by, audience=campaign.audience)
        people = list(audience.order_by("pk").values_list("pk", address_field, "phone"))
        consent = selectors.consent_latest(customer_ids=[p[0] for p in people], channel=campaign.channel)
        rows = []
        for customer_id, address, phone in people:
            address = (address or (phone if campaign.channel == ChannelKind.SMS else "") or "").strip()
            row = Recipient(campaign=campaign, customer_id=customer_id, address=address[:254])
            state = consent.get(customer_id)
            if state is None or state is False:
                row.status, row.skip_reason = RecipientStatus.SKIPPED, SkipReason.NO_CONSENT if state is None else SkipReason.UNSUBSCRIBED
            elif not address:
                row.status, row.skip_reason = RecipientStatus.SKIPPED, SkipReason.NO_ADDRESS
            elif selectors.in_control_group(campaign_id=campaign.pk, customer_id=customer_id, share=campaign.control_share):
                row.group, row.status, row.skip_reason = Group.CONTROL, RecipientStatus.SKIPPED, SkipReason.CONTROL
            else:
                row.group = Group.TREATMENT
            rows.append(row)
        Recipient.objects.bulk_create(rows, batch_size=CREATE_CHUNK)
        later = campaign.scheduled_at is not None and campaign.scheduled_at > now
        campaign.status = CampaignStatus.SCHEDULED if later else CampaignStatus.SENDING
        campaign.launched_by, campaign.launched_at = by, now
        campaign.public_url = public_url[:200]
        campaign.save(update_fields=["status", "launched_by", "launched_at", "public_url", "updated_at"])
        _enqueue_send(campaign.pk, campaign.scheduled_at if later else None)
    return campaign


@transaction.atomic
def campaign_pause(*, campaign: Campaign, by: User) -> Campaign:
    """Stop claiming; messages already claimed finish."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_manage(campaign, by)
    if campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        raise ApplicationError(_("Only a scheduled or sending campaign can be paused."), code="campaign_not_sending")
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, by: User) -> Campaign:
    """Carry on a paused campaign, or give a sending one a new run (after a
    worker crash nothing may be queued for it any more)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_manage(campaign, by)
    if campaign.status not in (CampaignStatus.PAUSED, CampaignStatus.SENDING):
        raise ApplicationError(_("Only a paused or sending campaign can be resumed."), code="campaign_not_paused")
    campaign.status = CampaignStatus.SENDING
    campaign.save(update_fields=["status", "updated_at"])
    _enqueue_send(campaign.pk)
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, by: User) -> Campaign:
    """Nothing more is sent: every pending recipient is skipped as cancelled."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _require_manage(campaign, by)
    if campaign.status in (CampaignStatus.DONE, CampaignStatus.CANCELLED):
        raise ApplicationError(_("This campaign has finished already."), code="campaign_finished")
    campaign.recipients.filter(status=RecipientStatus.PENDING).update(status=RecipientStatus.SKIPPED, skip_reason=SkipReason.CANCELLED)
    campaign.status, campaign.finished_at = CampaignStatus.CANCELLED, timezone.now()
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    return campaign


@transaction.atomic
def recipient_resend(*, recipient: Recipient, by: User) -> Recipient:
    """A person decided: send an uncertain or failed message again (consent is checked again at sending)."""
    recipient = Recipient.objects.select_for_update().select_related("campaign").get(pk=recipient.pk)
    campaign = recipient.campaign
    _require_manage(campaign, by)
    if recipient.status not in (RecipientStatus.UNCERTAIN, RecipientStatus.FAILED):
        raise ApplicationError(_("Only an uncertain or failed message can be sent again."), code="recipient_not_resendable")
    if campaign.status == CampaignStatus.CANCELLED:
        raise ApplicationError(_("This campaign was cancelled."), code="campaign_finished")
    recipient.status, recipient.attempts, recipient.error = RecipientStatus.PENDING, 0, ""
    recipient.save(update_fields=["status", "attempts", "error"])
    if campaign.status == CampaignStatus.DONE:
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING, finished_at=None)
    if campaign.status in (CampaignStatus.DONE, CampaignStatus.SENDING):
        _enqueue_send(campaign.pk)
    return recipient


# --- sending -----------------------------------------------------------------------------------


def _claim(campaign_id: int, now: dt.datetime) -> tuple[Campaign | None, list[Recipient], dt.datetime | None]:
    """(campaign, recipients now `sending`, when the throttle opens again if it is shut)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("template").filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.SENDING:
            return campaign, [], None
        recipients = Recipient.objects.filter(campaign_id=campaign_id)
        recipients.filter(status=RecipientStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT).update(
            status=RecipientStatus.UNCERTAIN,
            error=_("The sending worker stopped before recording the result: check whether the message arrived before sending it again."),
        )
        window = now - dt.timedelta(seconds=campaign.throttle_window)
        in_window = recipients.filter(claimed_at__gt=window)
        free = throttle.allowance(limit=campaign.throttle_limit, claimed_in_window=in_window.count())
        if free == 0:
            oldest = in_window.aggregate(oldest=Min("claimed_at"))["oldest"]
            return campaign, [], throttle.next_opening(oldest_in_window=oldest, window=campaign.throttle_window)
        pending = list(
            recipients.filter(status=RecipientStatus.PENDING).select_related("customer", "customer__owner").order_by("id")[: min(free, BATCH_SIZE)]
        )
        consent = selectors.consent_latest(customer_ids=[r.customer_id for r in pending], channel=campaign.channel)
        claimed = [r for r in pending if consent.get(r.customer_id)]
        for reason, gone in ((SkipReason.UNSUBSCRIBED, False), (SkipReason.NO_CONSENT, None)):
            ids = [r.pk for r in pending if consent.get(r.customer_id) is gone]
            if ids:
                recipients.filter(pk__in=ids).update(status=RecipientStatus.SKIPPED, skip_reason=reason)
        if claimed:
            recipients.filter(pk__in=[r.pk for r in claimed]).update(status=RecipientStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
            for r in claimed:
                r.status, r.claimed_at, r.attempts = RecipientStatus.SENDING, now, r.attempts + 1
        return campaign, claimed, None


def _points(customer_id: int, template: Template) -> str:
    """A member's points balance, read only for a template that shows it."""
    if "points" not in merge.fields_used(template.subject + "\n" + template.body):
        return ""
    balance = Member.objects.filter(customer_id=customer_id, status=MemberStatus.ACTIVE).values_list("balance", flat=True).first()
    return "" if balance is None else str(balance)


def _merge_values(recipient: Recipient, campaign: Campaign, language: str) -> dict[str, str]:
    customer = recipient.customer
    person = customer.kind == Kind.INDIVIDUAL
    return {
        "name": customer.name,
        "honorific": merge.honorific(name=customer.name, person=person, gender=customer.gender, language=language),
        "company": "" if person else customer.name,
        "owner_name": customer.owner.name,
        "owner_phone": customer.owner.phone,
        "unsubscribe_url": unsubscribe_url(recipient, campaign),
        "points": _points(customer.pk, campaign.template),
    }


def message_for(recipient: Recipient, campaign: Campaign) -> Outgoing:
    """The message as the recipient gets it: merged, with the unsubscribe
    link (e-mail: at the end unless the template places it; SMS: the sign
    and the opt-out words)."""
    template = campaign.template
    zh = template.language.startswith("zh")
    values = _merge_values(recipient, campaign, template.language)
    text = merge.render(template.body, values)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    if campaign.channel == ChannelKind.SMS:
        sign = settings.MANYI_SMS_SIGN
        text = (f"【{sign}】" if sign else "") + text.strip() + (" 回T退订" if zh else " Reply T to unsubscribe")
        return Outgoing(ref=str(recipient.pk), to=recipient.address, text=text)
    if "unsubscribe_url" not in merge.fields_used(template.body):
        footer = "不想再收到此类邮件？点此退订：" if zh else "To stop receiving these e-mails, unsubscribe here: "
        text = text.rstrip() + "\n\n--\n" + footer + values["unsubscribe_url"] + "\n"
    return Outgoing(
        ref=str(recipient.pk), to=recipient.address, text=text, subject=merge.render(template.subject, values).replace("\n", " "),
        message_id=recipient.message_id(domain), unsubscribe_url=values["unsubscribe_url"],
    )  # fmt: skip


def _record(claimed: list[Recipient], outcomes: list[Outcome], now: dt.datetime) -> tuple[int, int, int]:
    """Write each outcome; (sent, failed, to retry). Messages sent without a
    provider id (e-mail: its Message-ID follows from the recipient's id) are
    one UPDATE; the rest, whose ids and errors differ, a bulk update."""
    plain: list[int] = []
    varied: list[Recipient] = []
    failed = retry = 0
    for recipient, outcome in zip(claimed, outcomes, strict=True):
        if outcome.ok and not outcome.provider_id:
            plain.append(recipient.pk)
            continue
        recipient.error, recipient.provider_id = outcome.error[:2000], outcome.provider_id[:200]
        if outcome.ok:
            recipient.status, recipient.sent_at = RecipientStatus.SENT, now
        elif outcome.transient and recipient.attempts < MAX_ATTEMPTS:
            recipient.status = RecipientStatus.PENDING
            retry += 1
        else:
            recipient.status = RecipientStatus.FAILED
            failed += 1
        varied.append(recipient)
    with transaction.atomic():
        if plain:
            Recipient.objects.filter(pk__in=plain).update(status=RecipientStatus.SENT, sent_at=now, error="")
        if varied:
            Recipient.objects.bulk_update(varied, ["status", "sent_at", "provider_id", "error"], batch_size=BATCH_SIZE)
    return len(claimed) - failed - retry, failed, retry


def campaign_send_run(*, campaign_id: int, run_seconds: float = RUN_SECONDS) -> dict[str, Any]:
    """One run of the sending task: claim, send and record batch after batch
    while the throttle allows, then queue the next run (or finish the campaign).
    Returns {"sent", "failed", "retry", "next_at"}."""
    totals = {"sent": 0, "failed": 0, "retry": 0}
    started = time.monotonic()
    opens_at = None
    backoff = False
    while time.monotonic() - started < run_seconds:
        now = timezone.now()
        campaign, claimed, opens_at = _claim(campaign_id, now)
        if not claimed:
            break
        channel = channel_for(campaign.channel)
        outcomes = []
        channel.open()
        try:
            for recipient in claimed:
                outcomes.append(channel.send(message_for(recipient, campaign)))
        finally:
            channel.close()
        sent, failed, retry = _record(claimed, outcomes, timezone.now())
        totals["sent"] += sent
        totals["failed"] += failed
        totals["retry"] += retry
        if retry and not sent:
            backoff = True  # the server or provider is down: wait a window before trying again
            break
    totals["next_at"] = _finish_or_requeue(campaign_id, opens_at=opens_at, backoff=backoff)
    return totals


def _finish_or_requeue(campaign_id: int, *, opens_at: dt.datetime | None, backoff: bool) -> str | None:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.status != CampaignStatus.SENDING:
            return None
        recipients = campaign.recipients
        now = timezone.now()
        if recipients.filter(status=RecipientStatus.PENDING).exists():
            if backoff:
                next_at = now + dt.timedelta(seconds=campaign.throttle_window)
            else:
                next_at = opens_at or now
        else:
            in_flight = recipients.filter(status=RecipientStatus.SENDING).aggregate(oldest=Min("claimed_at"))["oldest"]
            if in_flight is None:
                campaign.status, campaign.finished_at = CampaignStatus.DONE, now
                campaign.save(update_fields=["status", "finished_at", "updated_at"])
                return None
            # Another worker is sending these; look again when they would count as abandoned.
            next_at = in_flight + CLAIM_TIMEOUT + dt.timedelta(seconds=1)
        _enqueue_send(campaign.pk, next_at)
        return next_at.isoformat()


@transaction.atomic
def campaign_start_scheduled(*, campaign_id: int) -> bool:
    """A scheduled campaign whose time has come starts sending (the task queued at launch calls this)."""
    updated = Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SCHEDULED, scheduled_at__lte=timezone.now()).update(
        status=CampaignStatus.SENDING, updated_at=timezone.now()
    )
    return bool(updated)


def campaigns_revive(*, now: dt.datetime | None = None) -> list[int]:
    """Queue a send run for every campaign that is sending but has claimed
    nothing for CLAIM_TIMEOUT, and for every scheduled one whose time has
    come: a worker that died (or a queue that was lost) leaves no campaign
    stuck. A run too many is harmless: runs claim under a row lock. Returns
    the campaigns queued."""
    now = now or timezone.now()
    stale = now - CLAIM_TIMEOUT
    sending = (
        Campaign.objects.filter(status=CampaignStatus.SENDING, launched_at__lt=stale)
        .annotate(last_claim=Max("recipients__claimed_at"))
        .filter(Q(last_claim__isnull=True) | Q(last_claim__lt=stale))
        .values_list("pk", flat=True)
    )
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, scheduled_at__lt=stale).values_list("pk", flat=True)
    queued = sorted({*sending, *due})
    for campaign_id in queued:
        _enqueue_send(campaign_id)
    return queued


# --- what comes back -------------------------------------------------------------------------------

RECEIPT_KINDS = {"delivered": DeliveryKind.DELIVERED, "failed": DeliveryKind.BOUNCED, "bounced": DeliveryKind.BOUNCED, "undelivered": DeliveryKind.BOUNCED}


@transaction.atomic
def delivery_receipt(*, provider_id: str, status: str, detail: str = "") -> DeliveryEvent | None:
    """A provider's delivery report for a message it accepted; None when the id is unknown."""
    kind = RECEIPT_KINDS.get(status.strip().lower())
    if kind is None:
        raise ValidationFailed(_("Unknown delivery status %(status)s.") % {"status": status}, fields={"status": [_("Use delivered, failed, bounced or undelivered.")]})
    recipient = Recipient.objects.filter(provider_id=provider_id).order_by("-id").first() if provider_id else None
    if recipient is None:
        return None
    return DeliveryEvent.objects.create(recipient=recipient, kind=kind, detail=detail[:500])


def sms_is_opt_out(text: str) -> bool:
    return text.strip().strip("。.!！").replace(" ", "").lower() in SMS_STOP_WORDS


@transaction.atomic
def sms_inbound(*, sender: str, text: str, ref: str = "") -> dict[str, Any]:
    """An SMS reply. An opt-out word (T, TD, 退订, unsubscribe) withdraws the SMS
    consent of the customers with that mobile number; any reply to one of our
    messages is recorded on it. Returns {"opt_out": bool, "customers": n}."""
    number = sender.strip()
    recipient = None
    if ref.isdigit():
        recipient = Recipient.objects.filter(pk=int(ref), address=number).first()
    if recipient is None and number:
        recipient = Recipient.objects.filter(address=number, campaign__channel=ChannelKind.SMS, status=RecipientStatus.SENT).order_by("-sent_at", "-id").first()
    if recipient is not None:
        DeliveryEvent.objects.create(recipient=recipient, kind=DeliveryKind.REPLIED, detail=text[:500])
    opt_out = sms_is_opt_out(text)
    customers: list[Customer] = []
    if opt_out and number:
        customers = list(Customer.objects.filter(mobile=number)) or ([recipient.customer] if recipient else [])
        for customer in customers:
            consent_record(customer=customer, channel=ChannelKind.SMS, granted=False, source=ConsentSource.SMS_REPLY, note=text[:300])
        if recipient is not None:
            DeliveryEvent.objects.create(recipient=recipient, kind=DeliveryKind.UNSUBSCRIBED, detail=ConsentSource.SMS_REPLY)
    return {"opt_out": opt_out, "customers": len(customers)}
