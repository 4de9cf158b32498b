"""The 360° page's relationship card: how deep the relationship is and how it
got there, the next birthday, membership, the latest survey answers, open
follow-up tasks and marketing consent. Each read goes through its domain's
selector for the user asking."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from manyi.accounts.models import User
from manyi.campaigns.models import ChannelKind
from manyi.campaigns.selectors import consent_state
from manyi.care import lunar
from manyi.care.greetings import lunar_text
from manyi.care.selectors import FollowUpFilters, followup_list
from manyi.customers.models import BirthdayCalendar, Customer
from manyi.loyalty.models import MemberStatus
from manyi.loyalty.selectors import member_card, member_of_customer
from manyi.satisfaction.selectors import ResponseFilters, response_list
from manyi.satisfaction.services import can_survey


def relationship_panel(user: User, customer: Customer) -> dict[str, Any]:
    today = timezone.localdate()
    birthday = lunar.next_birthday(customer.birthday, customer.birthday_calendar, today) if customer.birthday else None
    member = member_of_customer(customer=customer)
    active = member is not None and member.status == MemberStatus.ACTIVE
    return {
        "depth_changes": list(customer.depth_changes.select_related("by")[:5]),
        "next_birthday": birthday,
        "next_birthday_lunar": lunar_text(birthday) if birthday and customer.birthday_calendar == BirthdayCalendar.LUNAR else "",
        "member": member if active else None,
        "member_card": member_card(member=member, today=today) if active else None,
        "surveys": list(response_list(user=user, filters=ResponseFilters(customer=customer.pk))[:3]),
        "follow_ups": list(followup_list(user=user, filters=FollowUpFilters(status="open", customer=customer.pk), today=today)[:5]),
        "consent": [(ChannelKind(channel).label, consent_state(customer=customer, channel=channel)) for channel in ChannelKind.values],
        "can_survey": can_survey(user, customer),
        "today": today,
    }
