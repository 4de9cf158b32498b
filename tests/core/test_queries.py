import pytest

from manyi.core.queries import QueryTemplate, stand_ins
from manyi.customers.models import Customer
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


def test_stand_ins_are_distinct_and_never_real_values():
    marks = stand_ins("a", "b", "c")
    assert len(set(marks.values())) == 3
    assert all(v < -10**12 for v in marks.values())
