"""The duplicate pages: the list of likely pairs, “not a duplicate”, the
side-by-side merge and its undo, and a customer's merges. Nobody sees a pair
with a customer they cannot see."""

import pytest
from django.urls import reverse

from manyi.customers import merge, services
from manyi.customers.models import Customer, CustomerMerge, DuplicatePair
from manyi.interactions.models import Interaction
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(rep):
    older = services.customer_create(by=rep, data={"name": "杭州明远科技有限公司", "kind": "enterprise", "mobile": "13812345678", "industry": "软件"})
    newer = services.customer_create(
        by=rep, data={"name": "杭州明遠科技有限责任公司", "kind": "enterprise", "mobile": "138 1234 5678", "email": "my@example.com", "grade": "A"}
    )
    merge.duplicates_scan()
    return DuplicatePair.objects.get(customer_a=older, customer_b=newer)


@pytest.mark.parametrize("language,heading,reason", [("en", "Possible duplicate customers", "same mobile"), ("zh-hans", "<h1", "")])
def test_the_list_shows_both_names_the_likelihood_and_why(client, rep, pair, language, heading, reason):
    client.force_login(rep)
    client.cookies["django_language"] = language
    page = client.get(reverse("web:duplicate_list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert heading in page and reason in page and "99%" in page
    assert reverse("web:customer_detail", args=[pair.customer_a_id]) in page and "杭州明遠科技有限责任公司" in page
    assert reverse("web:duplicate_merge", args=[pair.pk]) in page and reverse("web:duplicate_dismiss", args=[pair.pk]) in page


def test_an_outsider_sees_no_pair_and_gets_404_for_one(as_user, outsider, pair):
    client = as_user(outsider)
    page = client.get(reverse("web:duplicate_list")).content.decode()
    assert "杭州明远" not in page and "No possible duplicates" in page
    assert client.get(reverse("web:duplicate_merge", args=[pair.pk])).status_code == 404
    assert client.post(reverse("web:duplicate_dismiss", args=[pair.pk])).status_code == 404
    assert client.get(reverse("web:customer_merges", args=[pair.customer_a_id])).status_code == 404


def test_someone_who_sees_but_may_not_change_them_gets_no_buttons_and_403(as_user, rep, agent, pair):
    for customer in (pair.customer_a, pair.customer_b):
        services.customer_grant_access(by=rep, customer=customer, user=agent, kind="service")
    client = as_user(agent)
    page = client.get(reverse("web:duplicate_list")).content.decode()
    assert "杭州明远" in page and reverse("web:duplicate_merge", args=[pair.pk]) not in page
    assert client.get(reverse("web:duplicate_merge", args=[pair.pk])).status_code == 403


def test_not_a_duplicate_takes_the_pair_off_the_list(as_user, rep, pair):
    client = as_user(rep)
    response = client.post(reverse("web:duplicate_dismiss", args=[pair.pk]), HTTP_HX_REQUEST="true")
    assert "are marked as not duplicates" in response.content.decode() and "<html" not in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == "dismissed"
    assert "杭州明远" not in client.get(reverse("web:duplicate_list")).content.decode()


def test_the_merge_page_offers_only_differing_values_the_survivors_first(as_user, rep, pair):
    page = as_user(rep).get(reverse("web:duplicate_merge", args=[pair.pk])).content.decode()
    assert 'name="take_name"' in page and 'name="take_email"' in page and 'name="take_grade"' in page
    assert 'name="take_mobile"' not in page and 'name="take_owner"' not in page
    older, newer = pair.customer_a_id, pair.customer_b_id
    # The survivor's non-empty value is ticked; where it is empty, the other's.
    assert f'id="take-name-s" value="{older}" checked' in page and f'id="take-email-o" value="{newer}" checked' in page
    assert f'id="survivor-{older}" value="{older}" checked' in page


def test_choosing_the_other_survivor_redraws_the_form(as_user, rep, pair):
    response = as_user(rep).get(reverse("web:duplicate_merge", args=[pair.pk]), {"survivor": pair.customer_b_id}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.lstrip().startswith('<form id="merge-form"')
    assert f'id="survivor-{pair.customer_b_id}" value="{pair.customer_b_id}" checked' in page
    assert f'id="take-industry-o" value="{pair.customer_a_id}" checked' in page


def test_merge_by_post_then_undo_from_the_message(as_user, rep, pair):
    older, newer = pair.customer_a, pair.customer_b
    call = InteractionFactory(customer=newer)
    client = as_user(rep)
    data = {"survivor": newer.pk, "take_name": older.pk, "take_industry": older.pk, "take_email": newer.pk, "take_grade": newer.pk}
    response = client.post(reverse("web:duplicate_merge", args=[pair.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("web:customer_detail", args=[newer.pk])
    newer.refresh_from_db()
    assert (newer.name, newer.industry, newer.email, newer.grade) == ("杭州明远科技有限公司", "软件", "my@example.com", "A")
    assert Customer.objects.get(pk=older.pk).deleted_at is not None
    done = CustomerMerge.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "was merged into" in page and reverse("web:customer_merge_undo", args=[done.pk]) in page and "csrfmiddlewaretoken" in page
    merges = client.get(reverse("web:customer_merges", args=[newer.pk])).content.decode()
    assert "merged into this customer" in merges and "Undo" in merges

    response = client.post(reverse("web:customer_merge_undo", args=[done.pk]))
    assert response.status_code == 302
    assert "is back as a customer of its own" in client.get(response["Location"]).content.decode()
    newer.refresh_from_db()
    assert newer.name == "杭州明遠科技有限责任公司" and Customer.objects.get(pk=older.pk).deleted_at is None
    assert Interaction.objects.get(pk=call.pk).customer_id == newer.pk


def test_a_refused_undo_says_why(as_user, rep, pair):
    third = services.customer_create(by=rep, data={"name": "第三家"})
    first = merge.customer_merge(by=rep, survivor=pair.customer_a, other=pair.customer_b, choices={})
    merge.customer_merge(by=rep, survivor=third, other=pair.customer_a, choices={})
    client = as_user(rep)
    response = client.post(reverse("web:customer_merge_undo", args=[first.pk]), follow=True)
    assert "undo that merge first" in response.content.decode()
    assert CustomerMerge.objects.filter(undone_at__isnull=True).count() == 2


def test_a_customer_without_merges_shows_nothing(as_user, rep, customer):
    response = as_user(rep).get(reverse("web:customer_merges", args=[customer.pk]))
    assert response.status_code == 200 and response.content.decode().strip() == ""


def test_managers_can_look_for_duplicates_from_the_page(as_user, rep, manager, pair):
    assert as_user(rep).post(reverse("web:duplicate_scan")).status_code == 403
    response = as_user(manager).post(reverse("web:duplicate_scan"), follow=True)
    assert "The search is done: 1 pair of possible duplicates." in response.content.decode()
