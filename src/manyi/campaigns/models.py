"""Campaigns: consent, templates, campaigns, their recipients and what
happened to each message.

- ConsentEvent is append-only; a customer's consent to marketing on a channel
  is the latest event, and no event means no consent (PIPL, Advertising Law
  art. 43: electronic advertising needs the recipient's consent, and opting
  out must be easy and honoured).
- Recipient rows are created when a campaign is launched, one per customer
  of the audience, with the address as it was then; their status moves
  pending → sending → sent | failed | uncertain, or they are skipped with a reason.
- DeliveryEvent rows record what came back: receipts, bounces, replies, opt-outs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.core.models import ChoiceLabelsMixin, TimeStampedModel


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class ConsentSource(models.TextChoices):
    STAFF = "staff", _("Recorded by staff")
    FORM = "form", _("Web form")
    IMPORT = "import", _("Import")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("Unsubscribe link")
    SMS_REPLY = "sms_reply", _("SMS reply")
    LIST_UNSUBSCRIBE = "list_unsubscribe", _("One-click unsubscribe")


class ConsentEvent(ChoiceLabelsMixin):
    """One grant or withdrawal of consent to marketing on one channel. Never changed or deleted."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(_("channel"), max_length=8, choices=ChannelKind.choices)
    granted = models.BooleanField(_("consent given"))
    source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["customer", "channel", "-at", "-id"], name="consent_latest")]


class Language(models.TextChoices):
    ZH = "zh-hans", _("Simplified Chinese")
    EN = "en", _("English")


class Template(TimeStampedModel):
    """A message with merge fields (campaigns.merge.FIELDS); checked on save."""

    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(_("channel"), max_length=8, choices=ChannelKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.ZH)
    subject = models.CharField(_("subject"), max_length=200, blank=True, help_text=_("E-mail only."))
    body = models.TextField(_("body"), max_length=10_000)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from manyi.campaigns.services import template_check

        template_check(channel=self.channel, subject=self.subject, body=self.body)

    def save(self, *args, **kwargs) -> None:
        self.clean()
        super().save(*args, **kwargs)


class CampaignKind(models.TextChoices):
    MARKETING = "marketing", pgettext_lazy("campaign kind", "Marketing")
    WINBACK = "winback", _("Win-back")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(TimeStampedModel):
    """`audience` (JSON, all keys optional, combined with AND; lists are ORed within):
    {"segments": ["at_risk", ...], "tags": ["VIP", ...], "grades": ["A", "B"],
     "importance": ["key", ...], "winback": true, "owner": <user id>}
    Resolved among the customers the launching user may see."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(pgettext_lazy("campaign", "kind"), max_length=16, choices=CampaignKind.choices, default=CampaignKind.MARKETING)
    channel = models.CharField(_("channel"), max_length=8, choices=ChannelKind.choices)
    template = models.ForeignKey(Template, verbose_name=_("template"), on_delete=models.PROTECT, related_name="campaigns")
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    control_share = models.FloatField(_("control group share"), default=0.0)
    throttle_limit = models.PositiveIntegerField(_("messages per window"), default=60)
    throttle_window = models.PositiveIntegerField(_("window (seconds)"), default=60)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True)
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    launched_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True)
    # The site's address as the launching user reached it: the base of the
    # unsubscribe links, which workers build without a request.
    public_url = models.CharField(max_length=200, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        """Still sending or about to."""
        return self.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED)


class Group(models.TextChoices):
    TREATMENT = "treatment", _("Treatment")
    CONTROL = "control", _("Control (held back)")


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SKIPPED = "skipped", _("Skipped")
    SENDING = "sending", _("Sending")
    SENT = "sent", pgettext_lazy("campaign message", "Sent")
    FAILED = "failed", _("Failed")
    UNCERTAIN = "uncertain", _("Uncertain (check before resending)")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No consent")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    NO_ADDRESS = "no_address", _("No address")
    CONTROL = "control", _("Held back (control group)")
    CANCELLED = "cancelled", _("Campaign cancelled")


class Recipient(ChoiceLabelsMixin):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="campaign_recipients")
    address = models.CharField(_("address"), max_length=254, blank=True)
    # Blank for a customer who could not be reached at launch (no consent or address).
    group = models.CharField(_("group"), max_length=16, choices=Group.choices, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RecipientStatus.choices, default=RecipientStatus.PENDING)
    skip_reason = models.CharField(_("skipped because"), max_length=16, choices=SkipReason.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=200, blank=True, db_index=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="recipient_once")]
        indexes = [
            models.Index(fields=["campaign", "status", "id"], name="recipient_status"),
            models.Index(fields=["campaign", "claimed_at"], name="recipient_claims"),
        ]

    def message_id(self, domain: str) -> str:
        """The same Message-ID on every attempt: a duplicate is recognisable downstream."""
        return f"<campaign{self.campaign_id}.recipient{self.pk}@{domain}>"


class DeliveryKind(models.TextChoices):
    DELIVERED = "delivered", _("Delivered")
    BOUNCED = "bounced", _("Bounced")
    REPLIED = "replied", _("Replied")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class DeliveryEvent(ChoiceLabelsMixin):
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=DeliveryKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "-at"], name="delivery_recipient")]
