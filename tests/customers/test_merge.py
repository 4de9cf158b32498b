"""Finding duplicate customers and contacts, merging them, and undoing a merge:
every row that pointed at the merged-away record moves, and undo puts back
exactly what the merge changed."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from manyi.analytics.models import CustomerValue, Order
from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers import dedup_selectors, merge, services
from manyi.customers.models import (
    ChangeRecord,
    Contact,
    Customer,
    CustomerAccess,
    DuplicatePair,
)
from manyi.interactions.models import Interaction
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory, buy

pytestmark = pytest.mark.django_db


def make(by, **data):
    return services.customer_create(by=by, data={"kind": "enterprise", **data})


def pair_of(a, b):
    return DuplicatePair.objects.get(customer_a=min(a.pk, b.pk), customer_b=max(a.pk, b.pk))


def test_scan_finds_names_written_differently_and_one_phone_written_two_ways(rep):
    trade = make(rep, name="ＡＢＣ貿易有限公司")
    same_trade = make(rep, name="ABC贸易有限责任公司")
    office = make(rep, name="杭州甲公司", phone="021-8888 6666")
    same_office = make(rep, name="宁波乙公司", phone="(021)88886666")
    make(rep, name="完全无关的公司", phone="010-12345678")
    assert merge.duplicates_scan() == 2
    names = pair_of(trade, same_trade)
    assert (names.score, names.reasons, names.status) == (0.9, ["name"], "open")
    phones = pair_of(office, same_office)
    assert (phones.score, phones.reasons) == (0.75, ["phone"])
    assert DuplicatePair.objects.count() == 2


def test_scan_fills_name_keys_of_customers_saved_before_them(rep):
    old = CustomerFactory(owner=rep, name="北京华为科技有限公司", kind="enterprise", name_key="")
    new = make(rep, name="北京華為科技有限責任公司")
    merge.duplicates_scan()
    old.refresh_from_db()
    assert old.name_key == new.name_key and pair_of(old, new).reasons == ["name"]


def test_a_dismissed_pair_stays_dismissed_and_a_pair_no_longer_alike_goes(rep):
    a, b = make(rep, name="甲", mobile="13812345678"), make(rep, name="乙", mobile="+86 138 1234 5678")
    c, d = make(rep, name="丙", email="x@example.com"), make(rep, name="丁", email="X@example.com")
    merge.duplicates_scan()
    merge.duplicate_dismiss(by=rep, pair=pair_of(a, b))
    services.customer_update(by=rep, customer=d, data={"email": "y@example.com"})
    assert merge.duplicates_scan() == 0
    assert pair_of(a, b).status == "dismissed"
    assert not DuplicatePair.objects.filter(customer_a=c).exists()
    with pytest.raises(ValidationFailed):
        merge.duplicate_dismiss(by=rep, pair=pair_of(a, b))


def test_a_key_shared_by_many_pairs_each_with_the_oldest_only(rep, monkeypatch):
    monkeypatch.setattr(merge, "GROUP_CAP", 3)
    firms = [make(rep, name=f"分店{n}", phone="0571-88886666") for n in range(5)]
    assert merge.duplicates_scan() == 4
    assert set(DuplicatePair.objects.values_list("customer_a", "customer_b")) == {(firms[0].pk, f.pk) for f in firms[1:]}


def test_close_addresses_and_one_name_make_a_pair(rep):
    a = make(rep, kind="individual", name="王伟", address="浙江省杭州市西湖区文三路478号华星时代广场A座1201室")
    b = make(rep, kind="individual", name="王伟", address="浙江省杭州市西湖区文三路 478 号華星時代廣場 A 座 1201")
    make(rep, kind="individual", name="李娜", address="浙江省杭州市西湖区文三路478号华星时代广场A座1201室")
    merge.duplicates_scan()
    assert pair_of(a, b).reasons == ["name", "address"]
    assert DuplicatePair.objects.count() == 1  # an address alone is not enough


def test_two_people_of_one_name_are_no_pair_without_more_in_common(rep):
    make(rep, kind="individual", name="王伟", city="杭州", address="浙江省杭州市西湖区文三路478号")
    make(rep, kind="individual", name="王伟", city="杭州", address="浙江省杭州市滨江区江南大道3888号")
    make(rep, kind="enterprise", name="杭州王伟贸易有限公司", city="杭州")
    make(rep, kind="enterprise", name="杭州王伟贸易有限责任公司", city="杭州")
    merge.duplicates_scan()
    assert [p.reasons for p in DuplicatePair.objects.all()] == [["name"]]
    assert DuplicatePair.objects.get().customer_a.kind == "enterprise"


def test_only_managers_and_administrators_scan(rep, manager):
    with pytest.raises(PermissionDenied):
        merge.duplicates_scan(by=rep)
    assert merge.duplicates_scan(by=manager) == 0


def test_a_user_sees_only_pairs_of_customers_they_see_both_of(rep, rep2, manager, outsider, admin):
    a, b = make(rep, name="甲", mobile="13812345678"), make(rep, name="乙", mobile="13812345678")
    theirs = make(rep2, name="丙", mobile="13812345678")
    make(rep, name="丁", email="d@example.com"), make(rep, name="戊", email="d@example.com")
    merge.duplicates_scan()
    pairs = list(dedup_selectors.duplicate_pairs(user=rep))
    assert pair_of(a, b) in pairs and pair_of(a, theirs) not in pairs and len(pairs) == 2
    assert pairs[0].score >= pairs[1].score
    assert dedup_selectors.duplicate_pairs(user=manager).count() == 4 == dedup_selectors.duplicate_pairs(user=admin).count()
    assert not dedup_selectors.duplicate_pairs(user=outsider).exists()
    assert not dedup_selectors.duplicate_pairs(user=rep, status="dismissed").exists()


@pytest.fixture
def twins(rep, rep2, agent, products):
    """One firm entered twice, each record with its own contacts, calls, orders and sharing."""
    survivor = make(rep, name="杭州明远科技有限公司", mobile="13812345678", industry="软件", tags="VIP")
    other = make(rep, name="杭州明远科技有限责任公司", mobile="13812345678", phone="0571-88886666", industry="", email="mingyuan@example.com", tags="VIP, 老客户", registered_capital="500")
    for customer in (survivor, other):
        ContactFactory(customer=customer)
        InteractionFactory(customer=customer)
        buy(customer, rep, [products["filter"]], [30])
        services.customer_grant_access(by=rep, customer=customer, user=rep2, kind="shared")
    services.customer_grant_access(by=rep, customer=other, user=agent, kind="service")
    CustomerValue.objects.create(customer=other, owner_id=rep.pk, team_id=rep.team_id, computed_at=timezone.now(), orders=1)
    return survivor, other


def related(customer):
    return {
        "contacts": set(Contact.objects.filter(customer=customer).values_list("pk", flat=True)),
        "interactions": set(Interaction.objects.filter(customer=customer).values_list("pk", flat=True)),
        "orders": set(Order.objects.filter(customer=customer).values_list("pk", flat=True)),
        "grants": set(CustomerAccess.objects.filter(customer=customer).values_list("user", "kind")),
        "value": CustomerValue.objects.filter(customer=customer).exists(),
        "tags": set(customer.tags.values_list("name", flat=True)),
    }


def fields(customer):
    customer.refresh_from_db()
    return {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields if f.attname != "updated_at"}


def test_merge_takes_the_chosen_values_and_moves_everything_over(rep, rep2, agent, twins):
    survivor, other = twins
    before_s, before_o = related(survivor), related(other)
    choices = {"name": "other", "phone": "other", "email": "other", "industry": "other", "registered_capital": "other", "grade": "survivor"}
    done = merge.customer_merge(by=rep, survivor=survivor, other=other, choices=choices)
    survivor.refresh_from_db()
    other.refresh_from_db()
    assert survivor.name == "杭州明远科技有限责任公司" and survivor.name_pinyin.startswith("hangzhou")
    assert (survivor.phone, survivor.email, str(survivor.registered_capital)) == ("+8657188886666", "mingyuan@example.com", "500.00")
    assert survivor.industry == ""  # chosen, though empty
    assert other.deleted_at is not None and other.deleted_by == rep
    after = related(survivor)
    for name in ("contacts", "interactions", "orders"):
        assert after[name] == before_s[name] | before_o[name]
        assert not related(other)[name]
    assert after["grants"] == {(rep2.pk, "shared"), (agent.pk, "service")}
    assert after["tags"] == {"VIP", "老客户"}
    assert not CustomerValue.objects.filter(customer=other).exists()
    assert set(done.moved["rows"]) >= {"customers.Contact.customer", "interactions.Interaction.customer", "analytics.Order.customer"}
    assert {row["model"] for row in done.moved["dropped"]} == {"customers.customeraccess", "analytics.customervalue"}


def test_a_merge_is_in_both_histories(rep, twins):
    survivor, other = twins
    with translation.override("en"):
        merge.customer_merge(by=rep, survivor=survivor, other=other, choices={"email": "other"})
    mine = ChangeRecord.objects.filter(customer=survivor).first()
    assert mine.action == "updated" and mine.actor == rep
    by_field = {c["field"]: c for c in mine.changes}
    assert by_field["merged_from"]["new"] == f"杭州明远科技有限责任公司 (#{other.pk})" and by_field["merged_from"]["label"] == "merged from"
    assert by_field["email"]["new"] == "mingyuan@example.com" and by_field["tags"]["new"] == "VIP, 老客户"
    theirs = ChangeRecord.objects.filter(customer=other).first()
    assert theirs.action == "deleted" and theirs.changes == [{"field": "merged_into", "label": "merged into", "old": "", "new": f"杭州明远科技有限公司 (#{survivor.pk})"}]
    assert [m.other for m in dedup_selectors.merge_history(user=rep, customer=survivor)] == [other]


def test_undo_puts_back_exactly_what_the_merge_changed(rep, twins):
    survivor, other = twins
    merge.duplicates_scan()
    before = fields(survivor), fields(other), related(survivor), related(other)
    done = merge.customer_merge(by=rep, survivor=survivor, other=other, choices={"name": "other", "phone": "other", "registered_capital": "other"})
    assert pair_of(survivor, other).status == "merged"
    merge.customer_merge_undo(by=rep, merge=done)
    assert (fields(survivor), fields(other), related(survivor), related(other)) == before
    assert pair_of(survivor, other).status == "open"
    done.refresh_from_db()
    assert done.is_undone and done.undone_by == rep
    assert [r.action for r in ChangeRecord.objects.filter(customer=other)[:2]] == ["restored", "deleted"]
    with pytest.raises(ValidationFailed):
        merge.customer_merge_undo(by=rep, merge=done)


def test_undo_keeps_a_value_changed_after_the_merge(rep, twins):
    survivor, other = twins
    done = merge.customer_merge(by=rep, survivor=survivor, other=other, choices={"phone": "other", "email": "other"})
    services.customer_update(by=rep, customer=survivor, data={"email": "new@example.com"})
    merge.customer_merge_undo(by=rep, merge=done)
    survivor.refresh_from_db()
    assert (survivor.phone, survivor.email) == ("", "new@example.com")


def test_undo_waits_for_a_later_merge_of_either_customer(rep):
    a, b, c = (make(rep, name=n) for n in ("甲", "乙", "丙"))
    first = merge.customer_merge(by=rep, survivor=a, other=b, choices={})
    second = merge.customer_merge(by=rep, survivor=c, other=a, choices={})
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        merge.customer_merge_undo(by=rep, merge=first)
    assert refused.value.message == "“丙” and “甲” were merged after this; undo that merge first."
    merge.customer_merge_undo(by=rep, merge=second)
    merge.customer_merge_undo(by=rep, merge=first)
    assert Customer.objects.filter(deleted_at__isnull=True).count() == 3


def test_a_rep_cannot_merge_a_customer_they_cannot_change(rep, rep2, customer):
    theirs = make(rep2, name="张三")
    services.customer_grant_access(by=rep2, customer=theirs, user=rep, kind="shared")  # seen, not changeable
    with pytest.raises(PermissionDenied):
        merge.customer_merge(by=rep, survivor=customer, other=theirs, choices={})
    with pytest.raises(PermissionDenied):
        merge.customer_merge(by=rep2, survivor=theirs, other=customer, choices={})
    assert not Customer.objects.filter(deleted_at__isnull=False).exists()


def test_merge_refuses_bad_choices_itself_and_deleted_records(rep, manager, customer, enterprise):
    with pytest.raises(ValidationFailed) as bad:
        merge.customer_merge(by=rep, survivor=customer, other=enterprise, choices={"owner": "other", "name": "both"})
    assert set(bad.value.fields) == {"owner", "name"}
    with pytest.raises(ValidationFailed):
        merge.customer_merge(by=rep, survivor=customer, other=customer, choices={})
    services.customer_delete(by=rep, customer=enterprise)
    with pytest.raises(ValidationFailed):
        merge.customer_merge(by=manager, survivor=customer, other=enterprise, choices={})


def test_a_manager_merges_within_the_team(manager, rep, rep2, customer):
    theirs = make(rep2, name="张三", kind="individual")
    done = merge.customer_merge(by=manager, survivor=customer, other=theirs, choices={})
    assert done.survivor == customer and Customer.objects.get(pk=theirs.pk).deleted_at is not None


def test_contacts_of_one_customer_are_found_and_merged_with_their_interactions(rep, customer):
    first = services.contact_create(by=rep, customer=customer, data={"name": "李雷", "mobile": "13812345678", "title": "经理"})
    second = services.contact_create(by=rep, customer=customer, data={"name": "李 雷", "mobile": "138-1234-5678", "email": "li@example.com"})
    services.contact_create(by=rep, customer=customer, data={"name": "韩梅梅"})
    calls = [InteractionFactory(customer=customer, contact=second) for _ in range(2)]
    found = dedup_selectors.contact_duplicates(user=rep, customer=customer)
    assert [(p.a, p.b, p.reasons) for p in found] == [(first, second, ["mobile", "name"])]
    done = merge.contact_merge(by=rep, survivor=first, other=second, choices={"email": "other"})
    first.refresh_from_db()
    assert first.email == "li@example.com" and first.title == "经理"
    assert set(Interaction.objects.filter(contact=first)) == set(calls)
    assert Contact.objects.get(pk=second.pk).deleted_at is not None
    assert not dedup_selectors.contact_duplicates(user=rep, customer=customer)
    merge.contact_merge_undo(by=rep, merge=done)
    first.refresh_from_db()
    assert first.email == "" and set(Interaction.objects.filter(contact=second)) == set(calls)
    assert Contact.objects.get(pk=second.pk).deleted_at is None


def test_contacts_merge_only_within_one_customer_by_who_may_change_it(rep, rep2, customer, enterprise):
    mine = ContactFactory(customer=customer)
    with pytest.raises(ValidationFailed):
        merge.contact_merge(by=rep, survivor=mine, other=ContactFactory(customer=enterprise), choices={})
    with pytest.raises(PermissionDenied):
        merge.contact_merge(by=rep2, survivor=mine, other=ContactFactory(customer=customer), choices={})


def test_a_later_contact_merge_holds_back_undoing_the_customer_merge(rep, twins):
    survivor, other = twins
    done = merge.customer_merge(by=rep, survivor=survivor, other=other, choices={})
    one, two = Contact.objects.filter(customer=survivor)
    merge.contact_merge(by=rep, survivor=one, other=two, choices={})
    with pytest.raises(ValidationFailed):
        merge.customer_merge_undo(by=rep, merge=done)


def test_the_command_scans_and_lists_the_likeliest_pairs(rep, rep2):
    make(rep, name="甲", mobile="13812345678"), make(rep, name="乙", mobile="13812345678")
    make(rep2, name="丙", phone="0571-88886666"), make(rep2, name="丁", phone="0571-88886666")
    out = io.StringIO()
    call_command("dedup", "--min-score", "0.8", stdout=out)
    text = out.getvalue()
    assert "甲" in text and "95%" in text and "丙" not in text and "1 pair" in text
    out = io.StringIO()
    call_command("dedup", "--as", "rep2", stdout=out)
    assert "丙" in out.getvalue() and "甲" not in out.getvalue()
