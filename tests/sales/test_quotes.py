"""Quotes (报价, domain §5), as the services write them: an honest breakdown
(parts, market reference, workload, difficulty, quality), a discount only
against something, a manager's approval above the team's limit (never the
author's own), versions that never change, and an accepted quote that
becomes an order and wins its deal. Every change leaves an event."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from manyi.analytics.models import Order
from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.sales.models import (
    DealEvent,
    DealStatus,
    QuoteEvent,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
    SalesSettings,
)
from manyi.sales.selectors import quotes as selectors
from manyi.sales.services import quote_content
from manyi.sales.services import quotes as services
from manyi.sales.services.deals import deal_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def content(**overrides):
    """A quote for a water-purifier installation: two parts, a product line, work."""
    data = {
        "lines": [
            {"part": "设备", "description": "家用净水器", "quantity": "2", "unit": "台", "unit_price": "2999"},
            {"part": "设备", "description": "净水器滤芯", "quantity": "4", "unit": "个", "unit_price": "239.50"},
            {"part": "安装", "description": "上门安装调试", "quantity": "1", "unit": "次", "unit_price": "500"},
        ],
        "workload": [{"role": "安装工程师", "people": 2, "days": 1}, {"role": "项目经理", "people": 1, "days": "0.5"}],
        "market_reference": "8800",
        "market_reference_note": "京东同型号均价",
        "difficulty": "medium",
        "difficulty_note": "老房水管需改造",
        "quality_note": "原厂设备，三年保修，免费年度保养一次",
        "language": "zh-hans",
    }
    data.update(overrides)
    return data


def discounted(percent, condition="客户预付全款并签订两年滤芯合同", **overrides):
    return content(discount_percent=percent, discount_condition=condition, **overrides)


def fields_of(excinfo) -> dict:
    return excinfo.value.fields


def test_a_quote_adds_its_lines_and_takes_its_discount_to_the_fen(rep, customer):
    quote = services.quote_create(by=rep, customer=customer, data=discounted("7.5"))
    version = selectors.current_version(user=rep, quote=quote)
    # 2 × 2999 + 4 × 239.50 + 500 = 7456; less 7.5 % = 6896.80
    assert (version.number, version.subtotal, version.total) == (1, Decimal("7456.00"), Decimal("6896.80"))
    assert [line.amount for line in version.lines.all()] == [Decimal("5998.00"), Decimal("958.00"), Decimal("500.00")]
    assert quote.status == QuoteStatus.DRAFT and quote.owner == rep and quote.team_id == rep.team_id
    assert version.workload == [{"role": "安装工程师", "people": 2, "days": 1}, {"role": "项目经理", "people": 1, "days": 0.5}]
    assert version.market_reference == Decimal("8800.00") and version.quality_note.startswith("原厂设备")


def test_rounding_is_half_up_to_the_fen():
    assert quote_content.quote_total(Decimal("0.05"), Decimal(10)) == Decimal("0.05")  # 0.045 -> 0.05
    assert quote_content.quote_total(Decimal("99.99"), Decimal("33.33")) == Decimal("66.66")  # 66.663...
    assert quote_content.quote_total(Decimal("100.00"), Decimal(100)) == Decimal("0.00")


def test_numbers_count_the_day_from_one(rep, customer):
    today = timezone.localdate()
    first = services.quote_create(by=rep, customer=customer, data=content())
    second = services.quote_create(by=rep, customer=customer, data=content())
    assert first.number == f"BJ{today:%Y%m%d}-00001" and second.number == f"BJ{today:%Y%m%d}-00002"


def test_the_breakdown_groups_the_parts(rep, customer):
    from manyi.sales.pdf import quote_document

    quote = services.quote_create(by=rep, customer=customer, data=discounted("10"))
    doc = quote_document(quote=quote, version=selectors.current_version(user=rep, quote=quote))
    assert [(p.name, p.subtotal_text, p.share) for p in doc.parts] == [("设备", "¥6,956.00", "93%"), ("安装", "¥500.00", "7%")]
    assert (doc.subtotal, doc.discount_percent, doc.discount_amount, doc.total) == ("¥7,456.00", "10", "¥745.60", "¥6,710.40")
    assert doc.market_reference == "¥8,800.00" and doc.market_difference == "−¥2,089.60 (−24%)" and doc.below_market
    assert (doc.people, doc.person_days) == (3, "2.5") and doc.difficulty == "Medium"


def test_a_line_with_a_product_takes_its_name_and_list_price(rep, customer, products):
    data = content(lines=[{"product": products["purifier"].pk, "quantity": 1}, {"product": products["care"], "description": "首年保养", "quantity": 1, "unit_price": "0"}])
    version = selectors.current_version(user=rep, quote=services.quote_create(by=rep, customer=customer, data=data))
    lines = list(version.lines.all())
    assert [(line.description, line.unit_price, line.product_id) for line in lines] == [
        ("家用净水器", Decimal("2999.00"), products["purifier"].pk), ("首年保养", Decimal("0.00"), products["care"].pk),
    ]  # fmt: skip
    assert version.total == Decimal("2999.00")


@pytest.mark.parametrize(
    ("lines", "key", "message"),
    [
        ([], "lines", "A quote needs at least one line."),
        ([{"description": "安装", "quantity": "0", "unit_price": "5"}], "lines.1.quantity", "Line 1: the quantity must be a number above 0."),
        ([{"description": "安装", "quantity": "两", "unit_price": "5"}], "lines.1.quantity", "Line 1: the quantity must be a number above 0."),
        ([{"description": "安装", "quantity": "1", "unit_price": "-5"}], "lines.1.unit_price", "Line 1: A price cannot be negative."),
        ([{"description": "安装", "quantity": "1"}], "lines.1.unit_price", "Line 1: give a unit price (0 for something given free)."),
        ([{"quantity": "1", "unit_price": "5"}], "lines.1.description", "Line 1: say what this line is."),
        ([{"description": "甲", "quantity": 1, "unit_price": 1}, {"description": "乙", "quantity": "1.0001", "unit_price": 1}],
         "lines.2.quantity", "Line 2: at most 1,000,000, with up to three decimals."),
        ([{"description": "甲", "quantity": 1, "unit_price": 1, "product": 999999}], "lines.1.product", "Line 1: choose a product from the list, or none."),
    ],
)
def test_line_errors_name_their_line(rep, customer, lines, key, message):
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_create(by=rep, customer=customer, data=content(lines=lines))
    assert fields_of(excinfo)[key] == [message]


@pytest.mark.parametrize(
    ("row", "key", "message"),
    [
        ({"role": "", "people": 1, "days": 1}, "workload.1.role", "Workload row 1: name the role (engineer, installer, designer…)."),
        ({"role": "工程师", "people": 0, "days": 1}, "workload.1.people", "Workload row 1: the number of people must be a whole number above 0."),
        ({"role": "工程师", "people": "1.5", "days": 1}, "workload.1.people", "Workload row 1: the number of people must be a whole number above 0."),
        ({"role": "工程师", "people": 1, "days": "-2"}, "workload.1.days", "Workload row 1: the days must be a number above 0, with up to two decimals."),
    ],
)
def test_workload_rows_are_positive(rep, customer, row, key, message):
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_create(by=rep, customer=customer, data=content(workload=[row]))
    assert fields_of(excinfo) == {key: [message]}


def test_a_discount_needs_what_the_customer_gives_in_return(rep, customer):
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_create(by=rep, customer=customer, data=discounted("5", condition="  "))
    assert list(fields_of(excinfo)) == ["discount_condition"]
    assert "say what the customer gives in return" in fields_of(excinfo)["discount_condition"][0]
    assert services.quote_create(by=rep, customer=customer, data=content(discount_percent="0")).versions.get().discount_percent == 0


@pytest.mark.parametrize("percent", ["-1", "100.01", "abc", "12.345"])
def test_a_discount_is_a_percentage(rep, customer, percent):
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_create(by=rep, customer=customer, data=discounted(percent))
    assert fields_of(excinfo) == {"discount_percent": ["The discount is a percentage from 0 to 100, with up to two decimals."]}


def test_other_fields_are_checked_and_unknown_ones_refused(rep, customer):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    data = content(difficulty="extreme", language="fr", valid_until=yesterday.isoformat(), market_reference="很多", colour="red")
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_create(by=rep, customer=customer, data=data)
    assert set(fields_of(excinfo)) == {"difficulty", "language", "valid_until", "market_reference", "colour"}


def test_who_may_write_a_quote(rep, rep2, analyst, outsider, manager, customer):
    with pytest.raises(PermissionDenied):
        services.quote_create(by=analyst, customer=customer, data=content())
    for stranger in (rep2, outsider):
        with pytest.raises(NotFound):
            services.quote_create(by=stranger, customer=customer, data=content())
    # A manager writes it for the customer's owner; the manager is the version's author.
    quote = services.quote_create(by=manager, customer=customer, data=content())
    assert quote.owner == rep and quote.versions.get().created_by == manager


def test_a_quote_on_a_deal_must_be_on_that_customers_deal(rep, customer):
    deal = deal_create(by=rep, customer=customer, data={"title": "净水器项目", "amount": "7000"})
    other = CustomerFactory(owner=rep)
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_create(by=rep, customer=other, deal=deal, data=content())
    assert fields_of(excinfo) == {"deal": ["This deal is with another customer."]}
    assert services.quote_create(by=rep, customer=customer, deal=deal, data=content()).deal == deal


# --- approval ------------------------------------------------------------------------


def test_a_discount_above_the_teams_limit_waits_for_the_manager(rep, manager, customer):
    quote = services.quote_create(by=rep, customer=customer, data=discounted("15"))  # the default limit is 10 %
    version = quote.versions.get()
    assert version.needs_approval
    for action in (services.quote_send, services.quote_accept):
        with pytest.raises(services.QuoteConflict) as excinfo:
            action(by=rep, quote=quote)
        assert excinfo.value.code == "approval_required"
    with pytest.raises(PermissionDenied):
        services.quote_approve(by=rep, quote=quote)
    quote = services.quote_submit(by=rep, quote=quote)
    assert quote.status == QuoteStatus.PENDING
    assert selectors.quote_actions(user=manager, quote=quote, version=version) >= {"approve"}
    assert "approve" not in selectors.quote_actions(user=rep, quote=quote, version=version)
    quote = services.quote_approve(by=manager, quote=quote, note="老客户，预付全款")
    version.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED and version.approved_by == manager and version.approved_at is not None
    assert version.approval_note == "老客户，预付全款"
    assert services.quote_send(by=rep, quote=quote).status == QuoteStatus.SENT


def test_the_manager_can_send_a_discount_back_with_a_reason(rep, manager, outsider, customer):
    quote = services.quote_create(by=rep, customer=customer, data=discounted("25"))
    version = quote.versions.get()
    with pytest.raises(services.QuoteConflict) as excinfo:  # nothing was asked yet
        services.quote_decline(by=manager, quote=quote, reason="太低")
    assert excinfo.value.code == "wrong_status"
    quote = services.quote_submit(by=rep, quote=quote)
    assert "decline" in selectors.quote_actions(user=manager, quote=quote, version=version)
    assert "decline" not in selectors.quote_actions(user=rep, quote=quote, version=version)
    with pytest.raises(PermissionDenied):
        services.quote_decline(by=rep, quote=quote, reason="我自己不批")
    with pytest.raises(NotFound):
        services.quote_decline(by=outsider, quote=quote, reason="x")
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_decline(by=manager, quote=quote, reason="  ")
    assert list(fields_of(excinfo)) == ["reason"]
    quote = services.quote_decline(by=manager, quote=quote, reason="25% 太高，最多 12%，换两年维保")
    version.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and version.approved_at is None
    event = QuoteEvent.objects.filter(quote=quote).latest("pk")
    assert (event.kind, event.by, event.note) == ("declined", manager, "25% 太高，最多 12%，换两年维保")
    with pytest.raises(services.QuoteConflict) as excinfo:  # still not sendable
        services.quote_send(by=rep, quote=quote)
    assert excinfo.value.code == "approval_required"
    services.quote_revise(by=rep, quote=quote, data=discounted("12"))
    quote.refresh_from_db()
    assert services.quote_submit(by=rep, quote=quote).status == QuoteStatus.PENDING
    assert services.quote_approve(by=manager, quote=quote).status == QuoteStatus.APPROVED


def test_the_limit_is_the_teams_own(rep, customer, team):
    SalesSettings.objects.create(team=team, discount_approval_percent=Decimal(20))
    assert not services.quote_create(by=rep, customer=customer, data=discounted("15")).versions.get().needs_approval
    assert services.quote_create(by=rep, customer=customer, data=discounted("20.5")).versions.get().needs_approval
    # At the limit exactly is within it.
    assert not services.quote_create(by=rep, customer=customer, data=discounted("20")).versions.get().needs_approval


def test_nobody_approves_their_own_version(manager, admin, customer, rep):
    quote = services.quote_create(by=manager, customer=customer, data=discounted("25"))
    with pytest.raises(PermissionDenied):
        services.quote_approve(by=manager, quote=quote)
    assert services.quote_approve(by=admin, quote=quote).status == QuoteStatus.APPROVED


def test_a_discount_within_the_limit_needs_no_approval(rep, manager, customer):
    quote = services.quote_create(by=rep, customer=customer, data=discounted("5"))
    with pytest.raises(services.QuoteConflict) as excinfo:
        services.quote_submit(by=rep, quote=quote)
    assert excinfo.value.code == "no_approval_needed"
    with pytest.raises(services.QuoteConflict):
        services.quote_approve(by=manager, quote=quote)
    assert services.quote_send(by=rep, quote=quote).status == QuoteStatus.SENT


def test_a_revision_needs_its_own_approval(rep, manager, customer):
    quote = services.quote_create(by=rep, customer=customer, data=discounted("15"))
    services.quote_approve(by=manager, quote=quote)
    services.quote_revise(by=rep, quote=quote, data=discounted("18"))
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT
    with pytest.raises(services.QuoteConflict) as excinfo:
        services.quote_send(by=rep, quote=quote)
    assert excinfo.value.code == "approval_required"


# --- versions ---------------------------------------------------------------------------


def test_a_revision_is_a_new_version_and_the_old_one_stays(rep, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content())
    first = quote.versions.get()
    before = (first.subtotal, first.total, first.workload, list(first.lines.values_list("description", "quantity", "unit_price", "amount")))
    services.quote_send(by=rep, quote=quote)
    lines = [{"part": "设备", "description": "商用净水器", "quantity": "1", "unit_price": "12000"}]
    second = services.quote_revise(by=rep, quote=quote, data=content(lines=lines, workload=[]))
    first.refresh_from_db()
    assert (second.number, second.total, second.workload) == (2, Decimal("12000.00"), [])
    assert (first.subtotal, first.total, first.workload, list(first.lines.values_list("description", "quantity", "unit_price", "amount"))) == before
    assert QuoteLine.objects.filter(version=first).count() == 3
    assert [v.number for v in selectors.quote_versions(user=rep, quote=quote)] == [1, 2]
    assert selectors.current_version(user=rep, quote=quote) == second


def test_an_invalid_revision_writes_nothing(rep, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content())
    with pytest.raises(ValidationFailed):
        services.quote_revise(by=rep, quote=quote, data=content(lines=[]))
    assert QuoteVersion.objects.filter(quote=quote).count() == 1


def test_an_accepted_quote_is_not_revised(rep, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content())
    services.quote_accept(by=rep, quote=quote, create_order=False)
    with pytest.raises(services.QuoteConflict) as excinfo:
        services.quote_revise(by=rep, quote=quote, data=content())
    assert excinfo.value.code == "quote_accepted"


def test_only_the_owner_or_their_manager_changes_a_quote(rep, rep2, analyst, outsider, manager, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content())
    with pytest.raises(NotFound):
        services.quote_revise(by=rep2, quote=quote, data=content())
    with pytest.raises(NotFound):
        services.quote_send(by=outsider, quote=quote)
    with pytest.raises(PermissionDenied):
        services.quote_send(by=analyst, quote=quote)  # sees it, may not change it
    assert services.quote_revise(by=manager, quote=quote, data=content()).number == 2


# --- the customer's answer --------------------------------------------------------------


def test_accepting_makes_an_order_of_the_product_lines_and_wins_the_deal(rep, customer, products):
    deal = deal_create(by=rep, customer=customer, data={"title": "净水器项目", "amount": "7000"})
    lines = [
        {"part": "设备", "product": products["purifier"].pk, "quantity": "2", "unit_price": "2999"},
        {"part": "设备", "product": products["filter"].pk, "quantity": "3"},
        {"part": "安装", "description": "上门安装调试", "quantity": "1", "unit_price": "500"},
    ]
    quote = services.quote_create(by=rep, customer=customer, deal=deal, data=discounted("10", lines=lines))
    services.quote_send(by=rep, quote=quote)
    quote = services.quote_accept(by=rep, quote=quote)
    order = Order.objects.get()
    assert quote.status == QuoteStatus.ACCEPTED and quote.order == order and order.customer == customer
    # The product lines at the quoted price less 10 %; the installation line has no product and is left out.
    assert list(order.lines.values_list("product__sku", "quantity", "unit_price")) == [
        ("WP-1", Decimal("2.000"), Decimal("2699.10")), ("WPF-1", Decimal("3.000"), Decimal("215.55")),
    ]  # fmt: skip
    assert order.amount == Decimal("6044.85")
    assert quote.number in order.notes
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON
    assert quote.number in DealEvent.objects.get(deal=deal, kind="won").note


def test_a_quote_without_product_lines_is_accepted_without_an_order(rep, customer):
    quote = services.quote_accept(by=rep, quote=services.quote_create(by=rep, customer=customer, data=content()))
    assert quote.status == QuoteStatus.ACCEPTED and quote.order is None and not Order.objects.exists()


def test_accepting_without_an_order(rep, customer, products):
    data = content(lines=[{"product": products["purifier"].pk, "quantity": "1"}])
    quote = services.quote_accept(by=rep, quote=services.quote_create(by=rep, customer=customer, data=data), create_order=False)
    assert quote.order is None and not Order.objects.exists()


def test_an_expired_quote_is_neither_sent_nor_accepted(rep, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content(valid_until=timezone.localdate().isoformat()))
    QuoteVersion.objects.filter(quote=quote).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    for action in (services.quote_send, services.quote_accept):
        with pytest.raises(services.QuoteConflict) as excinfo:
            action(by=rep, quote=quote)
        assert excinfo.value.code == "quote_expired"


def test_rejecting_needs_a_reason_and_leaves_the_deal_open(rep, customer):
    deal = deal_create(by=rep, customer=customer, data={"title": "净水器项目"})
    quote = services.quote_create(by=rep, customer=customer, deal=deal, data=content())
    with pytest.raises(ValidationFailed) as excinfo:
        services.quote_reject(by=rep, quote=quote, reason=" ")
    assert fields_of(excinfo) == {"reason": ["Say why the customer rejected the quote."]}
    quote = services.quote_reject(by=rep, quote=quote, reason="预算不足")
    deal.refresh_from_db()
    assert quote.status == QuoteStatus.REJECTED and deal.status == DealStatus.OPEN
    with pytest.raises(services.QuoteConflict):
        services.quote_accept(by=rep, quote=quote)
    # A better offer may follow: the revision is a draft again.
    services.quote_revise(by=rep, quote=quote, data=discounted("5"))
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_every_change_leaves_an_event(rep, manager, customer):
    quote = services.quote_create(by=rep, customer=customer, data=discounted("15"))
    services.quote_submit(by=rep, quote=quote)
    services.quote_approve(by=manager, quote=quote, note="同意")
    services.quote_send(by=rep, quote=quote)
    services.quote_revise(by=rep, quote=quote, data=content())
    services.quote_send(by=rep, quote=quote)
    services.quote_reject(by=rep, quote=quote, reason="选了别家")
    events = selectors.quote_events(user=rep, quote=quote)
    assert [(e.kind, e.by.username, e.version.number) for e in events] == [
        ("created", "rep", 1), ("submitted", "rep", 1), ("approved", "manager", 1), ("sent", "rep", 1),
        ("revised", "rep", 2), ("sent", "rep", 2), ("rejected", "rep", 2),
    ]  # fmt: skip
    assert events[2].note == "同意" and events[-1].note == "选了别家"
    assert QuoteEvent.objects.filter(quote=quote).count() == 7


# --- reading ------------------------------------------------------------------------------


def test_everyone_sees_only_their_quotes(rep, rep2, manager, analyst, outsider, admin, customer):
    quote = services.quote_create(by=rep, customer=customer, data=content())
    for user in (rep, manager, analyst, admin):
        assert list(selectors.quote_list(user=user)) == [quote]
        assert selectors.quote_get(user=user, pk=quote.pk) == quote
    for user in (rep2, outsider):
        assert not selectors.quote_list(user=user).exists()
        with pytest.raises(NotFound):
            selectors.quote_get(user=user, pk=quote.pk)
        with pytest.raises(NotFound):
            selectors.quote_versions(user=user, quote=quote)
        with pytest.raises(NotFound):
            selectors.quote_events(user=user, quote=quote)


def test_the_list_filters_and_sorts(rep, customer, enterprise):
    small = services.quote_create(by=rep, customer=customer, data=content(lines=[{"description": "甲", "quantity": 1, "unit_price": 10}]))
    large = services.quote_create(by=rep, customer=enterprise, data=content(lines=[{"description": "乙", "quantity": 1, "unit_price": 900}]))
    services.quote_send(by=rep, quote=large)
    f = selectors.QuoteFilters
    assert list(selectors.quote_list(user=rep, filters=f(sort="-total"))) == [large, small]
    assert list(selectors.quote_list(user=rep, filters=f(status="sent"))) == [large]
    assert list(selectors.quote_list(user=rep, filters=f(status="open", customer=customer.pk))) == [small]
    assert list(selectors.quote_list(user=rep, filters=f(q="华为"))) == [large]
    assert list(selectors.quote_list(user=rep, filters=f(q=small.number))) == [small]
    assert selectors.quote_list(user=rep, filters=f(sort="-total"))[0].current_total == Decimal("900.00")
