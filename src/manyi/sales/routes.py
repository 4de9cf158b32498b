"""Visit routes: the order in which a rep drives to a day's customers.

Pure Python and numpy: nothing from Django, so routes can be tested and
benchmarked on their own. OR-Tools is optional and imported only when asked for.

The model
=========

*Distances.* A point is ``(lat, lon)`` in degrees. Straight-line distances are
great-circle (haversine) kilometres; a road is taken to be ``ROAD_FACTOR``
times longer than the straight line, which is what a route's ``km`` reports.

*Tours over nodes.* The solvers work on a square cost matrix whose node 0 is an
*anchor* and nodes ``1..n`` are the stops, and on tours that start at node 0:

- with a ``start`` and ``return_to_start``, node 0 is the start and the tour
  is closed (the office, out and back);
- with a ``start`` and no return, the cost of every arc *into* node 0 is 0, so
  the tour is a path from the start that may end anywhere;
- with no ``start``, node 0 is a dummy at zero cost from and to every stop, so
  the tour is an open path that may begin and end anywhere.

*Solvers.* ``"nn"`` is nearest neighbour from the anchor, the baseline.
``"heuristic"`` improves it by 2-opt and Or-opt (segments of 1–3 stops moved,
possibly reversed) over each stop's nearest neighbours with don't-look bits,
then kicks the tour (two neighbouring segments swapped, a double bridge) and
repairs it, keeping the best (iterated local search). The kicks come from a
seeded generator, so the same stops always give the same route, and the result
is never longer than the nearest-neighbour tour it starts from. Up to
``EXACT_UP_TO`` stops (a day's visits) it is simply optimal: dynamic
programming over the subsets of stops (Held–Karp). ``"ortools"`` hands the
same matrix, in whole metres, to OR-Tools' routing solver with guided local
search for a fixed time.
"""

import itertools
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "METHODS",
    "ROAD_FACTOR",
    "Point",
    "Route",
    "cost_matrix",
    "distance_matrix",
    "haversine_km",
    "improve",
    "nearest_neighbour",
    "solve_route",
    "tour_cost",
    "travel_minutes",
]

Point = tuple[float, float]  # (latitude, longitude) in degrees

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
ROAD_FACTOR = 1.3  # road km per straight-line km in a Chinese city
METHODS = ("nn", "heuristic", "ortools")
EXACT_UP_TO = 12  # stops; up to this many the heuristic finds the best route (Held–Karp)
NEIGHBOURS = 10  # candidate neighbours per stop in the local search
_EPS = 1e-9


def haversine_km(a: Point, b: Point) -> float:
    """Great-circle distance between two points, in km."""
    return float(distance_matrix([a, b])[0, 1])


def distance_matrix(points: Sequence[Point]) -> np.ndarray:
    """Straight-line (great-circle) km between every pair of points, an ``n × n`` array."""
    coords = np.radians(np.asarray(points, dtype=float).reshape(-1, 2))
    lat, lon = coords[:, 0:1], coords[:, 1:2]
    h = np.sin((lat - lat.T) / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin((lon - lon.T) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def travel_minutes(km: float, *, speed_kmh: float = 30.0) -> int:
    """Whole minutes (rounded up) to drive ``km`` road kilometres at ``speed_kmh``."""
    if speed_kmh <= 0:
        raise ValueError(f"speed_kmh must be positive, got {speed_kmh}")
    return math.ceil(km / speed_kmh * 60 - _EPS)


@dataclass(frozen=True)
class Route:
    """Stops in visiting order (indices into the stops given) and road km.

    ``legs_km[k]`` is the leg arriving at ``order[k]`` (0 for the first stop of
    an open path); ``km`` is the whole route, the way back to the start included.
    """

    order: list[int]
    km: float
    legs_km: list[float]

    @property
    def return_km(self) -> float:
        """The leg from the last stop back to the start (0 without one)."""
        return self.km - sum(self.legs_km)

    def minutes(self, *, speed_kmh: float = 30.0) -> int:
        """Driving minutes of the whole route at ``speed_kmh``."""
        return travel_minutes(self.km, speed_kmh=speed_kmh)


def solve_route(
    stops: Sequence[Point],
    *,
    start: Point | None = None,
    return_to_start: bool = True,
    method: str = "heuristic",
    time_limit_s: float = 10.0,
) -> Route:
    """The route through every stop by ``method`` ("nn", "heuristic" or "ortools").

    Without ``start`` the route is an open path; ``time_limit_s`` bounds OR-Tools only.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    cost = cost_matrix(stops, start=start, return_to_start=return_to_start)
    if method == "nn":
        tour = nearest_neighbour(cost)
    elif method == "heuristic":
        tour = improve(nearest_neighbour(cost), cost)
    else:
        tour = _ortools_tour(cost, time_limit_s)
    return _route(tour, cost, has_start=start is not None)


def cost_matrix(stops: Sequence[Point], *, start: Point | None = None, return_to_start: bool = True) -> np.ndarray:
    """Road km between nodes: node 0 is the anchor (start or dummy), node ``k + 1`` is ``stops[k]``."""
    n = len(stops)
    cost = np.zeros((n + 1, n + 1))
    if start is None:
        if n:
            cost[1:, 1:] = ROAD_FACTOR * distance_matrix(stops)
        return cost
    cost[:] = ROAD_FACTOR * distance_matrix([start, *stops])
    if not return_to_start:
        cost[:, 0] = 0.0
    return cost


def tour_cost(tour: Sequence[int], cost: np.ndarray) -> float:
    """The cost of a closed tour over ``cost`` (the arc back to ``tour[0]`` included)."""
    nodes = np.asarray(tour)
    return float(cost[nodes, np.roll(nodes, -1)].sum()) if len(nodes) > 1 else 0.0


def nearest_neighbour(cost: np.ndarray) -> list[int]:
    """A tour from node 0 that always drives to the nearest stop not yet visited."""
    m = cost.shape[0]
    unvisited = np.ones(m, dtype=bool)
    unvisited[0] = False
    tour = [0]
    for _ in range(m - 1):
        row = np.where(unvisited, cost[tour[-1]], np.inf)
        nxt = int(np.argmin(row))
        tour.append(nxt)
        unvisited[nxt] = False
    return tour


def improve(tour: Sequence[int], cost: np.ndarray, *, kicks: int | None = None, seed: int = 0) -> list[int]:
    """A tour no longer than ``tour`` (node 0 kept first): 2-opt and Or-opt, then ``kicks`` kick-and-repair rounds.

    ``kicks`` defaults to ``min(20 * nodes, 2000)``; up to ``EXACT_UP_TO`` stops the optimum is returned.
    """
    tour = list(tour)
    if len(tour) - 1 <= EXACT_UP_TO:
        return _exact(tour, cost)
    return _Search(tour, cost).run(min(20 * len(tour), 2000) if kicks is None else kicks, random.Random(seed))


def _exact(tour: list[int], cost: np.ndarray) -> list[int]:
    """The cheapest tour from node 0 through every node, by dynamic programming (Held–Karp)."""
    n = len(tour) - 1
    if n <= 1:
        return list(tour)
    stops = np.asarray(tour[1:])
    c = cost[np.ix_(stops, stops)]
    best = np.full((1 << n, n), np.inf)  # best[S, j]: from node 0 through the set S, ending at stop j
    parent = np.zeros((1 << n, n), dtype=np.int64)
    masks = np.arange(1 << n)
    sizes = np.array([mask.bit_count() for mask in range(1 << n)])
    best[1 << np.arange(n), np.arange(n)] = cost[tour[0], stops]
    for size in range(2, n + 1):
        layer = masks[sizes == size]
        for j in range(n):
            with_j = layer[(layer >> j) & 1 == 1]
            via = best[with_j ^ (1 << j)] + c[:, j]
            parent[with_j, j] = np.argmin(via, axis=1)
            best[with_j, j] = via[np.arange(len(with_j)), parent[with_j, j]]
    mask, j = (1 << n) - 1, int(np.argmin(best[-1] + cost[stops, tour[0]]))
    order = []
    while mask:
        order.append(j)
        mask, j = mask ^ (1 << j), int(parent[mask, j])
    return [tour[0], *stops[order[::-1]].tolist()]


def _route(tour: list[int], cost: np.ndarray, *, has_start: bool) -> Route:
    """A :class:`Route` for a tour over ``cost`` (node 0 first)."""
    order = [node - 1 for node in tour[1:]]
    legs = [float(cost[a, b]) for a, b in itertools.pairwise(tour)]  # the dummy's arcs cost 0
    back = float(cost[tour[-1], 0]) if has_start and len(tour) > 1 else 0.0
    return Route(order=order, km=sum(legs) + back, legs_km=legs)


class _Search:
    """Local search state: the tour (node 0 at position 0), each node's position, candidate lists."""

    def __init__(self, tour: list[int], cost: np.ndarray) -> None:
        self.m = len(tour)
        self.c = cost.tolist()
        near = np.minimum(cost, cost.T)
        np.fill_diagonal(near, np.inf)
        k = min(NEIGHBOURS, self.m - 1)
        self.near = np.argsort(near, axis=1, kind="stable")[:, :k].tolist()
        self.set_tour(tour)

    def set_tour(self, tour: list[int]) -> None:
        self.t = list(tour)
        self.pos = [0] * self.m
        for i, node in enumerate(self.t):
            self.pos[node] = i

    def length(self) -> float:
        c, t = self.c, self.t
        return sum(c[a][b] for a, b in itertools.pairwise(t)) + c[t[-1]][t[0]]

    def run(self, kicks: int, rng: random.Random) -> list[int]:
        """Descend, then kick and descend ``kicks`` times, keeping the best tour found."""
        self.descend(range(self.m))
        best, best_len = list(self.t), self.length()
        for _ in range(kicks):
            touched = self.kick(rng)
            self.descend(touched)
            length = self.length()
            if length < best_len - _EPS:
                best, best_len = list(self.t), length
            else:
                self.set_tour(best)
        return best

    def descend(self, nodes) -> None:
        """Apply improving moves until none of the active nodes has one (don't-look bits)."""
        queue = deque(nodes)
        active = [False] * self.m
        for node in queue:
            active[node] = True
        while queue:
            x = queue.popleft()
            active[x] = False
            touched = self.two_opt(x) or self.or_opt(x)
            if touched:
                for node in (x, *touched):
                    if not active[node]:
                        active[node] = True
                        queue.append(node)

    def reverse_delta(self, i: int, j: int) -> float:
        """Cost change of reversing positions ``i..j`` (``1 <= i < j <= m-1``)."""
        c, t = self.c, self.t
        a, b, e, f = t[i - 1], t[i], t[j], t[(j + 1) % self.m]
        return c[a][e] + c[b][f] - c[a][b] - c[e][f]

    def two_opt(self, x: int) -> tuple[int, ...] | None:
        """The first improving 2-opt move that joins ``x`` to one of its neighbours, applied."""
        c, t, pos, m = self.c, self.t, self.pos, self.m
        p = pos[x]
        for succ in (True, False):
            other = t[(p + 1) % m] if succ else t[p - 1]
            current = c[x][other] if succ else c[other][x]
            for y in self.near[x]:
                if min(c[x][y], c[y][x]) >= current:
                    break
                q = pos[y]
                if succ:
                    i, j = (p + 1, q) if p < q else (q + 1, p)
                else:
                    i, j = (p, q - 1) if p < q else (q, p - 1)
                if i < 1 or i >= j:
                    continue
                if self.reverse_delta(i, j) < -_EPS:
                    touched = (t[i - 1], t[i], t[j], t[(j + 1) % m])
                    t[i : j + 1] = t[i : j + 1][::-1]
                    for k in range(i, j + 1):
                        pos[t[k]] = k
                    return touched
        return None

    def or_opt(self, x: int) -> tuple[int, ...] | None:
        """The first improving move of a 1–3 stop segment starting or ending at ``x``, applied."""
        c, t, pos, m = self.c, self.t, self.pos, self.m
        p = pos[x]
        if p == 0:
            return None
        for length in (1, 2, 3):
            for i in (p,) if length == 1 else (p, p - length + 1):
                j = i + length - 1
                if i < 1 or j > m - 1:
                    continue
                prev, first, last, nxt = t[i - 1], t[i], t[j], t[(j + 1) % m]
                gain = c[prev][first] + c[last][nxt] - c[prev][nxt]
                if gain <= _EPS:
                    continue
                segment = t[i : j + 1]
                for end in (first, last):
                    for y in self.near[end]:
                        if min(c[end][y], c[y][end]) >= gain:
                            break
                        q = pos[y]
                        if i <= q <= j:
                            continue
                        for u, v in ((y, t[(q + 1) % m]), (t[q - 1], y)):
                            if u in segment or v in segment:
                                continue
                            forward = c[u][first] + c[last][v]
                            backward = c[u][last] + c[first][v]
                            if min(forward, backward) - c[u][v] - gain < -_EPS:
                                self.move(i, j, u, reverse=backward < forward)
                                return (prev, nxt, first, last, u, v)
        return None

    def move(self, i: int, j: int, u: int, *, reverse: bool) -> None:
        """Move positions ``i..j`` to just after node ``u``, reversed if asked."""
        segment = self.t[i : j + 1]
        if reverse:
            segment.reverse()
        rest = self.t[:i] + self.t[j + 1 :]
        k = rest.index(u) + 1
        self.set_tour(rest[:k] + segment + rest[k:])

    def kick(self, rng: random.Random) -> list[int]:
        """Swap two neighbouring segments of up to 50 stops (a double bridge); returns the nodes touched."""
        t, m = self.t, self.m
        span = min(50, m - 1)
        a = rng.randint(1, m - 2)
        b = min(a + rng.randint(1, span), m - 1)
        e = min(b + rng.randint(1, span), m)
        self.set_tour(t[:a] + t[b:e] + t[a:b] + t[e:])
        return [t[a - 1], t[a], t[b - 1], t[b], t[e - 1], t[e % m]]


def _ortools_tour(cost: np.ndarray, time_limit_s: float) -> list[int]:
    """The tour OR-Tools' routing solver finds (guided local search, ``time_limit_s`` seconds)."""
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError as exc:
        raise RuntimeError("method 'ortools' needs the ortools package: pip install ortools") from exc
    m = cost.shape[0]
    if m <= 2:
        return list(range(m))
    metres = np.rint(cost * 1000).astype(np.int64).tolist()
    manager = pywrapcp.RoutingIndexManager(m, 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def arc(i: int, j: int) -> int:
        return metres[manager.IndexToNode(i)][manager.IndexToNode(j)]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(arc))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        raise RuntimeError("OR-Tools found no route within the time limit")
    tour, index = [], routing.Start(0)
    while not routing.IsEnd(index):
        tour.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return tour
