"""The emotion on the pages: a customer's trend and evidence on the 360° page,
the customers at risk on the home page; each only for who may see the customer."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from manyi.interactions import services
from manyi.interactions.models import EmotionReading
from manyi.web.emotion import WEEKLY_FROM, highlighted, trend_points
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ANGRY = "第三次了！再不退款我就去12315投诉你们"
NOW = timezone.now()


def log(by, customer, text=ANGRY, *, days_ago=0.0, direction="inbound"):
    data = {"kind": "chat", "direction": direction, "text": text, "occurred_at": NOW - dt.timedelta(days=days_ago)}
    return services.interaction_create(by=by, customer=customer, data=data)


def detail(client, customer):
    return client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()


class TestCustomerPage:
    def test_trend_summary_and_marked_evidence(self, as_user, rep, customer):
        log(rep, customer, "收到了，质量很好，非常满意", days_ago=3)
        log(rep, customer)
        body = detail(as_user(rep), customer)
        assert '<svg class="emotion-trend"' in body and body.count("<circle") == 2
        assert "2 readings from" in body and "1 positive, 0 neutral, 1 negative" in body
        assert re.search(r'<mark class="mark-risk" title="Read as: [^"]*escalation risk: going to the consumer association[^"]*">12315</mark>', body)
        assert "High risk" in body and "Negative" in body and "anger" in body

    def test_empty_state_in_chinese(self, as_user, rep, customer, settings):
        settings.LANGUAGE_CODE = "zh-hans"
        log(rep, customer, "已发报价单", direction="outbound")
        body = detail(as_user(rep), customer)
        assert "暂无情绪记录" in body and "<svg" not in body

    def test_chinese_labels(self, as_user, rep, customer, settings):
        settings.LANGUAGE_CODE = "zh-hans"
        log(rep, customer)
        body = detail(as_user(rep), customer)
        assert "情绪" in body and "消极" in body and "高风险" in body and "愤怒" in body

    def test_the_customer_s_words_are_escaped(self, as_user, rep, customer):
        log(rep, customer, "&lt;script&gt;alert(1)&lt;/script&gt; 12315 投诉 <b>x</b>")
        body = detail(as_user(rep), customer)
        words = re.sub(r"</?mark[^>]*>", "", body.split('id="emotion"')[1].split("</section>")[0])
        assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt; 12315 投诉 x" in words

    def test_one_more_query_at_most_however_many_readings(self, as_user, rep, customer):
        client = as_user(rep)
        detail(client, customer)
        with CaptureQueriesContext(connection) as empty:
            detail(client, customer)
        for days in range(30):
            log(rep, customer, days_ago=days)
        detail(client, customer)
        with CaptureQueriesContext(connection) as full:
            detail(client, customer)
        assert len(full) == len(empty)

    def test_others_see_nothing(self, as_user, rep, rep2, outsider, customer):
        log(rep, customer)
        for user in (rep2, outsider):
            response = as_user(user).get(reverse("web:customer_detail", args=[customer.pk]))
            assert response.status_code == 404 and "12315" not in response.content.decode()


def test_many_readings_are_averaged_by_week(rep, customer):
    for days in range(WEEKLY_FROM + 5):
        log(rep, customer, days_ago=days * 2)
    readings = list(EmotionReading.objects.order_by("-occurred_at"))
    points, weekly = trend_points(readings)
    assert weekly and len(points) < len(readings) and sum(p.count for p in points) == len(readings)
    assert [p.at for p in points] == sorted(p.at for p in points)


def test_highlighting_marks_overlaps_once_and_skips_spans_that_no_longer_fit():
    words = "A <退款> & 赔偿"
    evidence = [
        {"text": "退款", "start": 3, "end": 5, "points_to": "escalation:refund"},
        {"text": "退款", "start": 3, "end": 5, "points_to": "negative"},
        {"text": "赔偿", "start": 0, "end": 2, "points_to": "complaint"},  # not where the words are
    ]
    html = str(highlighted(words, evidence))
    assert html.startswith("A &lt;") and html.endswith("&gt; &amp; 赔偿")
    assert html.count("<mark") == 1 and 'title="Read as: Negative、escalation risk: a refund"' in html


def test_highlighting_keeps_what_the_customer_typed_and_skips_lone_characters():
    words = "发货太慢！要退款？"
    evidence = [
        {"text": "太慢", "start": 2, "end": 4, "points_to": "negative"},
        {"text": "!", "start": 4, "end": 5, "points_to": "anger"},
        {"text": "发", "start": 0, "end": 1, "points_to": "negative"},  # a lone character means nothing to a reader
        {"text": "退款", "start": 6, "end": 8, "points_to": "escalation:refund"},
    ]
    html = str(highlighted(words, evidence))
    assert html == (
        '发货<mark class="mark-negative" title="Read as: Negative">太慢</mark><mark class="mark-negative" title="Read as: anger">！</mark>'
        '要<mark class="mark-risk" title="Read as: escalation risk: a refund">退款</mark>？'
    )


class TestHomeAtRisk:
    def test_rep_sees_own_customer_with_the_reason(self, as_user, rep, customer):
        log(rep, customer, days_ago=1)
        body = as_user(rep).get("/").content.decode()
        section = body.split('id="at-risk"')[1].split("</section>")[0]
        assert "张三" in section and "High escalation risk" in section and "「12315」" in section

    def test_a_negative_streak(self, as_user, rep, customer, settings):
        settings.LANGUAGE_CODE = "zh-hans"
        for days in (3, 2, 1):
            log(rep, customer, "质量太差了，很失望", days_ago=days)
        body = as_user(rep).get("/").content.decode()
        section = body.split('id="at-risk"')[1].split("</section>")[0]
        assert "今日风险客户" in section and "张三" in section and "连续3条负面" in section

    def test_empty_state(self, as_user, rep, customer):
        body = as_user(rep).get("/").content.decode()
        assert "No customers at risk today." in body

    def test_another_rep_and_an_outsider_see_none_of_them(self, as_user, rep, rep2, outsider, customer):
        log(rep, customer)
        log(outsider, CustomerFactory(owner=outsider, name="外部客户"))
        for user in (rep2, outsider):
            body = as_user(user).get("/").content.decode()
            section = body.split('id="at-risk"')[1].split("</section>")[0]
            assert "张三" not in section
        assert "外部客户" not in as_user(rep).get("/").content.decode()
