import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.models import ChoiceLabelsMixin, TimeStampedModel


class Team(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MANAGER = "manager", _("Manager")
    SALES = "sales", _("Sales rep")
    SERVICE = "service", _("Service agent")
    ANALYST = "analyst", _("Analyst")


# The columns a person's name is made of, for reads that skip the model.
NAME_COLUMNS = ("display_name", "first_name", "last_name", "username")


def person_name(display_name: str, first_name: str, last_name: str, username: str) -> str:
    """How Manyi names a person: the display name, else the full name, else the username."""
    return display_name or f"{first_name} {last_name}".strip() or username


class User(ChoiceLabelsMixin, AbstractUser):
    """A person who works in Manyi. `role` decides what they may see and do;
    `team` scopes a manager's and an analyst's view."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.SALES)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members")
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return person_name(self.display_name, self.first_name, self.last_name, self.username)

    @property
    def name(self) -> str:
        return str(self)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.ANALYST


class ApiToken(TimeStampedModel):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token
    itself is shown once, when it is issued."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @staticmethod
    def new_token() -> str:
        return "my_" + secrets.token_urlsafe(32)
