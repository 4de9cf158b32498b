"""The pure ledger: balance, FIFO lots, expiry, tiers; examples and properties."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from manyi.loyalty import ledger
from manyi.loyalty.ledger import ADJUST, EARN, EXPIRE, REDEEM, REVERSE, Entry

D = dt.date(2026, 1, 10)


def test_balance_is_the_sum_and_redemptions_take_the_oldest_lot_first():
    entries = [
        Entry(1, EARN, 100, D, expires_on=dt.date(2026, 6, 1)),
        Entry(2, EARN, 50, D, expires_on=dt.date(2026, 3, 1)),
        Entry(3, REDEEM, -120, D),
    ]
    allocation = ledger.allocate(entries)
    assert ledger.balance(entries) == 30 == allocation.remaining
    assert allocation.taken[3] == [(1, 100), (2, 20)]
    assert [lot.remaining for lot in allocation.lots] == [0, 30]


def test_what_lapses_by_a_day_is_the_unconsumed_part_of_lots_due_by_then():
    entries = [
        Entry(1, EARN, 100, D, expires_on=dt.date(2026, 3, 1)),
        Entry(2, EARN, 80, D, expires_on=dt.date(2026, 9, 1)),
        Entry(3, REDEEM, -30, D),
    ]
    assert ledger.expiring_by(entries, dt.date(2026, 2, 28)) == 0
    assert ledger.expiring_by(entries, dt.date(2026, 3, 1)) == 70  # lapses on its day
    assert ledger.expiring_by(entries, dt.date(2026, 12, 31)) == 150
    assert [lot.id for lot in ledger.lapsed(entries, dt.date(2026, 3, 1))] == [1]


def test_an_expiry_consumes_the_lot_it_names_and_nothing_lapses_twice():
    entries = [
        Entry(1, EARN, 100, D, expires_on=dt.date(2026, 3, 1)),
        Entry(2, EARN, 80, D, expires_on=dt.date(2026, 9, 1)),
        Entry(3, EXPIRE, -100, dt.date(2026, 3, 1), lot=1),
    ]
    allocation = ledger.allocate(entries)
    assert allocation.taken[3] == [(1, 100)]
    assert ledger.lapsed(entries, dt.date(2026, 3, 2)) == []
    assert ledger.balance(entries) == 80


def test_reversing_an_earning_takes_its_own_lot_first():
    entries = [
        Entry(1, EARN, 100, D, expires_on=dt.date(2026, 3, 1)),
        Entry(2, EARN, 80, D, expires_on=dt.date(2026, 9, 1)),
        Entry(3, REVERSE, -80, D, reverses=2),
    ]
    assert ledger.allocate(entries).taken[3] == [(2, 80)]
    assert ledger.expiring_by(entries, dt.date(2026, 3, 1)) == 100


def test_points_a_reversed_redemption_gives_back_lapse_when_the_spent_ones_would_have():
    entries = [
        Entry(1, EARN, 100, D, expires_on=dt.date(2026, 3, 1)),
        Entry(2, EARN, 80, D, expires_on=dt.date(2026, 9, 1)),
        Entry(3, REDEEM, -150, D),
    ]
    assert ledger.restored_expiry(entries, 3) == dt.date(2026, 9, 1)
    entries.append(Entry(4, ADJUST, 10, D))
    entries.append(Entry(5, REDEEM, -40, D))
    assert ledger.restored_expiry(entries, 5) is None  # part of it came from a lot that never lapses


def test_earned_in_the_last_year_ignores_older_and_reversed_earnings_and_adjustments():
    today = dt.date(2026, 6, 30)
    entries = [
        Entry(1, EARN, 500, dt.date(2025, 6, 30)),  # 366 days ago: out
        Entry(2, EARN, 300, dt.date(2025, 7, 1)),  # exactly 12 months: in
        Entry(3, EARN, 200, dt.date(2026, 6, 1)),
        Entry(4, REVERSE, -200, dt.date(2026, 6, 2), reverses=3),
        Entry(5, ADJUST, 1000, dt.date(2026, 6, 3)),
    ]
    assert ledger.earned_last_year(entries, today) == 300


def test_tiers_follow_the_thresholds_and_progress_runs_to_the_next():
    table = [(0, "member"), (1000, "silver"), (5000, "gold")]
    assert ledger.tier_for(0, table) == "member"
    assert ledger.tier_for(999, table) == "member"
    assert ledger.tier_for(1000, table) == "silver"
    assert ledger.tier_for(10_000, table) == "gold"
    assert ledger.tier_for(10, [(100, "x")]) is None
    assert ledger.next_tier(1200, table) == (5000, "gold")
    assert ledger.next_tier(6000, table) is None
    assert ledger.progress(3000, table) == 0.5
    assert ledger.progress(6000, table) == 1.0


def test_default_expiry_is_24_months_later_on_the_months_last_day_when_shorter():
    assert ledger.default_expiry(dt.date(2026, 5, 17)) == dt.date(2028, 5, 17)
    assert ledger.default_expiry(dt.date(2026, 2, 28)) == dt.date(2028, 2, 28)
    assert ledger.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert ledger.add_months(dt.date(2027, 12, 31), 2) == dt.date(2028, 2, 29)


@st.composite
def histories(draw):
    """Ledgers as the services write them: a negative entry never takes the balance below zero."""
    entries: list[Entry] = []
    for i in range(1, draw(st.integers(0, 30)) + 1):
        balance = ledger.balance(entries)
        choice = draw(st.sampled_from([EARN, REDEEM, EXPIRE, REVERSE, ADJUST]))
        day = D + dt.timedelta(days=i)
        if choice == EARN or balance == 0:
            entries.append(Entry(i, EARN, draw(st.integers(1, 500)), day, expires_on=day + dt.timedelta(days=draw(st.integers(0, 60)))))
        elif choice == REDEEM:
            entries.append(Entry(i, REDEEM, -draw(st.integers(1, balance)), day))
        elif choice == ADJUST:
            entries.append(Entry(i, ADJUST, draw(st.integers(-balance, 500).filter(bool)), day))
        elif choice == EXPIRE:
            due = ledger.lapsed(entries, day)
            if due:
                entries.append(Entry(i, EXPIRE, -due[0].remaining, day, lot=due[0].id))
        else:
            done = {e.reverses for e in entries if e.reverses}
            open_ = [e for e in entries if e.kind in ledger.REVERSIBLE and e.id not in done and balance - e.points >= 0]
            if open_:
                target = draw(st.sampled_from(open_))
                entries.append(Entry(i, REVERSE, -target.points, day, reverses=target.id))
    return entries


@given(histories())
def test_lots_always_account_for_the_whole_balance(entries):
    allocation = ledger.allocate(entries)
    assert allocation.shortfall == 0
    assert allocation.remaining == ledger.balance(entries) >= 0
    assert all(lot.remaining >= 0 for lot in allocation.lots)
    for entry in entries:
        if entry.points < 0:
            assert sum(n for _lot, n in allocation.taken[entry.id]) == -entry.points


@given(histories(), st.integers(0, 120))
def test_what_lapses_never_exceeds_the_balance(entries, days):
    assert 0 <= ledger.expiring_by(entries, D + dt.timedelta(days=days)) <= ledger.balance(entries)
