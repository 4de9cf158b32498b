"""Surveys (domain §6): a personal link (SurveyInvitation) answered once by
the customer, or a response entered by staff (SurveyResponse), with its
expectation and perception on each driver (SurveyAnswer)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.core.models import TimeStampedModel
from manyi.interactions.models import Escalation, Polarity
from manyi.satisfaction import scoring
from manyi.satisfaction.drivers import Driver


class SurveyKind(models.TextChoices):
    CSAT = scoring.CSAT, _("Satisfaction score (CSAT)")
    NPS = scoring.NPS, _("Recommendation (NPS)")
    SPE = scoring.SPE, _("Expectation vs. perception")


class SurveyTrigger(models.TextChoices):
    COMPLAINT_CLOSED = "complaint_closed", _("Complaint closed")
    PURCHASE = "purchase", _("Purchase")
    VISIT = "visit", _("Visit")
    MANUAL = "manual", _("Sent by hand")
    CAMPAIGN = "campaign", _("Campaign")


class SurveyLanguage(models.TextChoices):
    ZH = "zh-hans", "中文"
    EN = "en", "English"


class Verdict(models.TextChoices):
    SATISFIED = scoring.SATISFIED, _("Satisfied")
    BASICALLY = scoring.BASICALLY, _("Basically satisfied")
    DISSATISFIED = scoring.DISSATISFIED, _("Dissatisfied")


class SurveyInvitation(TimeStampedModel):
    """A personal survey link. Only the SHA-256 of its token is stored: the
    token is shown once, when the link is made."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="survey_invitations")
    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    trigger = models.CharField(_("sent after"), max_length=20, choices=SurveyTrigger.choices, default=SurveyTrigger.MANUAL)
    # What the survey asks about ("complaint:12", "order:5", "visit:9"), "" for none.
    source = models.CharField(_("about"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=SurveyLanguage.choices, default=SurveyLanguage.ZH)
    # A purchase survey's product: the order's main line.
    product = models.ForeignKey("analytics.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires"))
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("sent by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(fields=["trigger", "source"], condition=~Q(source=""), name="survey_invitation_one_per_source"),
        ]
        indexes = [models.Index(fields=["customer", "-created_at"], name="survey_inv_customer")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.customer_id}"

    @property
    def is_expired(self) -> bool:
        return self.answered_at is None and self.expires_at <= timezone.now()


class SurveyResponse(TimeStampedModel):
    """One answer: through a personal link (one per link, a database
    constraint) or entered by staff. The owner and team are those of the
    customer when it was answered, so results by rep and team keep history.
    The comment's emotion reading is kept here (see services.survey_answer)."""

    invitation = models.OneToOneField(SurveyInvitation, null=True, blank=True, on_delete=models.PROTECT, related_name="response", verbose_name=_("link"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("entered by"))
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="survey_responses")
    kind = models.CharField(_("survey"), max_length=8, choices=SurveyKind.choices)
    trigger = models.CharField(_("sent after"), max_length=20, choices=SurveyTrigger.choices, default=SurveyTrigger.MANUAL)
    language = models.CharField(_("language"), max_length=8, choices=SurveyLanguage.choices, default=SurveyLanguage.ZH)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("rep"))
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("team"))
    product = models.ForeignKey("analytics.Product", verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    mean_gap = models.FloatField(_("mean gap"), null=True, blank=True)
    verdict = models.CharField(_("verdict"), max_length=20, choices=Verdict.choices)
    comment = models.TextField(_("comment"), blank=True)
    emotion_polarity = models.CharField(_("polarity"), max_length=16, choices=Polarity.choices, blank=True)
    emotion_score = models.FloatField(_("polarity score"), null=True, blank=True)
    emotion_primary = models.CharField(_("primary emotion"), max_length=16, blank=True)
    emotion_escalation = models.CharField(_("escalation risk"), max_length=16, choices=Escalation.choices, blank=True)
    emotion_cause = models.CharField(_("cause"), max_length=64, blank=True)
    emotion_tags = models.JSONField(_("tags"), default=list, blank=True)
    emotion_evidence = models.JSONField(_("evidence"), default=list, blank=True)
    emotion_model = models.CharField(_("model version"), max_length=64, blank=True)
    follow_up = models.ForeignKey("care.FollowUp", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("follow-up task"))
    complaint = models.ForeignKey("service.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("complaint"))

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.CheckConstraint(condition=Q(invitation__isnull=False) | Q(entered_by__isnull=False), name="survey_response_link_or_staff"),
            models.CheckConstraint(
                condition=(Q(kind="csat", score__gte=1, score__lte=5) | Q(kind="nps", score__gte=0, score__lte=10) | Q(kind="spe", score__isnull=True)),
                name="survey_response_score_in_range",
            ),
        ]
        indexes = [
            models.Index(fields=["-answered_at", "-id"], name="survey_resp_time"),
            models.Index(fields=["customer", "-answered_at"], name="survey_resp_customer"),
            models.Index(fields=["team", "-answered_at"], name="survey_resp_team"),
            models.Index(fields=["owner", "-answered_at"], name="survey_resp_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_verdict_display()}"


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    driver = models.CharField(_("driver"), max_length=32, choices=Driver.choices)
    expectation = models.PositiveSmallIntegerField(_("expectation"))
    perception = models.PositiveSmallIntegerField(_("perception"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("survey answer")
        constraints = [
            models.UniqueConstraint(fields=["response", "driver"], name="survey_answer_once_per_driver"),
            models.CheckConstraint(condition=Q(expectation__gte=1, expectation__lte=5, perception__gte=1, perception__lte=5), name="survey_answer_in_range"),
        ]

    @property
    def gap(self) -> int:
        return scoring.gap(self.expectation, self.perception)

    @property
    def verdict(self) -> str:
        return scoring.gap_verdict(self.gap)


class SurveyAttempt(models.Model):
    """A post to a public survey page, by a keyed hash of the client's
    address: enough to slow down a flood, not to know who sent it."""

    client = models.CharField(max_length=32)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="survey_attempt_client")]
