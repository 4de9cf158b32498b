"""Everything that passes between the team and a customer: visits, calls,
e-mails, chats, meetings and notes. Inbound text will carry an emotion reading
(the Emotion-engine issue)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.models import TimeStampedModel


class InteractionKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Phone call")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Chat")
    MEETING = "meeting", _("Meeting")
    NOTE = "note", _("Note")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    WEB = "web", _("Website")
    SMS = "sms", _("SMS")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


class Interaction(TimeStampedModel):
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions")
    contact = models.ForeignKey(
        "customers.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    kind = models.CharField(_("type"), max_length=16, choices=InteractionKind.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices, default=Direction.OUTBOUND)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PHONE)
    occurred_at = models.DateTimeField(_("time"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    participants = models.CharField(_("participants"), max_length=300, blank=True)
    text = models.TextField(_("content"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("logged by"))

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="inter_customer_time"),
            models.Index(fields=["created_by", "-occurred_at"], name="inter_author_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"
