"""Greeting drafts for the occasions of the "today" agenda, in the active
language, addressed the way a customer expects: 王先生 / 王女士 (Mr Wang /
Ms Wang) from the name and gender; an enterprise through its key person, else
by the company's name. The user adapts the draft before sending it."""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.care import lunar
from manyi.core.text import honorific as person_honorific

FESTIVAL_LABELS = {
    "new_year": gettext_lazy("New Year's Day"),
    "new_years_eve": gettext_lazy("New Year's Eve (lunar)"),
    "spring_festival": gettext_lazy("Spring Festival"),
    "lantern": gettext_lazy("Lantern Festival"),
    "qingming": gettext_lazy("Qingming Festival"),
    "dragon_boat": gettext_lazy("Dragon Boat Festival"),
    "qixi": gettext_lazy("Qixi Festival"),
    "mid_autumn": gettext_lazy("Mid-Autumn Festival"),
    "national_day": gettext_lazy("National Day"),
    "double_ninth": gettext_lazy("Double Ninth Festival"),
    "laba": gettext_lazy("Laba Festival"),
    "valentines": gettext_lazy("Valentine's Day"),
    "mothers_day": gettext_lazy("Mother's Day"),
    "fathers_day": gettext_lazy("Father's Day"),
    "christmas": gettext_lazy("Christmas"),
}

def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def honorific(name: str, gender: str = "") -> str:
    """王先生 / Mr Wang for a man, 王女士 / Ms Wang for a woman, the full name otherwise."""
    return person_honorific(name, gender, chinese=_chinese())


def addressee(customer, key_contact=None) -> str:
    """How a greeting opens: an individual by name and gender, an enterprise
    through its key person, else by the company's name."""
    if customer.kind == "individual":
        return honorific(customer.name, customer.gender)
    if key_contact is not None:
        return honorific(key_contact.name, key_contact.gender)
    return customer.name


def festival_label(code: str) -> str:
    return str(FESTIVAL_LABELS[code])


def lunar_text(day: dt.date) -> str:
    """The lunar date of a day, as the user reads it: 农历八月十五 / lunar 8/15 (leap 6/8)."""
    date = lunar.to_lunar(day)
    if _chinese():
        return "农历" + date.text
    if date.leap:
        return _("lunar leap %(month)d/%(day)d") % {"month": date.month, "day": date.day}
    return _("lunar %(month)d/%(day)d") % {"month": date.month, "day": date.day}


def birthday(name: str, *, age: int | None = None, milestone: bool = False) -> str:
    if milestone and age:
        return _("%(name)s, happy %(age)dth birthday! Wishing you good health and every happiness in the years ahead.") % {"name": name, "age": age}
    return _("%(name)s, happy birthday! Wishing you good health and every happiness in the year ahead.") % {"name": name}


def _festival_texts() -> dict[str, str]:
    return {
        "new_year": _("%(name)s, happy New Year! Thank you for your support over the past year; wishing you health and success in the new one."),
        "new_years_eve": _("%(name)s, as the year draws to a close, thank you for your trust. Wishing you and your family a warm reunion and a happy new year!"),
        "spring_festival": _("%(name)s, happy Spring Festival! Wishing you and your family good health, happiness and prosperity in the new year."),
        "lantern": _("%(name)s, happy Lantern Festival! Wishing you a happy family reunion and a bright year."),
        "dragon_boat": _("%(name)s, wishing you good health and peace this Dragon Boat Festival!"),
        "mid_autumn": _("%(name)s, happy Mid-Autumn Festival! Wishing you and your family a joyful reunion under the full moon."),
        "national_day": _("%(name)s, happy National Day! Enjoy the holiday with your family."),
        "double_ninth": _("%(name)s, on the Double Ninth Festival we wish you and the elders of your family good health and a long life."),
        "laba": _("%(name)s, happy Laba Festival! Warm wishes as the new year draws near."),
        "valentines": _("%(name)s, happy Valentine's Day! Wishing you a day full of love."),
        "mothers_day": _("%(name)s, happy Mother's Day! Wishing you and the mothers in your family health and happiness."),
        "fathers_day": _("%(name)s, happy Father's Day! Wishing you and the fathers in your family health and happiness."),
        "christmas": _("%(name)s, merry Christmas! Wishing you a joyful holiday season."),
    }


def festival(name: str, code: str) -> str:
    texts = _festival_texts()
    if code not in texts:
        raise ValueError(f"no greeting for the festival {code!r}")
    return texts[code] % {"name": name}


def periodic(name: str) -> str:
    return _("%(name)s, hello! It has been a while since we last spoke. How is everything going? If there is anything we can help with, just let me know.") % {"name": name}


def recheck(name: str, subject: str) -> str:
    return _("%(name)s, hello! I am following up on the problem you reported, “%(subject)s”. Has it been solved to your satisfaction? Your opinion helps us do better.") % {"name": name, "subject": subject}


def task(name: str, title: str) -> str:
    return _("%(name)s, hello! I am following up on “%(title)s”.") % {"name": name, "title": title}
