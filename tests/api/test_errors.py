"""Every error is JSON with a stable code; field errors name the field."""

import pytest

from manyi.api.errors import field_name

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.mark.parametrize(
    "loc,name",
    [
        (("body", "payload", "name"), "name"),
        (("body", "payload", "tags", 3), "tags"),
        (("body", "payload"), "payload"),
        (("query", "page_size"), "page_size"),
        (("path", "customer_id"), "customer_id"),
    ],
)
def test_field_name_flattens_pydantic_locations(loc, name):
    assert field_name(loc) == name


@pytest.mark.parametrize("path", ["/api/v1/customers/0", "/api/v1/customers/abc", f"/api/v1/customers/{2**64}", f"/api/v1/contacts/{2**63}"])
def test_ids_out_of_range_are_422_not_a_crash(as_user, rep, path):
    response = as_user(rep).get(path)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and set(body["fields"]) <= {"customer_id", "contact_id"}


def test_body_with_a_json_array_is_a_validation_error(as_user, rep):
    response = as_user(rep).post("/api/v1/customers", ["张三"], content_type=JSON)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_wrong_method_is_405(as_user, rep):
    assert as_user(rep).put("/api/v1/customers", {}, content_type=JSON).status_code == 405
