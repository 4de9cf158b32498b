"""The refresh: every live customer gets stored figures, computed from counted
orders up to the as-of day; pages read them filtered by who asks."""

import datetime as dt

import pytest
from django.utils import timezone

from manyi.analytics import selectors, services
from manyi.analytics.models import AnalyticsRun, CustomerValue, RunStatus
from manyi.core.errors import ApplicationError, PermissionDenied
from manyi.customers.services import customer_delete, customer_update
from tests.factories import CustomerFactory, buy

pytestmark = pytest.mark.django_db


def test_a_refresh_stores_figures_for_every_live_customer(shop, rep, customer, admin):
    gone = shop["rep"][1]
    customer_delete(by=rep, customer=gone)
    run = services.analytics_refresh(by=admin, trigger="page")
    assert run.status == RunStatus.DONE and run.by == admin and run.as_of == timezone.localdate()
    assert [s["stage"] for s in run.stages] == ["read", "summaries", "fit", "predict", "rfm", "grades", "cohorts", "suggest", "evaluate", "write"]
    bg = run.parameters["bgnbd"]
    assert all(bg[k] > 0 for k in ("r", "alpha", "a", "b")), bg
    assert run.parameters["gamma_gamma"]["q"] > 1
    live = 51 - 1  # customer + 50, less the deleted one
    assert run.customers == live == CustomerValue.objects.count()
    assert not CustomerValue.objects.filter(customer=gone).exists()

    mine = CustomerValue.objects.get(customer=customer)
    assert (mine.orders, mine.frequency, mine.churn_basis) == (6, 5, "model")
    assert mine.total_spend == pytest.approx(2999 + 5 * (239.5 + 399))
    assert 0 < mine.p_alive <= 1 and mine.churn_risk == pytest.approx(1 - mine.p_alive)
    assert mine.clv > 0 and mine.expected_purchases > 0 and mine.segment != "none"
    assert mine.owner_id == rep.pk and mine.team_id == rep.team_id
    assert mine.first_order == timezone.localdate() - dt.timedelta(days=400)

    first_buyer = CustomerValue.objects.get(customer__name="客户05")
    assert (first_buyer.orders, first_buyer.frequency, first_buyer.churn_basis) == (1, 0, "one_purchase")
    assert 0 < first_buyer.churn_risk < 1
    nothing = CustomerValue.objects.get(customer__name="客户44")
    assert (nothing.orders, nothing.churn_basis, nothing.segment, nothing.clv, nothing.proposed_grade) == (0, "no_orders", "none", 0, "D")


def test_lapsed_buyers_lead_the_winback_list_of_those_who_see_them(shop, rep, rep2, manager, outsider, admin):
    services.analytics_refresh()
    mine = list(selectors.winback_list(user=rep))
    assert mine, "rep's lapsed buyers should be on the list"
    assert all(v.owner_id == rep.pk for v in mine)
    assert [v.value_at_risk for v in mine] == sorted((v.value_at_risk for v in mine), reverse=True)
    lapsed = {c.pk for c in shop["rep"] if c.name[-2:].isdigit() and int(c.name[-2:]) % 5 == 1}
    assert lapsed & {v.customer_id for v in mine[:6]}
    team = {v.customer_id for v in selectors.winback_list(user=manager)}
    assert team >= {v.customer_id for v in mine} and all(v.customer.owner in (rep, rep2) for v in selectors.winback_list(user=manager))
    assert not any(v.customer.owner == outsider for v in selectors.winback_list(user=manager))
    assert {v.customer.owner for v in selectors.winback_list(user=outsider)} <= {outsider}
    assert len(selectors.winback_list(user=admin)) >= len(team)


def test_the_overview_counts_only_what_the_user_sees(shop, rep, manager, outsider, admin):
    services.analytics_refresh()
    everyone, team, own, other = (selectors.overview(user=u) for u in (admin, manager, rep, outsider))
    assert everyone.customers == 51 and team.customers == 41 and own.customers == 31 and other.customers == 10
    assert sum(s["customers"] for s in team.segments) == team.buyers == 41
    assert sum(s["customers"] for s in other.segments) == other.buyers == 8  # two of the outsider's never ordered
    assert team.top_fifth_share is not None and 0.2 <= team.top_fifth_share <= 1
    assert team.pareto[0] == (0.0, 0.0) and team.pareto[-1] == (1.0, 1.0)
    assert sum(b["customers"] for b in team.distribution) == team.customers
    assert sum(map(sum, team.migration["counts"])) == team.customers
    assert sum(g["customers"] for g in team.grades) == team.customers == sum(g["proposed"] for g in team.grades)
    assert team.cohorts and all(row["retained"][0] == row["size"] for row in team.cohorts)


def test_figures_are_as_of_the_day_asked(rep, customer, products):
    buy(customer, rep, [products["filter"]], [100, 50, 5])
    services.analytics_refresh(as_of=timezone.localdate() - dt.timedelta(days=20))
    value = CustomerValue.objects.get(customer=customer)
    assert value.orders == 2 and value.last_order == timezone.localdate() - dt.timedelta(days=50)


def test_a_refresh_replaces_the_figures_and_keeps_a_record_of_each_run(shop, rep, customer, products):
    services.analytics_refresh()
    before = CustomerValue.objects.get(customer=customer).orders
    buy(customer, rep, [products["care"]], [1])
    services.analytics_refresh()
    assert CustomerValue.objects.get(customer=customer).orders == before + 1
    assert AnalyticsRun.objects.filter(status=RunStatus.DONE).count() == 2
    assert selectors.last_run() == AnalyticsRun.objects.order_by("-id").first()


def test_one_refresh_at_a_time_and_only_managers_start_one(shop, rep, manager):
    with pytest.raises(PermissionDenied):
        services.analytics_refresh(by=rep)
    AnalyticsRun.objects.create(as_of=timezone.localdate(), status=RunStatus.RUNNING)
    with pytest.raises(ApplicationError) as caught:
        services.analytics_refresh(by=manager)
    assert caught.value.code == "refresh_running" and "running since" in caught.value.message
    AnalyticsRun.objects.update(started_at=timezone.now() - dt.timedelta(hours=3))
    assert services.analytics_refresh(by=manager).status == RunStatus.DONE


def test_a_shop_without_repeat_buyers_still_gets_figures(rep, products):
    for i in range(3):
        buy(CustomerFactory(name=f"新客{i}", owner=rep), rep, [products["lock"]], [10 + i])
    run = services.analytics_refresh()
    assert "error" in run.parameters["bgnbd"] and "repeat" in run.parameters["bgnbd"]["error"]
    assert CustomerValue.objects.count() == 3
    assert set(CustomerValue.objects.values_list("orders", "clv")) == {(1, 0.0)}


def test_suggestions_name_a_product_not_yet_bought_and_the_reason(shop, rep, customer):
    services.analytics_refresh()
    buyer = next(c for c in shop["rep"] if c.name == "客户02")  # bought the purifier and filters
    figures = selectors.customer_figures(user=rep, customer=buyer)
    assert figures.suggestions
    for s in figures.suggestions:
        assert s.product.sku not in {"WP-1", "WPF-1"}
        assert s.because is None or (s.because.sku in {"WP-1", "WPF-1"} and 0 < s.share <= 1)
    assert selectors.customer_figures(user=rep, customer=shop["outsider"][0]) is None
    run = selectors.last_run()
    assert set(run.parameters["suggest"]) >= {"held_out_days", "held_out_customers"}


def test_grades_apply_within_scope_and_spare_those_graded_by_hand(shop, rep, rep2, manager, outsider, admin):
    services.analytics_refresh()
    by_hand = shop["rep"][0]
    customer_update(by=rep, customer=by_hand, data={"grade": "D"})
    with pytest.raises(PermissionDenied):
        services.grades_apply(by=rep)
    changed = services.grades_apply(by=manager)
    assert changed > 0
    by_hand.refresh_from_db()
    assert by_hand.grade == "D" and by_hand.grade_manual
    for c in shop["rep"][1:] + shop["rep2"]:
        c.refresh_from_db()
        assert (c.grade, c.importance) == (c.value.proposed_grade, c.value.proposed_importance)
    outsiders = [c for c in shop["outsider"] if (c.grade, c.importance) != (c.value.proposed_grade, c.value.proposed_importance)]
    assert outsiders, "the outsider's customers must keep their grades"
    moved = next(c for c in shop["rep"][1:] if c.changes.exists())
    assert {"grade", "importance"} & {change["field"] for change in moved.changes.first().changes}
    assert moved.changes.first().actor == manager
    services.grade_release(by=manager, customer=by_hand)
    assert services.grades_apply(by=admin) >= 1
    by_hand.refresh_from_db()
    assert not by_hand.grade_manual and by_hand.grade == by_hand.value.proposed_grade
