"""How alike two customer records are (pure: no Django).

Each kind of evidence has a weight, the chance on its own that the two are
one customer; independent pieces combine as 1 - Π(1 - w). A shared landline
weighs less than a shared mobile (a company's switchboard answers for many),
and the same name says more of an enterprise than of a person (there are many
王伟). A different city halves what the names say. The duplicate finder
(customers.merge.duplicates_scan) keeps pairs from MIN_SCORE up.
"""

from __future__ import annotations

from dataclasses import dataclass

# Reason codes, in the order a page lists them.
CREDIT_CODE = "credit_code"
MOBILE = "mobile"
EMAIL = "email"
NAME = "name"
PHONE = "phone"
PINYIN = "pinyin"
ADDRESS = "address"
OTHER_CITY = "other_city"

WEIGHTS = {
    CREDIT_CODE: 1.0,
    MOBILE: 0.95,
    EMAIL: 0.9,
    PHONE: 0.75,
    PINYIN: 0.5,
    ADDRESS: 0.4,
}
NAME_WEIGHT_ENTERPRISE = 0.9
NAME_WEIGHT_INDIVIDUAL = 0.6
# A contact's name within one customer: few people there share a name.
NAME_WEIGHT_CONTACT = 0.8
# Addresses this alike (character-bigram Dice) are taken for one place.
ADDRESS_SIMILARITY = 0.8
# Shorter address keys ("北京市朝阳区") name a district, not a door.
MIN_ADDRESS_LENGTH = 8
MIN_SCORE = 0.5


@dataclass(frozen=True)
class Keys:
    """What the comparison reads of one record: phones in E.164, the e-mail
    lower-case, the credit code upper-case, name and address as core.text keys."""

    credit_code: str = ""
    mobile: str = ""
    phone: str = ""
    email: str = ""
    name_key: str = ""
    name_pinyin: str = ""
    kind: str = ""
    address_key: str = ""
    city: str = ""


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def dice(a: str, b: str) -> float:
    """Character-bigram Dice coefficient: 1.0 for equal strings, 0.0 for nothing shared."""
    if a == b:
        return 1.0 if a else 0.0
    x, y = bigrams(a), bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def addresses_close(a: str, b: str) -> bool:
    return len(a) >= MIN_ADDRESS_LENGTH and len(b) >= MIN_ADDRESS_LENGTH and dice(a, b) >= ADDRESS_SIMILARITY


def _same(a: str, b: str) -> bool:
    return bool(a) and a == b


def _combine(weights: list[float]) -> float:
    missing = 1.0
    for weight in weights:
        missing *= 1.0 - weight
    return round(1.0 - missing, 4)


def _named(name_key: str) -> bool:
    # customer_keys_backfill gives a name of only punctuation the key "-".
    return bool(name_key) and name_key != "-"


def score(a: Keys, b: Keys) -> tuple[float, list[str]]:
    """(score from 0 to 1, reason codes) for two customers."""
    found: dict[str, float] = {}
    for code in (CREDIT_CODE, MOBILE, EMAIL, PHONE):
        if _same(getattr(a, code), getattr(b, code)):
            found[code] = WEIGHTS[code]
    other_city = bool(a.city and b.city and a.city != b.city)
    scale = 0.5 if other_city else 1.0
    if _named(a.name_key) and a.name_key == b.name_key:
        both_enterprises = a.kind == b.kind == "enterprise"
        found[NAME] = scale * (NAME_WEIGHT_ENTERPRISE if both_enterprises else NAME_WEIGHT_INDIVIDUAL)
    elif _same(a.name_pinyin, b.name_pinyin):
        found[PINYIN] = scale * WEIGHTS[PINYIN]
    if addresses_close(a.address_key, b.address_key):
        found[ADDRESS] = WEIGHTS[ADDRESS]
    reasons = list(found)
    if other_city and (NAME in found or PINYIN in found):
        reasons.append(OTHER_CITY)
    return _combine(list(found.values())), reasons


def contact_score(a: Keys, b: Keys) -> tuple[float, list[str]]:
    """(score, reason codes) for two contacts of one customer: colleagues
    share the switchboard and the address, so only mobile, e-mail and name count."""
    found: dict[str, float] = {}
    for code in (MOBILE, EMAIL):
        if _same(getattr(a, code), getattr(b, code)):
            found[code] = WEIGHTS[code]
    if _named(a.name_key) and a.name_key == b.name_key:
        found[NAME] = NAME_WEIGHT_CONTACT
    elif _same(a.name_pinyin, b.name_pinyin):
        found[PINYIN] = WEIGHTS[PINYIN]
    return _combine(list(found.values())), list(found)
