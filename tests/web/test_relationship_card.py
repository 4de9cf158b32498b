"""The 360° page's relationship card: depth history, next birthday, membership,
surveys, open tasks and consent — each for who may see them."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from manyi.campaigns.models import ConsentSource
from manyi.campaigns.services import consent_record
from manyi.care.services import followup_open
from manyi.customers.depth import depth_record
from manyi.customers.models import DepthEvidence
from manyi.loyalty.services import member_enroll
from manyi.satisfaction.services import survey_enter

pytestmark = pytest.mark.django_db


def _card(client, customer) -> str:
    body = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    start = body.index('id="relationship"')
    return body[start : body.index("</section>", start)]


def test_the_card_shows_what_the_relationship_is_made_of(as_user, rep, customer):
    customer.birthday = dt.date(1990, 3, 7)
    customer.birthday_calendar = "lunar"
    customer.save()
    depth_record(customer=customer, evidence=DepthEvidence.FIRST_PURCHASE, by=rep)
    member = member_enroll(customer=customer, by=rep)
    survey_enter(by=rep, customer=customer, kind="csat", data={"score": 2, "comment": "等了太久"})
    followup_open(customer=customer, title="回访报价问题", due_on=timezone.localdate())
    consent_record(customer=customer, channel="email", granted=True, source=ConsentSource.STAFF, by=rep, note="展会登记表")
    card = _card(as_user(rep), customer)
    assert "First purchase" in card and "Contact" in card
    assert "lunar" in card
    assert member.number in card
    assert "Dissatisfied" in card
    assert "回访报价问题" in card
    assert "given" in card and "never asked" in card


def test_a_new_customer_gets_the_empty_states_and_the_actions(as_user, rep, customer):
    card = _card(as_user(rep), customer)
    for text in ("No moves yet", "not known", "Enrol as a member", "No answers yet.", "Nothing open.", "Send a link"):
        assert text in card


def test_an_analyst_reads_the_card_without_the_actions(as_user, analyst, customer):
    card = _card(as_user(analyst), customer)
    assert "Enrol as a member" not in card and "Send a link" not in card and "New task" not in card


def test_the_outsider_gets_no_card(as_user, outsider, customer):
    assert as_user(outsider).get(reverse("web:customer_detail", args=[customer.pk])).status_code == 404
