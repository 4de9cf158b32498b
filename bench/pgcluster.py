"""A throwaway PostgreSQL 15 cluster for the benchmarks.

The cluster lives in bench/out/pg-cluster (kept between runs so a generated
data set is reused), listens on 127.0.0.1 only, trusts local connections and is
stopped again when the `with` block ends. When run as root, initdb and pg_ctl
run as the `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PG_BIN = Path(os.environ.get("MANYI_PG_BIN", "/usr/lib/postgresql/15/bin"))

# A throwaway cluster tuned for a 2-core, 24 GiB machine serving one database
# of a few GB; durability settings stay at their defaults while serving.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_buffers": "'4GB'",
    "effective_cache_size": "'16GB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'2GB'",
    "random_page_cost": "1.1",
    "max_wal_size": "'16GB'",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "jit": "off",
    "max_parallel_workers_per_gather": "1",
    "log_min_duration_statement": "-1",
    "unix_socket_directories": "''",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self, directory: Path | None = None, port: int | None = None):
        self.dir = Path(directory or OUT / "pg-cluster")
        self.data = self.dir / "data"
        self.port = port or _free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True)

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        with open(self.data / "postgresql.conf", "a") as f:
            f.write("\n# manyi bench\n" + "".join(f"{k} = {v}\n" for k, v in SETTINGS.items()))

    def start(self) -> None:
        self.init()
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop", check=False)
        self._run("pg_ctl", "-D", str(self.data), "-o", f"-p {self.port}", "-l", str(self.dir / "server.log"), "-w", "start")
        for _ in range(50):
            if self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start; see " + str(self.dir / "server.log"))

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop", check=False)

    def __enter__(self) -> "PgCluster":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
