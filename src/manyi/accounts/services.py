from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import ApiToken, Role, Team, User
from manyi.core.errors import ApplicationError, ValidationFailed

TOKEN_LIFETIME = timedelta(days=30)


@transaction.atomic
def team_get_or_create(*, name: str) -> tuple[Team, bool]:
    """The team called `name`, created if there is none yet."""
    name = (name or "").strip()
    max_length = Team._meta.get_field("name").max_length
    if not name or len(name) > max_length:
        raise ValidationFailed(
            _("The team could not be created."),
            fields={"team": [_("A team name has 1 to %(n)d characters.") % {"n": max_length}]},
        )
    return Team.objects.get_or_create(name=name)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    team: Team | None = None,
    display_name: str = "",
    email: str = "",
    is_demo: bool = False,
    check_password: bool = True,
) -> User:
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = [_("A username is required.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("The username “%(name)s” is taken.") % {"name": username}]
    if role not in Role.values:
        errors["role"] = [_("Unknown role “%(role)s”; choose one of %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)}]
    user = User(username=username, role=role, team=team, display_name=display_name, email=email, is_demo=is_demo)
    if check_password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(_("The user could not be created."), fields=errors)
    user.is_superuser = role == Role.ADMIN
    user.is_staff = role == Role.ADMIN
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def api_token_issue(*, username: str, password: str) -> tuple[str, ApiToken]:
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise ApplicationError(_("Wrong username or password."), code="invalid_credentials")
    token = ApiToken.new_token()
    record = ApiToken.objects.create(
        user=user, digest=ApiToken.digest_of(token), prefix=token[:8], expires_at=timezone.now() + TOKEN_LIFETIME
    )
    return token, record
