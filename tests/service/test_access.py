"""Who sees which complaint: agents their own, managers their team's, an
outsider nothing; the selectors apply it to every read."""

import pytest

from manyi.core.errors import NotFound
from manyi.customers.models import AccessKind, CustomerAccess
from manyi.service import access, selectors, services
from manyi.service.models import Attachment
from manyi.service.uploads import Upload
from tests.factories import CustomerFactory, UserFactory
from tests.service.helpers import file_complaint

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def complaints(customer, rep, rep2, agent, manager, other_team):
    served = CustomerFactory(name="李四", owner=rep2)
    CustomerAccess.objects.create(customer=served, user=agent, kind=AccessKind.SERVICE)
    elsewhere_rep = UserFactory(username="far", role="sales", team=other_team)
    return {
        "rep": file_complaint(customer, by=rep, files=(Upload("照片.png", PNG),)),
        "served": file_complaint(served, by=rep2),  # assigned to agent, who serves 李四
        "rep2": file_complaint(CustomerFactory(name="王五", owner=rep2), by=rep2),
        "elsewhere": file_complaint(CustomerFactory(name="赵六", owner=elsewhere_rep), by=elsewhere_rep),
    }


def _seen(user):
    return set(selectors.complaint_list(user=user, filters=selectors.ComplaintFilters(status="all")).values_list("subject", "customer__name"))


def test_each_sees_what_they_should(complaints, rep, rep2, agent, manager, analyst, outsider, admin):
    names = lambda user: {name for _subject, name in _seen(user)}
    assert complaints["served"].assignee == agent
    assert names(rep) == {"张三"}
    assert names(rep2) == {"李四", "王五"}
    assert names(agent) == {"李四"}
    assert names(manager) == names(analyst) == {"张三", "李四", "王五"}
    assert names(outsider) == set()
    assert names(admin) == {"张三", "李四", "王五", "赵六"}


def test_the_outsider_gets_not_found_everywhere(complaints, outsider):
    complaint = complaints["rep"]
    with pytest.raises(NotFound):
        selectors.complaint_get(user=outsider, pk=complaint.pk)
    with pytest.raises(NotFound):
        selectors.complaint_events(user=outsider, complaint=complaint)
    attachment = Attachment.objects.get(complaint=complaint)
    with pytest.raises(NotFound):
        selectors.attachment_get(user=outsider, pk=attachment.pk)
    assert not selectors.feedback_list(user=outsider).exists()
    assert selectors.agent_load(user=outsider) == []


def test_the_rep_reads_the_attachment_and_the_manager_too(complaints, rep, manager):
    attachment = Attachment.objects.get(complaint=complaints["rep"])
    assert selectors.attachment_get(user=rep, pk=attachment.pk) == attachment
    assert selectors.attachment_get(user=manager, pk=attachment.pk) == attachment


def test_the_analyst_reads_but_does_not_handle(complaints, analyst, manager):
    complaint = complaints["rep"]
    assert selectors.complaint_get(user=analyst, pk=complaint.pk) == complaint
    assert not access.can_handle(analyst, complaint) and access.can_handle(manager, complaint)


def test_a_reassigned_complaint_follows_the_assignee(complaints, manager, agent, rep):
    complaint = services.complaint_assign(complaint=complaints["rep2"], by=manager, assignee=agent)
    assert selectors.complaint_get(user=agent, pk=complaint.pk) == complaint
    with pytest.raises(NotFound):
        selectors.complaint_get(user=rep, pk=complaint.pk)


def test_feedback_goes_to_its_recipient_only(complaints, rep, rep2, outsider, manager):
    item = services.feedback_create(complaint=complaints["rep"], by=rep, department="production", summary="来料检验", recipient=rep2)
    assert list(selectors.feedback_list(user=rep2)) == [item]
    assert list(selectors.feedback_list(user=manager)) == [item]
    assert not selectors.feedback_list(user=outsider).exists()
