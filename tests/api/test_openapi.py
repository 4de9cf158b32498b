"""The OpenAPI document, and schemathesis fuzzing every route against it."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from manyi.accounts.services import api_token_issue
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
schema.config.generation.update(allow_extra_parameters=False)
schema.config.phases.coverage.enabled = False


def test_openapi_document_and_docs_page(client):
    doc = client.get("/api/openapi.json").json()
    components = doc["components"]["schemas"]
    customer_in = components["CustomerIn"]
    assert customer_in["required"] == ["name"]
    assert customer_in["properties"]["name"]["maxLength"] == 200
    assert customer_in["properties"]["phone"]["maxLength"] == 32
    assert components["Grade"]["enum"] == ["A", "B", "C", "D"]
    assert components["InteractionIn"]["properties"]["subject"]["maxLength"] == 200
    assert doc["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}
    assert "security" not in doc["paths"]["/api/v1/auth/token"]["post"]
    assert "422" in doc["paths"]["/api/v1/customers"]["post"]["responses"]
    assert client.get("/api/docs").status_code == 200


@pytest.fixture
def connection_kept():
    """Keep the test's database connection (and its transaction) open across WSGI
    requests, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(connection_kept, admin, customer, contact, interaction):
    token, _record = api_token_issue(username=admin.username, password=PASSWORD)
    return token


@schema.parametrize()
@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance],
    )
