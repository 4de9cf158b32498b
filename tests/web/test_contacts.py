import pytest
from django.urls import reverse

from manyi.customers.models import ChangeRecord, Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_add_a_key_person(as_user, rep, enterprise):
    response = as_user(rep).post(reverse("web:contact_new", args=[enterprise.pk]), {
        "name": "李娜", "title": "采购经理", "mobile": "13812345678", "is_key_person": "on", "key_role": "决策者",
        "influence": "high", "social_style": "analytical",
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"].endswith("#contacts")
    contact = Contact.objects.get()
    assert contact.customer == enterprise and contact.is_key_person and contact.mobile == "+8613812345678"
    body = as_user(rep).get(reverse("web:customer_detail", args=[enterprise.pk])).content.decode()
    assert "李娜" in body and "决策者" in body and "138 1234 5678" in body
    assert "Bring data, specifications and written evidence." in body  # analytical advice


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 65}, "name", "at most 64 characters"),
        ({"mobile": "12345"}, "mobile", "is not a valid phone number"),
        ({"email": "nope"}, "email", "Enter a valid email address."),
        ({"birthday": "yesterday"}, "birthday", "Enter a valid date."),
        ({"influence": "huge"}, "influence", "Select a valid choice."),
    ],
)
def test_bad_contact_input_is_shown_next_to_the_field(as_user, rep, enterprise, data, field, message):
    client = as_user(rep)
    existing = ContactFactory(customer=enterprise, name="王五")
    for url in (reverse("web:contact_new", args=[enterprise.pk]), reverse("web:contact_edit", args=[existing.pk])):
        response = client.post(url, {"name": "赵六", **data})
        body = response.content.decode()
        assert response.status_code == 200
        start = body.index(f'name="{field}"')
        assert message in body[start : body.index("</div>", body.index("invalid-feedback", start))], url
    assert list(Contact.objects.values_list("name", flat=True)) == ["王五"]
    assert not ChangeRecord.objects.exists()


def test_edit_and_delete_a_contact(as_user, rep, enterprise):
    contact = ContactFactory(customer=enterprise, name="王五")
    client = as_user(rep)
    assert client.post(reverse("web:contact_edit", args=[contact.pk]), {"name": "王五", "title": "总经理"}).status_code == 302
    contact.refresh_from_db()
    assert contact.title == "总经理"
    assert client.post(reverse("web:contact_delete", args=[contact.pk])).status_code == 302
    contact.refresh_from_db()
    assert contact.deleted_at is not None
    assert "王五" not in client.get(reverse("web:customer_detail", args=[enterprise.pk])).content.decode().split('id="contacts"')[1].split('id="activity"')[0]


def test_a_serving_agent_sees_contacts_but_cannot_change_them(as_user, agent, enterprise):
    from manyi.customers.models import CustomerAccess

    CustomerAccess.objects.create(customer=enterprise, user=agent, kind="service")
    contact = ContactFactory(customer=enterprise, name="王五")
    client = as_user(agent)
    assert "王五" in client.get(reverse("web:customer_detail", args=[enterprise.pk])).content.decode()
    assert client.get(reverse("web:contact_edit", args=[contact.pk])).status_code == 403
    assert client.post(reverse("web:contact_delete", args=[contact.pk])).status_code == 403
    contact.refresh_from_db()
    assert contact.deleted_at is None
