"""Every inbound interaction's words get an emotion reading; reading never
stops an interaction from being saved; readings are read again when the
model changes; a customer's readings and the customers at risk are seen only
by who may see the customer."""

import datetime as dt
import logging

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from manyi.core.errors import NotFound
from manyi.customers import services as customer_services
from manyi.emotion.engine import Engine
from manyi.interactions import selectors, services
from manyi.interactions.models import EmotionReading, Interaction
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db

ANGRY = "第三次了！再不退款我就去12315投诉你们"
HAPPY = "收到了，质量很好，非常满意，谢谢你们"
NOW = timezone.now()


def log(by, customer, text=ANGRY, *, direction="inbound", days_ago=0.0, subject=""):
    data = {"kind": "call", "direction": direction, "text": text, "subject": subject, "occurred_at": NOW - dt.timedelta(days=days_ago)}
    return services.interaction_create(by=by, customer=customer, data=data)


def test_an_inbound_interaction_gets_a_reading_with_its_evidence(rep, customer):
    item = log(rep, customer, subject="退款")
    reading = EmotionReading.objects.get(interaction=item)
    assert (reading.customer_id, reading.occurred_at) == (customer.pk, item.occurred_at)
    assert reading.model_version == Engine.default().version
    assert reading.polarity == "negative" and reading.polarity_score < 0 and reading.escalation == "high" and reading.complaint
    assert set(reading.emotions) == {"joy", "like", "anger", "sadness", "fear", "disgust", "surprise", "neutral"}
    words = "退款\n" + ANGRY.replace("！", "!")  # the subject and text, as the engine reads them
    cue = next(e for e in reading.evidence if e["points_to"] == "escalation:consumer_association")
    assert cue == {"text": "12315", "start": words.index("12315"), "end": words.index("12315") + 5, "points_to": "escalation:consumer_association"}


def test_outbound_interactions_and_ones_without_words_get_none(rep, customer):
    log(rep, customer, "已按客户要求寄出样品", direction="outbound")
    services.interaction_create(by=rep, customer=customer, data={"kind": "call", "direction": "inbound", "outcome": "已回电"})
    assert Interaction.objects.count() == 2 and not EmotionReading.objects.exists()


def test_a_failing_engine_never_stops_an_interaction(rep, customer, monkeypatch, caplog):
    def broken(self, text):
        raise RuntimeError("model file unreadable")

    monkeypatch.setattr(Engine, "analyze", broken)
    with caplog.at_level(logging.ERROR, logger="manyi.interactions.services"):
        item = log(rep, customer)
    assert Interaction.objects.filter(pk=item.pk).exists() and not EmotionReading.objects.exists()
    record = next(r for r in caplog.records if r.name == "manyi.interactions.services")
    assert str(item.pk) in record.getMessage() and record.exc_info[0] is RuntimeError


def test_a_failing_write_of_the_reading_is_rolled_back_alone(rep, customer, monkeypatch, caplog):
    """On PostgreSQL a failed statement aborts the transaction: only the
    savepoint around the reading keeps the interaction's transaction usable."""

    def failing_write(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(EmotionReading.objects, "update_or_create", failing_write)
    with caplog.at_level(logging.ERROR, logger="manyi.interactions.services"):
        item = log(rep, customer)
    assert Interaction.objects.get(pk=item.pk).text == ANGRY
    assert any(r.name == "manyi.interactions.services" for r in caplog.records)


class TestRescore:
    @pytest.fixture
    def inbound(self, rep, customer):
        """Two read by an older model, two never read (written around the service), one outbound."""
        old = [log(rep, customer, text) for text in (ANGRY, HAPPY)]
        EmotionReading.objects.update(model_version="2020.1-old", polarity="neutral")
        unread = [InteractionFactory(customer=customer, direction="inbound", text=text) for text in ("等了三天还没到货", "谢谢")]
        InteractionFactory(customer=customer, direction="outbound", text="回访客户")
        return old + unread

    def test_stale_and_missing_readings_are_read_again_in_batches(self, inbound):
        calls = []
        done = services.readings_rescore(batch_size=3, progress=lambda n, total: calls.append((n, total)))
        assert done == 4 and calls == [(0, 4), (3, 4), (4, 4)]
        readings = EmotionReading.objects.order_by("interaction_id")
        assert [r.interaction_id for r in readings] == [i.pk for i in inbound]
        assert {r.model_version for r in readings} == {Engine.default().version}
        assert readings[0].polarity == "negative" and readings[0].occurred_at == inbound[0].occurred_at
        assert services.readings_rescore() == 0  # nothing is stale any more

    def test_all_can_be_read_again(self, inbound):
        services.readings_rescore()
        assert services.readings_rescore(only_stale=False, batch_size=2) == 4
        assert EmotionReading.objects.count() == 4

    def test_the_command_rescores(self, inbound, capsys):
        call_command("emotion", "rescore", "--batch-size", "2")
        assert "4" in capsys.readouterr().out
        assert not EmotionReading.objects.exclude(model_version=Engine.default().version).exists()
        assert EmotionReading.objects.count() == 4


class TestCustomerReadings:
    def test_newest_first_with_the_words_read(self, rep, customer):
        log(rep, customer, HAPPY, days_ago=3, subject="到货")
        log(rep, customer, ANGRY, days_ago=1)
        readings = selectors.customer_overview(user=rep, customer=customer, limit=5, grant_choices=False).readings
        assert [r.polarity for r in readings] == ["negative", "positive"]
        assert (readings[1].source_subject, readings[1].source_text) == ("到货", HAPPY)

    def test_on_the_360_overview_in_the_same_round_trip(self, rep, customer):
        log(rep, customer)
        overview = selectors.customer_overview(user=rep, customer=customer, limit=5, grant_choices=False)
        assert [r.escalation for r in overview.readings] == ["high"]

    def test_others_see_none(self, rep, rep2, outsider, customer):
        log(rep, customer)
        for user in (rep2, outsider):
            with pytest.raises(NotFound):
                selectors.customer_overview(user=user, customer=customer, limit=5, grant_choices=False)


class TestCustomersAtRisk:
    def test_a_high_risk_this_week_with_its_cue_words(self, rep, customer):
        log(rep, customer, days_ago=2)
        [entry] = selectors.customers_at_risk(user=rep)
        assert (entry.customer_id, entry.name, entry.high, entry.streak) == (customer.pk, "张三", True, False)
        assert entry.cues == ["第三次", "退款", "12315"]

    def test_a_high_risk_older_than_a_week_is_not_today_s(self, rep, customer):
        log(rep, customer, days_ago=8)
        assert selectors.customers_at_risk(user=rep) == []

    def test_three_negative_readings_in_a_row(self, rep, customer, enterprise):
        for days in (5, 4, 3):
            log(rep, customer, "质量太差了，很失望", days_ago=days)
        log(rep, enterprise, "质量太差了，很失望", days_ago=5)
        log(rep, enterprise, "质量太差了，很失望", days_ago=4)
        log(rep, enterprise, HAPPY, days_ago=3)  # the newest is positive: no streak
        [entry] = selectors.customers_at_risk(user=rep)
        assert (entry.customer_id, entry.streak, entry.high) == (customer.pk, True, False)
        assert entry.at == NOW - dt.timedelta(days=3)

    def test_newest_first_and_limited(self, rep):
        customers = [CustomerFactory(owner=rep) for _ in range(3)]
        for days, c in enumerate(customers):
            log(rep, c, days_ago=days)
        assert [e.customer_id for e in selectors.customers_at_risk(user=rep, limit=2)] == [c.pk for c in customers[:2]]

    def test_only_customers_the_user_may_see(self, rep, rep2, outsider, manager, customer):
        log(rep, customer)
        mate = CustomerFactory(owner=rep2)
        log(rep2, mate)
        assert [e.customer_id for e in selectors.customers_at_risk(user=rep)] == [customer.pk]
        assert [e.customer_id for e in selectors.customers_at_risk(user=rep2)] == [mate.pk]
        assert selectors.customers_at_risk(user=outsider) == []
        assert {e.customer_id for e in selectors.customers_at_risk(user=manager)} == {customer.pk, mate.pk}

    def test_a_deleted_customer_is_no_longer_at_risk(self, rep, customer):
        log(rep, customer)
        customer_services.customer_delete(by=rep, customer=customer)
        assert selectors.customers_at_risk(user=rep) == []
