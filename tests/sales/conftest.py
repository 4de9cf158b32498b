import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English; zh-hans is the default language, and
    without this the tests would pass only after another test had left
    English active."""
    with translation.override("en"):
        yield
