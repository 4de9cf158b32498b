"""The pure parts: merge fields, the throttle's arithmetic and the win-back
significance test."""

import math

import pytest

from manyi.campaigns import merge, results, throttle


def test_a_template_names_only_known_fields_and_renders_by_plain_replacement():
    text = "{{honorific}}您好，{{ owner_name }}（{{owner_phone}}）"
    assert merge.fields_used(text) == ["honorific", "owner_name", "owner_phone"]
    values = {"honorific": "王先生", "owner_name": "{{owner_phone}}", "owner_phone": "{% debug %}"}
    # Customer data is printed as written: a value is never read as a template.
    assert merge.render(text, values) == "王先生您好，{{owner_phone}}（{% debug %}）"


@pytest.mark.parametrize(
    ("text", "kind", "field", "position"),
    [("Hi {{nmae}}", "unknown", "nmae", 0), ("Hi {{name}", "syntax", "", 4), ("Hi name}} and {{name}}", "syntax", "", 8), ("{{}}", "unknown", "", 0)],
)
def test_a_bad_template_says_which_field_or_where(text, kind, field, position):
    with pytest.raises(merge.MergeError) as caught:
        merge.fields_used(text)
    assert (caught.value.kind, caught.value.field, caught.value.position) == (kind, field, position)


def test_honorifics():
    assert merge.honorific(name="王小明", person=True, gender="male", language="zh-hans") == "王先生"
    assert merge.honorific(name="李娜", person=True, gender="female", language="zh-hans") == "李女士"
    assert merge.honorific(name="李娜", person=True, gender="female", language="en") == "Ms 李"
    assert merge.honorific(name="John Smith", person=True, gender="male", language="en") == "Mr Smith"
    assert merge.honorific(name="张三", person=True, gender="", language="zh-hans") == "张三"
    assert merge.honorific(name="北京华为科技有限公司", person=False, gender="", language="zh-hans") == "北京华为科技有限公司"


def test_the_busiest_window_counts_half_open_intervals():
    assert throttle.busiest_window([], 1) == 0
    assert throttle.busiest_window([0, 0.5, 0.99, 1.0, 1.5], 1) == 3
    assert throttle.busiest_window([0, 1, 2, 3], 1) == 1
    assert throttle.allowance(limit=10, claimed_in_window=12) == 0


def test_two_proportion_z_test_against_a_textbook_example():
    """OpenStax Introductory Statistics, Example 10.11: medication A stopped
    the hives of 20 of 200 adults, B of 12 of 200; z ≈ 1.47, two-sided p = 0.1404."""
    z, p = results.two_proportion_z(20, 200, 12, 200)
    assert z == pytest.approx(1.4744, abs=1e-4)
    assert p == pytest.approx(0.1404, abs=1e-4)
    scipy_stats = pytest.importorskip("scipy.stats")
    assert p == pytest.approx(2 * scipy_stats.norm.sf(z), rel=1e-9)


def test_a_comparison_without_a_control_group_has_no_p_value():
    outcome = results.compare(results.Group(100, 12), results.Group(0, 0))
    assert outcome.treatment.rate == 0.12 and outcome.control.rate is None
    assert outcome.difference is None and outcome.p_value is None
    same = results.compare(results.Group(50, 0), results.Group(50, 0))
    assert same.difference == 0 and same.p_value is None
    lift = results.compare(results.Group(900, 180), results.Group(100, 10))
    assert math.isclose(lift.difference, 0.1) and lift.p_value < 0.05


def test_a_compound_surname_is_kept_whole():
    assert merge.honorific(name="欧阳娜娜", person=True, gender="female", language="zh-hans") == "欧阳女士"
    assert merge.honorific(name="华为科技", person=False, gender="", language="zh-hans") == "华为科技"
