"""The queue's risk figure and what an attachment may be: pure rules."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from manyi.service import risk, uploads


def test_risk_orders_what_matters():
    calm = risk.score(escalation="low", intensity=0.1, severity="normal", clv=1000, remaining_seconds=60 * 3600, target_seconds=72 * 3600)
    angry = risk.score(escalation="high", intensity=0.9, severity="normal", clv=1000, remaining_seconds=60 * 3600, target_seconds=72 * 3600)
    overdue = risk.score(escalation="low", intensity=0.1, severity="normal", clv=1000, remaining_seconds=-1, target_seconds=72 * 3600)
    valuable = risk.score(escalation="low", intensity=0.1, severity="normal", clv=1_000_000, remaining_seconds=60 * 3600, target_seconds=72 * 3600)
    assert calm < overdue and calm < valuable and calm < angry
    assert risk.score(escalation="high", intensity=1, severity="critical", clv=1e9, remaining_seconds=-1, target_seconds=1, closed=True) == 0


@given(
    escalation=st.sampled_from(["low", "medium", "high", "unknown"]),
    intensity=st.floats(-1, 2),
    severity=st.sampled_from(["low", "normal", "high", "critical", "?"]),
    clv=st.floats(-1e6, 1e12),
    remaining=st.one_of(st.none(), st.floats(-1e7, 1e7)),
)
def test_risk_stays_between_0_and_100(escalation, intensity, severity, clv, remaining):
    figure = risk.score(escalation=escalation, intensity=intensity, severity=severity, clv=clv, remaining_seconds=remaining, target_seconds=3600)
    assert 0 <= figure <= 100


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        ("订单号 20261128，漏水照片见附件".encode("gbk"), "text/plain"),
        (b"plain notes", "text/plain"),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows program
        (b"<html><script>alert(1)</script></html>", None),
        (b"<svg onload=alert(1)>", None),
        (b"PK\x03\x04\x14\x00", None),  # a zip
    ],
)
def test_a_file_is_judged_by_its_first_bytes_not_its_name(data, kind):
    assert uploads.sniff(data) == kind


def test_safe_names():
    assert uploads.safe_name("C:\\Users\\王\\照片 1.png") == "照片 1.png"
    assert uploads.safe_name("../../etc/passwd") == "passwd"
    assert uploads.safe_name("\x00<>.") == "file"
    assert len(uploads.safe_name("长" * 300 + ".png")) == 100


def test_limits_give_a_message_per_file(settings):
    settings.MANYI_ATTACHMENT_MAX_BYTES = 10
    errors = {}
    uploads.check_all([uploads.Upload("big.png", b"\x89PNG\r\n\x1a\n" + b"0" * 10), uploads.Upload("virus.png", b"MZ\x90\x00"), uploads.Upload("empty.txt", b"")], errors)
    assert len(errors["files"]) == 3
    assert "big.png" in errors["files"][0] and "virus.png" in errors["files"][1] and "empty.txt" in errors["files"][2]
