import pytest


@pytest.fixture
def as_user(client):
    """Log the test client in as one of the cast and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
