"""Rows to arrays: the refresh's reads and the numpy join of lines to orders."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from manyi.analytics import arrays
from tests.factories import CustomerFactory, buy


@pytest.mark.parametrize("ids", [np.array([3, 4, 7, 9]), np.array([5, 10**12, 10**13])], ids=["dense", "sparse"])
def test_positions_finds_each_id_or_says_it_is_missing(ids):
    wanted = np.array([9, 3, 8, -1, 10**14, 7, ids[-1]])
    index, known = arrays.positions(ids, wanted)
    expected = [list(ids).index(w) if w in ids else None for w in wanted]
    assert [int(i) if k else None for i, k in zip(index, known, strict=True)] == expected


@pytest.mark.django_db
def test_sales_keep_counted_orders_of_live_customers_and_first_purchase_days(rep, customer, products):
    other = CustomerFactory(name="李四", owner=rep)
    buy(customer, rep, [products["filter"], products["care"]], [40, 10])
    buy(customer, rep, [products["purifier"]], [5], status="cancelled")
    buy(other, rep, [products["filter"]], [20, 2])
    buy(other, rep, [products["lock"]], [1])
    customers = arrays.read_customers()
    sales = arrays.read_sales(customers, as_of=timezone.localdate() - dt.timedelta(days=2))
    today = arrays.day_number(timezone.localdate())
    bought = {
        (int(customers.id[c]), int(sales.purchases.product_ids[p]), today - int(d))
        for c, p, d in zip(sales.purchases.customer, sales.purchases.product, sales.purchases.first_day, strict=True)
    }
    assert bought == {
        (customer.pk, products["filter"].pk, 40), (customer.pk, products["care"].pk, 40), (other.pk, products["filter"].pk, 20),
    }  # fmt: skip
    per_customer = sorted(zip(customers.id[sales.orders.customer].tolist(), (today - sales.orders.day).tolist(), strict=True))
    assert per_customer == sorted([(customer.pk, 40), (customer.pk, 10), (other.pk, 20), (other.pk, 2)])


def test_value_buckets_are_tenths_of_a_decade_as_the_charts_label_them():
    from manyi.analytics.refresh import value_bucket
    from manyi.analytics.selectors import _bucket_edges

    values = np.array([0.0, 0.5, 239.0, 251.0, 252.0, 1e6])
    buckets = value_bucket(values)
    assert buckets[0] == 0
    for value, bucket in zip(values[2:], buckets[2:], strict=True):
        low, high = _bucket_edges(int(bucket))
        assert low < value <= high * (1 + 1e-12), (value, bucket, low, high)
    assert buckets[1] == 1
