"""Festivals and birthdays on the solar and the lunar (农历) calendar, computed
for any year with lunar_python. Pure: no Django. Festivals carry a code; the
Django layer (manyi.care.occasions) gives each code its translated name.

A lunar date is (lunar year, month, day), a leap month (闰月) being marked
apart: lunar_python numbers it negative (-6 is 闰六月).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from lunar_python import Lunar, LunarYear
from lunar_python.util import LunarUtil

SOLAR = "solar"
LUNAR = "lunar"
CALENDARS = (SOLAR, LUNAR)

# (code, lunar month, lunar day) of the traditional festivals fixed on the lunar calendar.
LUNAR_FESTIVALS = (
    ("spring_festival", 1, 1),
    ("lantern", 1, 15),
    ("dragon_boat", 5, 5),
    ("qixi", 7, 7),
    ("mid_autumn", 8, 15),
    ("double_ninth", 9, 9),
    ("laba", 12, 8),
)
# (code, month, day) of the Chinese festivals fixed on the Gregorian calendar.
SOLAR_FESTIVALS = (("new_year", 1, 1), ("national_day", 10, 1))
# Western festivals: (code, month, day) fixed, or (code, month, (nth, weekday)) the nth weekday of the month.
WESTERN_FESTIVALS = (
    ("valentines", 2, 14),
    ("mothers_day", 5, (2, 6)),  # the second Sunday of May
    ("fathers_day", 6, (3, 6)),  # the third Sunday of June
    ("christmas", 12, 25),
)
NEW_YEARS_EVE = "new_years_eve"
QINGMING = "qingming"

FESTIVAL_CODES = (
    "new_year", NEW_YEARS_EVE, "spring_festival", "lantern", QINGMING, "dragon_boat", "qixi", "mid_autumn",
    "national_day", "double_ninth", "laba", "valentines", "mothers_day", "fathers_day", "christmas",
)  # fmt: skip


@dataclass(frozen=True)
class Festival:
    code: str
    day: dt.date
    # How the date is reckoned: "lunar" (a lunar month and day) or "solar"
    # (a Gregorian date, or Qingming, a solar term: fixed by the sun).
    calendar: str
    western: bool = False


@dataclass(frozen=True)
class LunarDate:
    year: int
    month: int  # 1..12, the month's number (a leap month has the number of the month it follows)
    day: int
    leap: bool
    text: str  # in Chinese, e.g. "八月十五" or "闰六月初八"


# A Julian day number less this is the proleptic Gregorian ordinal (date.fromordinal).
_JULIAN_TO_ORDINAL = 1_721_425


@dataclass(frozen=True)
class _Month:
    first: dt.date
    number: int
    leap: bool
    days: int


@lru_cache(maxsize=512)
def _months(lunar_year: int) -> tuple[_Month, ...]:
    """The months of `lunar_year` in order, from lunar_python once per year:
    every conversion below is a look-up in these (lunar_python converts one
    day in about 5 ms; the agenda converts a birthday per customer)."""
    months = []
    for m in LunarYear.fromYear(lunar_year).getMonths():
        if m.getYear() == lunar_year:
            first = dt.date.fromordinal(int(m.getFirstJulianDay()) - _JULIAN_TO_ORDINAL)
            months.append(_Month(first, abs(m.getMonth()), m.getMonth() < 0, m.getDayCount()))
    return tuple(months)


def _month(lunar_year: int, month: int) -> _Month:
    """The ordinary (not leap) month `month` of `lunar_year`."""
    return next(m for m in _months(lunar_year) if m.number == month and not m.leap)


def _solar(lunar_year: int, month: int, day: int) -> dt.date:
    return _month(lunar_year, month).first + dt.timedelta(days=day - 1)


@lru_cache(maxsize=65536)
def to_lunar(day: dt.date) -> LunarDate:
    for lunar_year in (day.year, day.year - 1):
        for m in reversed(_months(lunar_year)):
            if m.first <= day:
                offset = (day - m.first).days
                if offset >= m.days:
                    break  # not in this lunar year
                month_text = ("闰" if m.leap else "") + LunarUtil.MONTH[m.number]
                return LunarDate(lunar_year, m.number, offset + 1, m.leap, f"{month_text}月{LunarUtil.DAY[offset + 1]}")
    raise ValueError(f"{day} is outside the lunar calendar")


def month_length(lunar_year: int, month: int) -> int:
    """Days (29 or 30) of the ordinary lunar month `month` of `lunar_year`."""
    return _month(lunar_year, month).days


def last_day_of_lunar_year(lunar_year: int) -> dt.date:
    """除夕: the twelfth month's last day, the 29th or the 30th."""
    return _solar(lunar_year, 12, month_length(lunar_year, 12))


def leap_month(lunar_year: int) -> int:
    """The number of the month `lunar_year` repeats, 0 when none."""
    return next((m.number for m in _months(lunar_year) if m.leap), 0)


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _qingming(year: int) -> dt.date:
    s = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


def festivals(year: int) -> list[Festival]:
    """Every festival whose day falls in the Gregorian year `year`, in date order.
    Laba and New Year's Eve of one lunar year may fall in the next Gregorian
    year (or, for Laba, at the end of this one): both lunar years are looked at."""
    return list(_festivals(year))


@lru_cache(maxsize=64)
def _festivals(year: int) -> tuple[Festival, ...]:
    found: list[Festival] = []
    for lunar_year in (year - 1, year):
        for code, month, day in LUNAR_FESTIVALS:
            found.append(Festival(code, _solar(lunar_year, month, day), LUNAR))
        found.append(Festival(NEW_YEARS_EVE, last_day_of_lunar_year(lunar_year), LUNAR))
    found = [f for f in found if f.day.year == year]
    found.append(Festival(QINGMING, _qingming(year), SOLAR))
    found.extend(Festival(code, dt.date(year, month, day), SOLAR) for code, month, day in SOLAR_FESTIVALS)
    for code, month, when in WESTERN_FESTIVALS:
        day = _nth_weekday(year, month, *when) if isinstance(when, tuple) else dt.date(year, month, when)
        found.append(Festival(code, day, SOLAR, western=True))
    return tuple(sorted(found, key=lambda f: (f.day, FESTIVAL_CODES.index(f.code))))


def festivals_between(start: dt.date, end: dt.date) -> list[Festival]:
    """The festivals from `start` to `end`, both included."""
    return [f for year in range(start.year, end.year + 1) for f in festivals(year) if start <= f.day <= end]


# --- birthdays ---------------------------------------------------------------------


def _solar_birthday(birthday: dt.date, year: int) -> dt.date:
    """29 February is kept on the 28th in a common year."""
    if birthday.month == 2 and birthday.day == 29 and not _is_leap_year(year):
        return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def _is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def lunar_birthday(birthday: dt.date, lunar_year: int) -> dt.date:
    """The Gregorian day of the lunar anniversary of `birthday` in `lunar_year`.
    A birth in a leap month is celebrated in the ordinary month of that number;
    a birth on the 30th, in a year where that month has 29 days, on the 29th
    (the month's last day)."""
    born = to_lunar(birthday)
    return _anniversary(born.month, born.day, lunar_year)


def _anniversary(month: int, day: int, lunar_year: int) -> dt.date:
    return _solar(lunar_year, month, min(day, month_length(lunar_year, month)))


def birthday_on(birthday: dt.date, calendar: str, year: int) -> dt.date:
    """The day celebrated in `year`: the Gregorian year for a solar birthday,
    the lunar year for a lunar one (whose day may fall in January or February
    of the next Gregorian year)."""
    if calendar == LUNAR:
        return lunar_birthday(birthday, year)
    if calendar == SOLAR:
        return _solar_birthday(birthday, year)
    raise ValueError(f"unknown calendar {calendar!r}")


def next_birthday(birthday: dt.date, calendar: str, on_or_after: dt.date) -> dt.date:
    """The first day on or after `on_or_after` that the birthday is celebrated
    (never before the birth itself). A lunar year straddles the Gregorian new
    year, so the lunar years around `on_or_after` are all tried."""
    after = max(on_or_after, birthday)
    if calendar == LUNAR:
        born_year = to_lunar(birthday).year
        candidates = (lunar_birthday(birthday, y) for y in range(max(after.year - 1, born_year), after.year + 2))
    else:
        candidates = (birthday_on(birthday, calendar, y) for y in range(max(after.year, birthday.year), after.year + 2))
    return min(day for day in candidates if day >= after)


def age_on(birthday: dt.date, calendar: str, celebrated: dt.date) -> int:
    """The age turned on a birthday celebrated on `celebrated` (whole years,
    counted on the calendar the birthday is kept on)."""
    if calendar == LUNAR:
        return to_lunar(celebrated).year - to_lunar(birthday).year
    return celebrated.year - birthday.year


def is_milestone(age: int) -> bool:
    """A round birthday (30, 40, ...), worth more than a message."""
    return age >= 10 and age % 10 == 0
