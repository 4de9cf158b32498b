"""Relationship depth moves with evidence, and every move is kept."""

import pytest

from manyi.analytics.services import order_create, order_set_status
from manyi.customers.depth import depth_after, depth_record
from manyi.customers.models import Depth, DepthChange, DepthEvidence
from manyi.customers.services import customer_update
from manyi.interactions.services import interaction_create

A, C, S, L = Depth.AWARENESS, Depth.CONTACT, Depth.SATISFACTION, Depth.LOYALTY
E = DepthEvidence


@pytest.mark.parametrize(
    ("current", "evidence", "expected"),
    [
        (A, E.FIRST_INTERACTION, C),
        (S, E.FIRST_INTERACTION, S),
        (A, E.FIRST_PURCHASE, C),
        (A, E.SURVEY_SATISFIED, S),
        (L, E.SURVEY_SATISFIED, L),
        (C, E.REPEAT_PURCHASE, S),
        (A, E.REPEAT_PURCHASE, S),
        (S, E.REPEAT_PURCHASE, L),
        (C, E.REFERRAL, L),
        (L, E.SURVEY_DISSATISFIED, C),
        (S, E.SURVEY_DISSATISFIED, C),
        (A, E.SURVEY_DISSATISFIED, A),
    ],
)
def test_the_depth_each_piece_of_evidence_supports(current, evidence, expected):
    assert depth_after(current, evidence) == expected


def test_manual_moves_and_unknown_evidence_are_not_decided_by_the_rule():
    with pytest.raises(ValueError):
        depth_after(A, E.MANUAL)
    with pytest.raises(ValueError):
        depth_after(A, "gossip")


def test_a_move_is_recorded_and_no_move_writes_nothing(customer, rep):
    change = depth_record(customer=customer, evidence=E.SURVEY_SATISFIED, by=rep, note="survey 1")
    customer.refresh_from_db()
    assert customer.depth == S
    assert (change.from_depth, change.to_depth, change.evidence, change.by, change.note) == (A, S, E.SURVEY_SATISFIED, rep, "survey 1")
    assert depth_record(customer=customer, evidence=E.FIRST_INTERACTION) is None
    assert DepthChange.objects.filter(customer=customer).count() == 1


def test_first_interaction_makes_contact_but_a_note_does_not(customer, rep):
    interaction_create(by=rep, customer=customer, data={"kind": "note", "text": "客户资料待补充"})
    customer.refresh_from_db()
    assert customer.depth == A
    interaction_create(by=rep, customer=customer, data={"kind": "call", "direction": "outbound", "text": "首次电话联系，介绍产品"})
    customer.refresh_from_db()
    assert customer.depth == C
    assert list(customer.depth_changes.values_list("evidence", flat=True)) == [E.FIRST_INTERACTION]


def test_purchases_deepen_the_relationship_and_cancelled_orders_do_not(customer, rep, products):
    line = {"lines": [{"product": products["filter"], "quantity": 1}]}
    cancelled = order_create(by=rep, customer=customer, data={**line, "status": "cancelled"})
    assert cancelled.pk
    customer.refresh_from_db()
    assert customer.depth == A
    first = order_create(by=rep, customer=customer, data=line)
    customer.refresh_from_db()
    assert customer.depth == C
    order_create(by=rep, customer=customer, data=line)
    customer.refresh_from_db()
    assert customer.depth == S
    order_create(by=rep, customer=customer, data=line)
    customer.refresh_from_db()
    assert customer.depth == L
    history = list(customer.depth_changes.order_by("id").values_list("evidence", "to_depth", "note"))
    assert history[0] == (E.FIRST_PURCHASE, C, first.number)
    assert [h[:2] for h in history[1:]] == [(E.REPEAT_PURCHASE, S), (E.REPEAT_PURCHASE, L)]
    order_set_status(by=rep, order=first, status="cancelled")
    assert customer.depth_changes.count() == 3


def test_a_person_setting_the_depth_is_kept_as_a_manual_move(customer, rep):
    customer_update(by=rep, customer=customer, data={"depth": L})
    change = customer.depth_changes.get()
    assert (change.from_depth, change.to_depth, change.evidence, change.by) == (A, L, E.MANUAL, rep)
    customer_update(by=rep, customer=customer, data={"notes": "只改备注"})
    assert customer.depth_changes.count() == 1
