"""Sales work (销售, domain §5): the pipeline with its "wall", deals with heat and
probability, honest quotes, and visit planning with fixed weekdays and routes.

A deal's state is its stage and status; how it got there is the append-only
list of its DealEvents. A quote keeps every version it had. Every change is
written by manyi.sales.services together with its event.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from manyi.core.models import ChoiceLabelsMixin, TimeStampedModel
from manyi.sales import pipeline


class Stage(TimeStampedModel):
    """A column of the pipeline board. Rows with no team are the company's
    defaults; a team that has its own rows uses those instead. Stages with
    `inside_wall` are customers (inside the "wall" 围墙), the others prospects."""

    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(_("key"), max_length=32)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    position = models.PositiveSmallIntegerField(_("position"))
    probability = models.PositiveSmallIntegerField(
        _("default probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    inside_wall = models.BooleanField(_("inside the wall (a customer)"), default=False)
    stuck_after_days = models.PositiveSmallIntegerField(_("stuck after (days)"), default=30)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["team_id", "position"]
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="stage_team_key"),
            models.UniqueConstraint(fields=["key"], condition=models.Q(team__isnull=True), name="stage_default_key"),
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="stage_probability_range"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language: the English one where it is set."""
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


class Heat(models.TextChoices):
    """成交热度: how close the deal feels."""

    COLD = "cold", _("Cold")
    WARM = "warm", _("Warm")
    HOT = "hot", _("Hot")


class DealStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("deal status", "Open")
    WON = "won", pgettext_lazy("deal status", "Won")
    LOST = "lost", pgettext_lazy("deal status", "Lost")


class LostReason(models.TextChoices):
    PRICE = "price", _("Price")
    PRODUCT = "product", _("Product did not fit")
    SERVICE = "service", _("Service or relationship")
    COMPETITOR = "competitor", _("Went to a competitor")
    TIMING = "timing", _("Timing / no budget")
    NO_DECISION = "no_decision", _("No decision made")
    OTHER = "other", _("Other")


class Deal(TimeStampedModel):
    """An opportunity (商机) with a customer."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="deals")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="deals")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="deals", editable=False)
    title = models.CharField(_("title"), max_length=200)
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals")
    stage_entered_at = models.DateTimeField(_("in this stage since"))
    status = models.CharField(_("status"), max_length=8, choices=DealStatus.choices, default=DealStatus.OPEN)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2, default=Decimal("0"))
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    heat = models.CharField(_("heat"), max_length=8, choices=Heat.choices, default=Heat.WARM)
    heat_reason = models.CharField(_("what makes it so"), max_length=300, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    competitors = models.CharField(_("competitors"), max_length=300, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=16, choices=LostReason.choices, blank=True)
    lost_note = models.CharField(_("about the loss"), max_length=300, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["owner", "status"], name="deal_owner_status"),
            models.Index(fields=["team", "status"], name="deal_team_status"),
            models.Index(fields=["status", "expected_close"], name="deal_status_close"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(probability__lte=100), name="deal_probability_range"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=~models.Q(status="lost") | ~models.Q(lost_reason=""), name="deal_lost_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def weighted(self) -> Decimal:
        return pipeline.weighted(self.amount, self.probability)


class DealEventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("deal event", "Created")
    MOVED = "moved", pgettext_lazy("deal event", "Moved")
    UPDATED = "updated", pgettext_lazy("deal event", "Updated")
    WON = "won", pgettext_lazy("deal event", "Won")
    LOST = "lost", pgettext_lazy("deal event", "Lost")
    REOPENED = "reopened", pgettext_lazy("deal event", "Reopened")


class DealEvent(ChoiceLabelsMixin):
    """Append-only: one row per change of a deal, with who and when."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=DealEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    changes = models.JSONField(default=dict)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["deal", "at"], name="deal_event_deal_at")]


class SalesSettings(TimeStampedModel):
    """What a team sets for its sales work; a team without a row uses the defaults."""

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="sales_settings")
    discount_approval_percent = models.DecimalField(
        _("discount needing a manager's approval (%)"), max_digits=5, decimal_places=2, default=Decimal("10"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    visits_a = models.DecimalField(_("grade A visits a month"), max_digits=4, decimal_places=2, default=Decimal("4"))
    visits_b = models.DecimalField(_("grade B visits a month"), max_digits=4, decimal_places=2, default=Decimal("2"))
    visits_c = models.DecimalField(_("grade C visits a month"), max_digits=4, decimal_places=2, default=Decimal("1"))
    visits_d = models.DecimalField(_("grade D visits a month"), max_digits=4, decimal_places=2, default=Decimal("0.33"))
    daily_capacity = models.PositiveSmallIntegerField(_("visits a rep can make a day"), default=8)
    visit_minutes = models.PositiveSmallIntegerField(_("minutes a visit takes"), default=40)
    speed_kmh = models.PositiveSmallIntegerField(_("travel speed (km/h)"), default=30)
    base_latitude = models.FloatField(_("office latitude"), null=True, blank=True)
    base_longitude = models.FloatField(_("office longitude"), null=True, blank=True)
    company_name = models.CharField(_("company name on quotes"), max_length=200, blank=True)
    company_details = models.TextField(_("company details on quotes (address, phone, bank)"), blank=True)

    class Meta:
        verbose_name = _("sales settings")
        verbose_name_plural = _("sales settings")


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("quote", "Draft")
    PENDING = "pending", pgettext_lazy("quote", "Awaiting approval")
    APPROVED = "approved", pgettext_lazy("quote", "Approved")
    SENT = "sent", pgettext_lazy("quote", "Sent")
    ACCEPTED = "accepted", pgettext_lazy("quote", "Accepted")
    REJECTED = "rejected", pgettext_lazy("quote", "Rejected")


class Difficulty(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Quote(TimeStampedModel):
    """A quote (报价) to a customer; its content lives in its versions."""

    number = models.CharField(_("quote number"), max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="quotes")
    deal = models.ForeignKey(Deal, verbose_name=_("deal"), null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="quotes")
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes", editable=False)
    status = models.CharField(_("status"), max_length=16, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    order = models.OneToOneField("analytics.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="quote")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        indexes = [models.Index(fields=["owner", "status"], name="quote_owner_status")]

    def __str__(self) -> str:
        return self.number


class QuoteVersion(ChoiceLabelsMixin):
    """One version of a quote, never changed once a newer one exists or it was
    sent. Money is in CNY; `total` is stored when the version is written."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(_("language"), max_length=8, choices=[("zh-hans", "中文"), ("en", "English")], default="zh-hans")
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    market_reference = models.DecimalField(_("market reference price"), max_digits=14, decimal_places=2, null=True, blank=True)
    market_reference_note = models.CharField(_("where the reference price comes from"), max_length=300, blank=True)
    workload = models.JSONField(_("workload"), default=list)
    difficulty = models.CharField(_("difficulty"), max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    difficulty_note = models.CharField(_("what makes it difficult"), max_length=500, blank=True)
    quality_note = models.TextField(_("what the quality buys"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    subtotal = models.DecimalField(_("subtotal"), max_digits=14, decimal_places=2, default=Decimal("0"))
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    discount_condition = models.CharField(_("what the customer gives in return"), max_length=300, blank=True)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    needs_approval = models.BooleanField(default=False)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_note = models.CharField(_("approval note"), max_length=300, blank=True)

    class Meta:
        ordering = ["quote_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="quote_version_unique"),
            models.CheckConstraint(
                condition=models.Q(discount_percent=0) | ~models.Q(discount_condition=""), name="quote_discount_has_condition"
            ),
        ]


class QuoteLine(models.Model):
    version = models.ForeignKey(QuoteVersion, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    part = models.CharField(_("part"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300)
    product = models.ForeignKey("analytics.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["version_id", "position"]


class QuoteEventKind(models.TextChoices):
    CREATED = "created", pgettext_lazy("quote event", "Written")
    REVISED = "revised", pgettext_lazy("quote event", "Revised")
    SUBMITTED = "submitted", pgettext_lazy("quote event", "Submitted for approval")
    APPROVED = "approved", pgettext_lazy("quote event", "Discount approved")
    DECLINED = "declined", pgettext_lazy("quote event", "Discount declined")
    SENT = "sent", pgettext_lazy("quote event", "Sent to the customer")
    ACCEPTED = "accepted", pgettext_lazy("quote event", "Accepted by the customer")
    REJECTED = "rejected", pgettext_lazy("quote event", "Rejected by the customer")


class QuoteEvent(ChoiceLabelsMixin):
    """Append-only: one row per step of a quote, with who and when."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(QuoteVersion, null=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=QuoteEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


class VisitSlot(TimeStampedModel):
    """A customer's fixed weekday (固定拜访日) with their rep: visited on
    `weekday` of every week whose index % interval == phase (manyi.sales.planner)."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, related_name="visit_slot")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit_slots")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(4)])
    interval = models.PositiveSmallIntegerField()
    phase = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["rep", "weekday"], name="visit_slot_rep_day")]
        constraints = [models.CheckConstraint(condition=models.Q(weekday__lte=4), name="visit_slot_weekday")]


class PlannedVisit(TimeStampedModel):
    """One stop of a rep's day, in route order; done when checked in."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="planned_visits")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="planned_visits")
    day = models.DateField(_("day"))
    stop = models.PositiveSmallIntegerField(_("stop"))
    arrive_at = models.TimeField(_("arrival"), null=True, blank=True)
    travel_km = models.FloatField(_("travel (km)"), null=True, blank=True)
    travel_minutes = models.PositiveSmallIntegerField(_("travel (minutes)"), null=True, blank=True)
    interaction = models.OneToOneField(
        "interactions.Interaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="planned_visit"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["day", "stop"]
        indexes = [models.Index(fields=["rep", "day"], name="planned_visit_rep_day")]
        constraints = [models.UniqueConstraint(fields=["rep", "day", "customer"], name="planned_visit_once_a_day")]


class CalendarFeed(TimeStampedModel):
    """A rep's subscribable iCalendar feed of planned visits. Only the token's
    SHA-256 is stored; regenerating it invalidates the old address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    digest = models.CharField(max_length=64, unique=True)
