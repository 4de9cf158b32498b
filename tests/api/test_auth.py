import datetime as dt

import pytest
from django.utils import timezone

from manyi.accounts.models import ApiToken
from manyi.api.api import api

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token"


def test_token_is_issued_for_good_credentials_and_opens_the_api(client, rep, password):
    response = client.post(URL, {"username": "rep", "password": password}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("my_") and body["expires_at"]
    listing = client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert listing.status_code == 200


@pytest.mark.parametrize("username,password", [("rep", "wrong-password"), ("nobody", "Manyi-test-2026")])
def test_wrong_credentials_are_401_and_issue_nothing(client, rep, username, password):
    response = client.post(URL, {"username": username, "password": password}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_token_request_without_password_is_a_validation_error(client, rep):
    response = client.post(URL, {"username": "rep"}, content_type="application/json")
    assert response.status_code == 422
    assert "password" in response.json()["fields"]


@pytest.mark.parametrize(
    "header", [None, "Bearer ", "Bearer my_not-a-real-token", "Token abc", "Basic cmVwOnB3"], ids=str
)
def test_routes_refuse_a_missing_or_unknown_token(client, customer, header):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    response = client.get("/api/v1/customers", **extra)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "change",
    [
        {"revoked_at": timezone.now()},
        {"expires_at": timezone.now() - dt.timedelta(seconds=1)},
    ],
    ids=["revoked", "expired"],
)
def test_revoked_and_expired_tokens_are_refused(as_user, rep, customer, change):
    client = as_user(rep)
    assert client.get(f"/api/v1/customers/{customer.pk}").status_code == 200
    ApiToken.objects.filter(user=rep).update(**change)
    response = client.get(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


def test_inactive_users_token_is_refused(as_user, rep):
    client = as_user(rep)
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    assert client.get("/api/v1/customers").status_code == 401


def operations():
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method in methods:
            if path != URL:
                yield method, path.replace("{customer_id}", "1").replace("{contact_id}", "1").replace("{interaction_id}", "1")


@pytest.mark.parametrize("method,path", list(operations()))
def test_every_other_route_needs_a_token(client, customer, method, path):
    response = getattr(client, method)(path, {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
