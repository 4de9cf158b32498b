import pytest

from manyi.core.queries import QueryTemplate, stand_ins
from manyi.customers.models import Customer, Tag
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_template_reruns_its_sql_with_other_values(rep, rep2):
    mine, theirs = CustomerFactory(owner=rep), CustomerFactory(owner=rep2)
    built = []

    def build(key, owner):
        built.append(key)
        return Customer.objects.filter(owner_id=owner).order_by("id")

    template = QueryTemplate("owner", build=build)
    assert template.raw("k", owner=rep.pk) == [mine]
    assert template.raw("k", owner=rep2.pk) == [theirs]
    assert built == ["k"]  # compiled once


def test_text_stand_ins_and_constants_keep_their_places(rep):
    CustomerFactory(owner=rep).tags.create(name="VIP")
    template = QueryTemplate("name", text=("name",), build=lambda key, name: Tag.objects.filter(name=name, id__gt=0))
    assert [t.name for t in template.raw(None, name="VIP")] == ["VIP"]
    assert template.raw(None, name="普通") == []
    sql, params = template.sql(None, name="VIP")
    assert sorted(params, key=str) == [0, "VIP"]


def test_stand_ins_are_distinct_and_never_real_values():
    marks = stand_ins("a", "b", "c", text=("c",))
    assert len(set(marks.values())) == 3
    assert all(v < -10**12 for v in (marks["a"], marks["b"])) and "\x00" in marks["c"]
