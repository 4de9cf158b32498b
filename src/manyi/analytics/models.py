"""Orders and products (what customers buy), and the value analytics computed
from them: one CustomerValue row per customer, written by each refresh
(AnalyticsRun), so pages read stored figures and never fit a model."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from manyi.core.models import ChoiceLabelsMixin, TimeStampedModel


class ProductCategory(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL, related_name="products"
    )
    unit_price = models.DecimalField(_("list price"), max_digits=12, decimal_places=2, default=0)
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class OrderChannel(models.TextChoices):
    DIRECT = "direct", _("Direct sales")
    STORE = "store", _("Store")
    ONLINE = "online", _("Online shop")
    PHONE = "phone", _("Phone")
    DISTRIBUTOR = "distributor", _("Distributor")
    OTHER = "other", _("Other")


class OrderStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


# Orders that count as purchases in every figure.
COUNTED_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.COMPLETED)


class Order(TimeStampedModel):
    number = models.CharField(_("order number"), max_length=32, unique=True)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders")
    ordered_on = models.DateField(_("order date"))
    channel = models.CharField(_("channel"), max_length=16, choices=OrderChannel.choices, default=OrderChannel.DIRECT)
    status = models.CharField(_("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED)
    # The sum of the lines, kept by the services that write lines.
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=0)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("entered by"))

    class Meta:
        ordering = ["-ordered_on", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "-ordered_on"], name="order_customer_date"),
            models.Index(fields=["-ordered_on", "-id"], name="order_date"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="order_amount_not_negative")]

    def __str__(self) -> str:
        return self.number

    @property
    def counts(self) -> bool:
        return self.status in COUNTED_STATUSES


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        indexes = [models.Index(fields=["product", "order"], name="orderline_product")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_not_negative"),
        ]


# A refresh that has not finished after this long is taken to have died.
STALE_RUN = dt.timedelta(hours=2)


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class AnalyticsRun(ChoiceLabelsMixin):
    """One refresh: when, for which day, the fitted parameters, each stage's time."""

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateField()
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    trigger = models.CharField(max_length=16, default="command")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customers = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    # {"bgnbd": {"r":..,"alpha":..,"a":..,"b":..,"ll":..}, "gamma_gamma": {...}, "cutoffs": {...}, "hit_rate": {...}}
    parameters = models.JSONField(default=dict)
    # [{"stage": "read", "seconds": 1.2}, ...]
    stages = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]


class ChurnBasis(models.TextChoices):
    MODEL = "model", _("Purchase pattern (BG/NBD)")
    ONE_PURCHASE = "one_purchase", _("Only one purchase so far")
    NO_ORDERS = "no_orders", _("No orders")


class CustomerValue(models.Model):
    """The latest figures of one customer. Owner and team are copied from the
    customer at refresh so a manager's win-back list is one index range."""

    # No database-level foreign key: a refresh replaces every row, and SQLite
    # clears a table in one step only when no foreign key involves it.
    customer = models.OneToOneField("customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="value", db_constraint=False)
    owner_id = models.BigIntegerField()
    team_id = models.BigIntegerField(null=True)
    computed_at = models.DateTimeField()
    orders = models.PositiveIntegerField(default=0)
    first_order = models.DateField(null=True)
    last_order = models.DateField(null=True)
    total_spend = models.FloatField(default=0)
    # The last twelve months' revenue: what grades and the value charts use,
    # and its log-scale bucket (0 for none, k for 10^((k-1)/10) up to 10^(k/10)).
    revenue_year = models.FloatField(default=0)
    value_bucket = models.SmallIntegerField(default=0)
    # BG/NBD inputs, in weeks: repeat purchase days, first to last, first to now.
    frequency = models.PositiveIntegerField(default=0)
    recency = models.FloatField(default=0)
    age = models.FloatField(default=0)
    average_spend = models.FloatField(default=0)
    r = models.PositiveSmallIntegerField(default=0)
    f = models.PositiveSmallIntegerField(default=0)
    m = models.PositiveSmallIntegerField(default=0)
    segment = models.CharField(max_length=16, default="none")
    segment_before = models.CharField(max_length=16, default="none")
    p_alive = models.FloatField(default=0)
    churn_risk = models.FloatField(default=0)
    churn_basis = models.CharField(max_length=16, choices=ChurnBasis.choices, default=ChurnBasis.NO_ORDERS)
    expected_purchases = models.FloatField(default=0)
    expected_spend = models.FloatField(default=0)
    clv = models.FloatField(default=0)
    value_at_risk = models.FloatField(default=0)
    proposed_grade = models.CharField(max_length=1, default="D")
    proposed_importance = models.CharField(max_length=16, default="small")
    # Month of the first order (year*12 + month-1) and the months with an
    # order, bit k set for k months after it (cohort retention).
    cohort = models.IntegerField(null=True)
    active_months = models.BigIntegerField(default=0)
    # [{"product": id, "because": id|null, "share": 0.38}]
    suggestions = models.JSONField(default=list)

    class Meta:
        indexes = [
            models.Index(fields=["-value_at_risk"], name="value_risk"),
            models.Index(fields=["owner_id", "-value_at_risk"], name="value_owner_risk"),
            models.Index(fields=["team_id", "-value_at_risk"], name="value_team_risk"),
        ]
