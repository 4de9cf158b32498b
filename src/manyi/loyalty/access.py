"""Who may see and change the loyalty programme: the one place that says so.

- a member is seen by whoever sees its customer (customers.access);
- enrol, redeem, reverse and record referrals: anyone who sees the customer
  and is not read-only (analysts only read);
- manual adjustments: the customer's team manager and administrators;
- the programme's settings: administrators set tiers and earn rules (they are
  the programme's economics, company-wide); managers keep the rewards
  catalogue (names, costs, stock) too, as they run the counter.
"""

from __future__ import annotations

from manyi.accounts.models import User
from manyi.customers.models import Customer


def _active(user: User | None) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_write(user: User | None, customer: Customer) -> bool:
    """Given a customer the user sees: enrol, redeem, reverse, refer."""
    return _active(user) and not user.is_read_only


def can_adjust(user: User | None, customer: Customer) -> bool:
    if not _active(user):
        return False
    if user.is_admin:
        return True
    return user.is_manager and user.team_id is not None and customer.team_id == user.team_id


def can_configure_programme(user: User | None) -> bool:
    """Tiers and earn rules."""
    return _active(user) and user.is_admin


def can_manage_rewards(user: User | None) -> bool:
    return _active(user) and (user.is_admin or user.is_manager)


def can_see_settings(user: User | None) -> bool:
    return can_manage_rewards(user)
