"""Scale benchmark: Manyi's busiest pages against 1,000,000 customers and
10,000,000 interactions, beside the server's most trivial logged-in page.

    python bench/pages.py --db both                                    # the full run
    python bench/pages.py --db sqlite --customers 20000 --interactions 200000   # a quick one

For each database it (re)uses a generated data set (bench/generate.py), applies
any new migrations, starts `manyi serve --workers 2` on a free loopback port,
logs in (a session cookie through /login/ for pages, a bearer token for the
API), and drives CONNECTIONS concurrent connections at one target at a time:
a warm-up, then a bounded measurement (at most --requests requests or
--seconds seconds, whichever comes first). Latency is measured at the client,
so it includes waiting for one of the two workers.

Baseline: `/me/`, the server's most trivial logged-in page, measured in the
same run with the same connections. Goal (the scale issue): p95 <= 100 ms for
the customer list, the home page and the API list, <= 150 ms for search and the 360° page, and
each at no less than 30 % of the trivial page's throughput.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import CITIES, MANYI, OUT, ROOT, Target, dataset_arguments, generate, log  # noqa: E402
from pgcluster import PgCluster  # noqa: E402

HOST = "127.0.0.1"
GOALS = {"list": 100.0, "api": 100.0, "search": 150.0, "360": 150.0, "home": 100.0}
MIN_SHARE = 0.30


# --------------------------------------------------------------------------- HTTP


class Session:
    """Credentials for one user: a session cookie for pages, a bearer token for the API."""

    def __init__(self, port: int, username: str, password: str):
        self.port = port
        self.username = username
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.password = password

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
        h = {"Host": f"{HOST}:{self.port}", **(headers or {})}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        for header in resp.headers.get_all("Set-Cookie") or []:
            c = SimpleCookie()
            c.load(header)
            for k, morsel in c.items():
                self.cookies[k] = morsel.value
        conn.close()
        return resp.status, resp.headers, data

    def login(self) -> None:
        status, _, body = self.request("GET", "/login/")
        if status != 200:
            raise RuntimeError(f"GET /login/ answered {status}")
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        token = m.group(1).decode() if m else self.cookies.get("csrftoken", "")
        form = urllib.parse.urlencode({"username": self.username, "password": self.password, "csrfmiddlewaretoken": token}).encode()
        status, headers, body = self.request(
            "POST", "/login/", form,
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://{HOST}:{self.port}/login/", "X-CSRFToken": token},
        )
        if status not in (302, 303) or "sessionid" not in self.cookies:
            raise RuntimeError(f"login as {self.username} failed: {status} {body[:300]!r}")

    def api_login(self) -> None:
        body = json.dumps({"username": self.username, "password": self.password}).encode()
        status, _, data = self.request("POST", "/api/v1/auth/token", body, {"Content-Type": "application/json"})
        if status not in (200, 201):
            raise RuntimeError(f"API token for {self.username} failed: {status} {data[:300]!r}")
        self.token = json.loads(data)["token"]

    def page_headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def api_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}


@dataclass
class TargetSpec:
    name: str
    group: str  # trivial | list | search | 360 | api | home
    paths: list[str]
    headers: dict[str, str]
    note: str = ""


@dataclass
class Result:
    name: str
    group: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0
    first_error: str = ""
    note: str = ""
    base_rps: float = 0.0  # the trivial page's throughput around this target's run

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] * 1000

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    @property
    def share(self) -> float:
        """Throughput as a share of the trivial page's measured beside it."""
        base = self.rps if self.group == "trivial" else self.base_rps
        return self.rps / base if base else 0.0


def drive(port: int, spec: TargetSpec, *, connections: int, max_requests: int, max_seconds: float, record: bool = True) -> Result:
    """CONNECTIONS threads, each with its own keep-alive connection, share a
    request budget; each stops at the budget or the deadline."""
    res = Result(spec.name, spec.group, note=spec.note)
    lock = threading.Lock()
    budget = [max_requests]
    start = time.perf_counter()
    deadline = start + max_seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        lat, errs, first = [], 0, ""
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            path = spec.paths[rng.randrange(len(spec.paths))]
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Host": f"{HOST}:{port}", **spec.headers})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                if resp.will_close:
                    conn.close()
                if not ok:
                    first = first or f"{resp.status} {path}"
            except (OSError, http.client.HTTPException) as exc:
                ok = False
                first = first or f"{type(exc).__name__}: {exc} {path}"
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=60)
            lat.append(time.perf_counter() - t0)
            if not ok:
                errs += 1
        conn.close()
        with lock:
            res.latencies.extend(lat)
            res.requests += len(lat)
            res.errors += errs
            res.first_error = res.first_error or first

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    res.seconds = time.perf_counter() - start
    res.client_cpu = (cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime) / res.seconds
    return res


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, target: Target, workers: int, log_path: Path):
        self.target, self.workers, self.log_path = target, workers, log_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        cmd = [*MANYI, "serve", "--workers", str(self.workers), "--port", str(self.port)]
        env = dict(self.target.env, MANYI_LOG_LEVEL="WARNING")
        self.log_file = open(self.log_path, "w")
        log("starting: " + " ".join(["manyi", *cmd[len(MANYI):]]))
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(600):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not start listening")
        return self

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()


# --------------------------------------------------------------------------- samples


def sample_queries(target: Target, users: dict, rng: random.Random) -> dict:
    """Ids and search terms drawn from the data so every request has results."""
    if target.db == "sqlite":
        conn = sqlite3.connect(f"file:{target.sqlite_path}?mode=ro", uri=True)
        ph = "?"
    else:
        import psycopg

        conn = psycopg.connect(target.pg_url)
        ph = "%s"

    def q(sql, *args):
        return conn.execute(sql.replace("?", ph), args).fetchall()

    uid = {name: q("SELECT id, team_id FROM accounts_user WHERE username = ?", name)[0] for name in (users["rep"], users["manager"], users["admin"])}
    rep_id, rep_team = uid[users["rep"]]
    n = q("SELECT max(id) FROM customers_customer")[0][0]
    rep_rows = q(
        "SELECT id, name, name_pinyin, kind FROM customers_customer WHERE deleted_at IS NULL AND (owner_id = ? OR id IN "
        "(SELECT customer_id FROM customers_customeraccess WHERE user_id = ? AND kind = 'shared'))", rep_id, rep_id)
    ids = [rng.randrange(1, n + 1) for _ in range(400)]
    all_rows = q(f"SELECT id, name, name_pinyin, kind FROM customers_customer WHERE deleted_at IS NULL AND id IN ({','.join(map(str, ids))})")
    conn.close()

    def terms(rows):
        pinyin, hanzi, brand = [], [], []
        for _id, name, py, kind in rows:
            pinyin.append(py[: rng.randint(4, 8)])
            hanzi.append(name[: rng.randint(2, 3)])
            if kind == "enterprise":
                # the 字号 (brand) sits after the city: a contains-only match
                city_len = next(len(c) for c in CITIES if name.startswith(c))
                brand.append(name[city_len:city_len + 2])
        return pinyin, hanzi, brand

    rp, rh, rb = terms(rep_rows[:300])
    ap, ah, ab = terms(all_rows)
    return {
        "rep_ids": [r[0] for r in rep_rows], "all_ids": [r[0] for r in all_rows],
        "rep_pinyin": rp, "rep_hanzi": rh, "rep_brand": rb, "all_pinyin": ap, "all_hanzi": ah, "all_brand": ab,
        "rep_visible": len(rep_rows), "rep_team": rep_team,
    }


def build_targets(port: int, users: dict, samples: dict, only: set[str] | None) -> list[TargetSpec]:
    sessions = {}
    for role in ("rep", "manager", "admin"):
        s = Session(port, users[role], users["password"])
        s.login()
        s.api_login()
        sessions[role] = s
        log(f"logged in as {users[role]} ({role})")
    rep, mgr, adm = sessions["rep"], sessions["manager"], sessions["admin"]

    def qs(terms):
        return [f"/customers/?q={urllib.parse.quote(t)}" for t in terms]

    specs = [
        TargetSpec("trivial /me/ (rep)", "trivial", ["/me/"], rep.page_headers()),
        TargetSpec("list /customers/ (rep)", "list", ["/customers/"], rep.page_headers(), f"{samples['rep_visible']:,} visible"),
        TargetSpec("list /customers/ (manager)", "list", ["/customers/"], mgr.page_headers(), "one team"),
        TargetSpec("list /customers/ (admin)", "list", ["/customers/"], adm.page_headers(), "all customers"),
        TargetSpec("search pinyin prefix (rep)", "search", qs(samples["rep_pinyin"]), rep.page_headers(), "e.g. " + samples["rep_pinyin"][0]),
        TargetSpec("search hanzi prefix (rep)", "search", qs(samples["rep_hanzi"]), rep.page_headers(), "e.g. " + samples["rep_hanzi"][0]),
        TargetSpec("search pinyin prefix (admin)", "search", qs(samples["all_pinyin"]), adm.page_headers(), "e.g. " + samples["all_pinyin"][0]),
        TargetSpec("search hanzi prefix (admin)", "search", qs(samples["all_hanzi"]), adm.page_headers(), "e.g. " + samples["all_hanzi"][0]),
        TargetSpec("search hanzi brand, contains (admin)", "search", qs(samples["all_brand"]), adm.page_headers(), "e.g. " + samples["all_brand"][0]),
        TargetSpec("360° /customers/<id>/ (rep)", "360", [f"/customers/{i}/" for i in samples["rep_ids"]], rep.page_headers()),
        TargetSpec("360° /customers/<id>/ (admin)", "360", [f"/customers/{i}/" for i in samples["all_ids"]], adm.page_headers()),
        # The home page: customers at risk (emotion readings of the last 7/30 days), own customers, recent interactions.
        TargetSpec("home / (rep)", "home", ["/"], rep.page_headers()),
        TargetSpec("home / (manager)", "home", ["/"], mgr.page_headers(), "one team"),
        TargetSpec("home / (admin)", "home", ["/"], adm.page_headers(), "all customers"),
        TargetSpec("API /api/v1/customers (rep)", "api", [f"/api/v1/customers?page={p}&page_size=25" for p in range(1, 11)], rep.api_headers(), "pages 1-10"),
        TargetSpec("API /api/v1/customers (admin)", "api", [f"/api/v1/customers?page={p}&page_size=25" for p in range(1, 11)], adm.api_headers(), "pages 1-10"),
    ]
    if only:
        specs = [s for s in specs if s.group == "trivial" or any(o in s.name for o in only)]
    return specs


def sanity_check(port: int, spec: TargetSpec) -> str:
    """One request per target before measuring: status and size, so a target
    that answers a login page or an error is not timed as if it worked."""
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", spec.paths[0], headers={"Host": f"{HOST}:{port}", **spec.headers})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return f"{resp.status}, {len(body):,} bytes, cold {1000 * (time.perf_counter() - t0):.0f} ms"


# --------------------------------------------------------------------------- report


def table(results: list[Result]) -> tuple[str, bool]:
    lines = [
        "| target | requests | errors | p50 ms | p95 ms | p99 ms | req/s | trivial beside, req/s | % of trivial | goal | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    all_ok = True
    for r in results:
        share = r.share
        if r.group == "trivial":
            goal, verdict = "baseline", r.note
        else:
            limit = GOALS[r.group]
            goal = f"p95 ≤ {limit:.0f}, ≥ 30 %"
            ok = r.errors == 0 and r.pct(95) <= limit and share >= MIN_SHARE
            all_ok &= ok
            why = []
            if r.errors:
                why.append("errors")
            if r.pct(95) > limit:
                why.append("p95")
            if share < MIN_SHARE:
                why.append("throughput")
            verdict = "PASS" if ok else "FAIL (" + ", ".join(why) + ")"
        lines.append(
            f"| {r.name} | {r.requests:,} | {r.errors:,} | {r.pct(50):.1f} | {r.pct(95):.1f} | {r.pct(99):.1f} | {r.rps:,.1f} | "
            f"{'' if r.group == 'trivial' else f'{r.base_rps:,.1f}'} | {100 * share:.0f} % | {goal} | {verdict} |"
        )
    return "\n".join(lines), all_ok


def _readings_note(marker: dict) -> str:
    r = marker.get("readings")
    if not r:
        return ""
    return (f"Emotion readings: {r['rows']:,} ({r['high']:,} high risk, {r['negative']:,} negative), the newest {r['newest'][:16]}, "
            f"after {r['interactions_added']:,} interactions were added to bring the data set up to {r['loaded_at'][:10]}. ")


def run_db(db: str, args, pg: PgCluster | None) -> str:
    target = Target(db, args.customers, args.interactions, pg.url if pg else None)
    marker = generate(target, seed=args.seed, force=args.force)
    t0 = time.perf_counter()
    target.migrate()
    log(f"migrations applied in {time.perf_counter() - t0:.1f}s")
    if db == "sqlite":
        with sqlite3.connect(target.sqlite_path) as c:
            c.execute("PRAGMA optimize")
    samples = sample_queries(target, marker["users"], random.Random(args.seed))
    load0 = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with Server(target, args.workers, OUT / f"server-{db}-{target.tag}.log") as server:
        specs = build_targets(server.port, marker["users"], samples, set(args.only) if args.only else None)
        # The machine's speed drifts during a run (another tenant's load: the
        # trivial page alone has moved by half between the start and the end),
        # so each target is compared with the trivial page measured just
        # before and just after it, not with one measurement at the start.
        trivial, targets = specs[0], specs[1:]
        check = sanity_check(server.port, trivial)
        drive(server.port, trivial, connections=args.connections, max_requests=args.warmup, max_seconds=args.seconds)
        beside = drive(server.port, trivial, connections=args.connections, max_requests=args.requests, max_seconds=args.seconds)
        log(f"{trivial.name:40s} {beside.requests:6,} req  p95 {beside.pct(95):7.1f} ms  {beside.rps:7.1f} req/s  [{check}]")
        baselines, results = [beside], []
        for spec in targets:
            check = sanity_check(server.port, spec)
            drive(server.port, spec, connections=args.connections, max_requests=args.warmup, max_seconds=args.seconds)
            r = drive(server.port, spec, connections=args.connections, max_requests=args.requests, max_seconds=args.seconds)
            after = drive(server.port, trivial, connections=args.connections, max_requests=args.requests, max_seconds=args.seconds)
            r.base_rps = (baselines[-1].rps + after.rps) / 2
            baselines.append(after)
            results.append(r)
            log(f"{spec.name:40s} {r.requests:6,} req {r.errors:4} err  p50 {r.pct(50):7.1f}  p95 {r.pct(95):7.1f}  "
                f"p99 {r.pct(99):7.1f} ms  {r.rps:7.1f} req/s  {100 * r.share:3.0f} % of /me/ beside it ({r.base_rps:.0f} req/s)  "
                f"client {100 * r.client_cpu:.0f}% CPU  [{check}]" + (f"  first error: {r.first_error}" if r.first_error else ""))
    baseline = Result(trivial.name, "trivial", seconds=sum(b.seconds for b in baselines), requests=sum(b.requests for b in baselines),
                      errors=sum(b.errors for b in baselines), latencies=[x for b in baselines for x in b.latencies])
    baseline.note = f"{len(baselines)} runs, one before and after each target: {min(b.rps for b in baselines):.0f}–{max(b.rps for b in baselines):.0f} req/s"
    boots = server.log_path.read_text(errors="replace").count("Booting worker")
    text, ok = table([baseline, *results])
    secs = marker["seconds"]
    header = (
        f"### {'SQLite' if db == 'sqlite' else 'PostgreSQL 15'}: {args.customers:,} customers, {args.interactions:,} interactions\n\n"
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC on 2 cores / 24 GiB; `manyi serve --workers {args.workers}`, "
        f"{args.connections} concurrent connections, per target {args.warmup} warm-up requests then at most {args.requests:,} requests "
        f"or {args.seconds:.0f} s; each target's share is of the trivial page's throughput measured just before and after it. Data set: {marker['size_mb']:,} MB, generated in {secs['total']:.0f} s "
        f"(customers {secs['customers']:.0f} s, interactions {secs['interactions']:.0f} s, indexes {secs['indexes']:.0f} s). "
        f"{_readings_note(marker)}The rep sees {samples['rep_visible']:,} customers. Load average before/after the run: {load0} / "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; gunicorn booted {boots} workers (2 at start, the rest after max_requests).\n\n"
    )
    out = header + text + f"\n\n{'All targets meet the goal.' if ok else 'Not every target meets the goal.'}\n"
    (OUT / f"results-{db}-{target.tag}.md").write_text(out)
    (OUT / f"results-{db}-{target.tag}.json").write_text(json.dumps(
        [{"name": r.name, "group": r.group, "requests": r.requests, "errors": r.errors, "p50": r.pct(50), "p95": r.pct(95),
          "p99": r.pct(99), "rps": r.rps, "trivial_rps_beside": r.base_rps, "client_cpu": r.client_cpu, "first_error": r.first_error}
         for r in [baseline, *results]],
        indent=1, ensure_ascii=False))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    dataset_arguments(p, db_default="both")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--requests", type=int, default=2000, help="at most this many measured requests per target")
    p.add_argument("--seconds", type=float, default=10.0, help="at most this long per target")
    p.add_argument("--warmup", type=int, default=100, help="requests per target before measuring")
    p.add_argument("--only", nargs="*", help="run only targets whose name contains one of these (plus the trivial page)")
    p.add_argument("--write", metavar="FILE", help="also write the tables to FILE (bench/RESULTS.md for the README)")
    args = p.parse_args()
    outputs = []
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        if db == "postgres":
            with PgCluster() as pg:
                outputs.append(run_db(db, args, pg))
        else:
            outputs.append(run_db(db, args, None))
    print("\n" + "\n".join(outputs))
    if args.write:
        command = "python bench/pages.py " + " ".join(sys.argv[1:])
        Path(args.write).write_text(
            "# Scale benchmark results\n\n"
            f"Produced by `{command}` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d}; see bench/README.md. "
            "Latency is measured at the client with 8 concurrent connections, so it includes queueing for the 2 workers "
            "(one request at a time each): p95 is a little above 8 / throughput, so p95 ≤ 100 ms needs some 95 requests "
            "a second, and 30 % of the trivial page's throughput needs a page to cost at most ~3.3 times `/me/`.\n\n"
            + "\n".join(outputs)
        )


if __name__ == "__main__":
    main()
