from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from manyi.accounts.models import ApiToken, User


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
