"""A campaign whose worker died is queued again by the scheduler's sweep; one
still being sent, or just launched, is left alone."""

import datetime as dt

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from manyi.campaigns import services
from manyi.campaigns.models import Campaign, Recipient
from tests.campaigns.conftest import make_customers

pytestmark = pytest.mark.django_db


def _launched(rep, name):
    template = services.template_create(by=rep, data={"name": "模板", "channel": "email", "subject": "您好", "body": "{{honorific}}您好！"})
    campaign = services.campaign_create(by=rep, data={"name": name, "channel": "email", "template": template})
    return services.campaign_launch(campaign=campaign, by=rep)


def _queued() -> list[int]:
    return [r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path="manyi.campaigns.tasks.campaign_send")]


def test_a_stalled_campaign_is_queued_again_and_a_live_one_is_not(rep, django_capture_on_commit_callbacks):
    make_customers(rep, 4, prefix="Revive")
    now = timezone.now()
    long_ago = now - services.CLAIM_TIMEOUT - dt.timedelta(minutes=1)
    stalled, live, fresh = (_launched(rep, name) for name in ("停了", "在发", "刚发"))
    Campaign.objects.filter(pk__in=[stalled.pk, live.pk]).update(launched_at=long_ago)
    Recipient.objects.filter(campaign=stalled).update(claimed_at=long_ago)
    Recipient.objects.filter(campaign=live).update(claimed_at=now)
    DBTaskResult.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.campaigns_revive(now=now) == [stalled.pk]
    assert _queued() == [stalled.pk]
    assert fresh.pk not in _queued()
