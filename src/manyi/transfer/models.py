"""Imports: a job per uploaded file, and what it said about rows it did not take."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.models import TimeStampedModel


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    INTERACTIONS = "interactions", _("Interactions")
    ORDERS = "orders", _("Orders")


class OnDuplicate(models.TextChoices):
    SKIP = "skip", _("Skip the row, keep what is in Manyi")
    UPDATE = "update", _("Update Manyi with the file's values")
    MERGE = "merge", _("Fill only the fields Manyi has empty")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(TimeStampedModel):
    """One file being imported. `position` counts the data rows whose outcome
    is committed: it moves in the same transaction as the rows, so a resumed
    import starts exactly after the last committed row."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("what"), max_length=16, choices=ImportKind.choices)
    on_duplicate = models.CharField(_("duplicates"), max_length=8, choices=OnDuplicate.choices, default=OnDuplicate.SKIP)
    dry_run = models.BooleanField(_("check only"), default=False)
    original_name = models.CharField(_("file"), max_length=255)
    source = models.CharField(max_length=500)
    size = models.BigIntegerField(default=0)
    file_format = models.CharField(max_length=8, default="csv")
    encoding = models.CharField(_("encoding"), max_length=32, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    header_line = models.PositiveIntegerField(default=1)
    headers = models.JSONField(default=list)
    # {"column index": "field name"}; columns not named are ignored.
    mapping = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    position = models.PositiveBigIntegerField(default=0)
    bytes_done = models.PositiveBigIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Set when the job is handed to the task worker (a queued job is still pending).
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_by_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"


class IssueKind(models.TextChoices):
    ERROR = "error", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")


class ImportIssue(models.Model):
    """A row that was not imported as it stood: rejected (with the field and
    why) or a duplicate of a record already in Manyi (with which one)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16, choices=IssueKind.choices)
    field = models.CharField(max_length=64, blank=True)
    message = models.TextField()
    values = models.JSONField(default=list)
    match_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["job", "line", "id"]
        indexes = [models.Index(fields=["job", "kind", "line"], name="import_issue_job_kind")]
