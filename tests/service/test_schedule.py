"""The worker's scheduler queues the SLA sweep every MANYI_SLA_SWEEP_SECONDS,
and the mailbox poll only when a mailbox is configured."""

import pytest
from django_tasks_db.models import DBTaskResult

from manyi.core import schedule


@pytest.mark.django_db
def test_repeating_jobs_are_queued_at_their_interval(settings):
    settings.MANYI_SLA_SWEEP_SECONDS = 60
    settings.MANYI_CAMPAIGN_SWEEP_SECONDS = 0
    settings.MANYI_COMPLAINT_MAILBOX = ""
    last: dict[str, float] = {}
    assert schedule.tick_repeats(last, 1000.0) == ["service.sla_sweep"]
    assert schedule.tick_repeats(last, 1059.0) == []
    assert schedule.tick_repeats(last, 1060.0) == ["service.sla_sweep"]
    settings.MANYI_COMPLAINT_MAILBOX = "imap://u:p@127.0.0.1:143/INBOX"
    assert schedule.tick_repeats(last, 1070.0) == ["service.poll_mailbox"]
    paths = list(DBTaskResult.objects.order_by("enqueued_at").values_list("task_path", flat=True))
    assert paths == ["manyi.service.tasks.sla_sweep", "manyi.service.tasks.sla_sweep", "manyi.service.tasks.poll_mailbox"]


@pytest.mark.django_db
def test_an_interval_of_zero_turns_the_sweep_off(settings):
    settings.MANYI_SLA_SWEEP_SECONDS = 0
    settings.MANYI_CAMPAIGN_SWEEP_SECONDS = 0
    assert schedule.tick_repeats({}, 5.0) == []
