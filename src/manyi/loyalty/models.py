"""The loyalty programme (domain §7): members, tiers judged on the points
earned in the last 12 months, earn rules, a rewards catalogue, referrals, and
the append-only points ledger from which every balance is computed.

Every write goes through manyi.loyalty.services; a ledger row, once written,
is never changed or deleted (a mistake is corrected by a reversal or an
adjustment, each its own row).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from manyi.core.models import ChoiceLabelsMixin, TimeStampedModel
from manyi.loyalty import ledger


class Tier(TimeStampedModel):
    """A member tier (会员等级): reached by earning `threshold` points in 12 months."""

    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    threshold = models.PositiveIntegerField(_("points earned in 12 months"), unique=True)
    multiplier = models.DecimalField(
        _("earn multiplier"), max_digits=4, decimal_places=2, default=Decimal("1"), validators=[MinValueValidator(Decimal("0.01"))]
    )
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        ordering = ["threshold"]
        verbose_name = _("member tier")
        verbose_name_plural = _("member tiers")
        constraints = [models.CheckConstraint(condition=Q(multiplier__gt=0), name="tier_multiplier_positive")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the active language: the English one where it is set."""
        return self.name_en if self.name_en and (get_language() or "").startswith("en") else self.name


class RuleCode(models.TextChoices):
    SPEND = "spend", _("Per 100 CNY spent")
    BIRTHDAY = "birthday", _("Birthday")
    REFERRAL = "referral", _("Referral")
    SURVEY = "survey", _("Survey answered")


class EarnRule(TimeStampedModel):
    """How many points an event earns: per 100 CNY for spending, a fixed number otherwise."""

    code = models.CharField(_("rule"), max_length=16, choices=RuleCode.choices, unique=True)
    points = models.PositiveIntegerField(_("points"))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("earn rule")
        verbose_name_plural = _("earn rules")

    def __str__(self) -> str:
        return self.get_code_display()


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LEFT = "left", _("Left")


class Member(TimeStampedModel):
    """A customer in the programme. `balance` and `tier` are copies kept by
    the services in the transaction of every ledger write (tier also by the
    daily run, as earnings age out): the ledger is the truth."""

    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="membership")
    joined_at = models.DateTimeField(_("joined"), default=timezone.now)
    joined_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("enrolled by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    balance = models.IntegerField(_("points balance"), default=0, editable=False)
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members", editable=False)

    # Merging customers (customers.merge) moves the membership, points and
    # all, to the surviving record; it cannot join two memberships.
    merge_moves = True
    merge_conflict = _("Both customers are loyalty members: ask an administrator to settle the two point balances first.")

    class Meta:
        ordering = ["-joined_at", "-id"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["balance", "id"], name="member_balance"),
            models.Index(fields=["joined_at", "id"], name="member_joined"),
        ]
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="member_balance_not_negative")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """The member number printed on the card: M000123."""
        return format_number(self.pk)


def format_number(pk: int | None) -> str:
    return f"M{pk:06d}" if pk else ""


def parse_number(text: str) -> int | None:
    """The member id in "M000123" (or "m123"); None when it is not a member number."""
    text = text.strip()
    if len(text) > 1 and text[0] in "Mm" and text[1:].isdigit():
        return int(text[1:]) or None
    return None


class EntryKind(models.TextChoices):
    EARN = ledger.EARN, _("Earned")
    REDEEM = ledger.REDEEM, _("Redeemed")
    EXPIRE = ledger.EXPIRE, _("Expired")
    REVERSE = ledger.REVERSE, _("Reversed")
    ADJUST = ledger.ADJUST, _("Adjusted")


class AppendOnly(Exception):
    """A ledger row was asked to change or go: it never does."""


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Ledger entries are never updated.")

    def delete(self):
        raise AppendOnly("Ledger entries are never deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnly("Ledger entries are never updated.")


class LedgerEntry(ChoiceLabelsMixin):
    """Append-only: one row per change of a member's points (+ earned or
    added, − redeemed, expired or taken away). A reversal is the negation of
    the entry it reverses; `source` makes automatic awards idempotent."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=8, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    lot = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="expiries")
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [models.Index(fields=["member", "id"], name="ledger_member")]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="ledger_points_not_zero"),
            models.UniqueConstraint(fields=["source"], condition=~Q(source=""), name="ledger_source_once"),
            models.CheckConstraint(condition=~Q(kind=ledger.REVERSE) | Q(reverses__isnull=False), name="ledger_reverse_names_entry"),
            models.CheckConstraint(condition=~Q(kind=ledger.EXPIRE) | Q(lot__isnull=False, points__lt=0), name="ledger_expiry_names_lot"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Ledger entries are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Ledger entries are never deleted.")

    def as_entry(self) -> ledger.Entry:
        return ledger.Entry(
            id=self.pk, kind=self.kind, points=self.points, on=timezone.localdate(self.at), expires_on=self.expires_on,
            reverses=self.reverses_id, lot=self.lot_id,
        )  # fmt: skip


class Reward(TimeStampedModel):
    """A catalogue item (兑换礼品) a member may redeem points for."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    cost = models.PositiveIntegerField(_("points cost"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("in stock"), null=True, blank=True, help_text=_("Leave empty for no limit."))
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["cost", "name"]
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [models.CheckConstraint(condition=Q(cost__gt=0), name="reward_cost_positive")]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class Redemption(ChoiceLabelsMixin):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="redemptions")
    reward = models.ForeignKey(Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="redemption")
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=RedemptionStatus.choices, default=RedemptionStatus.FULFILLED)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")


class Referral(models.Model):
    """Customer `referrer` brought customer `referred` (each customer is referred once)."""

    referrer = models.ForeignKey("customers.Customer", verbose_name=_("referred by"), on_delete=models.PROTECT, related_name="referrals")
    referred = models.OneToOneField("customers.Customer", verbose_name=_("referred customer"), on_delete=models.PROTECT, related_name="referred_by")
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [models.CheckConstraint(condition=~Q(referrer=models.F("referred")), name="referral_not_self")]
