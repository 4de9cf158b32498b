"""Background work of the analytics app. Tasks are thin: they call a service."""

from django_tasks import task

from manyi.core.errors import ApplicationError


@task()
def refresh_analytics(trigger: str = "nightly", by_id: int | None = None) -> int | None:
    """The nightly refresh (and a manager's "refresh now", recorded as theirs).
    Returns the run's id, or None when another refresh was already running."""
    from manyi.accounts.models import User
    from manyi.analytics.services import analytics_refresh

    by = User.objects.filter(pk=by_id, is_active=True).first() if by_id else None
    try:
        return analytics_refresh(trigger=trigger, by=by).pk
    except ApplicationError as exc:
        if exc.code == "refresh_running":
            return None
        raise
