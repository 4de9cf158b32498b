"""Real worker processes on the test database.

The worker (a subprocess) must reach the database the test wrote to. On
PostgreSQL that is the test database itself (the tests commit: transaction=True).
SQLite's test database lives in this process's memory: it is copied to a file
for the worker (SQLite's backup API) and copied back when the worker is done,
so the test reads the worker's results through the ORM as usual."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

MANYI = str(Path(sys.executable).with_name("manyi"))


class SharedDatabase:
    def __init__(self, tmp_path: Path):
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp_path / "worker.sqlite3"
        if self.sqlite:
            self.url = f"sqlite:///{self.file}"
        else:
            s = connection.settings_dict
            auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s["PASSWORD"] else "")
            self.url = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_") or k == "MANYI_DATA_DIR"}
        return {**env, "MANYI_DATABASE_URL": self.url, "MANYI_SECRET_KEY": settings.SECRET_KEY, **extra}

    def hand_over(self) -> None:
        """Before a worker starts: what the test wrote becomes the worker's."""
        if self.sqlite:
            connection.ensure_connection()
            self.file.unlink(missing_ok=True)
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)

    def take_back(self) -> None:
        """After the workers stopped: what they wrote becomes the test's."""
        if self.sqlite:
            with sqlite3.connect(self.file) as source:
                source.execute("PRAGMA wal_checkpoint(FULL)")
                source.backup(connection.connection)

    def scalar(self, sql: str, params: tuple = ()) -> object:
        """One value, read while workers run (from their database)."""
        if self.sqlite:
            with sqlite3.connect(self.file, timeout=30) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen([MANYI, *args], env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)


def stop(process: subprocess.Popen, *, kill: bool = False) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def wait_for(condition: Callable[[], bool], *, timeout: float, every: float = 0.05, what: str = "", log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            output = log.read_text()[-3000:] if log and log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n{output}")
        time.sleep(every)
