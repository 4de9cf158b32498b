import datetime as dt

import pytest
from django.utils import timezone

from manyi.core.errors import NotFound, PermissionDenied, ValidationFailed
from manyi.customers import services as customer_services
from manyi.interactions import selectors, services
from manyi.interactions.models import Interaction
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_rep_logs_a_call_and_it_tops_the_timeline(rep, customer):
    InteractionFactory(customer=customer, occurred_at=timezone.now() - dt.timedelta(days=3))
    item = services.interaction_create(by=rep, customer=customer, data={"kind": "call", "direction": "inbound", "text": "客户询问发货时间"})
    timeline = selectors.customer_timeline(user=rep, customer=customer)
    interactions = [e.interaction for e in timeline if e.kind == "interaction"]
    assert interactions[0] == item and len(interactions) == 2
    assert item.created_by == rep


def test_timeline_mixes_changes_and_interactions_newest_first(rep, customer):
    InteractionFactory(customer=customer, occurred_at=timezone.now() - dt.timedelta(days=30))
    customer_services.customer_update(by=rep, customer=customer, data={"grade": "B"})
    timeline = selectors.customer_timeline(user=rep, customer=customer)
    assert [e.kind for e in timeline] == ["change", "interaction"]
    assert [e.at for e in timeline] == sorted((e.at for e in timeline), reverse=True)


@pytest.mark.parametrize(
    "data,field",
    [
        ({"kind": "call"}, "text"),
        ({"kind": "fax", "text": "x"}, "kind"),
        ({"kind": "call", "direction": "sideways", "text": "x"}, "direction"),
        ({"kind": "call", "text": "x", "subject": "s" * 201}, "subject"),
        ({"kind": "call", "text": "x", "occurred_at": timezone.now() + dt.timedelta(days=10)}, "occurred_at"),
        ({"kind": "call", "text": "x", "mood": "happy"}, "mood"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(rep, customer, data, field):
    with pytest.raises(ValidationFailed) as exc:
        services.interaction_create(by=rep, customer=customer, data=data)
    assert field in exc.value.fields
    assert not Interaction.objects.exists()


def test_contact_of_another_customer_is_refused(rep, customer):
    stranger = ContactFactory(customer=CustomerFactory(owner=rep))
    with pytest.raises(ValidationFailed) as exc:
        services.interaction_create(by=rep, customer=customer, data={"kind": "call", "text": "x", "contact": stranger})
    assert "contact" in exc.value.fields


def test_analyst_cannot_log(analyst, customer):
    with pytest.raises(PermissionDenied):
        services.interaction_create(by=analyst, customer=customer, data={"kind": "note", "text": "x"})


def test_outsider_and_second_rep_see_no_interactions(rep, rep2, outsider, customer):
    item = InteractionFactory(customer=customer)
    for user in (rep2, outsider):
        assert not selectors.interaction_list(user=user).exists()
        assert not selectors.recent_interactions(user=user)
        with pytest.raises(NotFound):
            selectors.interaction_get(user=user, pk=item.pk)
        with pytest.raises(NotFound):
            selectors.customer_timeline(user=user, customer=customer)
        with pytest.raises(NotFound):
            selectors.interaction_list(user=user, filters=selectors.InteractionFilters(customer_id=customer.pk))


def test_shared_rep_and_serving_agent_can_log(rep, rep2, agent, customer):
    customer_services.customer_grant_access(by=rep, customer=customer, user=rep2, kind="shared")
    customer_services.customer_grant_access(by=rep, customer=customer, user=agent, kind="service")
    for user in (rep2, agent):
        services.interaction_create(by=user, customer=customer, data={"kind": "chat", "text": "跟进"})
    assert selectors.interaction_list(user=rep).count() == 2


def test_deleted_customer_interactions_disappear_from_recent(rep, customer):
    InteractionFactory(customer=customer)
    customer_services.customer_delete(by=rep, customer=customer)
    assert not selectors.recent_interactions(user=rep)
