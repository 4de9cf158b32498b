import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_history(customer):
    now = timezone.now()
    return [InteractionFactory(customer=customer, occurred_at=now - dt.timedelta(days=d), subject=f"第{d}次跟进") for d in range(1, 46)]


def test_detail_shows_the_newest_page_and_a_button_for_older(as_user, rep, customer, long_history):
    page = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "第1次跟进" in page and "第19次跟进" in page
    assert "第21次跟进" not in page
    assert "Show older" in page


def test_older_pages_continue_without_gaps_or_repeats(as_user, rep, customer, long_history):
    client = as_user(rep)
    seen = []
    page = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    url = reverse("web:customer_timeline", args=[customer.pk])
    import re

    while True:
        seen += re.findall(r"第(\d+)次跟进", page)
        more = re.search(r'hx-get="[^"]*\?before=([^"]+)"', page)
        if not more:
            break
        page = client.get(url + "?before=" + more.group(1), HTTP_HX_REQUEST="true").content.decode()
    assert [int(n) for n in seen] == list(range(1, 46))


def test_bad_before_is_a_clear_400(as_user, rep, customer):
    response = as_user(rep).get(reverse("web:customer_timeline", args=[customer.pk]) + "?before=yesterday")
    assert response.status_code == 400


def test_texts_keep_their_line_breaks_and_are_escaped(as_user, rep, customer):
    InteractionFactory(customer=customer, text="第一行\r\n<b>第二行</b>\r第三行")
    customer.leader_background = "创始人\n<script>x</script>"
    customer.save()
    page = as_user(rep).get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "第一行<br>&lt;b&gt;第二行&lt;/b&gt;<br>第三行" in page
    assert "创始人<br>&lt;script&gt;x&lt;/script&gt;" in page
