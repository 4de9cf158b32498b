"""A real Dovecot IMAP server for tests, on 127.0.0.1 in a directory of its own.

    server = DovecotServer.start()
    server.append(raw_message_bytes)
    ...
    server.stop()

Dovecot runs in the foreground (``dovecot -F``) under its own configuration
file: nothing of the system's ``/etc/dovecot`` is read, no system service is
touched, and ``stop()`` ends the master (which takes its children with it) and
removes the directory.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"

USER = "support@manyi.test"
# Characters a URL must percent-encode, so mailbox_from_url is tested on them.
PASSWORD = "p@ss:w/rd 100%"


def dovecot_installed() -> bool:
    """Dovecot's master and its IMAP server (dovecot-core alone has no imap)."""
    return os.access(DOVECOT, os.X_OK) and any(
        os.access(f"{libexec}/imap", os.X_OK) for libexec in ("/usr/lib/dovecot", "/usr/libexec/dovecot")
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: if the test run is killed outright, the
    kernel sends Dovecot's master SIGTERM, so no server outlives its tests."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _login(imap: imaplib.IMAP4, user: str, password: str) -> None:
    """AUTHENTICATE PLAIN sends UTF-8, where imaplib's LOGIN allows only ASCII."""
    imap.authenticate("PLAIN", lambda _challenge: f"\0{user}\0{password}".encode())


def _mail_owner() -> tuple[int, int]:
    """The uid and gid the mail is stored as. Dovecot refuses mail access as
    root whatever the configuration says, so under root it is `nobody`."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        nobody = pwd.getpwnam("dovenull")
    return nobody.pw_uid, nobody.pw_gid


def _config(tmp: Path, port: int, uid: int, gid: int) -> str:
    as_root = os.geteuid() == 0
    lines = [
        f"base_dir = {tmp}/run",
        f"state_dir = {tmp}/state",
        f"log_path = {tmp}/dovecot.log",
        f"info_log_path = {tmp}/dovecot.log",
        f"debug_log_path = {tmp}/dovecot.log",
        "protocols = imap",
        "listen = 127.0.0.1",
        "ssl = no",
        "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        # A wrong password is answered at once, and costs the next login from
        # 127.0.0.1 nothing: see anvil-auth-penalty below.
        "auth_failure_delay = 0",
        f"first_valid_uid = {min(uid, 500)}",
        f"mail_location = maildir:{tmp}/mail/%u",
        "mail_fsync = never",
        # How `ps` and the log name this server, apart from a system Dovecot.
        "instance_name = manyi-test",
        # "/" between folder levels, as most servers (and mail clients) use;
        # Maildir++'s default "." would make "投诉/2024" an invalid name.
        "namespace inbox {",
        "  inbox = yes",
        "  separator = /",
        "}",
        "passdb {",
        "  driver = passwd-file",
        f"  args = scheme=PLAIN username_format=%u {tmp}/passwd",
        "}",
        "userdb {",
        "  driver = static",
        f"  args = uid={uid} gid={gid} home={tmp}/home/%u",
        "}",
        "service imap-login {",
        "  inet_listener imap {",
        "    address = 127.0.0.1",
        f"    port = {port}",
        "  }",
        "  inet_listener imaps {",
        "    port = 0",
        "  }",
        "}",
        # Dovecot's documented way to turn off the auth penalty (otherwise each
        # login from 127.0.0.1 after a failed one waits 2 s, then 4 s, ...): the
        # auth process cannot open anvil's penalty socket, so it keeps none.
        "service anvil {",
        "  unix_listener anvil-auth-penalty {",
        "    mode = 0",
        "  }",
        "}",
    ]
    if not as_root:
        # Unprivileged: every process runs as us, every socket is ours (not
        # group dovecot's, which we cannot chown to), and nothing chroots.
        me = pwd.getpwuid(os.geteuid()).pw_name
        my_group = grp.getgrgid(os.getegid()).gr_name
        lines += [
            f"default_login_user = {me}",
            f"default_internal_user = {me}",
            f"default_internal_group = {my_group}",
            "service imap-login {",
            "  chroot =",
            "}",
            "service anvil {",
            "  chroot =",
            "}",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class DovecotServer:
    root: Path
    config_path: Path
    log_path: Path
    host: str
    port: int
    user: str = USER
    password: str = PASSWORD
    process: subprocess.Popen | None = field(default=None, repr=False)

    @classmethod
    def start(cls, *, user: str = USER, password: str = PASSWORD, extra_users: dict[str, str] | None = None,
              timeout: float = 20) -> DovecotServer:
        """Start a server with one mailbox user (and any `extra_users`, name to
        password); wait up to `timeout` seconds for its greeting."""
        if not dovecot_installed():
            raise RuntimeError(f"{DOVECOT} is not installed (Debian: apt-get install dovecot-imapd)")
        root = Path(tempfile.mkdtemp(prefix="manyi-dovecot-"))
        # Dovecot's own users (and the mail owner, under root) walk this tree.
        root.chmod(0o755)
        uid, gid = _mail_owner()
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(mode=0o755)
        for sub in ("mail", "home"):
            os.chown(root / sub, uid, gid)
        users = {user: password, **(extra_users or {})}
        (root / "passwd").write_text(
            # Base64, so a password may hold the file's ":" separator.
            "".join(f"{name}:{{PLAIN.B64}}{_b64(secret)}::::::\n" for name, secret in users.items()),
            encoding="utf-8",
        )
        (root / "passwd").chmod(0o644)
        server = cls(root=root, config_path=root / "dovecot.conf", log_path=root / "dovecot.log",
                     host="127.0.0.1", port=0, user=user, password=password)
        try:
            for attempt in range(3):
                # Another process may take the free port before Dovecot binds it.
                server.port = _free_port()
                server.config_path.write_text(_config(root, server.port, uid, gid), encoding="utf-8")
                try:
                    server._launch(timeout)
                    break
                except RuntimeError:
                    if attempt == 2 or "Address already in use" not in server.log_tail():
                        raise
                    server.log_path.unlink(missing_ok=True)
        except BaseException:
            server.stop()
            raise
        return server

    def _launch(self, timeout: float) -> None:
        check = subprocess.run(
            [DOVECOT, "-c", str(self.config_path), "-n"], check=False, capture_output=True, text=True
        )
        if check.returncode != 0:
            raise RuntimeError(f"dovecot rejected {self.config_path}:\n{check.stderr.strip()}")
        with (self.root / "stderr.log").open("wb") as stderr:
            self.process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_die_with_parent,  # noqa: PLW1509 (started from the test session's main thread)
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"dovecot exited with status {self.process.returncode} before listening on "
                    f"{self.host}:{self.port}:\n{self.log_tail()}"
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    s.settimeout(2)
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not greet on {self.host}:{self.port} within {timeout:g} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self, lines: int = 30) -> str:
        text = ""
        for path in (self.log_path, self.root / "stderr.log"):
            with contextlib.suppress(OSError):
                text += path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"

    def doveadm(self, *args: str) -> str:
        """Run doveadm against this server; return its output."""
        done = subprocess.run(
            [DOVEADM, "-c", str(self.config_path), *args], check=False, capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    @contextlib.contextmanager
    def imap(self, *, user: str | None = None, password: str | None = None) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib connection to the server, logged out after."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            _login(imap, user or self.user, password or self.password)
            yield imap
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                imap.logout()

    def append(self, raw: bytes, *, user: str | None = None, password: str | None = None,
               folder: str = "INBOX") -> str:
        """Put a message into `folder` (its IMAP name, quoted if need be) as
        unseen; return its UID, from Dovecot's APPENDUID answer."""
        with self.imap(user=user, password=password) as imap:
            status, data = imap.append(folder, "", None, raw)
        if status != "OK":
            raise RuntimeError(f"APPEND to {folder} failed: {data!r}")
        # [b'[APPENDUID 1700000000 7] Append completed.']
        match = re.match(rb"\[APPENDUID \d+ (\d+)\]", data[0] or b"")
        return match.group(1).decode() if match else ""

    def clear(self, *, folder: str = "INBOX") -> None:
        """Delete every message in `folder`."""
        with self.imap() as imap:
            imap.select(folder)
            imap.uid("STORE", "1:*", "+FLAGS.SILENT", r"(\Deleted)")
            imap.expunge()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # The master's children share its session (start_new_session).
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if process is not None:
            # Children the master left behind (it should leave none).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["PASSWORD", "USER", "DovecotServer", "dovecot_installed"]
