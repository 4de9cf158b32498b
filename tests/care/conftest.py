import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages and greeting drafts are checked in English unless a test says otherwise."""
    with translation.override("en"):
        yield
