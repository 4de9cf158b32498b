"""The done-when point: any sequence of earn, redeem, expire (on a moving
clock) and reverse keeps every balance equal to its ledger's sum and never
below zero; a redemption beyond the balance raises and writes nothing; and
concurrent redemptions of one member serialise (PostgreSQL in CI, SQLite too)."""

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.core.errors import ApplicationError
from manyi.loyalty import ledger, services
from manyi.loyalty.models import LedgerEntry, Member, Redemption, Reward
from tests.factories import CustomerFactory

START = dt.date(2026, 1, 1)

operations = st.lists(
    st.one_of(
        st.tuples(st.just("earn"), st.integers(0, 1), st.integers(1, 400), st.integers(0, 90)),
        st.tuples(st.just("redeem"), st.integers(0, 1), st.integers(0, 2)),
        st.tuples(st.just("expire"), st.integers(0, 60)),
        st.tuples(st.just("reverse"), st.integers(0, 1), st.integers(0, 50)),
        st.tuples(st.just("adjust"), st.integers(0, 1), st.integers(-300, 300).filter(bool)),
    ),
    max_size=12,
)


def _check_balances(members):
    for member in members:
        stored = Member.objects.get(pk=member.pk).balance
        total = LedgerEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] or 0
        entries = [e.as_entry() for e in LedgerEntry.objects.filter(member=member).order_by("id")]
        allocation = ledger.allocate(entries)
        assert stored == total >= 0
        assert allocation.shortfall == 0 and allocation.remaining == total


def _balance(member) -> int:
    return LedgerEntry.objects.filter(member=member).aggregate(s=Sum("points"))["s"] or 0


def _apply(op, members, rewards, clock, rep, manager):
    """One operation; returns the clock. A refused operation must write nothing."""
    kind, *args = op
    before = LedgerEntry.objects.count()
    if kind == "earn":
        m, points, days = args
        services.points_earn(member=members[m], points=points, reason="test", expires_on=clock + dt.timedelta(days=days))
        assert LedgerEntry.objects.count() == before + 1
    elif kind == "redeem":
        member, reward = members[args[0]], rewards[args[1]]
        if _balance(member) < reward.cost:
            with pytest.raises(ApplicationError) as refused:
                services.points_redeem(member=member, reward=reward, by=rep)
            assert refused.value.code == "insufficient_points"
            assert LedgerEntry.objects.count() == before
        else:
            services.points_redeem(member=member, reward=reward, by=rep)
    elif kind == "expire":
        clock += dt.timedelta(days=args[0])
        services.points_expire(as_of=clock)
        for member in members:  # nothing unconsumed has lapsed any more
            assert ledger.lapsed([e.as_entry() for e in member.entries.order_by("id")], clock) == []
        assert services.points_expire(as_of=clock)["entries"] == 0
    elif kind == "reverse":
        rows = list(members[args[0]].entries.order_by("id"))
        if rows:
            target = rows[args[1] % len(rows)]
            by = manager if target.kind == "adjust" else rep
            try:
                services.points_reverse(entry=target, by=by, reason="mistake")
            except ApplicationError as exc:
                assert exc.code in ("insufficient_points", "not_reversible", "already_reversed")
                assert LedgerEntry.objects.count() == before
    else:
        m, points = args
        try:
            services.points_adjust(member=members[m], points=points, reason="correction", by=manager)
        except ApplicationError as exc:
            assert exc.code == "insufficient_points" and _balance(members[m]) + points < 0
            assert LedgerEntry.objects.count() == before
    return clock


@pytest.mark.django_db
def test_any_sequence_keeps_every_balance_equal_to_its_ledger_and_never_negative(customer, rep, manager):
    members = [services.member_enroll(customer=c, by=rep) for c in (customer, CustomerFactory(owner=rep))]
    rewards = [Reward.objects.create(name=f"gift {cost}", cost=cost) for cost in (50, 120, 300)]

    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(operations)
    def run(ops):
        with transaction.atomic():
            clock = START
            for op in ops:
                clock = _apply(op, members, rewards, clock, rep, manager)
                _check_balances(members)
            transaction.set_rollback(True)

    run()


@pytest.mark.django_db(transaction=True)
def test_concurrent_redemptions_never_overdraw(customer, rep):
    k, n = 3, 8
    member = services.member_enroll(customer=customer, by=rep)
    reward = Reward.objects.create(name="保温杯", cost=100)
    services.points_earn(member=member, points=k * 100 + 50, reason="opening balance")
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def redeem():
        try:
            barrier.wait()
            try:
                services.points_redeem(member=member, reward=reward, by=rep)
                outcome = "ok"
            except ApplicationError as exc:
                outcome = exc.code
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["insufficient_points"] * (n - k) + ["ok"] * k
    assert Redemption.objects.filter(member=member).count() == k
    member.refresh_from_db()
    assert member.balance == _balance(member) == 50
