"""The sales pages: the board with the wall and the forecast, moving a deal by
the keyboard form or by htmx, the list and its filters, opening, editing,
winning, losing and reopening, the analysis, a team's stages and settings,
and the page that prepares a visit. Nobody but the owner's side sees a deal."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from manyi.sales.models import Deal, DealStatus, Stage
from manyi.sales.services import deals as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(rep, enterprise):
    close = timezone.localdate() + dt.timedelta(days=20)
    return services.deal_create(by=rep, customer=enterprise, data={
        "title": "净水设备年度采购", "amount": "200000", "expected_close": close.isoformat(), "stage": "negotiating", "heat": "hot",
    })  # fmt: skip


def test_the_board_shows_the_wall_the_cards_and_the_forecast(as_user, rep, deal):
    page = as_user(rep).get(reverse("web:deal_board")).content.decode()
    assert page.index('id="stage-negotiating"') < page.index('class="pipeline-wall"') < page.index('id="stage-first_purchase"')
    assert page.count('class="pipeline-wall"') == 1
    assert "净水设备年度采购" in page and 'data-move-url="/sales/deals/%d/move/"' % deal.pk in page
    assert "¥100,000</strong> weighted of ¥200,000" in page
    assert "forecast-chart" in page


def test_moving_by_the_keyboard_form_redirects_and_by_htmx_redraws_the_board(as_user, rep, deal):
    client = as_user(rep)
    response = client.post(reverse("web:deal_move", args=[deal.pk]), {"stage": "first_purchase"})
    assert response.status_code == 302 and response["Location"] == reverse("web:deal_board")
    deal.refresh_from_db()
    assert deal.stage.key == "first_purchase" and deal.probability == 80
    response = client.post(reverse("web:deal_move", args=[deal.pk]), {"stage": "key"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<div id="board"') and "<html" not in page
    assert "moved to Key customer" in page and "¥190,000</strong> weighted" in page


def test_a_bad_stage_is_a_message_not_a_crash(as_user, rep, deal):
    response = as_user(rep).post(reverse("web:deal_move", args=[deal.pk]), {"stage": "nowhere"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "is not a stage of this team" in response.content.decode()


def test_a_redirect_after_moving_stays_on_this_site(as_user, rep, deal):
    response = as_user(rep).post(reverse("web:deal_move", args=[deal.pk]), {"stage": "key", "next": "https://evil.example/"})
    assert response["Location"] == reverse("web:deal_board")


@pytest.mark.parametrize("who", ["rep2", "agent", "outsider"])
def test_others_get_404_on_every_page_of_a_deal(request, as_user, deal, who):
    client = as_user(request.getfixturevalue(who))
    for name in ("deal_detail", "deal_edit"):
        assert client.get(reverse(f"web:{name}", args=[deal.pk])).status_code == 404
    for name in ("deal_move", "deal_win", "deal_lose", "deal_reopen"):
        assert client.post(reverse(f"web:{name}", args=[deal.pk]), {"stage": "key", "reason": "price", "note": "x"}).status_code == 404
    for name in ("deal_board", "deal_list"):
        assert "净水设备年度采购" not in client.get(reverse(f"web:{name}")).content.decode()
    deal.refresh_from_db()
    assert deal.stage.key == "negotiating" and deal.status == DealStatus.OPEN


def test_the_analyst_reads_but_cannot_move(as_user, analyst, deal):
    client = as_user(analyst)
    page = client.get(reverse("web:deal_detail", args=[deal.pk])).content.decode()
    assert "净水设备年度采购" in page and 'action="/sales/deals/%d/move/"' % deal.pk not in page
    assert client.post(reverse("web:deal_move", args=[deal.pk]), {"stage": "key"}).status_code == 403


def test_opening_a_deal_from_a_customer_search(as_user, rep, enterprise):
    client = as_user(rep)
    found = client.get(reverse("web:deal_new"), {"q": "beijinghuawei"}).content.decode()
    assert f"?customer={enterprise.pk}" in found
    page = client.get(reverse("web:deal_new"), {"customer": enterprise.pk}).content.decode()
    assert "New deal with 北京华为科技有限公司" in page
    response = client.post(reverse("web:deal_new") + f"?customer={enterprise.pk}", {
        "title": "空调维保", "stage": "prospect", "amount": "¥30,000", "heat": "cold", "probability": "",
    })  # fmt: skip
    assert response.status_code == 200 and "is not an amount of money" in response.content.decode()
    response = client.post(reverse("web:deal_new") + f"?customer={enterprise.pk}", {"title": "空调维保", "stage": "prospect", "amount": "30,000", "heat": "cold"})
    deal = Deal.objects.get(title="空调维保")
    assert response["Location"] == reverse("web:deal_detail", args=[deal.pk]) and deal.probability == 10


def test_a_rep_cannot_open_a_deal_on_a_customer_they_do_not_see(as_user, rep2, enterprise):
    assert as_user(rep2).get(reverse("web:deal_new"), {"customer": enterprise.pk}).status_code == 404


def test_edit_win_lose_reopen(as_user, rep, deal):
    client = as_user(rep)
    client.post(reverse("web:deal_edit", args=[deal.pk]), {"title": "净水设备年度采购", "amount": "210000", "heat": "warm", "next_step": "送样"})
    deal.refresh_from_db()
    assert deal.amount == 210000 and deal.heat == "warm"
    page = client.post(reverse("web:deal_lose", args=[deal.pk]), {"reason": ""}, follow=True).content.decode()
    assert "Say why the deal was lost." in page
    client.post(reverse("web:deal_lose", args=[deal.pk]), {"reason": "competitor", "note": "选了美的"})
    deal.refresh_from_db()
    assert deal.status == "lost" and deal.lost_reason == "competitor"
    detail = client.get(reverse("web:deal_detail", args=[deal.pk])).content.decode()
    assert "Went to a competitor — 选了美的" in detail and "Reopen" in detail
    client.post(reverse("web:deal_reopen", args=[deal.pk]), {"note": "客户回头"})
    client.post(reverse("web:deal_win", args=[deal.pk]), {"note": "签约"})
    deal.refresh_from_db()
    assert deal.status == "won"
    history = client.get(reverse("web:deal_detail", args=[deal.pk])).content.decode()
    assert history.count('data-kind="') == 5


def test_the_list_filters_and_flags(as_user, rep, deal, enterprise):
    services.deal_create(by=rep, customer=enterprise, data={"title": "有下一步", "next_step": "电话", "next_step_on": timezone.localdate().isoformat()})
    client = as_user(rep)
    page = client.get(reverse("web:deal_list"), {"flag": "no_next_step"}).content.decode()
    assert "净水设备年度采购" in page and "有下一步" not in page and "No next step" in page
    page = client.get(reverse("web:deal_list"), {"heat": "hot", "sort": "-amount"}).content.decode()
    assert "净水设备年度采购" in page and "有下一步" not in page
    assert "No deal matches these filters." in client.get(reverse("web:deal_list"), {"q": "不存在"}).content.decode()


def test_the_analysis_counts_wins_and_lost_reasons(as_user, rep, manager, deal, enterprise):
    services.deal_win(by=rep, deal=deal)
    lost = services.deal_create(by=rep, customer=enterprise, data={"title": "丢单"})
    services.deal_lose(by=rep, deal=lost, reason="price")
    page = as_user(manager).get(reverse("web:sales_analysis")).content.decode()
    assert "1 won, 1 lost — win rate 50%" in page and "Price 1" in page
    page = as_user(manager).get(reverse("web:sales_analysis"), {"group": "stage"}).content.decode()
    assert "Negotiating" in page and "Prospect, first contact" in page


def test_a_manager_edits_the_stages_and_settings(as_user, manager, rep, team):
    client = as_user(manager)
    page = client.get(reverse("web:sales_settings")).content.decode()
    assert page.count('name="stage_name"') == 6
    data = {"stage_key": [s.key for s in Stage.objects.filter(team=None)], "stage_name": list(Stage.objects.filter(team=None).values_list("name", flat=True)),
            "stage_name_en": [""] * 6, "stage_probability": ["5", "20", "50", "80", "90", "95"], "stage_stuck": ["30"] * 6,
            "stage_inside": ["3", "4", "5"], "save_stages": "1"}  # fmt: skip
    assert client.post(reverse("web:sales_settings"), data).status_code == 302
    assert Stage.objects.get(team=team, key="prospect").probability == 5
    data["stage_probability"][0] = "150"
    page = client.post(reverse("web:sales_settings"), data).content.decode()
    assert "Give the probability as a whole number from 0 to 100." in page
    response = client.post(reverse("web:sales_settings"), {"save_settings": "1", "discount_approval_percent": "12", "daily_capacity": "9", "visits_a": "4",
                                                            "visits_b": "2", "visits_c": "1", "visits_d": "0.33", "visit_minutes": "40", "speed_kmh": "30"})  # fmt: skip
    assert response.status_code == 302
    assert as_user(rep).get(reverse("web:sales_settings")).status_code == 403


def test_prepare_shows_the_questions_and_the_style_advice(as_user, rep, enterprise, deal):
    enterprise.social_style = "driver"
    enterprise.save()
    page = as_user(rep).get(reverse("web:sales_prepare", args=[enterprise.pk])).content.decode()
    assert "Open questions (what, how, why)" in page and "Closed questions (yes / no)" in page
    assert "Lead with facts, results and the bottom line" in page and "净水设备年度采购" in page


def test_prepare_is_404_for_someone_who_cannot_see_the_customer(as_user, outsider, enterprise):
    assert as_user(outsider).get(reverse("web:sales_prepare", args=[enterprise.pk])).status_code == 404
