import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_route_is_json_404(client):
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_wrong_method_is_json_405_with_allow_header(client):
    r = client.put("/api/v1/auth/token")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"
    assert "POST" in r["Allow"]


def test_pages_outside_the_api_keep_html_404(client, rep):
    client.force_login(rep)
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


def test_chinese_text_is_sent_as_utf8_not_escapes(client, rep, customer, password):
    token = client.post("/api/v1/auth/token", {"username": "rep", "password": password}, content_type="application/json").json()["token"]
    r = client.get(f"/api/v1/customers/{customer.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert "张三".encode() in r.content and b"\\u" not in r.content
    assert r["Content-Type"] == "application/json; charset=utf-8"
