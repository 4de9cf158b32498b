from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.accounts.models import NAME_COLUMNS, ApiToken, User
from manyi.core.errors import NotFound


def user_for_token(*, token: str) -> User | None:
    """The active user a bearer token belongs to, or None if it is unknown, revoked or expired."""
    if not token:
        return None
    record = (
        ApiToken.objects.select_related("user", "user__team")
        .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True)
        .first()
    )
    if record is None or not record.user.is_active:
        return None
    now = timezone.now()
    if record.expires_at and record.expires_at <= now:
        return None
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record.user


def active_user_get(*, ref: Any, field: str = "owner") -> User:
    """An active user by id or username; NotFound names `field` when there is none."""
    try:
        if isinstance(ref, int) or str(ref).isdigit():
            return User.objects.get(pk=int(ref), is_active=True)
        return User.objects.get(username=ref, is_active=True)
    except User.DoesNotExist as exc:
        raise NotFound(_("No such user."), fields={field: [_("No such user.")]}) from exc


def name_columns_of(field: str) -> dict[str, Subquery]:
    """Annotations with the name columns of the user the foreign key `field`
    points to, as correlated subqueries: a join would come between an index
    and a LIMIT, and SQLite would then sort every row instead of stopping."""
    return {f"{field}_{name}": Subquery(User.objects.filter(pk=OuterRef(field)).values(name)[:1]) for name in NAME_COLUMNS}


def person_of(row: Any, field: str) -> User | None:
    """The user of name_columns_of(field) on `row`, as much as shows their name."""
    pk = getattr(row, f"{field}_id")
    return None if pk is None else User(id=pk, **{name: getattr(row, f"{field}_{name}") for name in NAME_COLUMNS})
