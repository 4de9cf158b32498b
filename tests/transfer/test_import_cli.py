"""`manyi import` as a user runs it: a summary and an error file, a killed
process resumed without losing or repeating a row, and a background import
run by a real worker."""

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

MANYI = str(Path(sys.executable).with_name("manyi"))
HEADERS = "客户名称,手机,邮箱,等级"


pytestmark = pytest.mark.own_database


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MANYI_DATABASE_URL"}
    return {**env, "MANYI_DATA_DIR": str(data_dir), **extra}


def _run(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([MANYI, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)


def _setup(tmp_path: Path) -> dict[str, str]:
    env = _env(tmp_path / "data")
    for args in (("migrate", "--no-input"), ("createuser", "boss", "--role", "admin", "--password", "import-test-2026")):
        done = _run(*args, env=env)
        assert done.returncode == 0, done.stderr
    return env


def _file(path: Path, rows: int, *, bad_every: int = 0) -> Path:
    with open(path, "w", encoding="gbk", newline="") as f:
        f.write(HEADERS + "\r\n")
        for i in range(rows):
            phone = "12345" if bad_every and i % bad_every == bad_every - 1 else f"139{i:08d}"
            f.write(f"测试{i}号贸易有限公司,{phone},,B\r\n")
    return path


def _db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "data" / "manyi.sqlite3", timeout=30)


def test_the_command_summarises_and_writes_the_rejected_rows(tmp_path):
    env = _setup(tmp_path)
    source = _file(tmp_path / "客户.csv", 40, bad_every=10)
    report = tmp_path / "report.json"
    done = _run("import", "customers", str(source), "--owner", "boss", "--errors", str(tmp_path / "errors.csv"), "--report-json", str(report), env=env)
    assert done.returncode == 0, done.stderr
    assert "客户名称 → " in done.stdout and "gb18030" in done.stdout
    assert "created            36" in done.stdout and "rejected            4" in done.stdout
    assert json.loads(report.read_text())["created"] == 36
    with open(tmp_path / "errors.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][:4] == HEADERS.split(",") and len(rows) == 5
    assert [r[4] for r in rows[1:]] == ["11", "21", "31", "41"]
    again = _run("import", "customers", str(source), "--owner", "boss", "--dry-run", env=env)
    assert "duplicates         36" in again.stdout and "Nothing was written" in again.stdout


def test_bad_invocations_say_what_is_wrong(tmp_path):
    env = _setup(tmp_path)
    assert "No file" in _run("import", "customers", str(tmp_path / "nope.csv"), "--owner", "boss", env=env).stderr
    assert "Say who imports" in _run("import", "customers", str(_file(tmp_path / "a.csv", 2)), env=env).stderr
    garbage = tmp_path / "g.csv"
    garbage.write_bytes(bytes(range(256)) * 20)
    refused = _run("import", "customers", str(garbage), "--owner", "boss", env=env)
    assert refused.returncode != 0 and ("binary" in refused.stderr or "二进制" in refused.stderr)
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"公司": "name"}), encoding="utf-8")
    assert "has no column '公司'" in _run("import", "customers", str(_file(tmp_path / "b.csv", 2)), "--owner", "boss", "--mapping", str(mapping), env=env).stderr


def test_a_killed_import_resumes_without_losing_or_repeating_a_row(tmp_path):
    env = _setup(tmp_path)
    total = 6000
    source = _file(tmp_path / "big.csv", total, bad_every=500)
    started = subprocess.Popen(
        [MANYI, "import", "customers", str(source), "--owner", "boss", "--batch", "100"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    position, deadline = 0, time.monotonic() + 120
    while time.monotonic() < deadline and started.poll() is None:
        with _db(tmp_path) as db:
            row = db.execute("SELECT position FROM transfer_importjob").fetchone()
        position = row[0] if row else 0
        if position >= 300:
            break
        time.sleep(0.05)
    assert started.poll() is None, "the import finished before it could be killed; give it more rows"
    started.send_signal(signal.SIGKILL)
    started.wait(timeout=30)
    with _db(tmp_path) as db:
        job_id, position, status = db.execute("SELECT id, position, status FROM transfer_importjob").fetchone()
        customers = db.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    assert status == "running" and 0 < position < total
    assert customers == position - position // 500, "the committed rows match the job's position"
    resumed = _run("import", "--resume", str(job_id), env={**env, "MANYI_IMPORT_STALE_SECONDS": "0"})
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming after row {position:,}" in resumed.stdout
    with _db(tmp_path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM customers_customer")]
        rejected = db.execute("SELECT count(DISTINCT line) FROM transfer_importissue WHERE kind = 'error'").fetchone()[0]
        status, done_rows = db.execute("SELECT status, position FROM transfer_importjob").fetchone()
    assert (status, done_rows) == ("done", total)
    assert len(names) == len(set(names)) == total - total // 500
    assert rejected == total // 500


def test_a_background_import_is_run_by_a_real_worker(tmp_path):
    env = _setup(tmp_path)
    queued = _run("import", "customers", str(_file(tmp_path / "q.csv", 50)), "--owner", "boss", "--background", env=env)
    assert queued.returncode == 0, queued.stderr
    assert "queued" in queued.stdout
    with _db(tmp_path) as db:
        assert db.execute("SELECT status, queued_at IS NOT NULL FROM transfer_importjob").fetchone() == ("pending", 1)
    worker = _run("worker", "--batch", "--no-startup-delay", "--interval", "0.2", env=env)
    assert worker.returncode == 0, worker.stdout + worker.stderr
    with _db(tmp_path) as db:
        assert db.execute("SELECT status, created_count FROM transfer_importjob").fetchone() == ("done", 50)
        assert db.execute("SELECT count(*) FROM customers_customer").fetchone()[0] == 50
