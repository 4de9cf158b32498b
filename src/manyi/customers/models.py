"""Customers (domain §1) and their contacts, tags, sharing and change history."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from manyi.core.models import ChoiceLabelsMixin, TimeStampedModel


class Kind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL = "individual", _("Individual")


class Category(models.TextChoices):
    CONSUMER = "consumer", _("Consumer")
    SUPPLIER = "supplier", _("Supplier")
    AGENT = "agent", _("Agent / distributor")
    OTHER = "other", _("Other external")
    INTERNAL = "internal", _("Internal")


class Importance(models.TextChoices):
    KEY = "key", _("Key")
    MAJOR = "major", _("Major")
    ORDINARY = "ordinary", _("Ordinary")
    SMALL = "small", _("Small")


class Grade(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


class Depth(models.TextChoices):
    AWARENESS = "awareness", _("Awareness")
    CONTACT = "contact", _("Contact")
    SATISFACTION = "satisfaction", _("Satisfaction")
    LOYALTY = "loyalty", _("Loyalty")


class SocialStyle(models.TextChoices):
    DRIVER = "driver", _("Practical (driver)")
    EXPRESSIVE = "expressive", _("Expressive")
    AMIABLE = "amiable", _("Amiable")
    ANALYTICAL = "analytical", _("Analytical")


class Temperament(models.TextChoices):
    FIRM = "firm", _("Firm / serious")
    NEUROTIC = "neurotic", _("Over-sensitive")
    INTROVERTED = "introverted", _("Introverted")
    EASYGOING = "easygoing", _("Easy-going")
    VAIN = "vain", _("Vain / show-off")
    COMBATIVE = "combative", _("Combative")
    STUBBORN = "stubborn", _("Stubborn")
    SUSPICIOUS = "suspicious", _("Suspicious")
    SILENT = "silent", _("Silent")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class BirthdayCalendar(models.TextChoices):
    SOLAR = "solar", _("Solar (Gregorian)")
    LUNAR = "lunar", _("Lunar")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")

    def __str__(self) -> str:
        return self.name


# Fields only the owner, the owner's manager and administrators may read.
SENSITIVE_FIELDS = ("health_notes", "income_level", "family_notes", "marital_status")


class Customer(TimeStampedModel):
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ENTERPRISE)
    name = models.CharField(_("name"), max_length=200, db_index=True)
    name_pinyin = models.CharField(max_length=400, db_index=True, editable=False, default="")
    name_initials = models.CharField(max_length=200, db_index=True, editable=False, default="")
    # The name without width, case, punctuation, Traditional forms or legal
    # form (core.text.name_key): imports and the duplicate finder match on it.
    name_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    category = models.CharField(_("customer category"), max_length=16, choices=Category.choices, default=Category.CONSUMER)
    importance = models.CharField(_("importance"), max_length=16, choices=Importance.choices, default=Importance.ORDINARY)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, default=Grade.C)
    # Set when a person chose the grade or importance: applying the grades
    # proposed from value leaves such a customer alone until released.
    grade_manual = models.BooleanField(_("graded by hand"), default=False, editable=False)
    depth = models.CharField(_("relationship depth"), max_length=16, choices=Depth.choices, default=Depth.AWARENESS)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="owned_customers")
    # Denormalised from the owner so a manager's list is one indexed range.
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="customers", editable=False)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")
    notes = models.TextField(_("notes"), blank=True)
    social_style = models.CharField(_("social style"), max_length=16, choices=SocialStyle.choices, blank=True)
    temperament = models.CharField(_("temperament"), max_length=16, choices=Temperament.choices, blank=True)

    # Contact channels (both kinds)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, db_index=True)
    fax = models.CharField(_("fax"), max_length=32, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True, db_index=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    website = models.URLField(_("website"), max_length=200, blank=True)
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    # Where the rep drives to (WGS-84 degrees), for visit routes. The columns
    # check their ranges (migration 0010); services.coordinates_error the pair.
    latitude = models.FloatField(_("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)])

    # Enterprise profile
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, db_index=True)
    enterprise_type = models.CharField(_("enterprise type"), max_length=64, blank=True)
    ownership = models.CharField(_("ownership"), max_length=64, blank=True)
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    registered_capital = models.DecimalField(_("registered capital (10k CNY)"), max_digits=14, decimal_places=2, null=True, blank=True)
    market_value = models.DecimalField(_("market value (10k CNY)"), max_digits=14, decimal_places=2, null=True, blank=True)
    employee_count = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    leader_name = models.CharField(_("leader / main owner"), max_length=64, blank=True)
    leader_background = models.TextField(_("leader background"), blank=True)
    marketing_head = models.CharField(_("head of marketing"), max_length=64, blank=True)
    purchasing_head = models.CharField(_("head of purchasing"), max_length=64, blank=True)
    annual_sales = models.DecimalField(_("annual sales (10k CNY)"), max_digits=14, decimal_places=2, null=True, blank=True)
    business_volume = models.DecimalField(_("business with us (10k CNY/yr)"), max_digits=14, decimal_places=2, null=True, blank=True)

    # Individual profile
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # Many customers celebrate the lunar anniversary of the day they were born.
    birthday_calendar = models.CharField(_("birthday celebrated on"), max_length=8, choices=BirthdayCalendar.choices, default=BirthdayCalendar.SOLAR)
    western_festivals = models.BooleanField(_("greet on Western festivals"), default=False)
    marital_status = models.CharField(_("marital status"), max_length=16, choices=MaritalStatus.choices, blank=True)
    family_notes = models.TextField(_("family"), blank=True)
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    position = models.CharField(_("position"), max_length=64, blank=True)
    professional_title = models.CharField(_("professional title"), max_length=64, blank=True)
    income_level = models.CharField(_("income level"), max_length=64, blank=True)
    education = models.CharField(_("education"), max_length=64, blank=True)
    resume = models.TextField(_("short résumé"), blank=True)
    health_notes = models.TextField(_("health (height, weight, medical history)"), blank=True)
    preferences = models.TextField(_("preferences (food, hobbies)"), blank=True)
    lifestyle = models.TextField(_("lifestyle"), blank=True)
    purchase_story = models.TextField(_("purchase history (who, when, where, what, why, how, how much)"), blank=True)

    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="cust_owner_updated"),
            models.Index(fields=["team", "-updated_at"], name="cust_team_updated"),
            models.Index(fields=["-updated_at"], name="cust_updated"),
            models.Index(fields=["owner", "name_pinyin"], name="cust_owner_pinyin"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(grade__in=["A", "B", "C", "D"]), name="customer_grade_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_enterprise(self) -> bool:
        return self.kind == Kind.ENTERPRISE

    @property
    def age(self) -> int | None:
        if not self.birthday:
            return None
        from django.utils import timezone

        today = timezone.localdate()
        return today.year - self.birthday.year - ((today.month, today.day) < (self.birthday.month, self.birthday.day))


class AccessKind(models.TextChoices):
    SHARED = "shared", _("Shared with")
    SERVICE = "service", _("Served by")


class CustomerAccess(ChoiceLabelsMixin):
    """Who else may see a customer: a rep it is shared with, or an agent who serves it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="access_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_grants")
    kind = models.CharField(max_length=16, choices=AccessKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "user", "kind"], name="customer_access_unique")]
        indexes = [models.Index(fields=["user", "kind", "customer"], name="access_user_kind")]


class Influence(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Contact(TimeStampedModel):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=64)
    name_pinyin = models.CharField(max_length=200, editable=False, default="", db_index=True)
    name_initials = models.CharField(max_length=64, editable=False, default="")
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    title = models.CharField(_("job title"), max_length=64, blank=True)
    department = models.CharField(_("department"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    mobile = models.CharField(_("mobile"), max_length=32, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    wechat = models.CharField(_("WeChat"), max_length=64, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    birthday_calendar = models.CharField(_("birthday celebrated on"), max_length=8, choices=BirthdayCalendar.choices, default=BirthdayCalendar.SOLAR)
    is_key_person = models.BooleanField(_("key person"), default=False)
    key_role = models.CharField(_("role in decisions"), max_length=64, blank=True)
    influence = models.CharField(_("influence"), max_length=8, choices=Influence.choices, blank=True)
    social_style = models.CharField(_("social style"), max_length=16, choices=SocialStyle.choices, blank=True)
    temperament = models.CharField(_("temperament"), max_length=16, choices=Temperament.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-is_key_person", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class ChangeAction(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    DELETED = "deleted", _("deleted")
    RESTORED = "restored", _("restored")


class ChangeRecord(ChoiceLabelsMixin):
    """Append-only history of a customer and its contacts: who changed what, when,
    with the old and new value of every field."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="changes")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=16, choices=ChangeAction.choices)
    # [{"field": "phone", "label": "电话", "old": "...", "new": "..."}]
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="change_customer_at")]


class PairStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Not a duplicate")
    MERGED = "merged", _("Merged")


class DuplicatePair(ChoiceLabelsMixin):
    """Two customers the duplicate finder (customers.merge.duplicates_scan)
    takes for one, customer_a the older. A pair someone dismissed stays
    dismissed however often the finder meets it again."""

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    # Reason codes of customers.dedup ("mobile", "name", ...)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=PairStatus.choices, default=PairStatus.OPEN)
    found_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer_a", "customer_b"], name="duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(customer_a__lt=models.F("customer_b")), name="duplicate_pair_ordered"),
        ]
        indexes = [
            models.Index(fields=["status", "-score"], name="duplicate_status_score"),
            models.Index(fields=["customer_b"], name="duplicate_customer_b"),
        ]


class MergeRecord(models.Model):
    """What one merge did, so that it can be undone: the survivor's values
    before (`before`, field -> value as JSON, and "tags"), and the rows moved
    from the other record (`moved`: {"rows": {model label: [ids]},
    "dropped": [serialised rows]} — rows the survivor had already, such as the
    same sharing grant, are dropped and put back on undo)."""

    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # {field: "survivor" | "other"}
    choices = models.JSONField(default=dict)
    before = models.JSONField(default=dict)
    moved = models.JSONField(default=dict)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        abstract = True
        ordering = ["-at", "-id"]

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class CustomerMerge(MergeRecord):
    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta(MergeRecord.Meta):
        indexes = [
            models.Index(fields=["survivor", "-at"], name="customer_merge_survivor"),
            models.Index(fields=["other", "-at"], name="customer_merge_other"),
        ]


class ContactMerge(MergeRecord):
    survivor = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    other = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")

    class Meta(MergeRecord.Meta):
        indexes = [
            models.Index(fields=["survivor", "-at"], name="contact_merge_survivor"),
            models.Index(fields=["other", "-at"], name="contact_merge_other"),
        ]


class DepthEvidence(models.TextChoices):
    FIRST_INTERACTION = "first_interaction", _("First interaction")
    FIRST_PURCHASE = "first_purchase", _("First purchase")
    REPEAT_PURCHASE = "repeat_purchase", _("Repeat purchase")
    SURVEY_SATISFIED = "survey_satisfied", _("Satisfied survey answer")
    SURVEY_DISSATISFIED = "survey_dissatisfied", _("Dissatisfied survey answer")
    REFERRAL = "referral", _("Referred a customer")
    MANUAL = "manual", _("Set by hand")


class DepthChange(ChoiceLabelsMixin):
    """Append-only history of a customer's relationship depth (domain §1):
    each move, what evidence made it, and who or what recorded it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="depth_changes")
    from_depth = models.CharField(max_length=16, choices=Depth.choices)
    to_depth = models.CharField(max_length=16, choices=Depth.choices)
    evidence = models.CharField(max_length=24, choices=DepthEvidence.choices)
    note = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="depth_change_customer_at")]
