import pytest
from django.urls import reverse

from manyi.customers.models import CustomerAccess
from manyi.interactions.models import Interaction
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_logging_with_htmx_returns_the_new_entry_and_a_fresh_form(as_user, rep, customer):
    contact = ContactFactory(customer=customer, name="李娜")
    response = as_user(rep).post(
        reverse("web:interaction_new", args=[customer.pk]),
        {"kind": "visit", "direction": "outbound", "channel": "in_person", "subject": "上门拜访", "text": "客户对报价满意", "contact": contact.pk},
        **HTMX,
    )
    body = response.content.decode()
    item = Interaction.objects.get()
    assert response.status_code == 200
    assert "<html" not in body and "navbar" not in body
    assert body.lstrip().startswith(f'<li class="timeline-item timeline-interaction" id="interaction-{item.pk}"')
    assert "客户对报价满意" in body and "李娜" in body
    assert 'hx-swap-oob="true"' in body and 'id="interaction-form"' in body
    assert item.customer == customer and item.created_by == rep and item.contact == contact and item.kind == "visit"


def test_a_shared_rep_may_log_an_interaction(as_user, rep2, customer):
    CustomerAccess.objects.create(customer=customer, user=rep2, kind="shared")
    response = as_user(rep2).post(reverse("web:interaction_new", args=[customer.pk]), {"kind": "call", "direction": "inbound", "channel": "phone", "text": "回访"}, **HTMX)
    assert response.status_code == 200 and Interaction.objects.get().created_by == rep2


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"kind": "call", "text": ""}, "text", "Write what was said or done."),
        ({"kind": "", "text": "x"}, "kind", "This field is required."),
        ({"kind": "fax", "text": "x"}, "kind", "Select a valid choice."),
        ({"kind": "call", "text": "x", "subject": "s" * 201}, "subject", "at most 200 characters"),
        ({"kind": "call", "text": "x", "occurred_at": "tomorrow-ish"}, "occurred_at", "Enter a valid date/time."),
        ({"kind": "call", "text": "x", "occurred_at": "2099-01-01T10:00"}, "occurred_at", "Only a planned visit can lie in the future."),
        ({"kind": "call", "text": "x", "contact": "999999"}, "contact", "Select a valid choice."),
    ],
)
def test_errors_re_render_the_form_in_place(as_user, rep, customer, data, field, message):
    response = as_user(rep).post(reverse("web:interaction_new", args=[customer.pk]), {"direction": "outbound", "channel": "phone", **data}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#interaction-form" and response["HX-Reswap"] == "outerHTML"
    assert body.lstrip().startswith('<form id="interaction-form"')
    start = body.index(f'name="{field}"')
    assert message in body[start : body.index("</div>", body.index("invalid-feedback", start))]
    assert not Interaction.objects.exists()


def test_a_contact_of_another_customer_is_refused(as_user, rep, customer, enterprise):
    other = ContactFactory(customer=enterprise)
    response = as_user(rep).post(reverse("web:interaction_new", args=[customer.pk]), {"kind": "call", "direction": "inbound", "channel": "phone", "text": "x", "contact": other.pk}, **HTMX)
    assert "Select a valid choice." in response.content.decode() and not Interaction.objects.exists()


def test_without_htmx_it_redirects_or_shows_the_whole_page(as_user, rep, customer):
    client = as_user(rep)
    url = reverse("web:interaction_new", args=[customer.pk])
    response = client.post(url, {"kind": "call", "direction": "outbound", "channel": "phone", "text": ""})
    assert response.status_code == 200 and "<html" in response.content.decode() and "Write what was said or done." in response.content.decode()
    response = client.post(url, {"kind": "call", "direction": "outbound", "channel": "phone", "text": "电话回访"})
    assert response.status_code == 302 and Interaction.objects.count() == 1
    assert "电话回访" in client.get(response["Location"]).content.decode()


def test_the_timeline_mixes_interactions_and_changes(as_user, rep, customer):
    client = as_user(rep)
    client.post(reverse("web:customer_edit", args=[customer.pk]), {
        "kind": customer.kind, "name": "张三", "category": "consumer", "importance": "key", "grade": "A", "depth": "loyalty",
        "mobile": customer.mobile,
    })  # fmt: skip
    client.post(reverse("web:interaction_new", args=[customer.pk]), {"kind": "note", "direction": "outbound", "channel": "other", "text": "记一笔"})
    body = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    timeline = body[body.index('id="timeline"') :]
    assert timeline.index("记一笔") < timeline.index("changed the profile")
    assert "Grade" in timeline and "Loyalty" in timeline and "Awareness" in timeline  # labels, not raw values


def test_the_form_arrives_when_opened_and_only_for_those_who_may_log(client, as_user, rep, rep2, outsider, analyst, customer):
    url = reverse("web:interaction_form", args=[customer.pk])
    detail = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert 'id="interaction-form"' not in detail and f'hx-get="{url}"' in detail
    body = as_user(rep).get(url, **HTMX).content.decode()
    assert body.lstrip().startswith('<form id="interaction-form"') and 'name="text"' in body
    for user in (rep2, outsider):
        assert as_user(user).get(url, **HTMX).status_code == 404
    assert as_user(analyst).get(url, **HTMX).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
