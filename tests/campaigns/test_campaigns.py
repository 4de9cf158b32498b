"""The campaign engine in one process: consent, audiences, launching,
sending through a real local SMTP server and a real local SMS provider,
throttling, crashes, retries, unsubscribes and the win-back result."""

import datetime as dt
import time
from collections import Counter

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from manyi.analytics.models import CustomerValue
from manyi.campaigns import selectors, services, throttle
from manyi.campaigns.models import (
    CampaignStatus,
    ConsentSource,
    DeliveryEvent,
    Group,
    Recipient,
    RecipientStatus,
    SkipReason,
)
from manyi.core.errors import (
    ApplicationError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tests.campaigns.conftest import free_port, make_customers
from tests.factories import buy

pytestmark = pytest.mark.django_db


def _template(by, channel="email", language="zh-hans", **extra):
    data = {"name": "新品", "channel": channel, "language": language, "subject": "{{honorific}}，新品上市",
            "body": "{{honorific}}您好！欢迎联系{{owner_name}}（{{owner_phone}}）。"} | extra  # fmt: skip
    return services.template_create(by=by, data=data)


def _campaign(by, template=None, **data):
    template = template or _template(by)
    values = {"name": "秋季活动", "channel": template.channel, "template": template, "throttle_limit": 10_000, "throttle_window": 60} | data
    return services.campaign_create(by=by, data=values)


def _drain(campaign, *, rounds=50):
    """Run the sending task's service until the campaign is done, waiting for the throttle like the queue would."""
    for _ in range(rounds):
        summary = services.campaign_send_run(campaign_id=campaign.pk)
        campaign.refresh_from_db()
        if campaign.status != CampaignStatus.SENDING:
            return
        if summary["next_at"]:
            time.sleep(max(0.0, (dt.datetime.fromisoformat(summary["next_at"]) - timezone.now()).total_seconds()))
    raise AssertionError("the campaign did not finish")


# --- templates and consent ------------------------------------------------------------


def test_a_template_with_an_unknown_field_is_refused_naming_it(rep):
    with pytest.raises(ValidationFailed) as caught:
        _template(rep, body="{{honorific}}您好，您的积分{{point}}")
    assert "{{point}}" in caught.value.fields["body"][0]
    with pytest.raises(ValidationFailed) as caught:
        _template(rep, subject="Hi {{name}")
    assert "character 4" in caught.value.fields["subject"][0]
    with pytest.raises(ValidationFailed) as caught:
        _template(rep, subject="")
    assert caught.value.fields["subject"] == ["An e-mail needs a subject."]


def test_consent_in_force_is_the_latest_event_and_none_means_no(rep, customer):
    assert selectors.consent_state(customer=customer, channel="email") is None
    services.consent_record(customer=customer, channel="email", granted=True, source=ConsentSource.FORM, by=rep)
    services.consent_record(customer=customer, channel="sms", granted=True, source=ConsentSource.STAFF, by=rep)
    services.consent_record(customer=customer, channel="email", granted=False, source=ConsentSource.STAFF, by=rep, note="电话里说不要了")
    assert selectors.consent_state(customer=customer, channel="email").granted is False
    assert selectors.consent_state(customer=customer, channel="sms").granted is True
    assert selectors.consent_latest(customer_ids=[customer.pk], channel="email") == {customer.pk: False}
    assert list(selectors.consenting(selectors.audience_base(user=rep), channel="sms")) == [customer]
    assert selectors.consent_history(customer=customer).count() == 3


def test_an_analyst_may_not_record_consent(analyst, customer):
    with pytest.raises(PermissionDenied):
        services.consent_record(customer=customer, channel="email", granted=True, source=ConsentSource.STAFF, by=analyst)


# --- audience ------------------------------------------------------------------------------


def test_the_audience_is_resolved_among_the_customers_the_user_may_send_to(rep, rep2, manager, outsider):
    mine = make_customers(rep, 4, prefix="Mine")
    theirs = make_customers(rep2, 2, prefix="Theirs")
    make_customers(outsider, 2, prefix="Far")
    mine[0].grade = "A"
    mine[0].save(update_fields=["grade"])
    mine[1].tags.create(name="VIP")
    now = timezone.now()
    CustomerValue.objects.create(customer=mine[2], owner_id=rep.pk, team_id=rep.team_id, computed_at=now, segment="at_risk", churn_risk=0.8, value_at_risk=5000)
    CustomerValue.objects.create(customer=theirs[0], owner_id=rep2.pk, team_id=rep2.team_id, computed_at=now, segment="at_risk", churn_risk=0.2, value_at_risk=10)

    def names(user, audience):
        return sorted(selectors.audience_customers(user=user, audience=services.audience_check(audience)).values_list("name", flat=True))

    assert names(rep, {}) == ["Mine0", "Mine1", "Mine2", "Mine3"]
    assert names(manager, {}) == ["Mine0", "Mine1", "Mine2", "Mine3", "Theirs0", "Theirs1"]
    assert names(rep, {"grades": ["A"]}) == ["Mine0"]
    assert names(rep, {"tags": ["VIP"]}) == ["Mine1"]
    assert names(manager, {"segments": ["at_risk"]}) == ["Mine2", "Theirs0"]
    assert names(manager, {"winback": True}) == ["Mine2"]
    assert names(manager, {"owner": rep2.pk}) == ["Theirs0", "Theirs1"]
    assert names(outsider, {"tags": ["VIP"]}) == []
    with pytest.raises(ValidationFailed, match="Unknown audience key colour"):
        services.audience_check({"colour": ["red"]})
    with pytest.raises(ValidationFailed, match="Unknown segments: rich"):
        services.audience_check({"segments": ["rich"]})


def test_the_control_group_is_deterministic_and_near_its_share():
    picks = [selectors.in_control_group(campaign_id=7, customer_id=c, share=0.1) for c in range(10_000)]
    assert picks == [selectors.in_control_group(campaign_id=7, customer_id=c, share=0.1) for c in range(10_000)]
    assert 0.09 < sum(picks) / len(picks) < 0.11
    other = [selectors.in_control_group(campaign_id=8, customer_id=c, share=0.1) for c in range(10_000)]
    assert picks != other
    assert not any(selectors.in_control_group(campaign_id=7, customer_id=c, share=0) for c in range(1000))


# --- launching and sending e-mail -------------------------------------------------------------


def test_a_campaign_reaches_each_consenting_customer_once_with_an_unsubscribe_link(rep, smtp, client, django_capture_on_commit_callbacks):
    customers = make_customers(rep, 8, prefix="Mail", unsubscribed=2)
    nobody = make_customers(rep, 1, prefix="Never", consent=None)[0]
    no_mail = make_customers(rep, 1, prefix="NoMail")[0]
    no_mail.email = ""
    no_mail.save(update_fields=["email"])
    campaign = _campaign(rep)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=campaign, by=rep, public_url="https://crm.example.com/")
    assert DBTaskResult.objects.filter(task_path="manyi.campaigns.tasks.campaign_send", args_kwargs__args=[campaign.pk]).count() == 1
    recipients = {r.customer_id: r for r in Recipient.objects.filter(campaign=campaign)}
    assert recipients[nobody.pk].skip_reason == SkipReason.NO_CONSENT
    assert recipients[no_mail.pk].skip_reason == SkipReason.NO_ADDRESS
    assert [recipients[c.pk].skip_reason for c in customers[-2:]] == [SkipReason.UNSUBSCRIBED] * 2
    # Someone unsubscribes after the launch and before the sending.
    services.consent_record(customer=customers[0], channel="email", granted=False, source=ConsentSource.STAFF, by=rep)
    _drain(campaign)
    assert campaign.status == CampaignStatus.DONE
    received = Counter(smtp.mailbox.recipients())
    assert received == Counter({c.email: 1 for c in customers[1:6]})
    assert Recipient.objects.get(campaign=campaign, customer=customers[0]).skip_reason == SkipReason.UNSUBSCRIBED
    message = next(m for m in smtp.mailbox.messages if m["To"] == customers[1].email)
    recipient = recipients[customers[1].pk]
    assert message["Message-ID"] == f"<campaign{campaign.pk}.recipient{recipient.pk}@manyi.example>"
    assert message["Subject"] == "Mail1先生，新品上市"
    link = f"https://crm.example.com/u/{services.unsubscribe_token(recipient)}/"
    assert message["List-Unsubscribe"].strip() == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Mail1先生您好！欢迎联系王小明" in message.get_content() and link in message.get_content()
    # The link works: one click unsubscribes.
    response = client.post(link.removeprefix("https://crm.example.com"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert selectors.consent_state(customer=customers[1], channel="email").source == ConsentSource.LIST_UNSUBSCRIBE


def test_the_throttle_holds_a_campaign_back_window_by_window(rep, smtp):
    make_customers(rep, 25, prefix="Slow")
    campaign = _campaign(rep, throttle_limit=10, throttle_window=1)
    services.campaign_launch(campaign=campaign, by=rep)
    runs = []
    for _ in range(10):
        runs.append(services.campaign_send_run(campaign_id=campaign.pk))
        campaign.refresh_from_db()
        if campaign.status == CampaignStatus.DONE:
            break
        time.sleep(max(0.0, (dt.datetime.fromisoformat(runs[-1]["next_at"]) - timezone.now()).total_seconds()))
    assert [r["sent"] for r in runs] == [10, 10, 5]
    claims = [t.timestamp() for t in Recipient.objects.filter(campaign=campaign).values_list("claimed_at", flat=True)]
    assert throttle.busiest_window(claims, 1) == 10
    assert len(smtp.mailbox.messages) == 25


def test_after_a_crash_a_claimed_message_is_uncertain_and_sent_again_only_by_a_person(rep, smtp):
    make_customers(rep, 5, prefix="Crash")
    campaign = _campaign(rep)
    services.campaign_launch(campaign=campaign, by=rep)
    # A worker claimed two and died before recording anything.
    claimed, _opens = services._claim(campaign.pk, timezone.now())[1:]
    lost = claimed[:2]
    Recipient.objects.filter(pk__in=[r.pk for r in claimed[2:]]).update(status=RecipientStatus.PENDING, claimed_at=None)
    Recipient.objects.filter(pk__in=[r.pk for r in lost]).update(claimed_at=F("claimed_at") - services.CLAIM_TIMEOUT - dt.timedelta(seconds=1))
    _drain(campaign)
    uncertain = list(Recipient.objects.filter(campaign=campaign, status=RecipientStatus.UNCERTAIN))
    assert sorted(r.pk for r in uncertain) == sorted(r.pk for r in lost)
    assert "check whether the message arrived" in uncertain[0].error
    assert sorted(smtp.mailbox.recipients()) == sorted(Recipient.objects.filter(campaign=campaign, status="sent").values_list("address", flat=True))
    assert len(smtp.mailbox.messages) == 3
    services.recipient_resend(recipient=uncertain[0], by=rep)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENDING
    _drain(campaign)
    assert len(smtp.mailbox.messages) == 4 and smtp.mailbox.recipients()[-1] == uncertain[0].address
    with pytest.raises(ApplicationError, match="Only an uncertain or failed"):
        services.recipient_resend(recipient=Recipient.objects.get(pk=uncertain[0].pk), by=rep)


def test_an_unreachable_server_is_retried_a_bounded_number_of_times(rep, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    make_customers(rep, 2, prefix="Down")
    campaign = _campaign(rep, throttle_window=1)
    services.campaign_launch(campaign=campaign, by=rep)
    first = services.campaign_send_run(campaign_id=campaign.pk)
    assert first["retry"] == 2 and first["next_at"]
    assert set(Recipient.objects.filter(campaign=campaign).values_list("status", flat=True)) == {RecipientStatus.PENDING}
    assert "ConnectionRefusedError" in Recipient.objects.filter(campaign=campaign).first().error
    for _ in range(services.MAX_ATTEMPTS - 1):
        services.campaign_send_run(campaign_id=campaign.pk)
    assert list(Recipient.objects.filter(campaign=campaign).values_list("status", "attempts")) == [(RecipientStatus.FAILED, 3)] * 2
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_pause_resume_and_cancel(rep, rep2, smtp):
    make_customers(rep, 3, prefix="Pause")
    campaign = _campaign(rep)
    services.campaign_launch(campaign=campaign, by=rep)
    with pytest.raises(PermissionDenied):
        services.campaign_pause(campaign=campaign, by=rep2)
    services.campaign_pause(campaign=campaign, by=rep)
    assert services.campaign_send_run(campaign_id=campaign.pk)["sent"] == 0
    services.campaign_resume(campaign=campaign, by=rep)
    services.campaign_cancel(campaign=campaign, by=rep)
    assert services.campaign_send_run(campaign_id=campaign.pk)["sent"] == 0
    assert set(Recipient.objects.filter(campaign=campaign).values_list("skip_reason", flat=True)) == {SkipReason.CANCELLED}
    assert smtp.mailbox.messages == []
    with pytest.raises(ApplicationError, match="finished already"):
        services.campaign_cancel(campaign=campaign, by=rep)


def test_a_scheduled_campaign_waits_for_its_time(rep, smtp, django_capture_on_commit_callbacks):
    make_customers(rep, 2, prefix="Later")
    campaign = _campaign(rep, scheduled_at=timezone.now() + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(campaign=campaign, by=rep)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert services.campaign_start_scheduled(campaign_id=campaign.pk) is False
    task = DBTaskResult.objects.get(task_path="manyi.campaigns.tasks.campaign_send")
    assert task.run_after > timezone.now() + dt.timedelta(minutes=59)


# --- SMS ---------------------------------------------------------------------------------------------


def test_sms_go_through_the_providers_http_api_and_a_refusal_is_recorded(rep, sms):
    customers = make_customers(rep, 3, prefix="Sms", consent="sms")
    sms.refuse[customers[2].mobile] = "号码已停机"
    template = _template(rep, channel="sms", subject="", body="{{honorific}}，秋季新品8折")
    campaign = _campaign(rep, template=template)
    services.campaign_launch(campaign=campaign, by=rep)
    _drain(campaign)
    assert [r["to"] for r in sms.requests] == [c.mobile for c in customers]
    first = sms.requests[0]
    assert first["text"] == "【满意科技】Sms0女士，秋季新品8折 回T退订"
    assert first["sign"] == "满意科技" and first["authorization"] == "Bearer sms-secret"
    rows = {r.customer_id: r for r in Recipient.objects.filter(campaign=campaign)}
    assert first["ref"] == str(rows[customers[0].pk].pk)
    assert rows[customers[0].pk].status == RecipientStatus.SENT and rows[customers[0].pk].provider_id == "sms-1"
    assert rows[customers[2].pk].status == RecipientStatus.FAILED
    assert rows[customers[2].pk].error == "HTTP 400: 号码已停机"


def test_an_sms_campaign_needs_a_provider(rep, settings):
    settings.MANYI_SMS_URL = ""
    campaign = _campaign(rep, template=_template(rep, channel="sms", subject="", body="hi"))
    with pytest.raises(ApplicationError, match="MANYI_SMS_URL"):
        services.campaign_launch(campaign=campaign, by=rep)


def test_webhooks_need_the_token_and_a_reply_of_t_opts_out(rep, sms, client):
    customer = make_customers(rep, 1, prefix="Hook", consent="sms")[0]
    campaign = _campaign(rep, template=_template(rep, channel="sms", subject="", body="hi"))
    services.campaign_launch(campaign=campaign, by=rep)
    _drain(campaign)
    recipient = Recipient.objects.get(campaign=campaign)
    receipt, inbound = reverse("web:sms_receipt"), reverse("web:sms_inbound")
    assert client.post(receipt, {"id": recipient.provider_id, "status": "delivered"}, content_type="application/json").status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer wrong"}
    assert client.post(inbound, {"from": customer.mobile, "text": "T"}, content_type="application/json", **bad).status_code == 401
    assert selectors.consent_state(customer=customer, channel="sms").granted is True
    auth = {"HTTP_AUTHORIZATION": "Bearer sms-secret"}
    answer = client.post(receipt, {"id": recipient.provider_id, "status": "delivered"}, content_type="application/json", **auth)
    assert answer.json() == {"recorded": True}
    assert client.post(receipt, {"id": "x", "status": "lost"}, content_type="application/json", **auth).status_code == 422
    answer = client.post(inbound, {"from": customer.mobile, "text": " 退订 "}, content_type="application/json", **auth)
    assert answer.json() == {"opt_out": True, "customers": 1}
    state = selectors.consent_state(customer=customer, channel="sms")
    assert (state.granted, state.source) == (False, ConsentSource.SMS_REPLY)
    assert list(DeliveryEvent.objects.filter(recipient=recipient).order_by("id").values_list("kind", flat=True)) == ["delivered", "replied", "unsubscribed"]
    assert client.post(inbound, {"from": customer.mobile, "text": "谢谢"}, content_type="application/json", **auth).json()["opt_out"] is False


# --- the unsubscribe page --------------------------------------------------------------------------


def test_the_unsubscribe_page_asks_then_records_in_chinese_or_english(rep, client):
    customer = make_customers(rep, 1, prefix="Page")[0]
    campaign = _campaign(rep)
    services.campaign_launch(campaign=campaign, by=rep)
    recipient = Recipient.objects.get(campaign=campaign)
    url = reverse("web:unsubscribe", args=[services.unsubscribe_token(recipient)])
    page = client.get(url)
    assert page.status_code == 200 and page["Content-Language"] == "zh-hans" and '<html lang="zh-hans">' in page.content.decode()
    assert 'name="viewport"' in page.content.decode()
    english = client.get(url + "?lang=en")
    assert f"Stop marketing e-mails to {customer.email}?" in english.content.decode()
    assert selectors.consent_state(customer=customer, channel="email").granted is True
    done = client.post(url + "?lang=en")
    assert "You have been unsubscribed" in done.content.decode()
    state = selectors.consent_state(customer=customer, channel="email")
    assert (state.granted, state.source) == (False, ConsentSource.UNSUBSCRIBE_LINK)
    client.post(url)
    assert selectors.consent_history(customer=customer).filter(granted=False).count() == 1


def test_a_forged_unsubscribe_link_is_a_clear_404(rep, client):
    make_customers(rep, 1, prefix="Forge")
    campaign = _campaign(rep)
    services.campaign_launch(campaign=campaign, by=rep)
    token = services.unsubscribe_token(Recipient.objects.get(campaign=campaign))
    response = client.get(reverse("web:unsubscribe", args=[token[:-2] + "xx"]) + "?lang=en")
    assert response.status_code == 404
    assert "This unsubscribe link is not valid" in response.content.decode()
    with pytest.raises(NotFound):
        services.unsubscribe_apply(token="nonsense")


# --- the win-back result ------------------------------------------------------------------------------


def test_the_winback_result_compares_buyers_in_treatment_and_control(rep, products, smtp):
    customers = make_customers(rep, 60, prefix="Back")
    campaign = _campaign(rep, kind="winback")
    assert campaign.control_share == 0.1
    campaign = services.campaign_launch(campaign=campaign, by=rep, now=timezone.now() - dt.timedelta(days=10))
    groups = dict(Recipient.objects.filter(campaign=campaign).values_list("customer_id", "group"))
    treated = [c for c in customers if groups[c.pk] == Group.TREATMENT]
    held = [c for c in customers if groups[c.pk] == Group.CONTROL]
    assert held and len(held) + len(treated) == 60
    for c in treated[:6]:
        buy(c, rep, [products["filter"]], [3])
    buy(held[0], rep, [products["filter"]], [20])  # before the campaign: does not count
    buy(treated[6], rep, [products["filter"]], [2], status="cancelled")
    result = selectors.campaign_result(campaign=campaign)
    assert (result.treatment.size, result.treatment.converted) == (len(treated), 6)
    assert (result.control.size, result.control.converted) == (len(held), 0)
    assert result.difference == pytest.approx(6 / len(treated))
    assert 0 < result.p_value < 1


def test_a_template_can_tell_a_member_their_points(rep):
    from manyi.loyalty.services import member_enroll, points_earn

    member_customer, other = make_customers(rep, 2, prefix="Points")
    points_earn(member=member_enroll(customer=member_customer, by=rep), points=350, reason="开卡礼", by=rep)
    campaign = _campaign(rep, template=_template(rep, body="{{honorific}}，您有{{points}}积分可兑换礼品。"))
    services.campaign_launch(campaign=campaign, by=rep)
    texts = {r.customer_id: services.message_for(r, campaign).text for r in Recipient.objects.filter(campaign=campaign).select_related("customer__owner")}
    assert "您有350积分" in texts[member_customer.pk]
    assert "您有积分" in texts[other.pk]
