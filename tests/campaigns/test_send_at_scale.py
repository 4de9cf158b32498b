"""Done-when of issue 8: a campaign to 10,000 recipients through a local SMTP
server completes, with throttling honoured, unsubscribed customers skipped,
and a rerun after a crash (a real worker killed with SIGKILL mid-campaign)
sending no one twice."""

import datetime as dt
from collections import Counter

import pytest
from django.db.models import F
from django_tasks_db.models import DBTaskResult

from manyi.campaigns import services, throttle
from manyi.campaigns.models import (
    CampaignStatus,
    Group,
    Recipient,
    RecipientStatus,
    SkipReason,
)
from tests.campaigns import workers
from tests.campaigns.conftest import make_customers

N, UNSUBSCRIBED, LIMIT, WINDOW = 10_000, 200, 2_500, 1


@pytest.mark.django_db(transaction=True)
def test_ten_thousand_recipients_throttled_with_a_crash_and_a_rerun(rep, smtp, tmp_path):
    make_customers(rep, N, prefix="Scale", unsubscribed=UNSUBSCRIBED)
    template = services.template_create(by=rep, data={
        "name": "回访", "channel": "email", "language": "zh-hans",
        "subject": "{{honorific}}，好久不见", "body": "{{honorific}}您好，{{owner_name}}想念您。"})  # fmt: skip
    campaign = services.campaign_create(by=rep, data={
        "name": "秋季回访", "kind": "winback", "channel": "email", "template": template,
        "throttle_limit": LIMIT, "throttle_window": WINDOW})  # fmt: skip
    services.campaign_launch(campaign=campaign, by=rep, public_url="https://crm.example.com")
    recipients = Recipient.objects.filter(campaign=campaign)
    treatment = set(recipients.filter(group=Group.TREATMENT).values_list("address", flat=True))
    control = set(recipients.filter(group=Group.CONTROL).values_list("address", flat=True))
    unsubscribed = set(recipients.filter(skip_reason=SkipReason.UNSUBSCRIBED).values_list("address", flat=True))
    assert len(unsubscribed) == UNSUBSCRIBED
    assert 0.08 < len(control) / (N - UNSUBSCRIBED) < 0.12

    db = workers.SharedDatabase(tmp_path)
    env = db.env(MANYI_SMTP_URL=smtp.url, MANYI_MAIL_FROM="news@manyi.example")
    args = ["worker", "--no-schedule", "--no-startup-delay", "--interval", "0.1"]
    sent_sql = "SELECT COUNT(*) FROM campaigns_recipient WHERE campaign_id = %s AND status = 'sent'"

    db.hand_over()
    log = tmp_path / "worker1.log"
    first = workers.start(args, env, log)
    try:
        # Into the second window, while a batch is on its way.
        workers.wait_for(lambda: db.scalar(sent_sql, (campaign.pk,)) >= LIMIT + 300, timeout=120, what="the first sends", log=log)
    finally:
        workers.stop(first, kill=True)
    db.take_back()
    received_before_rerun = len(smtp.mailbox.recipients())
    assert 0 < recipients.filter(status=RecipientStatus.SENT).count() < len(treatment)

    # Time passes: the dead worker's claims grow older than the claim timeout.
    recipients.filter(status=RecipientStatus.SENDING).update(claimed_at=F("claimed_at") - services.CLAIM_TIMEOUT - dt.timedelta(seconds=1))
    services.campaign_resume(campaign=campaign, by=rep)
    db.hand_over()
    log = tmp_path / "worker2.log"
    second = workers.start(args, env, log)
    try:
        status_sql = "SELECT status FROM campaigns_campaign WHERE id = %s"
        workers.wait_for(lambda: db.scalar(status_sql, (campaign.pk,)) == "done", timeout=180, what="the campaign to finish", log=log)
    finally:
        workers.stop(second)
    db.take_back()

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE
    received = Counter(smtp.mailbox.recipients())
    assert len(received) > received_before_rerun > 0
    assert max(received.values()) == 1, [a for a, n in received.items() if n > 1][:5]
    assert set(received) <= treatment
    assert not set(received) & (unsubscribed | control)
    statuses = Counter(recipients.values_list("status", flat=True))
    assert set(statuses) <= {RecipientStatus.SENT, RecipientStatus.SKIPPED, RecipientStatus.UNCERTAIN}
    assert statuses[RecipientStatus.UNCERTAIN] <= services.BATCH_SIZE
    sent = set(recipients.filter(status=RecipientStatus.SENT).values_list("address", flat=True))
    uncertain = set(recipients.filter(status=RecipientStatus.UNCERTAIN).values_list("address", flat=True))
    assert sent <= set(received) <= sent | uncertain
    assert sent | uncertain == treatment
    # Throttling: no window of WINDOW seconds holds more than LIMIT claims
    # (test_campaigns.py shows the throttle holding a campaign back run by run).
    claims = [t.timestamp() for t in recipients.filter(status=RecipientStatus.SENT).values_list("claimed_at", flat=True)]
    assert throttle.busiest_window(claims, WINDOW) <= LIMIT
    assert DBTaskResult.objects.filter(task_path="manyi.campaigns.tasks.campaign_send", status="SUCCESSFUL").exists()
