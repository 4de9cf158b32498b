"""Follow-up tasks: what someone has to do for a customer, on a day. Surveys,
complaints, reminders and people open them; the "today" agenda lists them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from manyi.core.models import TimeStampedModel


class FollowUpKind(models.TextChoices):
    SURVEY = "survey", _("Dissatisfied survey answer")
    RECHECK = "recheck", _("Complaint recheck")
    CARE = "care", _("Care")
    PERIODIC = "periodic", _("Regular follow-up")
    WINBACK = "winback", _("Win-back")
    MANUAL = "manual", _("Task")


class FollowUp(TimeStampedModel):
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="follow_ups")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.PROTECT, related_name="follow_ups")
    # Denormalised from the assignee, so a manager's list is one indexed range.
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=FollowUpKind.choices, default=FollowUpKind.MANUAL)
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    due_on = models.DateField(_("due"))
    # What opened it ("survey-response:17"): one open task per source, however
    # often the source is seen again.
    source = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.TextField(_("outcome"), blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        constraints = [models.UniqueConstraint(fields=["source"], condition=~Q(source=""), name="follow_up_one_per_source")]
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_on"], name="follow_up_assignee_due"),
            models.Index(fields=["team", "done_at", "due_on"], name="follow_up_team_due"),
            models.Index(fields=["customer", "-created_at"], name="follow_up_customer"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
