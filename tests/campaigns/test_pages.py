"""The campaign pages: who sees and does what, the audience preview's counts,
launching and steering a campaign, resending an uncertain message, the
win-back result, templates with their merge fields, and a customer's consent."""

import re

import pytest
from django.urls import reverse

from manyi.campaigns import selectors, services
from manyi.campaigns.models import (
    Campaign,
    CampaignStatus,
    ConsentEvent,
    ConsentSource,
    Group,
    Recipient,
    RecipientStatus,
    SkipReason,
    Template,
)
from manyi.customers.models import Customer
from tests.campaigns.conftest import make_customers
from tests.factories import CustomerFactory, buy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_pages(settings):
    """The pages answer in English (zh-hans is the site's default)."""
    settings.LANGUAGE_CODE = "en"


def _client(client, user):
    client.force_login(user)
    return client


def _count(html: str, key: str) -> str:
    found = re.search(rf'data-count="{key}">([^<]*)<', html)
    assert found, f"no count {key}"
    return found.group(1).strip()


@pytest.fixture
def template(rep):
    data = {"name": "秋季问候", "channel": "email", "language": "en", "subject": "Hello {{honorific}}",
            "body": "Dear {{honorific}}, call {{owner_name}} on {{owner_phone}}."}  # fmt: skip
    return services.template_create(by=rep, data=data)


@pytest.fixture
def audience(rep):
    """Four consenting customers of rep with an address, one unsubscribed, one
    consenting without an e-mail, and 张三-like customers never asked."""
    people = make_customers(rep, 5, prefix="Buyer", unsubscribed=1)
    silent = CustomerFactory(name="No Mail", owner=rep, email="")
    services.consent_record(customer=silent, channel="email", granted=True, source=ConsentSource.STAFF, by=rep, note="by phone")
    CustomerFactory(name="Never Asked", owner=rep, email="never@example.com")
    return people


@pytest.fixture
def draft(rep, template):
    return services.campaign_create(by=rep, data={"name": "Autumn news", "channel": "email", "template": template})


def _form(chosen, **extra):
    data = {"name": "Spring sale", "kind": "marketing", "channel": "email", "template": chosen.pk,
            "throttle_limit": "100", "throttle_window": "60", "tags": "", "control_share": ""}  # fmt: skip
    return data | extra


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_the_campaigns_each_person_may_see(client, rep, manager, analyst, admin, outsider, agent, draft):
    for user in (rep, manager, analyst, admin):
        html = _client(client, user).get(reverse("web:campaign_list")).content.decode()
        assert "Autumn news" in html, user.username
        assert "Draft" in html
        assert ("New campaign" in html) is (user != analyst)
    html = _client(client, outsider).get(reverse("web:campaign_list")).content.decode()
    assert "Autumn news" not in html and "No campaigns yet." in html and "New campaign" in html
    assert _client(client, agent).get(reverse("web:campaign_list")).status_code == 403


def test_the_list_filters_by_status_and_kind_and_sorts(client, rep, template, draft):
    back = services.campaign_create(by=rep, data={"name": "Come back", "kind": "winback", "channel": "email", "template": template})
    services.campaign_cancel(campaign=back, by=rep)
    c = _client(client, rep)
    html = c.get(reverse("web:campaign_list"), {"status": "cancelled"}).content.decode()
    assert "Come back" in html and "Autumn news" not in html
    html = c.get(reverse("web:campaign_list"), {"kind": "marketing"}).content.decode()
    assert "Autumn news" in html and "Come back" not in html
    html = c.get(reverse("web:campaign_list"), {"status": "done"}).content.decode()
    assert "No campaign matches these filters." in html
    html = c.get(reverse("web:campaign_list"), {"sort": "name"}).content.decode()
    assert html.index("Autumn news") < html.index("Come back")
    html = c.get(reverse("web:campaign_list"), {"sort": "-name"}).content.decode()
    assert html.index("Come back") < html.index("Autumn news")


# --- writing a campaign --------------------------------------------------------------------------


def test_a_rep_writes_a_campaign_with_its_audience(client, rep, template, audience):
    c = _client(client, rep)
    page = c.get(reverse("web:campaign_new")).content.decode()
    assert "Who it reaches" in page and "At risk" in page and 'hx-trigger="change"' in page
    assert 'name="owner"' not in page  # only managers pick an owner
    response = c.post(reverse("web:campaign_new"), _form(template, kind="winback", grades=["A", "B"], tags="VIP, 老客户", winback="on"))
    campaign = Campaign.objects.get(name="Spring sale")
    assert response.status_code == 302 and response.url == reverse("web:campaign_detail", args=[campaign.pk])
    assert campaign.audience == {"grades": ["A", "B"], "tags": ["VIP", "老客户"], "winback": True}
    assert campaign.control_share == pytest.approx(0.1)  # the win-back default
    assert (campaign.created_by, campaign.status, campaign.throttle_limit) == (rep, CampaignStatus.DRAFT, 100)


def test_bad_input_shows_a_message_beside_each_field(client, rep, template, manager):
    sms_template = services.template_create(by=rep, data={"name": "短信", "channel": "sms", "body": "{{name}}您好"})
    c = _client(client, rep)
    response = c.post(reverse("web:campaign_new"), _form(template, name="  ", template=sms_template.pk, throttle_limit="0", control_share="60"))
    html = response.content.decode()
    assert response.status_code == 200 and not Campaign.objects.exists()
    for message in ("Name the campaign.", "The template is for another channel.", "At least one message per window.", "Hold back between 0 and 50% of the audience."):
        assert message in html
    html = c.post(reverse("web:campaign_new"), _form(template, throttle_window="soon", template="")).content.decode()
    assert "Enter a whole number." in html and "Choose a template." in html


def test_the_template_choices_follow_the_channel(client, rep, template):
    sms_template = services.template_create(by=rep, data={"name": "短信提醒", "channel": "sms", "body": "{{name}}您好"})
    html = _client(client, rep).get(reverse("web:campaign_template_options"), {"channel": "sms"}).content.decode()
    assert f'value="{sms_template.pk}"' in html and f'value="{template.pk}"' not in html


def test_the_audience_preview_counts_who_would_receive_it(client, rep, template, audience, outsider):
    c = _client(client, rep)
    html = c.get(reverse("web:campaign_audience_preview"), _form(template)).content.decode()
    counts = {k: _count(html, k) for k in ("matched", "consenting", "no_consent", "unsubscribed", "no_address", "held_back", "receive")}
    assert counts == {"matched": "7", "consenting": "5", "no_consent": "1", "unsubscribed": "1", "no_address": "1", "held_back": "0", "receive": "4"}
    assert 'id="audience-receive-mobile" hx-swap-oob="true"><strong>4</strong> customers would receive it' in html
    # A win-back campaign holds back 10% by default: an estimate before it is saved.
    html = c.get(reverse("web:campaign_audience_preview"), _form(template, kind="winback", control_share="50")).content.decode()
    assert _count(html, "held_back") == "≈ 2" and _count(html, "receive") == "2"
    # Narrowed by grade: none of them is graded D.
    html = c.get(reverse("web:campaign_audience_preview"), _form(template, grades=["D"])).content.decode()
    assert _count(html, "matched") == "0" and "No customer you may send to matches these choices." in html
    # The outsider's audience holds none of rep's customers.
    html = _client(client, outsider).get(reverse("web:campaign_audience_preview"), _form(template)).content.decode()
    assert _count(html, "matched") == "0"


def test_a_saved_campaign_counts_its_control_group_exactly(client, rep, template, audience):
    campaign = services.campaign_create(by=rep, data={"name": "Half", "kind": "winback", "channel": "email", "template": template, "control_share": 0.5})
    reachable = [c.pk for c in audience[:4]]
    held = sum(selectors.in_control_group(campaign_id=campaign.pk, customer_id=pk, share=0.5) for pk in reachable)
    html = _client(client, rep).get(reverse("web:campaign_audience_preview"), _form(template, kind="winback", control_share="50", campaign=campaign.pk)).content.decode()
    assert _count(html, "held_back") == str(held) and _count(html, "receive") == str(4 - held)
    services.campaign_launch(campaign=campaign, by=rep)
    assert Recipient.objects.filter(campaign=campaign, group=Group.CONTROL).count() == held


def test_only_people_who_may_change_a_campaign_reach_its_form(client, rep, rep2, manager, analyst, outsider, agent, draft, template):
    assert _client(client, manager).get(reverse("web:campaign_edit", args=[draft.pk])).status_code == 200
    assert _client(client, rep2).get(reverse("web:campaign_edit", args=[draft.pk])).status_code == 404  # not rep2's to see
    assert _client(client, analyst).get(reverse("web:campaign_edit", args=[draft.pk])).status_code == 403
    assert _client(client, analyst).get(reverse("web:campaign_new")).status_code == 403
    assert _client(client, analyst).post(reverse("web:campaign_new"), _form(template)).status_code == 403
    for user in (outsider, agent):
        assert _client(client, user).post(reverse("web:campaign_edit", args=[draft.pk]), _form(template, name="Hijack")).status_code == 404
    draft.refresh_from_db()
    assert draft.name == "Autumn news"
    response = _client(client, manager).post(reverse("web:campaign_edit", args=[draft.pk]), _form(template, name="Autumn news 2", segments=["at_risk"]))
    draft.refresh_from_db()
    assert response.status_code == 302 and draft.name == "Autumn news 2" and draft.audience == {"segments": ["at_risk"]}


def test_a_launched_campaign_keeps_its_audience_but_changes_its_pace(client, rep, draft, template, audience):
    services.campaign_launch(campaign=draft, by=rep)
    html = _client(client, rep).get(reverse("web:campaign_edit", args=[draft.pk])).content.decode()
    assert "it keeps its audience, template and schedule" in html
    response = client.post(reverse("web:campaign_edit", args=[draft.pk]), _form(template, name="Renamed", throttle_limit="5", grades=["D"]))
    draft.refresh_from_db()
    assert response.status_code == 302 and (draft.name, draft.throttle_limit, draft.audience) == ("Renamed", 5, {})


# --- a campaign's page ---------------------------------------------------------------------------


def test_the_page_shows_the_campaign_to_the_right_people(client, rep, manager, analyst, admin, outsider, agent, rep2, draft, audience):
    for user in (rep, manager, admin):
        html = _client(client, user).get(reverse("web:campaign_detail", args=[draft.pk])).content.decode()
        assert "Autumn news" in html and "Launch" in html, user.username
        assert "Launch this campaign? 4 customers will receive it now." in html
        assert "Dear Ms Buyer" in html or "Dear Mr Buyer" in html  # the sample message, merged
    html = _client(client, analyst).get(reverse("web:campaign_detail", args=[draft.pk])).content.decode()
    assert "Autumn news" in html and "Launch" not in html and "Cancel the campaign" not in html
    for user in (outsider, agent, rep2):
        c = _client(client, user)
        for name in ("web:campaign_detail", "web:campaign_progress"):
            assert c.get(reverse(name, args=[draft.pk])).status_code == 404, (user.username, name)


def test_launch_pause_resume_and_cancel_from_the_page(client, rep, draft, audience):
    c = _client(client, rep)
    response = c.post(reverse("web:campaign_launch", args=[draft.pk]))
    draft.refresh_from_db()
    assert response.status_code == 302 and draft.status == CampaignStatus.SENDING
    assert draft.public_url == "http://testserver/"
    assert Recipient.objects.filter(campaign=draft).count() == 7
    html = c.get(reverse("web:campaign_detail", args=[draft.pk])).content.decode()
    assert "Campaign “Autumn news” is launched." in html
    assert "Cancel this campaign? The 4 messages not yet sent will not be sent." in html
    c.post(reverse("web:campaign_pause", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.PAUSED
    c.post(reverse("web:campaign_resume", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.SENDING
    c.post(reverse("web:campaign_cancel", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.CANCELLED
    assert Recipient.objects.filter(campaign=draft, skip_reason=SkipReason.CANCELLED).count() == 4
    html = c.post(reverse("web:campaign_pause", args=[draft.pk]), follow=True).content.decode()
    assert "Only a scheduled or sending campaign can be paused." in html


def test_the_wrong_people_cannot_steer_a_campaign(client, draft, analyst, outsider, agent, rep2, audience):
    for name in ("web:campaign_launch", "web:campaign_pause", "web:campaign_resume", "web:campaign_cancel"):
        assert _client(client, analyst).post(reverse(name, args=[draft.pk])).status_code == 403, name
        for user in (outsider, agent, rep2):
            assert _client(client, user).post(reverse(name, args=[draft.pk])).status_code == 404, (user.username, name)
    assert _client(client, analyst).get(reverse("web:campaign_launch", args=[draft.pk])).status_code == 405
    draft.refresh_from_db()
    assert draft.status == CampaignStatus.DRAFT and not Recipient.objects.filter(campaign=draft).exists()


def test_the_progress_polls_while_sending_and_stops_when_done(client, rep, draft, audience):
    services.campaign_launch(campaign=draft, by=rep)
    c = _client(client, rep)
    html = c.get(reverse("web:campaign_progress", args=[draft.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 3s"' in html and "<html" not in html
    assert _count(html, "pending") == "4" and _count(html, "skipped") == "3" and _count(html, "total") == "7"
    Recipient.objects.filter(campaign=draft, status=RecipientStatus.PENDING).update(status=RecipientStatus.SENT)
    Campaign.objects.filter(pk=draft.pk).update(status=CampaignStatus.DONE)
    html = c.get(reverse("web:campaign_progress", args=[draft.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html and _count(html, "sent") == "4" and "Done" in html


def test_the_recipients_filter_and_an_uncertain_one_is_sent_again_after_a_warning(client, rep, analyst, outsider, draft, audience):
    services.campaign_launch(campaign=draft, by=rep)
    c = _client(client, rep)
    html = c.get(reverse("web:campaign_detail", args=[draft.pk]), {"status": "skipped", "reason": "unsubscribed"}).content.decode()
    assert ">Buyer4</a>" in html and ">Buyer0</a>" not in html and ">Never Asked</a>" not in html
    html = c.get(reverse("web:campaign_detail", args=[draft.pk]), {"reason": "no_address"}).content.decode()
    assert ">No Mail</a>" in html and ">Buyer4</a>" not in html
    lost = Recipient.objects.get(campaign=draft, customer=audience[0])
    Recipient.objects.filter(pk=lost.pk).update(status=RecipientStatus.UNCERTAIN, error="The sending worker stopped")
    html = c.get(reverse("web:campaign_detail", args=[draft.pk]), {"status": "uncertain"}).content.decode()
    assert "Send again to Buyer0? This customer may have received it already." in html
    assert "1 message is uncertain" in html
    assert _client(client, analyst).post(reverse("web:campaign_recipient_resend", args=[lost.pk])).status_code == 403
    assert _client(client, outsider).post(reverse("web:campaign_recipient_resend", args=[lost.pk])).status_code == 404
    lost.refresh_from_db()
    assert lost.status == RecipientStatus.UNCERTAIN
    response = _client(client, rep).post(reverse("web:campaign_recipient_resend", args=[lost.pk]))
    lost.refresh_from_db()
    assert response.status_code == 302 and lost.status == RecipientStatus.PENDING
    sent = Recipient.objects.get(campaign=draft, customer=audience[1])
    html = c.post(reverse("web:campaign_recipient_resend", args=[sent.pk]), follow=True).content.decode()
    assert "Only an uncertain or failed message can be sent again." in html


def test_delivery_events_show_on_the_page(client, rep, draft, audience):
    services.campaign_launch(campaign=draft, by=rep)
    recipient = Recipient.objects.get(campaign=draft, customer=audience[0])
    services.unsubscribe_apply(token=services.unsubscribe_token(recipient))
    html = _client(client, rep).get(reverse("web:campaign_detail", args=[draft.pk])).content.decode()
    assert "Unsubscribed" in html and "unsubscribe_link" in html


def test_the_winback_result_reads_in_plain_words(client, rep, template, products):
    customers = make_customers(rep, 30, prefix="Lapsed")
    campaign = services.campaign_create(by=rep, data={"name": "Come back", "kind": "winback", "channel": "email", "template": template, "control_share": 0.5})
    services.campaign_launch(campaign=campaign, by=rep)
    c = _client(client, rep)
    html = c.get(reverse("web:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Not enough data yet" in html
    groups = dict(Recipient.objects.filter(campaign=campaign).values_list("customer_id", "group"))
    treated = [x for x in customers if groups[x.pk] == Group.TREATMENT]
    held = [x for x in customers if groups[x.pk] == Group.CONTROL]
    assert len(treated) >= 2 and len(held) >= 2
    buy(treated[0], rep, [products["filter"]], [0])
    buy(held[0], rep, [products["filter"]], [0])
    html = c.get(reverse("web:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Not yet distinguishable from chance" in html
    for customer in treated[1:]:
        buy(customer, rep, [products["filter"]], [0])
    html = c.get(reverse("web:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Significant at 5%: more customers bought again" in html
    assert re.search(r'data-rate="treatment">100\.0%<', html)
    expected = f"{(1 - 1 / len(held)) * 100:+.1f} percentage points"
    assert expected in html


# --- templates -------------------------------------------------------------------------------------


def test_templates_are_listed_for_the_team_only(client, rep, manager, analyst, outsider, agent, template):
    for user in (rep, manager, analyst):
        html = _client(client, user).get(reverse("web:campaign_template_list")).content.decode()
        assert "秋季问候" in html, user.username
        assert ("New template" in html) is (user != analyst)
    html = _client(client, outsider).get(reverse("web:campaign_template_list")).content.decode()
    assert "秋季问候" not in html and "No templates yet." in html
    assert _client(client, agent).get(reverse("web:campaign_template_list")).status_code == 403
    for user in (outsider, agent):
        assert _client(client, user).get(reverse("web:campaign_template_edit", args=[template.pk])).status_code == 404


def test_a_template_is_written_with_its_merge_fields_beside_it(client, rep, customer):
    c = _client(client, rep)
    html = c.get(reverse("web:campaign_template_new")).content.decode()
    for field in ("{{name}}", "{{honorific}}", "{{company}}", "{{owner_name}}", "{{owner_phone}}", "{{unsubscribe_url}}", "{{points}}"):
        assert field in html
    assert "The account owner (the sales rep)." in html
    data = {"name": "Points", "channel": "email", "language": "en", "subject": "Hi {{name}}", "body": "You have {{point}} points"}
    html = c.post(reverse("web:campaign_template_new"), data).content.decode()
    assert "Unknown merge field {{point}}" in html and not Template.objects.exists()
    html = c.post(reverse("web:campaign_template_new"), data | {"subject": ""}).content.decode()
    assert "An e-mail needs a subject." in html
    response = c.post(reverse("web:campaign_template_new"), data | {"body": "You have {{points}} points"})
    assert response.status_code == 302
    saved = Template.objects.get()
    assert (saved.name, saved.body, saved.created_by, saved.team) == ("Points", "You have {{points}} points", rep, rep.team)


def test_the_template_preview_renders_for_a_customer_the_user_sees(client, rep, outsider, customer):
    customer.gender, customer.kind = "male", "individual"
    customer.save()
    data = {"name": "x", "channel": "email", "language": "zh-hans", "subject": "{{honorific}}好", "body": "{{honorific}}您好，我是{{owner_name}}。"}
    html = _client(client, rep).post(reverse("web:campaign_template_preview"), data).content.decode()
    assert "张先生您好，我是王小明。" in html and "张先生好" in html and "退订" in html
    html = client.post(reverse("web:campaign_template_preview"), data | {"body": "{{nickname}}"}).content.decode()
    assert "Unknown merge field {{nickname}}" in html
    html = _client(client, outsider).post(reverse("web:campaign_template_preview"), data).content.decode()
    assert "张" not in html and "You see no customer to show it for." in html


def test_only_the_author_their_manager_or_an_admin_edit_a_template(client, rep, rep2, manager, analyst, admin, template):
    assert _client(client, rep2).get(reverse("web:campaign_template_edit", args=[template.pk])).status_code == 403
    assert _client(client, analyst).post(reverse("web:campaign_template_edit", args=[template.pk]), {"name": "x"}).status_code == 403
    for user, name in ((rep, "By rep"), (manager, "By manager"), (admin, "By admin")):
        data = {"name": name, "channel": "email", "language": "en", "subject": "Hi", "body": "Hello {{name}}"}
        assert _client(client, user).post(reverse("web:campaign_template_edit", args=[template.pk]), data).status_code == 302
        template.refresh_from_db()
        assert template.name == name


# --- consent --------------------------------------------------------------------------------------


def test_the_consent_page_shows_the_state_and_the_history(client, rep, manager, analyst, customer):
    services.consent_record(customer=customer, channel="email", granted=True, source=ConsentSource.FORM, by=rep, note="signed at the shop")
    services.consent_record(customer=customer, channel="email", granted=False, source=ConsentSource.UNSUBSCRIBE_LINK, note="Campaign: x")
    for user in (rep, manager, analyst):
        html = _client(client, user).get(reverse("web:customer_consent", args=[customer.pk])).content.decode()
        assert 'data-consent="withdrawn"' in html and 'data-consent="never"' in html
        assert "signed at the shop" in html and "Unsubscribe link" in html and "the customer" in html and "王小明" in html
        assert ("Record consent" in html) is (user != analyst)


def test_recording_consent_needs_a_note_and_edit_access(client, rep, rep2, analyst, outsider, customer):
    url = reverse("web:customer_consent", args=[customer.pk])
    c = _client(client, rep)
    html = c.post(url, {"channel": "sms", "granted": "yes", "source": "staff", "note": ""}).content.decode()
    assert "This field is required." in html and not ConsentEvent.objects.exists()
    response = c.post(url, {"channel": "sms", "granted": "yes", "source": "staff", "note": "asked by phone, agreed"})
    assert response.status_code == 302
    event = selectors.consent_state(customer=customer, channel="sms")
    assert (event.granted, event.by, event.note, event.source) == (True, rep, "asked by phone, agreed", "staff")
    assert _client(client, analyst).post(url, {"channel": "sms", "granted": "no", "source": "staff", "note": "x"}).status_code == 403
    assert _client(client, outsider).get(url).status_code == 404
    assert _client(client, outsider).post(url, {"channel": "sms", "granted": "no", "source": "staff", "note": "x"}).status_code == 404
    assert ConsentEvent.objects.count() == 1
    # A teammate who does not own the customer cannot see it.
    assert Customer.objects.filter(pk=customer.pk, owner=rep2).count() == 0
    assert _client(client, rep2).get(url).status_code == 404


def test_a_manager_picks_the_owner_and_a_scheduled_launch_says_when(client, rep, rep2, manager, template, audience):
    make_customers(rep2, 3, prefix="Other")
    c = _client(client, manager)
    assert 'name="owner"' in c.get(reverse("web:campaign_new")).content.decode()
    html = c.get(reverse("web:campaign_audience_preview"), _form(template, owner=rep2.pk)).content.decode()
    assert _count(html, "matched") == "3" and _count(html, "receive") == "3"
    response = c.post(reverse("web:campaign_new"), _form(template, owner=rep2.pk, scheduled_at="2030-05-01T09:30"))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.audience == {"owner": rep2.pk} and campaign.scheduled_at.year == 2030
    html = c.get(reverse("web:campaign_detail", args=[campaign.pk])).content.decode()
    assert "Launch this campaign? 3 customers will receive it at 2030-05-01 09:30." in html
    c.post(reverse("web:campaign_launch", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert sorted(Recipient.objects.filter(campaign=campaign).values_list("customer__owner", flat=True)) == [rep2.pk] * 3
