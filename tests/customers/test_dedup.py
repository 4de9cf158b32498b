"""Scoring two customer records (customers.dedup): pure, no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.core.text import address_key, name_key
from manyi.customers.dedup import Keys, addresses_close, contact_score, dice, score

ADDRESS = address_key("浙江省杭州市西湖区文三路 478 号华星时代广场 A 座 1201 室")


def test_nothing_shared_is_no_evidence():
    assert score(Keys(mobile="+8613800000001", name_key="甲"), Keys(mobile="+8613800000002", name_key="乙")) == (0.0, [])


@pytest.mark.parametrize(
    "field,value,expected",
    [
        ("credit_code", "91330100MA2AXXXX1X", 1.0),
        ("mobile", "+8613812345678", 0.95),
        ("email", "li@example.com", 0.9),
        ("phone", "+862188886666", 0.75),
    ],
)
def test_one_shared_channel_scores_its_weight(field, value, expected):
    a, b = Keys(**{field: value}), Keys(**{field: value})
    assert score(a, b) == (expected, [field])


def test_blank_channels_are_not_shared():
    assert score(Keys(), Keys()) == (0.0, [])


def test_a_name_says_more_of_an_enterprise_than_of_a_person():
    firm = Keys(name_key=name_key("ＡＢＣ貿易有限公司"), kind="enterprise")
    same_firm = Keys(name_key=name_key("ABC贸易有限责任公司"), kind="enterprise")
    assert score(firm, same_firm) == (0.9, ["name"])
    person = Keys(name_key="王伟", kind="individual")
    assert score(person, person) == (0.6, ["name"])
    # An enterprise and a person of one name: the person's weight.
    assert score(Keys(name_key="王伟", kind="enterprise"), person)[0] == 0.6


def test_a_name_of_only_punctuation_is_no_name():
    assert score(Keys(name_key="-", kind="enterprise"), Keys(name_key="-", kind="enterprise")) == (0.0, [])


def test_a_name_that_only_sounds_the_same_is_weak():
    a = Keys(name_key="张三", name_pinyin="zhangsan", kind="individual")
    b = Keys(name_key="章三", name_pinyin="zhangsan", kind="individual")
    assert score(a, b) == (0.5, ["pinyin"])


def test_another_city_halves_what_the_name_says():
    a = Keys(name_key="华为", kind="enterprise", city="北京")
    assert score(a, Keys(name_key="华为", kind="enterprise", city="深圳")) == (0.45, ["name", "other_city"])
    assert score(a, Keys(name_key="华为", kind="enterprise", city="北京")) == (0.9, ["name"])
    assert score(a, Keys(name_key="华为", kind="enterprise"))[0] == 0.9  # a city left blank says nothing


def test_evidence_combines_as_independent_chances():
    a = Keys(mobile="+8613812345678", name_key="王伟", kind="individual", address_key=ADDRESS)
    b = Keys(mobile="+8613812345678", name_key="王伟", kind="individual", address_key=ADDRESS)
    value, reasons = score(a, b)
    assert reasons == ["mobile", "name", "address"]
    assert value == pytest.approx(1 - 0.05 * 0.4 * 0.6, abs=1e-4)


def test_a_close_address_adds_evidence_a_short_one_does_not():
    typo = address_key("浙江省杭州市西湖区文三路478号华星时代广场A座1202室")
    assert addresses_close(ADDRESS, typo)
    assert score(Keys(address_key=ADDRESS, name_pinyin="x"), Keys(address_key=typo, name_pinyin="x")) == (0.7, ["pinyin", "address"])
    assert not addresses_close("北京市朝阳区", "北京市朝阳区")
    assert not addresses_close(ADDRESS, address_key("上海市浦东新区世纪大道100号环球金融中心"))


def test_dice_of_bigrams():
    assert dice("abcd", "abcd") == 1.0
    assert dice("abcd", "abce") == pytest.approx(2 * 2 / 6)
    assert dice("", "") == 0.0 and dice("a", "b") == 0.0


def test_contacts_of_one_customer_ignore_the_switchboard():
    a = Keys(phone="+862188886666", mobile="+8613812345678", name_key="李雷")
    b = Keys(phone="+862188886666", mobile="+8613812345678", name_key="李雷")
    assert contact_score(a, b) == (pytest.approx(1 - 0.05 * 0.2), ["mobile", "name"])
    assert contact_score(Keys(phone="+862188886666"), Keys(phone="+862188886666")) == (0.0, [])


keys = st.builds(
    Keys,
    credit_code=st.sampled_from(["", "91330100MA2AXXXX1X"]),
    mobile=st.sampled_from(["", "+8613812345678", "+8613900000000"]),
    phone=st.sampled_from(["", "+862188886666"]),
    email=st.sampled_from(["", "a@example.com"]),
    name_key=st.sampled_from(["", "王伟", "华为"]),
    name_pinyin=st.sampled_from(["", "wangwei"]),
    kind=st.sampled_from(["enterprise", "individual"]),
    address_key=st.sampled_from(["", ADDRESS]),
    city=st.sampled_from(["", "北京", "上海"]),
)


@given(keys, keys)
def test_score_is_symmetric_and_between_0_and_1(a, b):
    value, reasons = score(a, b)
    assert 0.0 <= value <= 1.0
    assert (value, sorted(reasons)) == (score(b, a)[0], sorted(score(b, a)[1]))
    assert (value == 0.0) == (not reasons)
