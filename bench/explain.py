"""Print the SQL, the query plan and a timing of every query behind the
benchmarked pages, for one generated data set.

    python bench/explain.py --db sqlite --customers 1000000 --interactions 10000000
    python bench/explain.py --db postgres ... --analyze      # EXPLAIN ANALYZE on PostgreSQL
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import Target  # noqa: E402
from pgcluster import PgCluster  # noqa: E402


def run(target: Target, analyze: bool, queries: list[str] | None) -> None:
    os.environ.update(target.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "manyi.settings"
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from manyi.accounts.models import User
    from manyi.customers import selectors
    from manyi.interactions.selectors import customer_timeline, customers_at_risk, recent_interactions

    users = {u: User.objects.get(username=u) for u in ("rep0101", "mgr01", "bench_admin")}
    rep = users["rep0101"]
    some = selectors.customer_list(user=rep).first()
    name = some.name
    cases = {
        "list": lambda u: (selectors.customer_list(user=u).count(), list(selectors.customer_list(user=u)[:25])),
        "search-pinyin": lambda u: (
            (qs := selectors.customer_list(user=u, filters=selectors.CustomerFilters(q=some.name_pinyin[:5]))).count(), list(qs[:25])),
        "search-hanzi": lambda u: (
            (qs := selectors.customer_list(user=u, filters=selectors.CustomerFilters(q=name[:2]))).count(), list(qs[:25])),
        "search-brand": lambda u: (
            (qs := selectors.customer_list(user=u, filters=selectors.CustomerFilters(q="鑫瑞"))).count(), list(qs[:25])),
        "360": lambda u: customer_timeline(user=u, customer=selectors.customer_get(user=u, pk=some.pk)),
        # the home page's reads
        "at-risk": lambda u: customers_at_risk(user=u),
        "recent": lambda u: recent_interactions(user=u, limit=8),
        "home-customers": lambda u: list(selectors.home_customers(user=u)),
    }
    for case, fn in cases.items():
        if queries and case not in queries:
            continue
        for uname, user in users.items():
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                fn(user)
                took = time.perf_counter() - t0
            print(f"\n=== {case} as {uname}: {len(ctx.captured_queries)} queries, {1000 * took:.1f} ms")
            for q in ctx.captured_queries:
                sql = q["sql"]
                print(f"--- {float(q['time']) * 1000:.1f} ms: {sql[:600]}")
                with connection.cursor() as cur:
                    if connection.vendor == "sqlite":
                        cur.execute("EXPLAIN QUERY PLAN " + sql)
                        for row in cur.fetchall():
                            print("    ", row[1], row[3])
                    else:
                        cur.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
                        for row in cur.fetchall():
                            print("    ", row[0])
            reset_queries()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--interactions", type=int, default=10_000_000)
    p.add_argument("--analyze", action="store_true")
    p.add_argument("cases", nargs="*")
    a = p.parse_args()
    if a.db == "postgres":
        with PgCluster() as pg:
            run(Target("postgres", a.customers, a.interactions, pg.url), a.analyze, a.cases)
    else:
        run(Target("sqlite", a.customers, a.interactions), a.analyze, a.cases)


if __name__ == "__main__":
    main()
