"""Settings come from the environment alone; each case runs in a fresh interpreter."""

import json
import os
import stat
import subprocess
import sys

PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
db = settings.DATABASES["default"]
out = {"engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"), "port": db.get("PORT"),
       "user": db.get("USER"), "conn_max_age": db.get("CONN_MAX_AGE"), "options": db.get("OPTIONS"), "debug": settings.DEBUG,
       "allowed_hosts": settings.ALLOWED_HOSTS, "time_zone": settings.TIME_ZONE, "secret_key": settings.SECRET_KEY,
       "prepared_statements": settings.MANYI_PREPARED_STATEMENTS}
if connection.vendor == "sqlite":
    with connection.cursor() as cursor:
        out["pragmas"] = {p: cursor.execute(f"PRAGMA {p}").fetchone()[0] for p in ("journal_mode", "synchronous", "busy_timeout")}
print(json.dumps(out))
"""


def settings_for(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_")}
    clean["DJANGO_SETTINGS_MODULE"] = "manyi.settings"
    result = subprocess.run([sys.executable, "-c", PROBE], check=False, env={**clean, **env}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_default_is_sqlite_in_wal_mode_inside_the_data_dir(tmp_path):
    found = settings_for(MANYI_DATA_DIR=str(tmp_path))
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(tmp_path / "manyi.sqlite3")
    assert found["pragmas"] == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 10000}
    assert found["debug"] is False and found["time_zone"] == "Asia/Shanghai"
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == found["secret_key"] and len(found["secret_key"]) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert settings_for(MANYI_DATA_DIR=str(tmp_path))["secret_key"] == found["secret_key"]


def test_postgresql_from_the_database_url(tmp_path):
    found = settings_for(
        MANYI_DATA_DIR=str(tmp_path),
        MANYI_DATABASE_URL="postgres://manyi:s3cret@127.0.0.1:5433/crm",
        MANYI_SECRET_KEY="k" * 50,
        MANYI_ALLOWED_HOSTS="crm.example.com, 127.0.0.1",
        MANYI_DEBUG="1",
        MANYI_TIME_ZONE="Asia/Hong_Kong",
    )
    assert found["engine"] == "django.db.backends.postgresql"
    assert (found["host"], found["port"], found["name"], found["user"]) == ("127.0.0.1", 5433, "crm", "manyi")
    assert found["conn_max_age"] == 600 and "pragmas" not in found
    assert found["allowed_hosts"] == ["crm.example.com", "127.0.0.1"]
    assert found["debug"] is True and found["time_zone"] == "Asia/Hong_Kong" and found["secret_key"] == "k" * 50
    assert not (tmp_path / "secret_key").exists()
    # short index-driven reads: no parallel workers (their start-up cost more than the read);
    # the statements Manyi prepares are planned once, for every value
    assert found["options"]["options"] == "-c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_generic_plan"
    assert found["prepared_statements"] is True
    assert settings_for(MANYI_DATA_DIR=str(tmp_path), MANYI_DATABASE_URL="postgres://m@db/crm", MANYI_PREPARED_STATEMENTS="off")["prepared_statements"] is False


def test_postgresql_options_in_the_url_are_kept(tmp_path):
    found = settings_for(MANYI_DATA_DIR=str(tmp_path), MANYI_DATABASE_URL="postgres://m@db/crm?options=-c%20work_mem%3D64MB")
    assert found["options"]["options"] == "-c work_mem=64MB"
