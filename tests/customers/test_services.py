import pytest

from manyi.core.errors import PermissionDenied, ValidationFailed
from manyi.customers import selectors, services
from manyi.customers.models import ChangeRecord, Customer

pytestmark = pytest.mark.django_db


def test_create_normalises_and_records_history(rep):
    c = services.customer_create(by=rep, data={"name": "张三", "kind": "individual", "mobile": "138 1234 5678", "tags": "VIP，老客户"})
    assert c.mobile == "+8613812345678" and c.name_pinyin == "zhangsan" and c.name_initials == "zs"
    assert c.owner == rep and c.team_id == rep.team_id
    assert sorted(t.name for t in c.tags.all()) == ["VIP", "老客户"]
    record = ChangeRecord.objects.get(customer=c)
    assert record.action == "created" and any(ch["field"] == "mobile" for ch in record.changes)


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "张三", "mobile": "12345"}, "mobile"),
        ({"name": "张三", "email": "not-an-email"}, "email"),
        ({"name": "张三", "grade": "Z"}, "grade"),
        ({"name": "张三", "employee_count": -5}, "employee_count"),
        ({"name": "张三", "credit_code": "123"}, "credit_code"),
        ({"name": "张三", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_nothing_is_saved(rep, data, field):
    with pytest.raises(ValidationFailed) as exc:
        services.customer_create(by=rep, data=data)
    assert field in exc.value.fields
    assert not Customer.objects.exists()


def test_update_records_old_and_new_values(rep, customer):
    services.customer_update(by=rep, customer=customer, data={"grade": "A", "phone": "010-88886666"})
    record = ChangeRecord.objects.filter(customer=customer, action="updated").get()
    by_field = {c["field"]: c for c in record.changes}
    assert by_field["grade"]["old"] == "C" and by_field["grade"]["new"] == "A"
    assert by_field["phone"]["new"] == "+861088886666"


def test_other_rep_cannot_update(rep2, customer):
    with pytest.raises(PermissionDenied):
        services.customer_update(by=rep2, customer=customer, data={"grade": "A"})
    customer.refresh_from_db()
    assert customer.grade == "C"


def test_analyst_cannot_create(analyst):
    with pytest.raises(PermissionDenied):
        services.customer_create(by=analyst, data={"name": "张三"})


def test_manager_can_reassign_within_team_only(manager, rep, rep2, outsider, customer):
    services.customer_update(by=manager, customer=customer, data={"owner": rep2})
    customer.refresh_from_db()
    assert customer.owner == rep2
    with pytest.raises(ValidationFailed) as exc:
        services.customer_update(by=manager, customer=customer, data={"owner": outsider})
    assert "owner" in exc.value.fields


def test_sensitive_history_is_masked_for_others(rep, manager, agent, customer):
    services.customer_update(by=rep, customer=customer, data={"health_notes": "糖尿病"})
    services.customer_grant_access(by=rep, customer=customer, user=agent, kind="service")
    masked = selectors.change_history(user=agent, customer=customer)
    values = [c["new"] for r in masked for c in r.changes if c["field"] == "health_notes"]
    assert values == ["•••"]
    plain = selectors.change_history(user=manager, customer=customer)
    assert [c["new"] for r in plain for c in r.changes if c["field"] == "health_notes"] == ["糖尿病"]


def test_search_by_pinyin_initials_phone_and_tag(rep):
    c = services.customer_create(by=rep, data={"name": "张三", "mobile": "13812345678", "tags": ["VIP"]})
    services.customer_create(by=rep, data={"name": "李四"})
    for q in ("zhangsan", "zs", "张", "138123", "VIP", "zhang"):
        assert list(selectors.customer_list(user=rep, filters=selectors.CustomerFilters(q=q))) == [c], q


def test_longest_names_fit_their_search_columns(rep):
    c = services.customer_create(by=rep, data={"name": "张" * 200})
    assert c.name_pinyin.startswith("zhangzhang") and len(c.name_pinyin) <= 400
    contact = services.contact_create(by=rep, customer=c, data={"name": "庄" * 64})
    contact.refresh_from_db()
    assert contact.name_initials == "z" * 64
