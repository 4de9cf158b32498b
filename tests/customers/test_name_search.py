"""Searching a Chinese name by any part of it (华为 finds 北京华为科技有限公司),
answered from the bigram index that database triggers keep."""

import pytest
from django.db import connection

from manyi.customers import selectors, services
from manyi.customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def names(user, q):
    return sorted(c.name for c in selectors.customer_list(user=user, filters=selectors.CustomerFilters(q=q)))


def grams_of(customer):
    with connection.cursor() as cursor:
        cursor.execute("SELECT gram FROM customers_name_gram WHERE customer_id = %s ORDER BY gram", [customer.pk])
        return [row[0] for row in cursor.fetchall()]


def test_two_or_more_characters_match_anywhere_in_the_name(rep):
    CustomerFactory(name="北京华为科技有限公司", owner=rep)
    CustomerFactory(name="华为终端有限公司", owner=rep)
    CustomerFactory(name="上海华通贸易有限公司", owner=rep)
    assert names(rep, "华为") == ["北京华为科技有限公司", "华为终端有限公司"]
    assert names(rep, "为科技") == ["北京华为科技有限公司"]
    assert names(rep, "华为终端有限公司") == ["华为终端有限公司"]
    assert names(rep, "有限公司") == ["上海华通贸易有限公司", "北京华为科技有限公司", "华为终端有限公司"]
    assert names(rep, "为华") == []


def test_one_character_is_a_prefix_only(rep):
    CustomerFactory(name="北京华为科技有限公司", owner=rep)
    CustomerFactory(name="华为终端有限公司", owner=rep)
    assert names(rep, "华") == ["华为终端有限公司"]


def test_search_stays_inside_what_the_user_may_see(rep, outsider):
    CustomerFactory(name="北京华为科技有限公司", owner=rep)
    CustomerFactory(name="深圳华为技术有限公司", owner=outsider)
    assert names(rep, "华为") == ["北京华为科技有限公司"]
    assert names(outsider, "华为") == ["深圳华为技术有限公司"]


def test_the_index_follows_renames_and_deletes(rep):
    customer = services.customer_create(by=rep, data={"name": "杭州鑫瑞科技有限公司"})
    assert "鑫瑞" in grams_of(customer)
    assert names(rep, "鑫瑞") == ["杭州鑫瑞科技有限公司"]
    services.customer_update(by=rep, customer=customer, data={"name": "杭州恒泰科技有限公司"})
    assert "鑫瑞" not in grams_of(customer) and "恒泰" in grams_of(customer)
    assert names(rep, "鑫瑞") == []
    assert names(rep, "恒泰") == ["杭州恒泰科技有限公司"]
    Customer.objects.filter(pk=customer.pk).delete()
    assert grams_of(customer) == []


def test_latin_letters_in_a_chinese_query_follow_the_database_like(rep):
    CustomerFactory(name="苏州ABC电子有限公司", owner=rep)
    found = names(rep, "州ABC")
    assert found == ["苏州ABC电子有限公司"]
    # SQLite's LIKE ignores the case of Latin letters, PostgreSQL's does not; the index keeps either behaviour.
    expected = ["苏州ABC电子有限公司"] if connection.vendor == "sqlite" else []
    assert names(rep, "州abc") == expected
