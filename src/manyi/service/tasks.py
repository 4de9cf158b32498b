"""Background work of complaints. Tasks are thin: they call a service."""

from django.conf import settings
from django_tasks import task


@task()
def sla_sweep() -> dict:
    """Warn before breaches and escalate at them (each once), refresh the risks."""
    from manyi.service.deadlines import sla_sweep as sweep

    return sweep()


@task()
def poll_mailbox() -> dict | None:
    """File the configured mailbox's new mail as complaints; None when no mailbox is configured."""
    if not settings.MANYI_COMPLAINT_MAILBOX:
        return None
    from manyi.service.intake import mailbox_poll
    from manyi.service.mailbox import mailbox_from_url

    return mailbox_poll(mailbox=mailbox_from_url(settings.MANYI_COMPLAINT_MAILBOX))


@task()
def email_notification(notification_id: int) -> bool:
    from manyi.service.services import notification_email

    return notification_email(notification_id=notification_id)
