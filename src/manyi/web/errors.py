"""Turn domain errors into HTTP answers so views stay short.

NotFound becomes a 404 (an outsider learns nothing), PermissionDenied a 403
page carrying the service's message, any other domain error a 400. Views
catch ValidationFailed themselves where a form can show it.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404

from manyi.core import errors


def page(view):
    """Login required, and domain errors mapped to 404 / 403 / 400."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except errors.NotFound as exc:
            raise Http404(exc.message) from exc
        except errors.PermissionDenied as exc:
            raise Forbidden(exc.message) from exc
        except errors.ApplicationError as exc:
            raise BadRequest(exc.message) from exc

    return login_required(wrapper)


def require(allowed: bool, message: str) -> None:
    """Refuse a page the user's role may not use (buttons are hidden too)."""
    if not allowed:
        raise Forbidden(message)


def add_service_errors(form, exc: errors.ValidationFailed) -> None:
    """Show each of a service's field messages next to its field."""
    for field, messages in exc.fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    if not exc.fields:
        form.add_error(None, exc.message)
