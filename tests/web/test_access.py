"""Every page of a customer is 404 for people who may not see it, and lists,
search and home show them nothing of it."""

import pytest
from django.urls import reverse

from manyi.customers.models import Customer, CustomerAccess
from tests.factories import ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(customer):
    return ContactFactory(customer=customer, name="李娜")


def customer_pages(customer, contact):
    return [
        ("get", reverse("web:customer_detail", args=[customer.pk])),
        ("get", reverse("web:customer_timeline", args=[customer.pk]) + "?before=2030-01-01T00:00:00%2B08:00"),
        ("get", reverse("web:customer_edit", args=[customer.pk])),
        ("post", reverse("web:customer_edit", args=[customer.pk])),
        ("post", reverse("web:customer_delete", args=[customer.pk])),
        ("post", reverse("web:interaction_new", args=[customer.pk])),
        ("get", reverse("web:contact_new", args=[customer.pk])),
        ("post", reverse("web:contact_new", args=[customer.pk])),
        ("get", reverse("web:contact_edit", args=[contact.pk])),
        ("post", reverse("web:contact_edit", args=[contact.pk])),
        ("post", reverse("web:contact_delete", args=[contact.pk])),
        ("post", reverse("web:grant_add", args=[customer.pk])),
        ("post", reverse("web:grant_remove", args=[customer.pk])),
    ]


@pytest.mark.parametrize("who", ["rep2", "outsider"])
def test_other_people_get_404_on_every_page_of_the_customer(request, as_user, customer, contact, who):
    client = as_user(request.getfixturevalue(who))
    for method, url in customer_pages(customer, contact):
        response = getattr(client, method)(url, {"name": "改名", "grade": "A"})
        assert response.status_code == 404, (method, url)
        assert "张三" not in response.content.decode()
    customer.refresh_from_db()
    contact.refresh_from_db()
    assert customer.name == "张三" and customer.deleted_at is None and contact.deleted_at is None
    assert not customer.interactions.exists() and not CustomerAccess.objects.exists()


@pytest.mark.parametrize("who", ["rep2", "outsider"])
def test_other_people_see_nothing_in_list_search_and_home(request, as_user, customer, who):
    InteractionFactory(customer=customer, subject="机密报价", text="机密报价")
    client = as_user(request.getfixturevalue(who))
    for url in ["/", "/customers/", "/customers/?q=zhangsan", "/customers/?q=zs", "/customers/?q=张三",
                f"/customers/?q={customer.mobile}", "/customers/?sort=name"]:
        body = client.get(url).content.decode()
        assert f"/customers/{customer.pk}/" not in body and "机密报价" not in body, url
        if "q=" not in url:
            assert "张三" not in body, url


def test_the_owner_sees_the_customer_everywhere(as_user, rep, customer):
    client = as_user(rep)
    assert "张三" in client.get("/").content.decode()
    assert "张三" in client.get("/customers/?q=zs").content.decode()
    assert client.get(reverse("web:customer_detail", args=[customer.pk])).status_code == 200


def test_pages_require_login(client, customer):
    for url in ["/", "/me/", "/customers/", "/customers/new/", f"/customers/{customer.pk}/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_deleted_customers_page_is_for_administrators_only(as_user, rep, manager):
    for user in (rep, manager):
        assert as_user(user).get(reverse("web:customer_deleted")).status_code == 403


def test_only_an_administrator_can_restore(as_user, rep, manager, customer):
    Customer.objects.filter(pk=customer.pk).update(deleted_at="2026-01-01T00:00Z")
    for user in (rep, manager):
        assert as_user(user).post(reverse("web:customer_restore", args=[customer.pk])).status_code == 404
    customer.refresh_from_db()
    assert customer.deleted_at is not None


class TestAnalystIsReadOnly:
    def test_sees_the_customer_without_edit_buttons(self, as_user, analyst, customer):
        body = as_user(analyst).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
        assert "张三" in body
        for url in (reverse("web:customer_edit", args=[customer.pk]), reverse("web:customer_delete", args=[customer.pk]),
                    reverse("web:contact_new", args=[customer.pk]), reverse("web:interaction_new", args=[customer.pk])):
            assert url not in body
        assert 'id="interaction-form"' not in body

    def test_list_and_home_have_no_create_button(self, as_user, analyst, customer):
        client = as_user(analyst)
        for url in ("/", "/customers/"):
            body = client.get(url).content.decode()
            assert "张三" in body and reverse("web:customer_new") not in body

    def test_posts_are_refused(self, as_user, analyst, customer):
        client = as_user(analyst)
        contact = ContactFactory(customer=customer)
        refused = [
            client.get(reverse("web:customer_new")),
            client.post(reverse("web:customer_new"), {"name": "新客户", "kind": "individual"}),
            client.get(reverse("web:customer_edit", args=[customer.pk])),
            client.post(reverse("web:customer_edit", args=[customer.pk]), {"name": "改名"}),
            client.post(reverse("web:customer_delete", args=[customer.pk])),
            client.post(reverse("web:interaction_new", args=[customer.pk]), {"kind": "call", "text": "x"}),
            client.post(reverse("web:contact_new", args=[customer.pk]), {"name": "王五"}),
            client.post(reverse("web:contact_edit", args=[contact.pk]), {"name": "王五"}),
            client.post(reverse("web:contact_delete", args=[contact.pk])),
        ]
        assert [r.status_code for r in refused] == [403] * len(refused)
        customer.refresh_from_db()
        assert customer.name == "张三" and customer.deleted_at is None
        assert Customer.objects.count() == 1 and not customer.interactions.exists()
        assert customer.contacts.get().deleted_at is None


def test_sensitive_fields_are_hidden_from_a_serving_agent(as_user, agent, customer):
    CustomerAccess.objects.create(customer=customer, user=agent, kind="service")
    body = as_user(agent).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "张三" in body and "高血压" not in body and "年薪50万" not in body


def test_the_owner_sees_sensitive_fields(as_user, rep, customer):
    customer.kind = "individual"
    customer.save()
    body = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "高血压" in body and "年薪50万" in body
