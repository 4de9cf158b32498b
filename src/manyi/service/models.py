"""Complaints (客户投诉) and the nine-step process that handles them (domain §4).

A complaint's state is its `status` and a few stored figures (deadlines,
risk); how it got there is the append-only list of its ComplaintEvents. Every
change is written by manyi.service.services together with its event.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.core.models import ChoiceLabelsMixin, TimeStampedModel


class Step(models.TextChoices):
    """The handling process, in order (投诉处理流程)."""

    RECEIVED = "received", pgettext_lazy("complaint step", "Received")
    CONFIRMED = "confirmed", pgettext_lazy("complaint step", "Confirmed")
    CALMED = "calmed", pgettext_lazy("complaint step", "Apologised and calmed")
    ANALYSED = "analysed", pgettext_lazy("complaint step", "Analysed")
    PROPOSED = "proposed", pgettext_lazy("complaint step", "Solution proposed")
    AGREED = "agreed", pgettext_lazy("complaint step", "Customer agreed")
    CARRIED_OUT = "carried_out", pgettext_lazy("complaint step", "Carried out")
    RECHECKED = "rechecked", pgettext_lazy("complaint step", "Rechecked with the customer")
    CLOSED = "closed", pgettext_lazy("complaint step", "Reviewed and fed back")


STEPS: tuple[str, ...] = tuple(Step.values)


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("Face to face")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web form")
    CHAT = "chat", _("Chat / WeChat")
    API = "api", _("API")


class Responsibility(models.TextChoices):
    UNDETERMINED = "", _("Not yet determined")
    OURS = "ours", _("Ours")
    SHARED = "shared", _("Shared")
    CUSTOMER = "customer", _("The customer's own use")
    THIRD_PARTY = "third_party", _("A third party (retailer, carrier)")


class Department(models.TextChoices):
    DESIGN = "design", _("Design")
    PRODUCTION = "production", _("Production")
    OPERATIONS = "operations", _("Operations")
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Customer service")
    LOGISTICS = "logistics", _("Logistics")
    MARKETING = "marketing", _("Marketing")


class RecheckResult(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class ClockMode(models.TextChoices):
    CALENDAR = "calendar", _("Calendar hours")
    BUSINESS = "business", _("Business hours")


class Holidays(models.TextChoices):
    CN = "cn", _("Chinese statutory holidays and make-up working days")
    WEEKENDS = "weekends", _("Monday to Friday")


class TeamHours(models.Model):
    """A team's working calendar for business-hour SLA clocks."""

    team = models.OneToOneField("accounts.Team", verbose_name=_("team"), on_delete=models.CASCADE, related_name="hours")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    day_start = models.TimeField(_("working day starts"), default="09:00")
    day_end = models.TimeField(_("working day ends"), default="18:00")
    holidays = models.CharField(_("days off"), max_length=16, choices=Holidays.choices, default=Holidays.CN)

    class Meta:
        verbose_name = _("team hours")
        verbose_name_plural = _("team hours")
        constraints = [models.CheckConstraint(condition=models.Q(day_end__gt=models.F("day_start")), name="team_hours_day_ends_after_start")]


class SlaPolicy(TimeStampedModel):
    """Response and resolution targets. The most specific policy that matches a
    complaint's team, severity and channel applies (blank matches any); a
    complaint keeps the targets it was given when it was filed."""

    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies")
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=ComplaintChannel.choices, blank=True)
    mode = models.CharField(_("counted in"), max_length=16, choices=ClockMode.choices, default=ClockMode.CALENDAR)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"), default=24 * 60)
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"), default=72 * 60)
    warn_before_minutes = models.PositiveIntegerField(_("warn before a breach (minutes)"), default=120)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(first_response_minutes__gt=0, resolution_minutes__gt=0), name="sla_targets_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Complaint(TimeStampedModel):
    number = models.CharField(_("number"), max_length=24, unique=True, null=True, editable=False)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="complaints")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints")
    channel = models.CharField(_("channel"), max_length=16, choices=ComplaintChannel.choices)
    status = models.CharField(_("step"), max_length=16, choices=Step.choices, default=Step.RECEIVED)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("what happened"))
    wants = models.TextField(_("what the customer wants"), blank=True)
    # Who filed it, when it came through the public form or by e-mail.
    reporter_name = models.CharField(_("reporter"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=32, blank=True)
    reporter_email = models.EmailField(_("reporter's e-mail"), blank=True)

    cause = models.CharField(_("cause"), max_length=64, blank=True)  # "group/detail" of service.causes
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.NORMAL)
    responsibility = models.CharField(_("responsibility"), max_length=16, choices=Responsibility.choices, blank=True)
    department = models.CharField(_("responsible department"), max_length=16, choices=Department.choices, blank=True)
    solution = models.TextField(_("solution"), blank=True)
    compensation = models.CharField(_("compensation"), max_length=300, blank=True)
    compensation_amount = models.DecimalField(_("compensation amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    recheck_result = models.CharField(_("recheck result"), max_length=16, choices=RecheckResult.choices, blank=True)
    escalated = models.BooleanField(_("escalated"), default=False)

    # The latest customer message's reading, and the queue's order.
    escalation = models.CharField(_("escalation risk"), max_length=16, default="low")
    intensity = models.FloatField(_("intensity"), default=0)
    risk = models.FloatField(_("risk"), default=0)

    # The SLA clock: targets copied from the policy when filed, deadlines
    # stored (and moved only by pauses), warnings and breaches sent once.
    sla_policy = models.ForeignKey(SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sla = models.JSONField(_("SLA targets"), default=dict)  # mode, response_seconds, resolution_seconds, warn_seconds, calendar
    received_at = models.DateTimeField(_("received"))
    response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    paused_at = models.DateTimeField(_("waiting for the customer since"), null=True, blank=True)
    response_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    response_breached_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_breached_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-risk", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["assignee", "status", "-risk"], name="complaint_assignee_queue"),
            models.Index(fields=["team", "status", "-risk"], name="complaint_team_queue"),
            models.Index(fields=["customer", "-received_at"], name="complaint_customer_time"),
            models.Index(fields=["-received_at"], name="complaint_received"),
        ]

    def __str__(self) -> str:
        return f"{self.number or ''} {self.subject}".strip()

    @property
    def is_closed(self) -> bool:
        return self.status == Step.CLOSED

    @property
    def step_index(self) -> int:
        return STEPS.index(self.status)


class EventKind(models.TextChoices):
    STEP = "step", _("Step")
    MESSAGE = "message", _("Customer message")
    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Note")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    REOPENED = "reopened", _("Reopened")
    PAUSED = "paused", _("Waiting for the customer")
    RESUMED = "resumed", _("Clock resumed")
    OVERRIDE = "override", _("Manager's override")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACH = "sla_breach", _("SLA breached")
    FEEDBACK = "feedback", _("Feedback item")
    CHANGED = "changed", _("Details changed")


class ComplaintEvent(ChoiceLabelsMixin):
    """One thing that happened to a complaint. Rows are only ever added."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("type"), max_length=16, choices=EventKind.choices)
    step = models.CharField(_("step"), max_length=16, choices=Step.choices, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("time"))
    notes = models.TextField(_("notes"), blank=True)
    data = models.JSONField(_("details"), default=dict)
    interaction = models.ForeignKey(
        "interactions.Interaction", verbose_name=_("interaction"), null=True, blank=True, on_delete=models.SET_NULL, related_name="complaint_events"
    )

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")
        indexes = [
            models.Index(fields=["complaint", "at"], name="complaint_event_time"),
            models.Index(fields=["kind", "at"], name="complaint_event_kind_time"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Complaint events are append-only: add a new event instead of changing one.")
        super().save(*args, **kwargs)


class Attachment(models.Model):
    """A file a customer or an agent added to a complaint. Stored under a
    random name outside the static files and served only to those who may see
    the complaint."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(ComplaintEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    path = models.CharField(max_length=200, unique=True)  # relative to settings.MANYI_ATTACHMENT_DIR
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class FeedbackStatus(models.TextChoices):
    OPEN = "open", _("Sent to the department")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed with action taken")


class FeedbackItem(TimeStampedModel):
    """What the department that caused a complaint must change so it does not
    happen again (反馈): acknowledged and closed with the action taken."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="feedback_items")
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items")
    summary = models.TextField(_("what should change"))
    status = models.CharField(_("status"), max_length=16, choices=FeedbackStatus.choices, default=FeedbackStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(_("action taken"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")


class ComplaintLink(models.Model):
    """The public complaint form's address for one customer (company): whoever
    has the link may file a complaint on that customer's behalf."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="complaint_links")
    token = models.CharField(max_length=43, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class FormAttempt(models.Model):
    """A post of the public form, kept for an hour or so to limit how often one
    address (or one link) may post."""

    link = models.ForeignKey(ComplaintLink, null=True, on_delete=models.CASCADE, related_name="+")
    client = models.CharField(max_length=64)  # a keyed hash of the client's address
    at = models.DateTimeField()
    accepted = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["client", "at"], name="form_attempt_client"), models.Index(fields=["link", "at"], name="form_attempt_link")]


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned to you")
    REPLIED = "replied", _("The customer replied")
    WARNING = "warning", _("SLA breach coming")
    BREACH = "breach", _("SLA breached")
    ESCALATED = "escalated", _("Escalated to you")
    FEEDBACK = "feedback", _("Feedback item for your department")


class Notification(ChoiceLabelsMixin):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=NotificationKind.choices)
    complaint = models.ForeignKey(Complaint, null=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")]


class MailReceipt(models.Model):
    """An inbound e-mail already turned into a complaint or a message: two
    workers polling the mailbox at once file it once."""

    message_id = models.CharField(max_length=255, unique=True)
    complaint = models.ForeignKey(Complaint, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
