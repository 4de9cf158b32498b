"""Everything that passes between the team and a customer: visits, calls,
e-mails, chats, meetings and notes. Each inbound one's words carry an emotion
reading (EmotionReading)."""

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
    # None when the customer's own words came in by themselves (the public complaint form, the mailbox).
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("logged by"))

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

    def customer_words(self) -> str:
        """What the customer said, for the emotion engine: the subject and text
        of an inbound interaction, "" for an outbound one (our own words)."""
        if self.direction != Direction.INBOUND:
            return ""
        return words_of(self.subject, self.text)


def words_of(subject: str, text: str) -> str:
    return "\n".join(part for part in (subject, text) if part)


class Polarity(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class Escalation(models.TextChoices):
    LOW = "low", _("Low risk")
    MEDIUM = "medium", _("Medium risk")
    HIGH = "high", _("High risk")


class EmotionReading(models.Model):
    """What the emotion engine read in an inbound interaction's words
    (manyi.emotion), kept with the version of the model that read it so that
    a new model can read them again (services.readings_rescore). `customer`
    and `occurred_at` repeat the interaction's, so that a customer's trend
    and the home page's customers at risk read this table alone."""

    interaction = models.OneToOneField(Interaction, verbose_name=_("interaction"), on_delete=models.CASCADE, related_name="emotion")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="emotion_readings")
    occurred_at = models.DateTimeField(_("time"))
    model_version = models.CharField(_("model version"), max_length=64)
    polarity = models.CharField(_("polarity"), max_length=16, choices=Polarity.choices)
    polarity_score = models.FloatField(_("polarity score"))
    primary = models.CharField(_("primary emotion"), max_length=16)
    emotions = models.JSONField(_("emotions"), default=dict)
    intensity = models.FloatField(_("intensity"))
    escalation = models.CharField(_("escalation risk"), max_length=16, choices=Escalation.choices)
    complaint = models.BooleanField(_("complaint"), default=False)
    cause = models.CharField(_("cause"), max_length=64, blank=True)
    tags = models.JSONField(_("tags"), default=list)
    evidence = models.JSONField(_("evidence"), default=list)  # [{text, start, end, points_to}], spans in the text read
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("emotion reading")
        verbose_name_plural = _("emotion readings")
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="emotion_customer_time"),
            # The home page's customers at risk walk these newest first.
            models.Index(fields=["-occurred_at", "customer"], condition=models.Q(escalation="high"), name="emotion_high_time"),
            models.Index(fields=["-occurred_at", "customer"], condition=models.Q(polarity="negative"), name="emotion_negative_time"),
        ]

    def __str__(self) -> str:
        return f"{self.polarity} {self.polarity_score:+.2f} ({self.primary})"
