"""The `manyi` console script: help, createuser, demo and serve, run as a user runs them."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from manyi.accounts.models import Team, User
from manyi.demo.loader import DEMO_PASSWORD, DEMO_USERS

MANYI = str(Path(sys.executable).with_name("manyi"))


def run(*args: str, data_dir: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run the installed console script on a SQLite database of its own."""
    env = {k: v for k, v in os.environ.items() if k != "MANYI_DATABASE_URL"}
    if data_dir is not None:
        env["MANYI_DATA_DIR"] = str(data_dir)
    return subprocess.run([MANYI, *args], check=False, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def migrated_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("manyi-data")
    result = run("migrate", "--no-input", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_help_lists_manyi_commands_before_djangos():
    result = run("--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    own, _, django_part = out.partition("Django commands:")
    assert "Manyi commands:" in own
    for name in ("demo", "serve", "migrate", "createuser"):
        line = next(line for line in own.splitlines() if line.strip().startswith(name + " "))
        assert len(line.split(None, 1)[1]) > 10, f"{name} has no description"
    assert "makemigrations" in django_part and "createsuperuser" in django_part


@pytest.mark.django_db
def test_createuser_creates_a_user_with_role_and_team(password):
    call_command("createuser", "zhaoli", "--role", "sales", "--team", "华东一组", "--password", password, "--email", "zl@example.com")
    user = User.objects.get(username="zhaoli")
    assert user.role == "sales" and user.team.name == "华东一组" and user.email == "zl@example.com"
    assert user.check_password(password) and not user.is_demo


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args,message",
    [
        (["--role", "boss"], "role: "),
        (["--role", "sales", "--password", "123"], "password: "),
    ],
)
def test_createuser_refuses_bad_input_and_creates_nothing(password, args, message):
    argv = ["zhaoli", "--team", "新团队", *args]
    if "--password" not in args:
        argv += ["--password", password]
    with pytest.raises(CommandError, match=message):
        call_command("createuser", *argv)
    assert not User.objects.filter(username="zhaoli").exists()
    assert not Team.objects.filter(name="新团队").exists()


@pytest.mark.django_db
def test_createuser_refuses_a_taken_username(rep, password):
    with pytest.raises(CommandError, match="username: "):
        call_command("createuser", "REP", "--role", "sales", "--password", password)
    assert User.objects.filter(username__iexact="rep").count() == 1


@pytest.mark.own_database
def test_createuser_errors_exit_non_zero_with_a_message(migrated_dir, password):
    bad_role = run("createuser", "qian", "--role", "boss", "--password", password, data_dir=migrated_dir)
    assert bad_role.returncode != 0 and "role: " in bad_role.stderr and "boss" in bad_role.stderr
    no_terminal = run("createuser", "qian", "--role", "sales", data_dir=migrated_dir)
    assert no_terminal.returncode != 0 and "--password" in no_terminal.stderr


@pytest.mark.own_database
def test_demo_creates_the_database_loads_once_and_prints_the_logins(tmp_path):
    data_dir = tmp_path / "demo"
    first = run("demo", "--no-serve", "--data-dir", str(data_dir))
    assert first.returncode == 0, first.stderr
    assert "http://127.0.0.1:8000" in first.stdout and DEMO_PASSWORD in first.stdout
    for user in DEMO_USERS:
        assert user.username in first.stdout
    assert "Loaded 202 customers" in first.stdout
    database = data_dir / "manyi.sqlite3"
    count = sqlite3.connect(database).execute("select count(*) from customers_customer").fetchone()[0]

    second = run("demo", "--no-serve", "--data-dir", str(data_dir), "--port", "8123")
    assert second.returncode == 0, second.stderr
    assert "Loaded" not in second.stdout and "http://127.0.0.1:8123" in second.stdout and DEMO_PASSWORD in second.stdout
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from customers_customer").fetchone()[0] == count
        assert db.execute("select count(*) from accounts_user where is_demo").fetchone()[0] == len(DEMO_USERS)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.own_database
def test_serve_runs_gunicorn_and_answers(migrated_dir):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MANYI_DATABASE_URL"}
    env["MANYI_DATA_DIR"] = str(migrated_dir)
    server = subprocess.Popen(
        [MANYI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    answers = {}
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and server.poll() is None:
            try:
                answers["/login/"] = _get(f"http://127.0.0.1:{port}/login/")
                break
            except OSError:
                time.sleep(0.3)
        if answers:
            answers["static"] = _get(f"http://127.0.0.1:{port}/static/vendor/htmx/htmx.min.js")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            output, _ = server.communicate()
    assert answers, f"gunicorn never answered (exit status {server.returncode}):\n{output}"
    status, body = answers["/login/"]
    assert status == 200 and b"<form" in body, output
    assert answers["static"][0] == 200, output
    assert f"serving on http://127.0.0.1:{port}" in output and "Booting worker" in output, output
    assert server.returncode == 0, output



WARM_UP_PROBE = """
import json, sys
import manyi.wsgi
from django.template import engines
from manyi.management.commands.serve import warm_up
before = "manyi.web.views.customers" in sys.modules
warm_up()
loader = engines["django"].engine.template_loaders[0]
while not hasattr(loader, "get_template_cache"):  # template_partials wraps Django's cached loader
    loader = loader.loaders[0]
print(json.dumps({"before": before, "after": "manyi.web.views.customers" in sys.modules and "manyi.api.customers" in sys.modules,
                  "templates": sorted(t.origin.template_name for t in loader.get_template_cache.values() if hasattr(t, "origin"))}))
"""


@pytest.mark.own_database
def test_serve_builds_before_forking_what_workers_would_build_on_first_requests(tmp_path):
    """So that it is frozen with the rest and shared by the workers (serve.warm_up)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANYI_")}
    env.update(DJANGO_SETTINGS_MODULE="manyi.settings", MANYI_DATA_DIR=str(tmp_path), MANYI_SECRET_KEY="k" * 50)
    result = subprocess.run([sys.executable, "-c", WARM_UP_PROBE], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert not found["before"] and found["after"]  # the views are imported by warm_up, not before
    assert {"web/base.html", "web/customers/list.html", "web/customers/detail.html", "404.html"} <= set(found["templates"])
