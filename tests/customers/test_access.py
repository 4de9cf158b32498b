"""Record-level access, as the selector layer applies it everywhere."""

import pytest

from manyi.core.errors import NotFound
from manyi.customers import selectors, services
from manyi.customers.access import can_edit, can_see_sensitive, visible_customers
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_owner_sees_their_customer(rep, customer):
    assert list(visible_customers(rep)) == [customer]


def test_second_rep_and_outsider_see_nothing(rep2, outsider, customer):
    for user in (rep2, outsider):
        assert not visible_customers(user).exists()
        with pytest.raises(NotFound):
            selectors.customer_get(user=user, pk=customer.pk)
        assert not selectors.customer_list(user=user, filters=selectors.CustomerFilters(q="张三")).exists()


def test_manager_and_analyst_see_their_team_only(manager, analyst, customer, outsider):
    foreign = CustomerFactory(owner=outsider)
    for user in (manager, analyst):
        ids = set(visible_customers(user).values_list("id", flat=True))
        assert customer.id in ids and foreign.id not in ids


def test_sharing_gives_a_second_rep_access(rep, rep2, customer):
    services.customer_grant_access(by=rep, customer=customer, user=rep2, kind="shared")
    assert selectors.customer_get(user=rep2, pk=customer.pk) == customer
    assert not can_edit(rep2, customer)
    services.customer_revoke_access(by=rep, customer=customer, user=rep2, kind="shared")
    assert not visible_customers(rep2).exists()


def test_service_agent_sees_customers_they_serve(rep, agent, customer):
    assert not visible_customers(agent).exists()
    services.customer_grant_access(by=rep, customer=customer, user=agent, kind="service")
    assert list(visible_customers(agent)) == [customer]


def test_sensitive_fields_only_for_owner_manager_admin(rep, rep2, manager, admin, analyst, agent, customer):
    services.customer_grant_access(by=rep, customer=customer, user=agent, kind="service")
    assert can_see_sensitive(rep, customer) and can_see_sensitive(manager, customer) and can_see_sensitive(admin, customer)
    assert not can_see_sensitive(analyst, customer) and not can_see_sensitive(agent, customer)


def test_soft_deleted_customer_is_hidden_and_restorable_by_admin(rep, admin, customer):
    services.customer_delete(by=rep, customer=customer)
    assert not visible_customers(rep).exists()
    with pytest.raises(NotFound):
        selectors.customer_get(user=rep, pk=customer.pk)
    deleted = selectors.customer_list(user=admin, filters=selectors.CustomerFilters(deleted=True))
    assert list(deleted) == [customer]
    services.customer_restore(by=admin, customer=customer)
    assert list(visible_customers(rep)) == [customer]


def test_inactive_user_sees_nothing(rep, customer):
    rep.is_active = False
    rep.save()
    assert not visible_customers(rep).exists()
