"""Clients that speak to the JSON API as one member of the shared cast."""

import pytest
from django.test import Client

from manyi.accounts.services import api_token_issue
from tests.factories import PASSWORD, ContactFactory, InteractionFactory


@pytest.fixture
def as_user(db):
    """as_user(rep) -> a test client that sends rep's bearer token."""

    def make(user) -> Client:
        token, _record = api_token_issue(username=user.username, password=PASSWORD)
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}")

    return make


@pytest.fixture
def contact(customer):
    return ContactFactory(customer=customer, name="李经理", mobile="+8613900001111")


@pytest.fixture
def interaction(customer, contact):
    return InteractionFactory(customer=customer, contact=contact, text="客户对报价不满意")
