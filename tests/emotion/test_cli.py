"""`manyi emotion analyze | check-reply | train`, run as a user runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

MANYI = str(Path(sys.executable).with_name("manyi"))


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MANYI_DATABASE_URL"}
    return subprocess.run(
        [MANYI, "emotion", *args], input=stdin, capture_output=True, text=True, timeout=120, check=False, env=env
    )


def test_analyze_prints_a_readable_reading_with_the_evidence_marked(capsys):
    call_command("emotion", "analyze", "第三次了！再不退款我就去12315投诉你们")
    out = capsys.readouterr().out
    assert "「12315」" in out and "「第三次」" in out
    assert "negative" in out and "escalation high" in out and "complaint" in out
    assert "「退款」 → escalation:refund" in out


def test_analyze_jsonl_reads_lines_on_stdin_one_object_a_line():
    result = run("analyze", "--jsonl", stdin="服务很好，谢谢！\n\n快递太慢了，我要投诉\nThe app keeps crashing and nobody answers my emails. I want a refund.\n")
    assert result.returncode == 0, result.stderr
    readings = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["polarity"] for r in readings] == ["positive", "negative", "negative"]  # the empty line is skipped
    assert readings[1]["complaint"] and readings[1]["cause"] == "delivery/late"
    assert readings[2]["language"] == "en" and readings[2]["model_version"]


def test_analyze_with_nothing_to_read_says_so():
    result = run("analyze", stdin="")
    assert result.returncode == 1 and "No text on stdin." in result.stderr


def test_a_huge_text_says_it_was_cut(capsys):
    call_command("emotion", "analyze", "太差了！" * 20_000)
    assert "(read the first 4000 of 80000 characters)" in capsys.readouterr().out


def test_check_reply_flags_forbidden_phrases_and_what_is_missing(capsys):
    call_command("emotion", "check-reply", "不可能，这是公司规定", "--context", "第三次了！我要退款")
    out = capsys.readouterr().out
    assert "「不可能」 impossible" in out and "「公司规定」 policy" in out
    assert "missing apology" in out and "missing time" in out


def test_check_reply_as_json_and_for_a_good_answer(capsys):
    call_command("emotion", "check-reply", "非常抱歉，感谢您的耐心。我马上为您退款，今天下午5点前到账。", "--jsonl")
    review = json.loads(capsys.readouterr().out)
    assert review["ok"] and review["findings"] == [] and review["missing"] == []


def test_train_without_data_says_where_it_looked(tmp_path):
    with pytest.raises(CommandError, match="No emotion data at"):
        call_command("emotion", "train", "--data", str(tmp_path / "missing"))


def test_an_empty_text_and_an_empty_reply_say_so(capsys):
    call_command("emotion", "analyze", "   ")
    assert "(no words to read)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="The reply is empty"):
        call_command("emotion", "check-reply", " ")
