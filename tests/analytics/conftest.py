"""A small shop for the analytics tests: products, and customers of the shared
cast with order histories of known shape."""

import random

import pytest
from django.utils import translation

from tests.factories import CustomerFactory, buy


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English; zh-hans is the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def shop(rep, rep2, outsider, customer, products):
    """Thirty of rep's customers, ten of rep2's and ten of the outsider's.
    By i % 5: 0 bought once; 1 bought often and stopped over a year ago
    (lapsed); 2, 3 buy now and then up to now; 4 as well, except the
    outsider's two who never ordered. `customer` buys regularly."""
    p = products
    rng = random.Random(6)
    buy(customer, rep, [p["purifier"]], [400])
    buy(customer, rep, [p["filter"], p["care"]], [300, 200, 120, 60, 20])
    made = {"rep": [customer], "rep2": [], "outsider": []}
    for i in range(50):
        owner = rep if i < 30 else rep2 if i < 40 else outsider
        c = CustomerFactory(name=f"客户{i:02d}", owner=owner)
        made[owner.username].append(c)
        kind = i % 5
        if kind == 0:
            buy(c, owner, [p["lock"]], [200 + i])
        elif kind == 1:
            buy(c, owner, [p["purifier"]], [720])
            buy(c, owner, [p["filter"]], sorted({rng.randint(420, 700) for _ in range(rng.randint(5, 9))}, reverse=True))
        elif kind == 4 and i > 40:
            continue
        else:
            buy(c, owner, [p["purifier"]], [rng.randint(300, 700)])
            extra = [p["care"]] if i % 2 else []
            buy(c, owner, [p["filter"], *extra], sorted({rng.randint(0, 290) for _ in range(rng.randint(1, 6))}, reverse=True))
    return made
