"""Template context of the complaint pages, on every page: the bell's count."""

from django.utils.functional import SimpleLazyObject

from manyi.service import selectors


def unread_notifications(request) -> dict:
    """The signed-in user's unread notifications (0 for a visitor), counted
    only when a template shows it."""
    return {"unread_notifications": SimpleLazyObject(lambda: selectors.unread_count(user=getattr(request, "user", None)))}
