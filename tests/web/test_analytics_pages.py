"""The customer value pages: the dashboard, the win-back list, the grade
proposals and the value card of the 360° page. Each counts only the customers
the user sees; only managers and administrators refresh and apply grades."""

import datetime as dt
import json
import random
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from manyi.analytics import selectors, services
from manyi.analytics.models import STALE_RUN, AnalyticsRun, CustomerValue
from manyi.customers.models import Customer
from manyi.customers.services import customer_update
from tests.factories import CustomerFactory, buy

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(rep, rep2, outsider, customer, products):
    """Thirty of rep's customers besides `customer`, ten of rep2's and ten of
    the outsider's (another team). By i % 5: 0 bought once; 1 bought often and
    stopped over a year ago (lapsed); 2 to 4 buy now and then up to now, except
    two of the outsider's who never ordered."""
    p = products
    rng = random.Random(6)
    buy(customer, rep, [p["purifier"]], [400])
    buy(customer, rep, [p["filter"], p["care"]], [300, 200, 120, 60, 20])
    made = {"rep": [customer], "rep2": [], "outsider": []}
    for i in range(50):
        owner = rep if i < 30 else rep2 if i < 40 else outsider
        c = CustomerFactory(name=f"外组客户{i:02d}" if owner == outsider else f"客户{i:02d}", owner=owner)
        made[owner.username].append(c)
        if i % 5 == 0:
            buy(c, owner, [p["lock"]], [200 + i])
        elif i % 5 == 1:
            buy(c, owner, [p["purifier"]], [720])
            buy(c, owner, [p["filter"]], sorted({rng.randint(420, 700) for _ in range(rng.randint(5, 9))}, reverse=True))
        elif i % 5 == 4 and i > 40:
            continue
        else:
            buy(c, owner, [p["purifier"]], [rng.randint(300, 700)])
            extra = [p["care"]] if i % 2 else []
            buy(c, owner, [p["filter"], *extra], sorted({rng.randint(0, 290) for _ in range(rng.randint(1, 6))}, reverse=True))
    return made


@pytest.fixture
def refreshed(shop):
    services.analytics_refresh()
    return shop


def charts(page: str) -> dict:
    found = re.findall(r'<script id="(chart-[a-z]+)" type="application/json">(.*?)</script>', page, re.DOTALL)
    return {name: json.loads(body) for name, body in found}


def headline(page: str, label: str) -> str:
    match = re.search(rf'<div class="stat-label">{re.escape(label)}</div><div class="stat-value[^"]*">([^<]*)</div>', page)
    return match.group(1) if match else ""


# --- the dashboard ----------------------------------------------------------------


def test_before_the_first_refresh_the_dashboard_says_how(as_user, rep, manager):
    page = as_user(rep).get(reverse("web:analytics")).content.decode()
    assert "has not been computed yet" in page and "manyi analytics refresh" in page
    assert reverse("web:analytics_refresh") not in page and "a manager can press" in page
    page = as_user(manager).get(reverse("web:analytics")).content.decode()
    assert reverse("web:analytics_refresh") in page and "Refresh now" in page
    for url in ("web:analytics_winback", "web:analytics_grades"):
        assert "has not been computed yet" in as_user(rep).get(reverse(url)).content.decode()


def test_the_dashboard_shows_the_figures_of_the_users_customers(as_user, rep, refreshed):
    page = as_user(rep).get(reverse("web:analytics")).content.decode()
    overview = selectors.overview(user=rep)
    assert headline(page, "Customers") == "31" and overview.customers == 31
    assert headline(page, "Revenue, last 12 months") == f"¥{round(overview.revenue_year):,}"
    assert headline(page, "Customers at risk") == str(overview.at_risk)
    share = f"{overview.top_fifth_share * 100:.0f}%"
    assert f"The top 20% of customers bring {share} of the revenue" in page
    assert "vendor/echarts/echarts.min.js" in page and "Figures as of" in page
    found = charts(page)
    assert set(found) == {"chart-distribution", "chart-pareto", "chart-segments", "chart-migration", "chart-cohorts", "chart-grades"}
    assert sum(found["chart-distribution"]["series"][0]["data"]) == sum(r["customers"] for r in overview.distribution if r["high"] > 0) > 0
    assert found["chart-pareto"]["points"][0] == [0, 0] and found["chart-pareto"]["points"][-1] == [100, 100]
    assert sum(found["chart-segments"]["series"][0]["data"]) == overview.buyers
    assert sum(c[2] for c in found["chart-migration"]["cells"]) == 31
    assert sum(found["chart-grades"]["series"][0]["data"]) == 31 == sum(found["chart-grades"]["series"][1]["data"])
    assert all(row[2] == 100 for row in found["chart-cohorts"]["cells"] if row[0] == 0)
    # Every chart has its table for screen readers and browsers without scripts.
    assert page.count('<details class="chart-data') == 6 and page.count('aria-hidden="true" hidden></div>') == 6
    assert "How these figures are computed" in page and "Only one purchase" not in page


def test_an_outsider_counts_nothing_of_the_team(as_user, outsider, refreshed):
    page = as_user(outsider).get(reverse("web:analytics")).content.decode()
    assert headline(page, "Customers") == "10"
    found = charts(page)
    assert sum(c[2] for c in found["chart-migration"]["cells"]) == 10
    assert sum(found["chart-grades"]["series"][0]["data"]) == 10
    assert "张三" not in page and "客户01" not in page


def test_a_manager_counts_the_team(as_user, manager, refreshed):
    page = as_user(manager).get(reverse("web:analytics")).content.decode()
    assert headline(page, "Customers") == "41"


def test_a_user_with_no_customers_sees_an_empty_dashboard(as_user, refreshed):
    from tests.factories import UserFactory

    lonely = UserFactory(username="lonely", role="sales")
    page = as_user(lonely).get(reverse("web:analytics")).content.decode()
    assert "None of the customers you can see has figures yet." in page and not charts(page)


def test_refresh_now_is_for_managers_and_queues_the_task(as_user, rep, manager, refreshed):
    assert as_user(rep).post(reverse("web:analytics_refresh")).status_code == 403
    assert "Refresh now" not in as_user(rep).get(reverse("web:analytics")).content.decode()
    assert not DBTaskResult.objects.exists()
    client = as_user(manager)
    assert client.get(reverse("web:analytics_refresh")).status_code == 405
    response = client.post(reverse("web:analytics_refresh"))
    assert response.status_code == 302 and response["Location"] == reverse("web:analytics")
    task = DBTaskResult.objects.get()
    assert task.task_path == "manyi.analytics.tasks.refresh_analytics" and task.args_kwargs["kwargs"] == {"trigger": "page", "by_id": manager.pk}
    assert "Refresh queued" in client.get(reverse("web:analytics")).content.decode()


def test_a_running_refresh_is_shown_and_not_queued_twice(as_user, manager, refreshed):
    AnalyticsRun.objects.create(as_of=timezone.localdate(), trigger="nightly")
    client = as_user(manager)
    page = client.get(reverse("web:analytics")).content.decode()
    assert "A refresh has been running since" in page and re.search(r"<button[^>]*disabled[^>]*>\s*<i[^>]*></i> Refresh now", page)
    client.post(reverse("web:analytics_refresh"))
    assert not DBTaskResult.objects.exists()
    assert "already running" in client.get(reverse("web:analytics")).content.decode()


def test_a_refresh_that_died_long_ago_does_not_block_a_new_one(as_user, manager, refreshed):
    dead = AnalyticsRun.objects.create(as_of=timezone.localdate(), trigger="nightly")
    AnalyticsRun.objects.filter(pk=dead.pk).update(started_at=timezone.now() - STALE_RUN - dt.timedelta(minutes=1))
    client = as_user(manager)
    assert "A refresh has been running since" not in client.get(reverse("web:analytics")).content.decode()
    client.post(reverse("web:analytics_refresh"))
    assert DBTaskResult.objects.count() == 1


# --- win-back ---------------------------------------------------------------------


def test_the_winback_list_shows_the_users_customers_by_value_at_risk(as_user, rep, refreshed):
    page = as_user(rep).get(reverse("web:analytics_winback")).content.decode()
    expected = list(selectors.winback_list(user=rep))
    assert expected, "the lapsed buyers should be at risk"
    positions = [page.index(f"/customers/{v.customer_id}/") for v in expected[:25]]
    assert positions == sorted(positions)
    top = expected[0]
    assert f"¥{round(top.value_at_risk):,}" in page and f"{top.churn_risk * 100:.0f}%" in page and "王小明" in page
    assert "外组客户" not in page


def test_an_outsider_sees_none_of_the_teams_winback(as_user, outsider, rep, refreshed):
    page = as_user(outsider).get(reverse("web:analytics_winback")).content.decode()
    assert not any(f"/customers/{v.customer_id}/" in page for v in selectors.winback_list(user=rep))
    assert "客户01" not in page and "张三" not in page


# --- grades -------------------------------------------------------------------------


def test_grade_proposals_list_changes_by_default_and_everyone_on_request(as_user, rep, refreshed):
    client = as_user(rep)
    page = client.get(reverse("web:analytics_grades")).content.decode()
    changed = list(selectors.grade_proposals(user=rep))
    assert all(f"/customers/{v.customer_id}/" in page for v in changed[:25])
    assert "Apply the proposed grades" not in page
    everyone = client.get(reverse("web:analytics_grades") + "?show=all").content.decode()
    assert everyone.count('class="fw-medium" href="/customers/') == min(25, 31)
    assert "外组客户" not in page + everyone


def test_a_rep_cannot_apply_grades(as_user, rep, refreshed):
    before = dict(Customer.objects.values_list("pk", "grade"))
    client = as_user(rep)
    assert client.get(reverse("web:analytics_grades_apply")).status_code == 403
    assert client.post(reverse("web:analytics_grades_apply")).status_code == 403
    assert dict(Customer.objects.values_list("pk", "grade")) == before


def test_a_manager_applies_the_proposed_grades_after_confirming(as_user, rep, manager, outsider, refreshed):
    hand = CustomerValue.objects.filter(owner_id=rep.pk).order_by("-revenue_year", "customer_id").first().customer
    customer_update(by=rep, customer=hand, data={"grade": "A" if CustomerValue.objects.get(customer=hand).proposed_grade != "A" else "D"})
    hand.refresh_from_db()
    assert hand.grade_manual
    client = as_user(manager)
    page = client.get(reverse("web:analytics_grades")).content.decode()
    assert "Apply the proposed grades" in page and "graded by hand" in page
    confirm = client.get(reverse("web:analytics_grades_apply")).content.decode()
    pending = selectors.grade_proposals(user=manager).exclude(customer__grade_manual=True).count()
    assert f"{pending} customers will get the grade" in confirm and "1 customer graded by hand keeps their grade." in confirm
    assert not Customer.objects.filter(pk=hand.pk, grade_manual=False).exists()  # the GET changed nothing
    response = client.post(reverse("web:analytics_grades_apply"), follow=True)
    assert f"{pending} customers got the proposed grade." in response.content.decode()
    team = CustomerValue.objects.filter(team_id=manager.team_id).select_related("customer")
    assert all(v.customer.grade == v.proposed_grade for v in team if v.customer_id != hand.pk)
    others = CustomerValue.objects.filter(owner_id=outsider.pk).select_related("customer")
    assert any(v.customer.grade != v.proposed_grade for v in others)  # another team is not the manager's to grade
    assert client.post(reverse("web:analytics_grades_apply"), follow=True).content.decode().count("nothing changed") == 1


def test_a_manager_releases_a_grade_set_by_hand(as_user, rep, manager, refreshed):
    # The biggest customer: the first row of the (paged) list.
    hand = CustomerValue.objects.filter(owner_id=rep.pk).order_by("-revenue_year", "customer_id").first().customer
    customer_update(by=rep, customer=hand, data={"grade": "A" if CustomerValue.objects.get(customer=hand).proposed_grade != "A" else "D"})
    release = reverse("web:analytics_grade_release", args=[hand.pk])
    rep_page = as_user(rep).get(reverse("web:analytics_grades")).content.decode()
    assert "graded by hand" in rep_page and release not in rep_page
    assert as_user(rep).post(release).status_code == 403
    client = as_user(manager)
    assert release in client.get(reverse("web:analytics_grades")).content.decode()
    response = client.post(release, {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("web:analytics_grades")
    hand.refresh_from_db()
    assert not hand.grade_manual


def test_an_outsider_cannot_release_a_grade_of_the_team(as_user, rep, outsider, refreshed):
    hand = refreshed["rep"][2]
    assert as_user(outsider).post(reverse("web:analytics_grade_release", args=[hand.pk])).status_code == 404
    page = as_user(outsider).get(reverse("web:analytics_grades") + "?show=all").content.decode()
    assert "客户0" not in page and "张三" not in page


# --- the 360° page -----------------------------------------------------------------


def test_the_360_page_shows_the_customers_value(as_user, rep, customer, refreshed):
    value = CustomerValue.objects.get(customer=customer)
    page = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "Customer value" in page and "Figures as of" in page and f"¥{round(value.clv):,}" in page
    assert f"R{value.r}" in page and f"F{value.f}" in page and f"M{value.m}" in page
    assert f"{value.churn_risk * 100:.0f}%" in page and "Purchase pattern (BG/NBD)" in page
    assert "What to offer next" in page or not value.suggestions
    assert reverse("web:order_new", args=[customer.pk]) in page


def test_the_360_page_says_when_a_risk_rests_on_one_purchase(as_user, rep, refreshed):
    once = refreshed["rep"][1]  # 客户00: one purchase only
    page = as_user(rep).get(reverse("web:customer_detail", args=[once.pk])).content.decode()
    assert "Only one purchase so far" in page


def test_a_suggestion_gives_its_reason(as_user, rep, refreshed):
    values = CustomerValue.objects.filter(owner_id=rep.pk).exclude(suggestions=[])
    with_reason = next((v for v in values if any(s.get("because") for s in v.suggestions)), None)
    if with_reason is None:
        pytest.fail("the shop should give at least one 'bought X, also bought Y' suggestion")
    page = as_user(rep).get(reverse("web:customer_detail", args=[with_reason.customer_id])).content.decode()
    assert "of the buyers of" in page and "also bought" in page


def test_analytics_pages_require_login(client):
    for url in ["/analytics/", "/analytics/winback/", "/analytics/grades/", "/analytics/grades/apply/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_the_dashboard_reads_in_chinese(as_user, rep, refreshed, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    page = as_user(rep).get(reverse("web:analytics")).content.decode()
    assert "客户价值" in page and "前20%的客户贡献了" in page and "Customers" not in page
