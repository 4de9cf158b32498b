from functools import lru_cache

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=1024)
def _choice_labels(field: models.Field, language: str | None) -> dict:
    return {make_hashable(value): force_str(label) for value, label in field.flatchoices}


class ChoiceLabelsMixin(models.Model):
    """`get_FOO_display()` from a per-language table of translated labels.

    Django's version rebuilds a dict of the field's choices on every call, and
    hashing lazily translated labels translates each of them again: a customer
    page called it some sixty times, translating ~500 strings per request.
    """

    class Meta:
        abstract = True

    @classmethod
    def choice_labels(cls, name: str) -> dict:
        """{value: label} of a choice field, in the active language."""
        return _choice_labels(cls._meta.get_field(name), get_language())

    def _get_FIELD_display(self, field):
        value = getattr(self, field.attname)
        return _choice_labels(field, get_language()).get(make_hashable(value), force_str(value, strings_only=True))


class TimeStampedModel(ChoiceLabelsMixin):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class ScheduledRun(models.Model):
    """A periodic job queued for a day: the unique pair makes every worker's
    scheduler agree that it is queued once, however many are running."""

    name = models.CharField(max_length=64)
    day = models.DateField()
    queued_at = models.DateTimeField(auto_now_add=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "day"], name="scheduled_run_once_a_day")]
