"""Background work of the loyalty programme, run once a day. Tasks are thin:
they call a service. Both are safe to run twice (each lot expires once, each
birthday earns once a year)."""

import datetime as dt

from django.utils import timezone
from django_tasks import task


@task()
def loyalty_daily() -> dict:
    """Expire the points that lapsed by today, set tiers as earnings age out,
    and award today's birthday points."""
    from manyi.loyalty.services import member_tiers_refresh, points_expire

    today = timezone.localdate()
    expired = points_expire(as_of=today)
    return {"expired": expired, "tiers_changed": member_tiers_refresh(today=today), "birthdays": birthday_points(today)}


def birthday_points(today: dt.date) -> int:
    """The birthday rule's points for every member celebrating today, on the
    calendar they keep (solar or lunar); returns how many members have them."""
    from manyi.care.lunar import next_birthday
    from manyi.loyalty.models import Member, MemberStatus
    from manyi.loyalty.services import points_birthday

    awarded = 0
    members = Member.objects.filter(status=MemberStatus.ACTIVE, customer__birthday__isnull=False, customer__deleted_at__isnull=True)
    for member in members.select_related("customer").iterator():
        customer = member.customer
        if next_birthday(customer.birthday, customer.birthday_calendar, today) == today:
            awarded += points_birthday(member=member, year=today.year) is not None
    return awarded
