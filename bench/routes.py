"""Visit routes and the weekly plan for one rep's 300 customers in Shanghai,
with nearest neighbour (the baseline) and OR-Tools (where installed) beside
Manyi's heuristic in the same run.

    python bench/routes.py                       # ~1.5 minutes: capacity 8 (the default) and 20 (holds all 300)
    python bench/routes.py --capacity 8          # the product's default capacity only
    python bench/routes.py --no-ortools          # the baseline and the heuristic only
    python bench/routes.py --time-limit 60 --day-time-limit 2

The customers, deterministic for --seed: 12 clusters whose centres lie
within 25 km of People's Square, each customer a normal draw 1–3 km around
its cluster's centre, cluster sizes uneven (Dirichlet); grades ~10 % A, 20 % B,
30 % C, 40 % D with the default frequencies (4, 2, 1 and 1/3 visits a month).
The office, the base of every route, is at Jing'an Temple.

What is measured:
(a) one closed tour from the office through all the customers: road km and
    solve time by nearest neighbour, the heuristic (2-opt + Or-opt, kicked),
    and OR-Tools' guided local search for --time-limit seconds; the gaps are
    to OR-Tools.
(b) the weekly plan: `assign_slots` with --capacity visits a day, then twelve
    weeks (one whole cycle of the intervals, from --start, Chinese holidays
    skipped) with every day's route from the office and back by each solver.
    The geography-blind plan (the same customers without locations, so
    weekdays go wherever the load is lowest) routed by the heuristic shows
    what the sweep by bearing saves.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import importlib.util
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from manyi.sales.planner import (
    DEFAULT_VISITS_PER_MONTH,
    PlanCustomer,
    assign_slots,
    iso_week,
    parse_iso_week,
    plan_week,
    working_days_in_month,
    workload,
)
from manyi.sales.routes import Point, solve_route

CITY_CENTRE = (31.2304, 121.4737)  # People's Square
OFFICE = (31.2235, 121.4454)  # Jing'an Temple
KM_PER_DEGREE = 111.2
GRADE_MIX = {"A": 0.10, "B": 0.20, "C": 0.30, "D": 0.40}


def customers(n: int, clusters: int, seed: int) -> list[PlanCustomer]:
    """``n`` customers in ``clusters`` uneven clusters within ~25 km of the city centre."""
    rng = np.random.default_rng(seed)
    radius = 25 * np.sqrt(rng.uniform(0, 1, clusters))
    bearing = rng.uniform(0, 2 * np.pi, clusters)
    centres = np.column_stack([radius * np.cos(bearing), radius * np.sin(bearing)])  # km north, east
    spread = rng.uniform(1, 3, clusters)
    home = rng.choice(clusters, size=n, p=rng.dirichlet(np.full(clusters, 2.0)))
    km = centres[home] + rng.normal(0, 1, (n, 2)) * spread[home, None]
    lat = CITY_CENTRE[0] + km[:, 0] / KM_PER_DEGREE
    lon = CITY_CENTRE[1] + km[:, 1] / (KM_PER_DEGREE * np.cos(np.radians(CITY_CENTRE[0])))
    grades = rng.choice(list(GRADE_MIX), size=n, p=list(GRADE_MIX.values()))
    return [PlanCustomer(i, str(g), (float(a), float(b))) for i, (g, a, b) in enumerate(zip(grades, lat, lon, strict=True))]


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def gap(value: float, reference: float | None) -> str:
    return "" if not reference else f"{100 * (value / reference - 1):+.1f} %"


def workload_table(people: list[PlanCustomer], year: int, month: int) -> None:
    days = working_days_in_month(year, month)
    table = workload(Counter(c.grade for c in people), DEFAULT_VISITS_PER_MONTH, working_days=days)
    print(f"Workload ({year}-{month:02d}: {days} working days)")
    print("| grade | customers | visits/month | visits needed |")
    print("|---|---:|---:|---:|")
    for row in table.rows:
        print(f"| {row.grade} | {row.customers} | {row.visits_per_month:.2f} | {row.visits_needed:.1f} |")
    print(f"| total | {table.customers} | | {table.visits_needed:.1f} |")
    print(f"visits a day for one rep: {table.visits_per_day}\n")


def one_tour(stops: list[Point], methods: list[str], time_limit: float) -> None:
    print(f"(a) One tour from the office through all {len(stops)} customers")
    results = {}
    for method in methods:
        route, seconds = timed(solve_route, stops, start=OFFICE, method=method, time_limit_s=time_limit)
        assert sorted(route.order) == list(range(len(stops)))
        results[method] = (route.km, seconds)
    reference = results.get("ortools", (None,))[0]
    print("| method | road km | vs OR-Tools | vs nearest neighbour | seconds |")
    print("|---|---:|---:|---:|---:|")
    for method, (km, seconds) in results.items():
        print(f"| {method} | {km:.1f} | {gap(km, reference)} | {gap(km, results['nn'][0])} | {seconds:.2f} |")
    print()


def weekly_plan(people: list[PlanCustomer], capacity: int, args, methods: list[str]) -> None:
    by_id = {c.id: c for c in people}
    freq = DEFAULT_VISITS_PER_MONTH
    assigned, seconds = timed(assign_slots, people, visits_per_month=freq, capacity=capacity, base=OFFICE)
    blind = assign_slots([PlanCustomer(c.id, c.grade) for c in people], visits_per_month=freq, capacity=capacity)
    placed = Counter(by_id[i].grade for i in assigned.slots)
    left = Counter(by_id[i].grade for i, _ in assigned.unplaced)
    print(f"(b) Weekly plan, capacity {capacity} visits a day: assign_slots took {seconds * 1000:.0f} ms")
    print("slotted " + ", ".join(f"{g} {placed[g]}" for g in GRADE_MIX) + f" = {sum(placed.values())}; "
          "unplaced (capacity) " + ", ".join(f"{g} {left[g]}" for g in GRADE_MIX) + f" = {sum(left.values())}")  # fmt: skip
    columns = [*methods, "blind plan"]
    print("| week | visits | holidays | " + " | ".join(f"{m} km" for m in columns) + " |")
    print("|---|---:|---:|" + "---:|" * len(columns))
    totals, times = Counter(), Counter()
    monday = parse_iso_week(args.start)
    for _ in range(args.weeks):
        row, visits, holidays = Counter(), 0, 0
        for plan, blind_plan in zip(plan_week(assigned.slots, monday), plan_week(blind.slots, monday), strict=True):
            holidays += plan.holiday
            visits += len(plan.customer_ids)
            stops = [by_id[i].point for i in plan.customer_ids]
            for method in methods:
                route, spent = timed(solve_route, stops, start=OFFICE, method=method, time_limit_s=args.day_time_limit)
                row[method] += route.km
                times[method] += spent
            row["blind plan"] += solve_route([by_id[i].point for i in blind_plan.customer_ids], start=OFFICE).km
        print(f"| {iso_week(monday)} | {visits} | {holidays} | " + " | ".join(f"{row[m]:.1f}" for m in columns) + " |")
        totals.update(row)
        monday += timedelta(weeks=1)
    print("| total | | | " + " | ".join(f"{totals[m]:.1f}" for m in columns) + " |")
    print("solve seconds, all days: " + ", ".join(f"{m} {times[m]:.2f}" for m in methods))
    print(f"heuristic vs nearest neighbour: {gap(totals['heuristic'], totals['nn'])}")
    if "ortools" in totals:
        print(f"heuristic vs OR-Tools: {gap(totals['heuristic'], totals['ortools'])}")
    print(f"sweep plan vs geography-blind plan (heuristic routes): {gap(totals['heuristic'], totals['blind plan'])}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--clusters", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--capacity", type=int, nargs="+", default=[8, 20], help="visits a day, one plan each (default 8, the product default, and 20, which holds all 300)")
    parser.add_argument("--start", default="2026-W36", help="the first of the weeks planned (default 2026-W36)")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--time-limit", type=float, default=30.0, help="OR-Tools seconds for the big tour")
    parser.add_argument("--day-time-limit", type=float, default=0.5, help="OR-Tools seconds for each day's route")
    parser.add_argument("--no-ortools", action="store_true", help="leave OR-Tools out")
    args = parser.parse_args()

    with_ortools = not args.no_ortools and importlib.util.find_spec("ortools") is not None
    methods = ["nn", "heuristic", *(["ortools"] if with_ortools else [])]
    people = customers(args.customers, args.clusters, args.seed)
    thursday = parse_iso_week(args.start) + timedelta(days=3)  # the ISO week's month
    print(f"{args.customers} customers in {args.clusters} clusters around Shanghai, seed {args.seed}; "
          f"office at Jing'an Temple; OR-Tools {'on' if with_ortools else 'not installed or off'}\n")  # fmt: skip
    workload_table(people, thursday.year, thursday.month)
    one_tour([c.point for c in people], methods, args.time_limit)
    for capacity in args.capacity:
        weekly_plan(people, capacity, args, methods)


if __name__ == "__main__":
    main()
