import pytest

from manyi.customers.models import ChangeRecord, Contact, CustomerAccess

pytestmark = pytest.mark.django_db

JSON = "application/json"


def contacts_url(customer):
    return f"/api/v1/customers/{customer.pk}/contacts"


def contact_url(contact):
    return f"/api/v1/contacts/{contact.pk}"


def test_rep_lists_and_reads_contacts(as_user, rep, customer, contact):
    client = as_user(rep)
    listing = client.get(contacts_url(customer)).json()
    assert listing["total"] == 1 and listing["items"][0]["name"] == "李经理"
    body = client.get(contact_url(contact)).json()
    assert (body["id"], body["customer_id"], body["mobile"]) == (contact.pk, customer.pk, "+8613900001111")


@pytest.mark.parametrize("who", ["rep2", "outsider"])
def test_others_get_404_for_reps_contacts(as_user, customer, contact, who, request):
    client = as_user(request.getfixturevalue(who))
    for url in (contacts_url(customer), contact_url(contact)):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("who", ["manager", "analyst", "admin"])
def test_manager_analyst_and_admin_read_the_teams_contacts(as_user, contact, who, request):
    assert as_user(request.getfixturevalue(who)).get(contact_url(contact)).status_code == 200


def test_create_contact(as_user, rep, customer):
    data = {"name": "王工", "title": "采购总监", "mobile": "139 0000 2222", "is_key_person": True, "influence": "high"}
    response = as_user(rep).post(contacts_url(customer), data, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mobile"], body["is_key_person"], body["influence"]) == ("+8613900002222", True, "high")
    assert ChangeRecord.objects.filter(customer=customer, contact_id=body["id"], action="created").exists()


BAD_CONTACTS = [
    pytest.param({}, "name", id="missing-name"),
    pytest.param({"name": "李" * 65}, "name", id="name-too-long"),
    pytest.param({"name": 7}, "name", id="name-wrong-type"),
    pytest.param({"name": "李四", "mobile": "999"}, "mobile", id="invalid-phone"),
    pytest.param({"name": "李四", "email": "li@@example"}, "email", id="invalid-email"),
    pytest.param({"name": "李四", "influence": "huge"}, "influence", id="bad-enum"),
    pytest.param({"name": "李四", "is_key_person": "perhaps"}, "is_key_person", id="bool-wrong-type"),
    pytest.param({"name": "李四", "customer": 1}, "customer", id="unknown-field"),
]


@pytest.mark.parametrize("data,field", BAD_CONTACTS)
def test_bad_input_on_create_is_422_and_saves_nothing(as_user, rep, customer, data, field):
    response = as_user(rep).post(contacts_url(customer), data, content_type=JSON)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    assert not Contact.objects.exists()


def test_update_contact(as_user, rep, contact):
    response = as_user(rep).patch(contact_url(contact), {"title": "总经理", "email": "LI@Example.com"}, content_type=JSON)
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["email"]) == ("总经理", "li@example.com")
    assert response.json()["name"] == "李经理"


@pytest.mark.parametrize(
    "data,field",
    [
        ({"name": ""}, "name"),
        ({"name": "李" * 65}, "name"),
        ({"birthday": "yesterday"}, "birthday"),
        ({"phone": "12"}, "phone"),
        ({"email": "nope"}, "email"),
        ({"temperament": "sleepy"}, "temperament"),
    ],
)
def test_bad_input_on_update_is_422_and_changes_nothing(as_user, rep, contact, data, field):
    before = Contact.objects.values().get(pk=contact.pk)
    response = as_user(rep).patch(contact_url(contact), data, content_type=JSON)
    assert response.status_code == 422
    assert field in response.json()["fields"]
    assert Contact.objects.values().get(pk=contact.pk) == before


def test_delete_contact_hides_it(as_user, rep, customer, contact):
    client = as_user(rep)
    assert client.delete(contact_url(contact)).status_code == 204
    assert client.get(contact_url(contact)).status_code == 404
    assert client.get(contacts_url(customer)).json()["items"] == []
    assert Contact.objects.filter(pk=contact.pk, deleted_at__isnull=False).exists()


@pytest.mark.parametrize("who,status", [("rep2", 404), ("outsider", 404), ("agent", 403), ("analyst", 403)])
def test_who_may_not_write_contacts(as_user, customer, contact, agent, who, status, request):
    CustomerAccess.objects.create(customer=customer, user=agent, kind="service")
    client = as_user(request.getfixturevalue(who))
    before = Contact.objects.values().get(pk=contact.pk)
    responses = [
        client.post(contacts_url(customer), {"name": "新人"}, content_type=JSON),
        client.patch(contact_url(contact), {"title": "x"}, content_type=JSON),
        client.delete(contact_url(contact)),
    ]
    assert [r.status_code for r in responses] == [status] * 3
    assert Contact.objects.values().get(pk=contact.pk) == before and Contact.objects.count() == 1
