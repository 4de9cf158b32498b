import pytest
from django.urls import reverse

from manyi.customers import access
from manyi.customers.models import SENSITIVE_FIELDS, ChangeRecord, Customer
from manyi.web.forms import CustomerForm

pytestmark = pytest.mark.django_db


def test_the_new_customer_form_renders_with_autofocus_and_both_profiles(as_user, rep):
    body = as_user(rep).get(reverse("web:customer_new")).content.decode()
    assert 'name="name"' in body and "autofocus" in body
    assert 'data-kind="enterprise"' in body and 'data-kind="individual"' in body
    assert 'name="owner"' not in body


def test_a_rep_creates_a_customer(as_user, rep):
    response = as_user(rep).post(reverse("web:customer_new"), {
        "kind": "individual", "name": "欧阳娜娜", "category": "consumer", "importance": "key", "grade": "A",
        "depth": "contact", "mobile": "138 1234 5678", "tags": "VIP，老客户", "employee_count": "",
    })  # fmt: skip
    customer = Customer.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:customer_detail", args=[customer.pk])
    assert customer.owner == rep and customer.mobile == "+8613812345678" and customer.name_initials == "oynn"
    assert sorted(t.name for t in customer.tags.all()) == ["VIP", "老客户"]


BAD_INPUT = [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "x" * 201}, "name", "at most 200 characters"),
    ({"employee_count": "abc"}, "employee_count", "Enter a whole number."),
    ({"registered_capital": "lots"}, "registered_capital", "Enter a number."),
    ({"mobile": "12345"}, "mobile", "is not a valid phone number"),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ({"grade": "Z"}, "grade", "Select a valid choice."),
    ({"birthday": "2024-13-45"}, "birthday", "Enter a valid date."),
    ({"credit_code": "123"}, "credit_code", "18 letters and digits"),
]


def _post(client, url, data):
    base = {"kind": "enterprise", "name": "华为", "category": "consumer", "importance": "ordinary", "grade": "C", "depth": "awareness"}
    return client.post(url, {**base, **data})


def _error_next_to(body: str, field: str, message: str) -> bool:
    """The message is rendered in the field's own block, right after its input."""
    start = body.index(f'name="{field}"')
    block = body[start : body.index("</div>\n", body.index("invalid-feedback", start)) + 6]
    return message in block


@pytest.mark.parametrize("data,field,message", BAD_INPUT)
def test_bad_input_on_create_is_shown_next_to_the_field_and_nothing_is_saved(as_user, rep, data, field, message):
    response = _post(as_user(rep), reverse("web:customer_new"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert _error_next_to(body, field, message)
    assert 'aria-invalid="true"' in body
    assert not Customer.objects.exists()


@pytest.mark.parametrize("data,field,message", BAD_INPUT)
def test_bad_input_on_edit_changes_nothing(as_user, rep, enterprise, data, field, message):
    before = Customer.objects.filter(pk=enterprise.pk).values().get()
    response = _post(as_user(rep), reverse("web:customer_edit", args=[enterprise.pk]), data)
    assert response.status_code == 200 and _error_next_to(response.content.decode(), field, message)
    assert Customer.objects.filter(pk=enterprise.pk).values().get() == before
    assert not ChangeRecord.objects.exists()


def test_edit_shows_phones_readably_and_records_the_change(as_user, rep, enterprise):
    client = as_user(rep)
    url = reverse("web:customer_edit", args=[enterprise.pk])
    assert "139 0000 " in client.get(url).content.decode()
    response = _post(client, url, {"name": enterprise.name, "grade": "A", "mobile": enterprise.mobile})
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.grade == "A"
    change = ChangeRecord.objects.get(customer=enterprise)
    assert [c["field"] for c in change.changes] == ["grade"]


def test_a_manager_picks_the_owner_from_the_team(as_user, manager, rep, rep2, outsider, customer):
    client = as_user(manager)
    body = client.get(reverse("web:customer_edit", args=[customer.pk])).content.decode()
    assert 'name="owner"' in body and "赵丽" in body and "外人" not in body
    _post(client, reverse("web:customer_edit", args=[customer.pk]), {"name": "张三", "owner": rep2.pk})
    customer.refresh_from_db()
    assert customer.owner == rep2


def test_a_manager_cannot_hand_a_customer_to_another_team(as_user, manager, outsider, customer):
    response = _post(as_user(manager), reverse("web:customer_edit", args=[customer.pk]), {"name": "张三", "owner": outsider.pk})
    assert _error_next_to(response.content.decode(), "owner", "Select a valid choice.")
    customer.refresh_from_db()
    assert customer.owner.username == "rep"


def test_the_team_manager_edits_sensitive_fields(as_user, manager, customer):
    body = as_user(manager).get(reverse("web:customer_edit", args=[customer.pk])).content.decode()
    assert 'name="health_notes"' in body and "高血压" in body


def test_sensitive_fields_are_left_out_for_an_editor_who_may_not_see_them(rep, customer, monkeypatch):
    monkeypatch.setattr(access, "can_see_sensitive", lambda user, customer: False)
    form = CustomerForm(user=rep, instance=customer)
    assert not set(SENSITIVE_FIELDS) & set(form.fields)
    assert "高血压" not in str(form)


def test_every_error_shows_in_one_round(as_user, rep):
    body = _post(as_user(rep), reverse("web:customer_new"), {"email": "bad@", "mobile": "12345", "credit_code": "123"}).content.decode()
    assert _error_next_to(body, "email", "Enter a valid email address.")
    assert _error_next_to(body, "mobile", "is not a valid phone number")
    assert _error_next_to(body, "credit_code", "18 letters and digits")
    assert not Customer.objects.exists()


def test_the_form_keeps_how_a_customer_celebrates_birthdays_and_festivals(as_user, rep):
    client = as_user(rep)
    form = client.get(reverse("web:customer_new")).content.decode()
    assert 'name="birthday_calendar"' in form and 'name="western_festivals"' in form
    client.post(reverse("web:customer_new"), {
        "kind": "individual", "name": "欧阳娜娜", "category": "consumer", "importance": "ordinary", "grade": "C",
        "depth": "awareness", "birthday": "1988-03-07", "birthday_calendar": "lunar", "western_festivals": "on",
    })  # fmt: skip
    customer = Customer.objects.get()
    assert (customer.birthday_calendar, customer.western_festivals) == ("lunar", True)
    # A form that leaves the calendar out keeps it; an unchecked box clears the festivals.
    client.post(reverse("web:customer_edit", args=[customer.pk]), {
        "kind": "individual", "name": "欧阳娜娜", "category": "consumer", "importance": "ordinary", "grade": "C", "depth": "awareness",
    })  # fmt: skip
    customer.refresh_from_db()
    assert (customer.birthday_calendar, customer.western_festivals) == ("lunar", False)
