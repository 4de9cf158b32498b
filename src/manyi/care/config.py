"""The care settings: how often each grade is followed up, how far ahead the
"today" agenda looks, and who is greeted on festivals."""

from __future__ import annotations

import datetime as dt

# A customer of grade A not contacted for 30 days is due a regular follow-up (定期回访).
FOLLOW_UP_DAYS = {"A": 30, "B": 60, "C": 90, "D": 180}
BIRTHDAY_DAYS = 7  # birthdays from today to six days ahead
FESTIVAL_DAYS = 14  # festivals from today to thirteen days ahead
# Festival greetings go to the customers that matter most: grade A or B, or key or major importance.
GREET_GRADES = ("A", "B")
GREET_IMPORTANCE = ("key", "major")
# Festivals on the calendar that are no occasion for a greeting to a customer:
# Qingming is a day of mourning, Qixi a lovers' day.
NOT_GREETED = ("qingming", "qixi")
# The agenda lists this many of the customers due a regular follow-up, and counts the rest.
PERIODIC_SHOWN = 20
FESTIVAL_CUSTOMERS_SHOWN = 30


def follow_up_interval(grade: str) -> dt.timedelta:
    return dt.timedelta(days=FOLLOW_UP_DAYS.get(grade, FOLLOW_UP_DAYS["D"]))
