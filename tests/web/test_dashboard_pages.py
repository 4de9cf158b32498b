"""The complaint dashboard, its drill-down lists of misses and the agent load
page. Each figure counts only what the user sees: a rep their own, a manager
the team's; an outsider sees zeros and empty lists, not an error. Only
managers, analysts and administrators see the agent load."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from manyi.interactions.services import interaction_create
from manyi.service import controls, services
from manyi.service.models import Step
from tests.factories import CustomerFactory
from tests.service.helpers import PROCESS, close_properly, file_complaint

pytestmark = pytest.mark.django_db

COMPLAINING = "你们的产品质量太差了，我要投诉！"
HOSTILE = "你们这是什么破服务，气死我了，再不解决我就去315曝光！"
DASHBOARD = reverse("web:complaint_dashboard")
LOAD = reverse("web:agent_load")


def misses_url(kind, **query):
    url = reverse("web:complaint_misses", args=[kind])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def said(customer, by, text=COMPLAINING):
    return interaction_create(by=by, customer=customer, data={"kind": "call", "direction": "inbound", "text": text})


def override_close(complaint, *, by):
    return services.complaint_step(complaint=complaint, by=by, step=Step.CLOSED, skip_reason="客户联系不上", override_reason="客户联系不上")


def walk_to(complaint, step, *, by):
    for name, data in PROCESS:
        services.complaint_step(complaint=complaint, by=by, step=name, data=data)
        if name == step:
            return complaint
    raise AssertionError(step)


def no_misses(page: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r'data-kind="([a-z_]+)">.*?<span class="done">([^<]*)</span>.*?<span class="should">([^<]*)</span>', page, re.DOTALL)
    return {kind: (done, should) for kind, done, should in found}


def rates(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-control="([a-z]+)">.*?<span class="rate">([^<]*)</span>', page, re.DOTALL))


def charts(page: str) -> dict:
    found = re.findall(r'<script id="(chart-[a-z]+)" type="application/json">(.*?)</script>', page, re.DOTALL)
    return {name: json.loads(body) for name, body in found}


@pytest.fixture
def team_data(rep, rep2, manager, customer):
    """rep's customer: words read as a complaint and never recorded, and a
    complaint received five days before them (too long before to cover them),
    answered late and closed by the manager without a recheck or feedback;
    rep2's customer: one complaint closed properly."""
    missed = said(customer, rep)
    late = file_complaint(customer, by=rep, subject="回复晚了的投诉", received_at=timezone.now() - dt.timedelta(days=5))
    override_close(walk_to(late, Step.CARRIED_OUT, by=rep), by=manager)
    other = CustomerFactory(name="赵丽的客户", owner=rep2)
    proper = close_properly(file_complaint(other, by=rep2, subject="按流程关闭"), by=rep2)
    return {"missed": missed, "late": late, "proper": proper}


# --- the dashboard ----------------------------------------------------------------------


def test_the_dashboard_shows_the_four_no_misses_and_links_to_each_list(as_user, rep, team_data):
    page = as_user(rep).get(DASHBOARD).content.decode()
    assert "The four no-misses" in page and "The three controls" in page
    assert no_misses(page) == {"recorded": ("1", "2"), "handled": ("0", "1"), "rechecked": ("0", "1"), "fed_back": ("0", "1")}
    for kind in ("recorded", "handled", "rechecked", "fed_back"):
        assert f'href="{misses_url(kind)}"' in page
    assert "1 miss" in page


def test_a_manager_sees_the_team_and_a_rep_only_their_own(as_user, manager, rep2, team_data):
    page = as_user(manager).get(DASHBOARD).content.decode()
    assert no_misses(page) == {"recorded": ("2", "3"), "handled": ("1", "2"), "rechecked": ("1", "2"), "fed_back": ("1", "2")}
    page = as_user(rep2).get(DASHBOARD).content.decode()
    assert no_misses(page) == {"recorded": ("1", "1"), "handled": ("1", "1"), "rechecked": ("1", "1"), "fed_back": ("1", "1")}


def test_an_outsider_sees_zeros_and_no_rates(as_user, outsider, team_data):
    response = as_user(outsider).get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert set(no_misses(page).values()) == {("0", "0")}
    assert rates(page) == {"complaint": "—", "omission": "—", "dissatisfaction": "—"}
    assert "回复晚了的投诉" not in page and "张三" not in page
    assert all(not any(s["data"]) or all(v in (0, None) for v in s["data"]) for c in charts(page).values() for s in c.get("series", []))


def test_the_three_controls_per_customers_served_or_per_orders(as_user, rep, team_data):
    page = as_user(rep).get(DASHBOARD).content.decode()
    # one customer served (the complaint and the words); one complaint, two omissions (not recorded, answered late)
    assert rates(page) == {"complaint": "100,000", "omission": "200,000", "dissatisfaction": "0"}
    assert "per 100,000 customers served" in page and "Over target" in page and "target at most 1 per 100,000" in page
    assert "Customers served in the period: 1; orders in the period: 0." in page
    page = as_user(rep).get(DASHBOARD + "?basis=orders").content.decode()
    assert rates(page) == {"complaint": "—", "omission": "—", "dissatisfaction": "—"} and "No figure" in page


def test_the_charts_come_as_json_data_for_echarts(as_user, manager, team_data):
    page = as_user(manager).get(DASHBOARD).content.decode()
    assert "vendor/echarts/echarts.min.js" in page
    found = charts(page)
    assert set(found) == {"chart-response", "chart-resolution", "chart-causes"}
    month = controls.month_label(controls.month_key(timezone.localdate()))
    response = found["chart-response"]
    assert response["kind"] == "bar" and len(response["categories"]) == 12 and response["categories"][-1] == month
    assert [s["name"] for s in response["series"]] == ["Median", "90th percentile", "Met the deadline"]
    assert response["series"][2]["line"] and response["series"][2]["format"] == "percent" and response["series"][2]["axis"] == 1
    causes = found["chart-causes"]
    assert all(s["stack"] == "causes" for s in causes["series"])
    assert {s["name"]: s["data"][-1] for s in causes["series"]} == {"Product": 2}
    assert "Value at risk and kept" in page and "52–95%" in page and "1 in 3" in page


def test_a_month_or_dates_choose_the_period(as_user, rep, team_data):
    client = as_user(rep)
    last_year = (timezone.localdate() - dt.timedelta(days=400)).strftime("%Y-%m")
    page = client.get(DASHBOARD + f"?month={last_year}").content.decode()
    assert set(no_misses(page).values()) == {("0", "0")}
    assert f'value="{last_year}"' in page and f'href="{misses_url("handled", month=last_year)}"' in page
    today = timezone.localdate().isoformat()
    page = client.get(DASHBOARD + f"?from={today}&to={today}").content.decode()
    assert no_misses(page)["recorded"] == ("0", "1")  # the complaint was received five days ago
    page = client.get(DASHBOARD + "?month=<script>alert(1)</script>").content.decode()
    assert "could not be read" in page and "<script>alert(1)" not in page and no_misses(page)["recorded"] == ("1", "2")


def test_the_dashboard_needs_a_login(client):
    for url in (DASHBOARD, misses_url("handled"), LOAD):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- the drill-down lists ---------------------------------------------------------------------


def test_each_list_shows_exactly_the_misses(as_user, manager, customer, team_data):
    client = as_user(manager)
    page = client.get(misses_url("recorded")).content.decode()
    assert "1 miss" in page and "张三" in page and COMPLAINING in page
    assert f'href="/complaints/new/?customer={customer.pk}"' in page and "Record as a complaint" in page
    for kind in ("handled", "rechecked", "fed_back"):
        page = client.get(misses_url(kind)).content.decode()
        assert "1 miss" in page and team_data["late"].number in page and team_data["proper"].number not in page, kind
        assert f'href="{reverse("web:complaint_detail", args=[team_data["late"].pk])}"' in page
    assert "after the deadline" in client.get(misses_url("handled")).content.decode()
    assert "Closed without a recheck with the customer" in client.get(misses_url("rechecked")).content.decode()
    assert "Closed without a feedback item to the department" in client.get(misses_url("fed_back")).content.decode()


def test_a_rep_lists_only_their_own_misses(as_user, rep2, team_data):
    client = as_user(rep2)
    for kind in ("recorded", "handled", "rechecked", "fed_back"):
        page = client.get(misses_url(kind)).content.decode()
        assert "No misses in this period." in page and "张三" not in page and team_data["late"].number not in page, kind


def test_an_outsider_gets_empty_lists_not_an_error(as_user, outsider, team_data):
    for kind in ("recorded", "handled", "rechecked", "fed_back"):
        response = as_user(outsider).get(misses_url(kind))
        assert response.status_code == 200
        page = response.content.decode()
        assert "No misses in this period." in page and "0 misses" in page and "张三" not in page and team_data["late"].number not in page


def test_an_unknown_list_is_not_found(as_user, manager):
    assert as_user(manager).get(misses_url("everything")).status_code == 404


def test_the_lists_are_paginated_and_follow_the_period(as_user, settings, rep, customer):
    settings.MANYI_PAGE_SIZE = 2
    for _ in range(3):
        said(customer, rep)
    client = as_user(rep)
    page = client.get(misses_url("recorded")).content.decode()
    assert "3 misses" in page and page.count("Record as a complaint") == 2 and "Page 1 of 2" in page
    assert page.count("Record as a complaint") + client.get(misses_url("recorded", page=2)).content.decode().count("Record as a complaint") == 3
    last_year = (timezone.localdate() - dt.timedelta(days=400)).strftime("%Y-%m")
    assert "No misses in this period." in client.get(misses_url("recorded", month=last_year)).content.decode()


def test_what_a_customer_wrote_is_escaped(as_user, rep):
    customer = CustomerFactory(name="<b>坏</b>客户", owner=rep)
    said(customer, rep, "<script>alert('x')</script> 你们的产品质量太差了，我要投诉！")
    page = as_user(rep).get(misses_url("recorded")).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<b>坏</b>" not in page


# --- agent load -------------------------------------------------------------------------------


def test_the_agent_load_counts_a_hostile_message_on_an_assigned_complaint_today(as_user, rep, manager, customer):
    complaint = file_complaint(customer, by=rep)
    services.complaint_message(complaint=complaint, text=HOSTILE, by=rep)
    response = as_user(manager).get(LOAD)
    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(r"王小明.*?</tr>", page, re.DOTALL).group(0)
    assert re.findall(r'<td class="text-end[^"]*">(\d+)</td>', row) == ["1", "1", "1"]
    chart = charts(page)["chart-load"]
    assert chart["horizontal"] and chart["categories"][0] == "王小明" and chart["series"][0]["data"][0] == 1
    assert "Consider having someone else take over" not in page


def test_five_hostile_conversations_today_bring_the_hint(as_user, rep, manager, customer):
    complaint = file_complaint(customer, by=rep)
    for _ in range(5):
        services.complaint_message(complaint=complaint, text=HOSTILE, by=rep)
    page = as_user(manager).get(LOAD).content.decode()
    assert "王小明 handled 5 or more hostile conversations today. Consider having someone else take over, or arrange a break." in page


def test_the_agent_load_is_for_managers_analysts_and_administrators(as_user, rep, agent, outsider, manager, analyst, admin):
    for user in (rep, agent, outsider):
        assert as_user(user).get(LOAD).status_code == 403
    for user in (manager, analyst, admin):
        assert as_user(user).get(LOAD).status_code == 200
    assert f'href="{LOAD}"' not in as_user(rep).get(DASHBOARD).content.decode()
    assert f'href="{LOAD}"' in as_user(manager).get(DASHBOARD).content.decode()


def test_the_pages_render_in_chinese_by_default(client, settings, rep, manager, team_data):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(manager)
    page = client.get(DASHBOARD).content.decode()
    assert "这些数据是怎么算的" in page and "How these figures are computed" not in page
    assert client.get(misses_url("recorded")).status_code == 200
    assert client.get(LOAD).status_code == 200
