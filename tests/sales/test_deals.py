"""Deals and the pipeline: a rep opens, edits, moves, wins and loses their own
deals; each change is an event; the forecast follows a move across the wall;
managers set their team's stages; nobody else sees or moves a rep's deals."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.sales.config import stages_for
from manyi.sales.models import Deal, DealEvent, DealStatus, Stage
from manyi.sales.selectors import deals as selectors
from manyi.sales.services import deals as services
from manyi.sales.services.deals import DealClosed
from tests.factories import CustomerFactory

NEXT_MONTH = (timezone.localdate().replace(day=1) + dt.timedelta(days=40)).replace(day=15)


@pytest.fixture
def deal(rep, enterprise):
    return services.deal_create(by=rep, customer=enterprise, data={
        "title": "净水设备年度采购", "amount": "200,000", "expected_close": NEXT_MONTH.isoformat(), "stage": "negotiating",
        "heat": "hot", "heat_reason": "采购部已要求报价", "next_step": "送样品", "next_step_on": timezone.localdate().isoformat(),
    })  # fmt: skip


def test_default_stages_come_back_if_they_were_removed(db):
    Stage.objects.all().delete()
    assert [s.key for s in stages_for(None)][:2] == ["prospect", "developing"]


def test_the_default_pipeline_has_the_wall_between_prospects_and_customers(db):
    stages = stages_for(None)
    assert [s.key for s in stages] == ["prospect", "developing", "negotiating", "first_purchase", "existing", "key"]
    assert [s.inside_wall for s in stages] == [False, False, False, True, True, True]
    assert stages[0].name == "潜在客户"


def test_a_rep_opens_a_deal_that_starts_with_its_stage_probability(deal, rep):
    assert deal.owner == rep and deal.team_id == rep.team_id and deal.stage.key == "negotiating"
    assert deal.probability == 50 and deal.amount == Decimal("200000.00") and deal.weighted == Decimal("100000.00")
    event = deal.events.get()
    assert event.kind == "created" and event.by == rep and event.changes["amount"] == "200000.00"


def test_bad_input_is_refused_field_by_field(rep, enterprise):
    with pytest.raises(ValidationFailed) as caught:
        services.deal_create(by=rep, customer=enterprise, data={
            "title": "", "amount": "十万", "probability": "120", "heat": "boiling", "expected_close": "2026-13-01", "stage": "nowhere",
        })  # fmt: skip
    assert set(caught.value.fields) == {"title", "amount", "probability", "heat", "expected_close", "stage"}
    assert not Deal.objects.exists()


def test_script_in_a_title_is_stored_as_plain_text(rep, enterprise):
    deal = services.deal_create(by=rep, customer=enterprise, data={"title": "<script>alert(1)</script>大单"})
    assert deal.title == "alert(1)大单"


def test_moving_across_the_wall_changes_the_probability_and_the_forecast(deal, rep):
    before = {b.month: b.weighted for b in selectors.forecast(user=rep) if b.bucket == "month"}
    moved = services.deal_move(by=rep, deal=deal, stage="first_purchase", note="签了试用单")
    assert moved.stage.key == "first_purchase" and moved.probability == 80
    after = {b.month: b.weighted for b in selectors.forecast(user=rep) if b.bucket == "month"}
    month = NEXT_MONTH.replace(day=1)
    assert before[month] == Decimal("100000.00") and after[month] == Decimal("160000.00")
    event = DealEvent.objects.get(deal=deal, kind="moved")
    assert event.from_stage.key == "negotiating" and event.to_stage.key == "first_purchase"
    assert event.changes == {"probability": [50, 80], "wall": "in"} and event.note == "签了试用单"
    back = services.deal_move(by=rep, deal=moved, stage="developing")
    assert back.events.order_by("-id").first().changes["wall"] == "out"


def test_moving_to_the_same_stage_records_nothing(deal, rep):
    services.deal_move(by=rep, deal=deal, stage="negotiating")
    assert deal.events.count() == 1


def test_a_stage_of_another_team_is_refused(deal, rep, outsider, other_team, db):
    foreign = Stage.objects.create(team=other_team, key="x", name="别组阶段", position=1, probability=5)
    with pytest.raises(ValidationFailed) as caught:
        services.deal_move(by=rep, deal=deal, stage=foreign)
    assert "stage" in caught.value.fields


def test_only_the_owner_and_their_manager_move_a_deal(deal, rep2, agent, analyst, outsider, manager):
    for person in (rep2, agent, analyst, outsider):
        with pytest.raises(PermissionDenied):
            services.deal_move(by=person, deal=deal, stage="key")
    assert services.deal_move(by=manager, deal=deal, stage="key").stage.key == "key"


def test_each_sees_only_what_they_may(deal, rep, rep2, agent, manager, analyst, outsider, admin):
    for person in (rep, manager, analyst, admin):
        assert selectors.deal_get(user=person, pk=deal.pk) == deal
        assert list(selectors.deal_list(user=person)) == [deal]
    for person in (rep2, agent, outsider):
        with pytest.raises(NotFound):
            selectors.deal_get(user=person, pk=deal.pk)
        assert not selectors.deal_list(user=person).exists()
        assert sum(b.deals for b in selectors.forecast(user=person)) == 0
        assert all(not c.deals for c in selectors.board(user=person))


def test_a_rep_cannot_open_a_deal_on_someone_elses_customer(rep2, enterprise, analyst):
    with pytest.raises(PermissionDenied):
        services.deal_create(by=rep2, customer=enterprise, data={"title": "抢单"})
    with pytest.raises(PermissionDenied):
        services.deal_create(by=analyst, customer=enterprise, data={"title": "只读"})


def test_a_manager_opens_a_deal_for_the_customers_owner(manager, enterprise, rep):
    deal = services.deal_create(by=manager, customer=enterprise, data={"title": "经理代开"})
    assert deal.owner == rep and deal.events.get().by == manager


def test_editing_records_each_change_before_and_after(deal, rep):
    services.deal_update(by=rep, deal=deal, data={"amount": "250000", "heat": "warm", "competitors": "美的、海尔", "next_step_on": ""})
    event = deal.events.get(kind="updated")
    assert event.changes["amount"] == ["200000.00", "250000.00"] and event.changes["heat"] == ["hot", "warm"]
    assert event.changes["next_step_on"][1] is None
    services.deal_update(by=rep, deal=deal, data={"amount": "250000"})
    assert deal.events.filter(kind="updated").count() == 1


def test_a_lost_deal_needs_a_reason_and_a_closed_deal_does_not_move(deal, rep):
    with pytest.raises(ValidationFailed) as caught:
        services.deal_lose(by=rep, deal=deal, reason="")
    assert "reason" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.deal_lose(by=rep, deal=deal, reason="other")
    assert "note" in caught.value.fields
    lost = services.deal_lose(by=rep, deal=deal, reason="price", note="对手便宜15%")
    assert lost.status == DealStatus.LOST and lost.closed_on == timezone.localdate() and lost.lost_reason == "price"
    with pytest.raises(DealClosed):
        services.deal_move(by=rep, deal=lost, stage="key")
    with pytest.raises(DealClosed):
        services.deal_win(by=rep, deal=lost)
    reopened = services.deal_reopen(by=rep, deal=lost, note="客户回头了")
    assert reopened.status == DealStatus.OPEN and reopened.lost_reason == "" and reopened.probability == 50
    assert [e.kind for e in reopened.events.order_by("id")] == ["created", "lost", "reopened"]


def test_win_rates_by_rep_stage_and_month(rep, enterprise, manager):
    make = lambda title, stage: services.deal_create(by=rep, customer=enterprise, data={"title": title, "amount": "1000", "stage": stage})  # noqa: E731
    services.deal_win(by=rep, deal=make("a", "negotiating"))
    services.deal_lose(by=rep, deal=make("b", "negotiating"), reason="price")
    services.deal_lose(by=rep, deal=make("c", "prospect"), reason="competitor")
    make("open", "prospect")
    today = timezone.localdate()
    by_rep = selectors.win_loss(user=manager, start=today, end=today, group="owner")
    assert [(r.group, r.won, r.lost) for r in by_rep] == [("王小明", 1, 2)]
    with translation.override("zh-hans"):
        by_stage = {r.group[1]: r for r in selectors.win_loss(user=manager, start=today, end=today, group="stage")}
    assert by_stage["洽谈中"].rate == 0.5 and by_stage["潜在客户"].reasons == {"competitor": 1}
    assert selectors.win_loss(user=manager, start=today, end=today, group="month")[0].group == today.strftime("%Y-%m")
    assert selectors.win_loss(user=manager, start=today - dt.timedelta(days=9), end=today - dt.timedelta(days=1)) == []


def test_flags_find_deals_without_a_next_step_or_stuck(rep, enterprise):
    fine = services.deal_create(by=rep, customer=enterprise, data={"title": "fine", "next_step": "电话", "next_step_on": timezone.localdate().isoformat()})
    services.deal_create(by=rep, customer=enterprise, data={"title": "bare"})
    stuck = services.deal_create(by=rep, customer=enterprise, data={"title": "stuck", "next_step": "电话", "next_step_on": timezone.localdate().isoformat()})
    Deal.objects.filter(pk=stuck.pk).update(stage_entered_at=timezone.now() - dt.timedelta(days=45))
    listed = lambda flag: {d.title for d in selectors.deal_list(user=rep, filters=selectors.DealFilters(flag=flag))}  # noqa: E731
    assert listed("no_next_step") == {"bare"} and listed("stuck") == {"stuck"} and listed("attention") == {"bare", "stuck"}
    stuck.refresh_from_db()
    assert selectors.deal_flags(stuck).stuck_days == 45 and not selectors.deal_flags(fine).any


def test_the_board_draws_the_wall_and_sums_each_column(deal, rep):
    columns = selectors.board(user=rep)
    assert [c.wall_before for c in columns] == [False, False, False, True, False, False]
    negotiating = next(c for c in columns if c.stage.key == "negotiating")
    assert negotiating.deals == [deal] and negotiating.amount == Decimal("200000.00") and negotiating.weighted == Decimal("100000.00")


def test_a_team_sets_its_own_stages_and_keeps_the_wall_in_order(manager, rep, deal, team):
    rows = [{"key": s.key, "name": s.name, "name_en": s.name_en, "probability": s.probability, "inside_wall": s.inside_wall,
             "stuck_after_days": 30} for s in stages_for(team.pk)]  # fmt: skip
    rows.insert(2, {"name": "方案演示", "name_en": "Demo", "probability": "40", "stuck_after_days": "14"})
    saved = services.stages_save(by=manager, team_id=team.pk, rows=rows)
    assert [s.key for s in saved][:4] == ["prospect", "developing", "demo", "negotiating"]
    deal.refresh_from_db()
    assert deal.stage.team_id == team.pk or deal.stage.team_id is None
    with pytest.raises(ValidationFailed) as caught:
        services.stages_save(by=manager, team_id=team.pk, rows=[{"name": "成交", "probability": 90, "inside_wall": True}, {"name": "线索", "probability": 5}])
    assert "stages.1.inside_wall" in caught.value.fields
    with pytest.raises(PermissionDenied):
        services.stages_save(by=rep, team_id=team.pk, rows=rows)


def test_a_stage_holding_open_deals_cannot_be_retired(manager, rep, team, enterprise):
    services.stages_save(by=manager, team_id=team.pk, rows=[
        {"key": s.key, "name": s.name, "probability": s.probability, "inside_wall": s.inside_wall} for s in stages_for(None)
    ])  # fmt: skip
    deal = services.deal_create(by=rep, customer=enterprise, data={"title": "in own stage", "stage": "developing"})
    assert deal.stage.team_id == team.pk
    rows = [{"key": s.key, "name": s.name, "probability": s.probability, "inside_wall": s.inside_wall, "active": s.key != "developing"}
            for s in stages_for(team.pk)]  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        services.stages_save(by=manager, team_id=team.pk, rows=rows)
    assert "stages.1.active" in caught.value.fields


def test_sales_settings_are_validated(manager, team, rep):
    saved = services.sales_settings_save(by=manager, team_id=team.pk, data={"discount_approval_percent": "15", "visits_a": "4", "daily_capacity": "10",
                                                                           "base_latitude": "31.23", "base_longitude": "121.47"})  # fmt: skip
    assert saved.discount_approval_percent == Decimal("15") and saved.daily_capacity == 10
    with pytest.raises(ValidationFailed) as caught:
        services.sales_settings_save(by=manager, team_id=team.pk, data={"visits_b": "6", "base_latitude": "95", "daily_capacity": "abc"})
    assert set(caught.value.fields) >= {"visits_b", "base_latitude", "daily_capacity"}
    with pytest.raises(PermissionDenied):
        services.sales_settings_save(by=rep, team_id=team.pk, data={"discount_approval_percent": "90"})


def test_a_deleted_customer_gets_no_new_deal(rep, admin):
    gone = CustomerFactory(owner=rep, deleted_at=timezone.now())
    with pytest.raises((ValidationFailed, PermissionDenied)):
        services.deal_create(by=rep, customer=gone, data={"title": "x"})
