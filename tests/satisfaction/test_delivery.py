"""Survey links the system mails after a purchase, a visit or a closed complaint,
and the loyalty points an answer earns."""

import re

import pytest
from django.core import mail

from manyi.analytics.services import order_create
from manyi.loyalty.models import EarnRule, LedgerEntry, RuleCode
from manyi.loyalty.services import member_enroll
from manyi.satisfaction.delivery import survey_send_after
from manyi.satisfaction.models import SurveyInvitation, SurveyTrigger
from manyi.satisfaction.services import survey_answer


@pytest.fixture
def mail_server(settings):
    settings.MANYI_SMTP_URL = "smtp://127.0.0.1:2525"
    settings.MANYI_PUBLIC_URL = "https://crm.example.com"


def _order(rep, customer, products):
    return order_create(by=rep, customer=customer, data={"lines": [{"product": products["filter"], "quantity": 2}]})


def test_a_purchase_mails_a_personal_link_that_opens_the_survey(mail_server, person, rep, products, client, django_capture_on_commit_callbacks):
    person.email = "lisi@example.com"
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        order = _order(rep, person, products)
    invitation = SurveyInvitation.objects.get()
    assert (invitation.trigger, invitation.source, invitation.kind) == (SurveyTrigger.PURCHASE, f"order:{order.pk}", "csat")
    assert [m.to for m in mail.outbox] == [["lisi@example.com"]]
    link = re.search(r"https://crm\.example\.com(/s/[\w-]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    assert client.get(link.group(1)).status_code == 200


def test_nothing_is_mailed_without_an_address_a_mail_server_or_within_the_quiet_days(settings, mail_server, person, rep, products, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _order(rep, person, products)
    assert not mail.outbox and not SurveyInvitation.objects.exists()
    person.email = "lisi@example.com"
    person.save()
    settings.MANYI_SMTP_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        _order(rep, person, products)
    assert not mail.outbox
    settings.MANYI_SMTP_URL = "smtp://127.0.0.1:2525"
    with django_capture_on_commit_callbacks(execute=True):
        _order(rep, person, products)
        _order(rep, person, products)
    assert len(mail.outbox) == 1
    # A closed complaint is asked about even so, once.
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_send_after(customer=person, trigger=SurveyTrigger.COMPLAINT_CLOSED, source="complaint:7")
        assert survey_send_after(customer=person, trigger=SurveyTrigger.COMPLAINT_CLOSED, source="complaint:7") is None
    assert len(mail.outbox) == 2


def test_an_answer_earns_a_member_the_survey_points_once(person, rep, invite):
    EarnRule.objects.create(code=RuleCode.SURVEY, points=20)
    member = member_enroll(customer=person, by=rep)
    invitation, _token = invite(person)
    response = survey_answer(invitation=invitation, data={"score": 5, "comment": "服务很好"})
    entry = LedgerEntry.objects.get(member=member)
    assert (entry.points, entry.source) == (20, f"survey:{response.pk}")


def test_a_customer_who_unsubscribed_gets_no_survey_mail(mail_server, person, rep, products, django_capture_on_commit_callbacks):
    from manyi.campaigns.services import consent_record

    person.email = "lisi@example.com"
    person.save()
    consent_record(customer=person, channel="email", granted=False, source="unsubscribe_link")
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_send_after(customer=person, trigger=SurveyTrigger.COMPLAINT_CLOSED, source="complaint:8") is None
    assert not mail.outbox and not SurveyInvitation.objects.exists()
