"""Visit routes: distances, and the order a rep drives to the day's customers.

Pure Python, no database. A route visits every stop once; the heuristic is
never longer than nearest neighbour, optimal on a day's handful of stops,
and close to OR-Tools on a larger tour.
"""

import itertools
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.sales.routes import (
    ROAD_FACTOR,
    Route,
    cost_matrix,
    distance_matrix,
    haversine_km,
    solve_route,
    tour_cost,
    travel_minutes,
)

SHANGHAI = (31.2304, 121.4737)  # People's Square
BEIJING = (39.9042, 116.4074)  # Tian'anmen
OFFICE = (31.2304, 121.4737)
KM_EAST = 1 / (111.195 * math.cos(math.radians(OFFICE[0])))  # degrees of longitude per km at Shanghai


def east(km: float) -> tuple[float, float]:
    """A point ``km`` straight east of the office."""
    return (OFFICE[0], OFFICE[1] + km * KM_EAST)


def city(n: int, seed: int) -> list[tuple[float, float]]:
    """``n`` customers scattered within about 20 km of the office."""
    rng = np.random.default_rng(seed)
    return [(OFFICE[0] + lat, OFFICE[1] + lon) for lat, lon in rng.normal(0, [0.1, 0.12], size=(n, 2))]


points = st.lists(
    st.tuples(st.floats(31.0, 31.5), st.floats(121.2, 121.8)),
    max_size=30,
)
modes = st.sampled_from([(None, True), (OFFICE, True), (OFFICE, False)])


def test_routes_import_nothing_from_django():
    code = "import sys, manyi.sales.routes; assert not any(m.startswith('django') for m in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


# --- Distances ---


def test_shanghai_to_beijing_is_about_1068_km_as_the_crow_flies():
    assert haversine_km(SHANGHAI, BEIJING) == pytest.approx(1068, abs=3)


def test_a_degree_of_latitude_is_about_111_km():
    assert haversine_km((31.0, 121.0), (32.0, 121.0)) == pytest.approx(111.2, abs=0.1)


def test_a_point_is_zero_km_from_itself():
    assert haversine_km(SHANGHAI, SHANGHAI) == 0.0


@given(st.lists(st.tuples(st.floats(-89, 89), st.floats(-179, 179)), min_size=1, max_size=12))
def test_the_matrix_holds_the_pairwise_distances(pts):
    matrix = distance_matrix(pts)
    assert matrix.shape == (len(pts), len(pts))
    assert np.allclose(matrix, matrix.T)
    assert np.all(np.diag(matrix) == 0)
    for i, j in itertools.combinations(range(len(pts)), 2):
        assert matrix[i, j] == pytest.approx(haversine_km(pts[i], pts[j]), abs=1e-6)


def test_a_road_is_taken_to_be_30_percent_longer_than_the_straight_line():
    assert ROAD_FACTOR == 1.3
    route = solve_route([east(10)], start=OFFICE)
    assert route.km == pytest.approx(2 * 10 * 1.3, rel=1e-3)


# --- Travel time ---


def test_15_road_km_at_30_km_an_hour_take_30_minutes():
    assert travel_minutes(15) == 30


def test_travel_minutes_round_up_to_a_whole_minute():
    assert travel_minutes(15.1) == 31
    assert travel_minutes(0) == 0
    assert travel_minutes(10, speed_kmh=60) == 10


def test_a_speed_must_be_positive():
    with pytest.raises(ValueError, match="speed"):
        travel_minutes(10, speed_kmh=0)


def test_a_route_knows_its_driving_minutes():
    route = Route(order=[0], km=20.0, legs_km=[10.0])
    assert route.minutes() == 40
    assert route.minutes(speed_kmh=20) == 60
    assert route.return_km == 10.0


# --- Tiny routes ---


@pytest.mark.parametrize("method", ["nn", "heuristic", "ortools"])
def test_no_stops_make_an_empty_route(method):
    if method == "ortools":
        pytest.importorskip("ortools")
    for start in (None, OFFICE):
        assert solve_route([], start=start, method=method) == Route(order=[], km=0.0, legs_km=[])


def test_one_stop_from_the_office_is_out_and_back():
    route = solve_route([east(5)], start=OFFICE)
    assert route.order == [0]
    assert route.legs_km == [pytest.approx(6.5, rel=1e-3)]
    assert route.km == pytest.approx(13.0, rel=1e-3)


def test_one_stop_without_a_start_is_no_driving():
    assert solve_route([east(5)]) == Route(order=[0], km=0.0, legs_km=[0.0])


def test_two_stops_without_a_start_are_one_leg():
    route = solve_route([east(2), east(7)])
    assert sorted(route.order) == [0, 1]
    assert route.km == pytest.approx(5 * 1.3, rel=1e-3)
    assert route.legs_km[0] == 0.0


def test_without_returning_the_route_ends_at_the_far_end():
    route = solve_route([east(3), east(9), east(6)], start=OFFICE, return_to_start=False)
    assert route.order == [0, 2, 1]
    assert route.km == pytest.approx(9 * 1.3, rel=1e-3)
    assert route.return_km == 0.0


def test_stops_on_a_line_are_driven_out_and_back_once():
    route = solve_route([east(8), east(2), east(-4), east(5)], start=OFFICE)
    assert route.km == pytest.approx(2 * (8 + 4) * 1.3, rel=1e-3)


def test_unknown_methods_are_refused():
    with pytest.raises(ValueError, match="unknown method"):
        solve_route([east(1)], method="genetic")


def test_ortools_is_asked_for_by_name_and_missing_it_is_said_clearly(monkeypatch):
    monkeypatch.setitem(sys.modules, "ortools.constraint_solver", None)
    with pytest.raises(RuntimeError, match="needs the ortools package"):
        solve_route(city(5, 0), start=OFFICE, method="ortools")


# --- Every route visits every stop once, and its figures add up ---


@settings(max_examples=60, deadline=None)
@given(points, modes, st.sampled_from(["nn", "heuristic"]))
def test_a_route_visits_every_stop_exactly_once(stops, mode, method):
    start, back = mode
    route = solve_route(stops, start=start, return_to_start=back, method=method)
    assert sorted(route.order) == list(range(len(stops)))
    assert len(route.legs_km) == len(stops)


@settings(max_examples=60, deadline=None)
@given(points, modes)
def test_a_routes_km_is_its_legs_at_road_distance(stops, mode):
    start, back = mode
    route = solve_route(stops, start=start, return_to_start=back)
    path = ([start] if start else []) + [stops[k] for k in route.order] + ([start] if start and back else [])
    road = sum(ROAD_FACTOR * haversine_km(a, b) for a, b in itertools.pairwise(path))
    assert route.km == pytest.approx(road, abs=1e-6)
    assert sum(route.legs_km) + route.return_km == pytest.approx(route.km)


@settings(max_examples=60, deadline=None)
@given(points, modes)
def test_the_heuristic_is_never_longer_than_nearest_neighbour(stops, mode):
    start, back = mode
    nn = solve_route(stops, start=start, return_to_start=back, method="nn")
    heuristic = solve_route(stops, start=start, return_to_start=back)
    assert heuristic.km <= nn.km + 1e-9


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(31.0, 31.5), st.floats(121.2, 121.8)), max_size=7), modes)
def test_a_days_handful_of_stops_gets_the_shortest_route(stops, mode):
    start, back = mode
    cost = cost_matrix(stops, start=start, return_to_start=back)
    shortest = min(tour_cost([0, *order], cost) for order in itertools.permutations(range(1, len(stops) + 1)))
    assert solve_route(stops, start=start, return_to_start=back).km == pytest.approx(shortest, abs=1e-9)


def test_the_heuristic_gives_the_same_route_every_time():
    stops = city(80, seed=3)
    assert solve_route(stops, start=OFFICE) == solve_route(stops, start=OFFICE)


def test_the_heuristic_improves_a_lot_on_nearest_neighbour_for_a_big_tour():
    stops = city(150, seed=4)
    nn = solve_route(stops, start=OFFICE, method="nn")
    assert solve_route(stops, start=OFFICE).km < 0.9 * nn.km


# --- Against OR-Tools ---


@pytest.mark.parametrize("start, back", [(OFFICE, True), (OFFICE, False), (None, True)])
def test_the_heuristic_is_within_5_percent_of_ortools_on_40_stops(start, back):
    pytest.importorskip("ortools")
    stops = city(40, seed=7)
    ortools = solve_route(stops, start=start, return_to_start=back, method="ortools", time_limit_s=2)
    heuristic = solve_route(stops, start=start, return_to_start=back)
    assert sorted(ortools.order) == list(range(40))
    assert heuristic.km <= 1.05 * ortools.km
