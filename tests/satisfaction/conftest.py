import pytest
from django.utils import translation

from manyi.satisfaction.services import survey_invite
from tests.factories import CustomerFactory


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (zh-hans is the default language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def invite(rep):
    """invite(customer, kind, **options) -> (invitation, token), sent by rep."""

    def make(customer, kind="csat", **options):
        options.setdefault("by", rep)
        return survey_invite(customer=customer, kind=kind, **options)

    return make


@pytest.fixture
def person(rep):
    """An individual customer of rep's (the `customer` of the shared cast is an enterprise)."""
    return CustomerFactory(name="李四", kind="individual", owner=rep)
