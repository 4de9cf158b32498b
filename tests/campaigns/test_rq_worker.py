"""At scale the same tasks run on django-tasks-rq workers over Redis: a real
redis-server, a real `manyi rqworker` (MANYI_TASKS=rq) and a local SMTP
server; every consenting recipient gets exactly one e-mail, the unsubscribed none."""

import os
import re
import shutil
import subprocess
from collections import Counter

import pytest
import redis
from django.test import override_settings

from manyi.campaigns import services
from manyi.campaigns.models import (
    CampaignStatus,
    Recipient,
    RecipientStatus,
    SkipReason,
)
from tests.campaigns import workers
from tests.campaigns.conftest import free_port, make_customers

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


@pytest.fixture
def redis_url(tmp_path):
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    try:
        workers.wait_for(lambda: _pings(client), timeout=20, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=20)


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


@pytest.mark.django_db(transaction=True)
def test_a_campaign_sent_by_an_rq_worker_over_redis(rep, smtp, redis_url, tmp_path):
    make_customers(rep, 60, prefix="Rq", unsubscribed=6)
    template = services.template_create(by=rep, data={"name": "News", "channel": "email", "language": "en",
                                                      "subject": "News for {{honorific}}", "body": "Dear {{honorific}}, ..."})  # fmt: skip
    campaign = services.campaign_create(by=rep, data={"name": "Autumn news", "channel": "email", "template": template,
                                                      "throttle_limit": 25, "throttle_window": 1})  # fmt: skip
    rq = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=rq, RQ_QUEUES={"default": {"URL": redis_url}}, RQ={"JOB_CLASS": "django_tasks_rq.Job"}):
        services.campaign_launch(campaign=campaign, by=rep, public_url="https://crm.example.com")
        assert redis.Redis.from_url(redis_url).llen("rq:queue:default") == 1

    db = workers.SharedDatabase(tmp_path)
    db.hand_over()
    log = tmp_path / "rqworker.log"
    env = db.env(MANYI_TASKS="rq", MANYI_REDIS_URL=redis_url, MANYI_SMTP_URL=smtp.url, MANYI_MAIL_FROM="news@manyi.example")
    worker = workers.start(["rqworker", "--with-scheduler", "default"], env, log)
    try:
        status_sql = "SELECT status FROM campaigns_campaign WHERE id = %s"
        workers.wait_for(lambda: db.scalar(status_sql, (campaign.pk,)) == "done", timeout=120, what="the campaign to finish", log=log)
    finally:
        workers.stop(worker)
    db.take_back()

    recipients = Recipient.objects.filter(campaign=campaign)
    consenting = set(recipients.exclude(skip_reason=SkipReason.UNSUBSCRIBED).values_list("address", flat=True))
    unsubscribed = set(recipients.filter(skip_reason=SkipReason.UNSUBSCRIBED).values_list("address", flat=True))
    assert len(consenting) == 54 and len(unsubscribed) == 6
    assert Counter(smtp.mailbox.recipients()) == Counter({address: 1 for address in consenting})
    assert set(recipients.values_list("status", flat=True)) == {RecipientStatus.SENT, RecipientStatus.SKIPPED}
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE
    # 54 messages at 25 a second: the later windows were jobs the worker's scheduler queued.
    assert re.match(r"Dear (Mr|Ms) Rq\d+, \.\.\.", smtp.mailbox.messages[0].get_content())
