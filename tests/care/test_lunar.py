"""Festivals and birthdays on the lunar calendar (manyi.care.lunar).

The published dates below are those of the Hong Kong Observatory's
Gregorian–Lunar calendar conversion tables (www.hko.gov.hk/en/gts/time/
conversion.htm), the same that the State Council's holiday notices for 2025
(国办发明电〔2024〕12号) and 2026 use for the festival days."""

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lunar_python import LunarMonth, Solar

from manyi.care import lunar

D = dt.date
PUBLISHED = {
    #      除夕              春节              元宵              清明             端午             七夕             中秋              重阳
    2025: (D(2025, 1, 28), D(2025, 1, 29), D(2025, 2, 12), D(2025, 4, 4), D(2025, 5, 31), D(2025, 8, 29), D(2025, 10, 6), D(2025, 10, 29)),
    2026: (D(2026, 2, 16), D(2026, 2, 17), D(2026, 3, 3), D(2026, 4, 5), D(2026, 6, 19), D(2026, 8, 19), D(2026, 9, 25), D(2026, 10, 18)),
    2027: (D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 20), D(2027, 4, 5), D(2027, 6, 9), D(2027, 8, 8), D(2027, 9, 15), D(2027, 10, 8)),
    2028: (D(2028, 1, 25), D(2028, 1, 26), D(2028, 2, 9), D(2028, 4, 4), D(2028, 5, 28), D(2028, 8, 26), D(2028, 10, 3), D(2028, 10, 26)),
    2029: (D(2029, 2, 12), D(2029, 2, 13), D(2029, 2, 27), D(2029, 4, 4), D(2029, 6, 16), D(2029, 8, 16), D(2029, 9, 22), D(2029, 10, 16)),
    2030: (D(2030, 2, 2), D(2030, 2, 3), D(2030, 2, 17), D(2030, 4, 5), D(2030, 6, 5), D(2030, 8, 5), D(2030, 9, 12), D(2030, 10, 5)),
}  # fmt: skip
CODES = ("new_years_eve", "spring_festival", "lantern", "qingming", "dragon_boat", "qixi", "mid_autumn", "double_ninth")


def _by_code(year):
    found = {}
    for f in lunar.festivals(year):
        assert f.code not in found, f"{f.code} twice in {year}"
        found[f.code] = f
    return found


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_festivals_match_the_published_dates(year):
    found = _by_code(year)
    assert {code: found[code].day for code in CODES} == dict(zip(CODES, PUBLISHED[year], strict=True))


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_statutory_holidays_fall_on_the_computed_festivals(year):
    """chinese_calendar (the State Council's notices) covers 2025 and 2026."""
    found = _by_code(year)
    names = {"spring_festival": "Spring Festival", "qingming": "Tomb-sweeping Day", "dragon_boat": "Dragon Boat Festival", "mid_autumn": "Mid-autumn Festival"}
    for code, name in names.items():
        is_holiday, holiday = chinese_calendar.get_holiday_detail(found[code].day)
        assert is_holiday and holiday == name, (code, found[code].day, holiday)


def test_new_years_eve_is_the_29th_when_the_twelfth_month_is_short():
    # Lunar 2024 and 2025 end on a 29th (no 大年三十); lunar 2029 on a 30th.
    assert lunar.month_length(2025, 12) == 29 and lunar.to_lunar(D(2026, 2, 16)).day == 29
    assert lunar.month_length(2029, 12) == 30 and lunar.to_lunar(D(2030, 2, 2)).day == 30


def test_solar_and_western_festivals():
    found = _by_code(2026)
    assert found["new_year"].day == D(2026, 1, 1) and not found["new_year"].western
    assert found["national_day"].day == D(2026, 10, 1)
    assert found["mothers_day"].day == D(2026, 5, 10) and found["mothers_day"].western  # the second Sunday of May
    assert found["fathers_day"].day == D(2026, 6, 21)  # the third Sunday of June
    assert found["valentines"].day == D(2026, 2, 14) and found["christmas"].day == D(2026, 12, 25)
    assert found["laba"].day == D(2026, 1, 26) and found["laba"].calendar == "lunar"
    assert [f.day for f in lunar.festivals(2026)] == sorted(f.day for f in lunar.festivals(2026))


def test_festivals_between_crosses_the_year():
    codes = [f.code for f in lunar.festivals_between(D(2027, 12, 20), D(2028, 1, 10))]
    assert codes == ["christmas", "new_year", "laba"]


# --- birthdays ------------------------------------------------------------------------

BORN_ON_AN_8TH_MONTH_30TH = D(1980, 10, 8)  # lunar 1980 八月三十


def test_a_lunar_30th_in_a_year_whose_month_is_short_is_kept_on_the_29th():
    assert (lunar.to_lunar(BORN_ON_AN_8TH_MONTH_30TH).month, lunar.to_lunar(BORN_ON_AN_8TH_MONTH_30TH).day) == (8, 30)
    assert lunar.month_length(2025, 8) == 29
    celebrated = lunar.birthday_on(BORN_ON_AN_8TH_MONTH_30TH, "lunar", 2025)
    assert celebrated == D(2025, 10, 20)
    assert (lunar.to_lunar(celebrated).month, lunar.to_lunar(celebrated).day) == (8, 29)
    # In 2029 the eighth month has 30 days: the 30th itself.
    assert lunar.month_length(2029, 8) == 30
    assert lunar.birthday_on(BORN_ON_AN_8TH_MONTH_30TH, "lunar", 2029) == D(2029, 10, 7)


def test_a_birth_in_a_leap_month_is_celebrated_in_the_ordinary_month():
    born = D(1987, 8, 4)  # lunar 1987 闰六月初十
    assert lunar.to_lunar(born).leap and lunar.to_lunar(born).month == 6
    assert lunar.leap_month(2025) == 6
    celebrated = lunar.birthday_on(born, "lunar", 2025)
    assert celebrated == D(2025, 7, 4)
    assert not lunar.to_lunar(celebrated).leap


def test_29_february_is_kept_on_the_28th_in_a_common_year():
    born = D(1996, 2, 29)
    assert lunar.birthday_on(born, "solar", 2027) == D(2027, 2, 28)
    assert lunar.birthday_on(born, "solar", 2028) == D(2028, 2, 29)
    assert lunar.next_birthday(born, "solar", D(2027, 3, 1)) == D(2028, 2, 29)


def test_a_lunar_birthday_straddles_the_solar_new_year():
    born = D(1981, 2, 4)  # lunar 1980 腊月三十
    assert (lunar.to_lunar(born).month, lunar.to_lunar(born).day) == (12, 30)
    # Lunar 2024's birthday falls on 2025-01-28 (its twelfth month has 29 days) ...
    assert lunar.next_birthday(born, "lunar", D(2025, 1, 1)) == D(2025, 1, 28)
    # ... and after it none falls in the rest of 2025: lunar 2025's is 2026-02-16.
    assert lunar.next_birthday(born, "lunar", D(2025, 1, 29)) == D(2026, 2, 16)
    assert lunar.next_birthday(born, "lunar", D(2026, 2, 16)) == D(2026, 2, 16)
    assert lunar.age_on(born, "lunar", D(2026, 2, 16)) == 45


def test_solar_next_birthday_and_age():
    born = D(1986, 3, 15)
    assert lunar.next_birthday(born, "solar", D(2026, 3, 15)) == D(2026, 3, 15)
    assert lunar.next_birthday(born, "solar", D(2026, 3, 16)) == D(2027, 3, 15)
    assert lunar.age_on(born, "solar", D(2026, 3, 15)) == 40 and lunar.is_milestone(40) and not lunar.is_milestone(41)
    with pytest.raises(ValueError):
        lunar.birthday_on(born, "julian", 2026)


@settings(max_examples=150, deadline=None)
@given(born=st.dates(min_value=D(1940, 1, 1), max_value=D(2010, 12, 31)), year=st.integers(min_value=2025, max_value=2030))
def test_a_lunar_birthday_converts_back_to_the_birth_month_and_day(born, year):
    birth = Solar.fromYmd(born.year, born.month, born.day).getLunar()
    month, day = abs(birth.getMonth()), birth.getDay()
    celebrated = lunar.birthday_on(born, "lunar", year)
    back = Solar.fromYmd(celebrated.year, celebrated.month, celebrated.day).getLunar()
    assert back.getYear() == year
    assert back.getMonth() == month  # the ordinary month, never a leap one
    assert back.getDay() == min(day, LunarMonth.fromYm(year, month).getDayCount())
    assert lunar.next_birthday(born, "lunar", celebrated) == celebrated
