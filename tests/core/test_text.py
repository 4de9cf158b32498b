import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypinyin import lazy_pinyin

from manyi.core.text import (
    PhoneError,
    format_phone,
    initials_key,
    normalize_phone,
    normalize_text,
    phone_search_key,
    pinyin_key,
)


@pytest.mark.parametrize(
    "name,full,initials",
    [
        ("张三", "zhangsan", "zs"),
        ("欧阳娜娜", "ouyangnana", "oynn"),
        ("重庆长安汽车", "chongqingchanganqiche", "cqcaqc"),
        ("ＡＢＣ 贸易", "abcmaoyi", "amy"),
    ],
)
def test_pinyin_keys(name, full, initials):
    assert pinyin_key(name) == full
    assert initials_key(name) == initials


@pytest.mark.parametrize(
    "raw,e164",
    [
        ("138 1234 5678", "+8613812345678"),
        ("+86 138-1234-5678", "+8613812345678"),
        ("８６-13812345678", "+8613812345678"),
        ("010-88886666", "+861088886666"),
        ("(0755)87654321", "+8675587654321"),
        ("0571-8888 6666转 802", "+8657188886666"),
    ],
)
def test_normalize_phone(raw, e164):
    if e164 is None:
        with pytest.raises(PhoneError):
            normalize_phone(raw)
    else:
        assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "abc", "1381234567", "电话"])
def test_invalid_phones_raise(raw):
    with pytest.raises(PhoneError):
        normalize_phone(raw)


def test_format_phone_national_for_china():
    assert format_phone("+8613812345678") == "138 1234 5678"
    assert format_phone("+861088886666") == "010 8888 6666"


def test_phone_search_key():
    assert phone_search_key("138 1234") == "+861381234"
    assert phone_search_key("010-8888") == "+86108888"
    assert phone_search_key("zhang") is None


@given(st.text(max_size=30))
def test_normalize_text_is_idempotent(value):
    once = normalize_text(value)
    assert normalize_text(once) == once


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=8))
def test_initials_are_a_subsequence_of_full_pinyin(name):
    full, initials = pinyin_key(name), initials_key(name)
    # One initial per character with a reading: rare ones (烪) have none and add nothing.
    assert len(initials) == sum(1 for ch in name if lazy_pinyin(ch, errors="ignore"))
    it = iter(full)
    assert all(ch in it for ch in initials)


@pytest.mark.parametrize("e164", ["+8613812345678", "+8619900001111", "+861088886666", "+8640012345678", "+16502530000", ""])
def test_format_phone_lays_out_mobiles_as_phonenumbers_does(e164):
    import phonenumbers

    from manyi.core.text import _formatted

    assert format_phone(e164) == _formatted(e164)
    if e164.startswith("+861") and len(e164) == 14:
        national = phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL)
        assert format_phone(e164) == national
