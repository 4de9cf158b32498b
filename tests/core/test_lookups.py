"""The `prefix` lookup must be exact about metacharacters on both databases."""

import pytest

from manyi.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["100%纯", "a_b公司", "星*号", "问?号", "[括号]", "back\\slash"])
def test_prefix_matches_literally(rep, name):
    target = CustomerFactory(name=name, owner=rep)
    CustomerFactory(name="100X纯", owner=rep)
    CustomerFactory(name="aXb公司", owner=rep)
    CustomerFactory(name="星星号", owner=rep)
    CustomerFactory(name="问问号", owner=rep)
    CustomerFactory(name="括号]", owner=rep)
    found = list(Customer.objects.filter(name__prefix=name[:-1]))
    assert found == [target]


def test_prefix_is_case_sensitive_and_callers_lower_case(rep):
    CustomerFactory(name="Apple", owner=rep)
    assert not Customer.objects.filter(name__prefix="apple").exists()
    assert Customer.objects.filter(name_pinyin__prefix="apple").exists()

