"""Activity-list genetic search with forward-backward improvement for plain (calendar-free)
projects with a fixed mode per activity: the RCPSP start for CP-SAT.

A fast serial schedule generation scheme (SGS) decodes an activity list into left-justified
starts; every decoded schedule is improved by forward-backward justification (right-justify in
the order of decreasing finish, then left-justify in the order of increasing start), and the
justified order is written back into the individual. Crossover is Hartmann's two-point
crossover on precedence-feasible lists, mutation swaps neighbours that are not precedence
related and moves a few activities within the places their precedences allow. A population
whose best stops improving restarts around its best schedules.
Everything is deterministic for a given seed and number of generations; ``deadline`` only caps
pathological cases.

The decoder and the variation operators run compiled (``kernel``): about 16,000 children a
second on a J120 instance against 370 in plain Python, the same schedules for the same lists.
Each child is a call of its own, so two populations in two threads wait for each other at the
interpreter lock; compiling whole generations instead doubled the children a second there, yet
the whole J60 set at 10 s fell from 94.2 % at best known (two runs) to 92.9 % and MMLIB50 stayed
at 90.4 %: the converged search does not gain from more of the same children.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

import numpy as np

from . import kernel
from .core import Project
from .heuristic import topological_order

# Restarts of a converged population: how far the new individuals' starts are shifted from the
# kept schedules', in durations (``_fill``). 28 hard J60 instances at 10 s beside CP-SAT, with a
# restart after 50 stale generations: mean gap 1.01 % at 6, 0.94 % at 12, 1.08 % at 30.
RESTART_NOISE = 12.0
# Activities a child's list moves by ``kernel._shift`` besides the swaps of neighbours. 35 J60
# instances not proven optimal in a full run at 10 s: mean gap 0.72-0.77 % without, 0.60 % with
# one, 0.59-0.63 % with two, 0.69 % with four. Multi-mode searches keep the swaps alone: with
# the shifts and a mode descent before each restart the whole MMLIB50 set fell from 88.9 % at best
# known, mean gap 0.30 %, to 85.9 %, 0.39 %.
MUTATION_SHIFTS = 2


class ListSGS:
    """Serial SGS for activity lists with fixed modes (no calendars, releases or fixings).

    The loops run compiled (``kernel``); lists in, lists out. ``valid`` stays plain Python:
    it is the independent check of what the compiled code produced.
    """

    def __init__(self, project: Project, modes: list[int] | tuple[int, ...]):
        acts = project.activities
        n = len(acts)
        self.n = n
        renewable = [r.renewable for r in project.resources]
        self.cap = [r.capacity for r in project.resources]
        self.durs = [[m.duration for m in act.modes] for act in acts]
        self.dems = [
            [tuple((r, q) for r, q in m.demands if q > 0 and renewable[r]) for m in act.modes]
            for act in acts
        ]
        self.res = sorted({r for rows in self.dems for row in rows for r, _ in row})
        self.preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for p in project.precedences:
            lag = project.tick_lag(p)
            self.preds[p.succ].append((p.pred, lag))
            self.succs[p.pred].append((p.succ, lag))
        self.lags = sum(max(0, project.tick_lag(p)) for p in project.precedences)
        self._pred_rows = _rows(self.preds)
        self._both_rows = (*self._pred_rows, *_rows(self.succs))  # justify runs both ways
        self._cap = np.array([self.cap[r] for r in self.res], np.int64)
        # Mode tables padded to the most modes: duration and renewable demand per column.
        width = max((len(d) for d in self.durs), default=1)
        self._durs = np.zeros((n, width), np.int64)
        self._dems = np.zeros((n, width, len(self.res)), np.int64)
        column = {r: i for i, r in enumerate(self.res)}
        for a in range(n):
            self._durs[a, : len(self.durs[a])] = self.durs[a]
            for k, row in enumerate(self.dems[a]):
                for r, q in row:
                    self._dems[a, k, column[r]] += q
        self._all = np.arange(n)
        self.set_modes(modes)

    def set_modes(self, modes: list[int] | tuple[int, ...]) -> None:
        """Schedule with these modes from now on."""
        self.modes = tuple(modes)
        chosen = np.array(self.modes, np.int64)
        self._dur = self._durs[self._all, chosen]
        self._dem = self._dems[self._all, chosen]
        self.dur = self._dur.tolist()
        self.horizon = sum(self.dur) + self.lags + 1

    def valid(self, starts: list[int]) -> bool:
        """Independent check of precedences and renewable capacities per tick."""
        dur = self.dur
        for a in range(self.n):
            if starts[a] < 0:
                return False
            for b, lag in self.succs[a]:
                if starts[b] < starts[a] + dur[a] + lag:
                    return False
        used = {r: [0] * (self.makespan(starts) + 1) for r in self.res}
        for a in range(self.n):
            for r, q in self.dems[a][self.modes[a]]:
                for t in range(starts[a], starts[a] + dur[a]):
                    used[r][t] += q
        return all(max(row) <= self.cap[r] for r, row in used.items())

    def forward(self, order: list[int]) -> list[int]:
        """Left-justified starts for a precedence-feasible activity list."""
        return self._forward(np.asarray(order, np.int64)).tolist() if self.n else []

    def _forward(self, order: np.ndarray) -> np.ndarray:
        rows = self._pred_rows
        return kernel.sgs(order, *rows, self._dur, self._dem, self._cap, self.horizon)

    def makespan(self, starts: list[int]) -> int:
        return max((s + d for s, d in zip(starts, self.dur, strict=True)), default=0)

    def justify(self, starts, rank) -> tuple[list[int], list[int], int]:
        """One forward-backward pass: (order, starts, makespan) of the better schedule.

        Right-justify in the order of decreasing finish, then left-justify in the order of
        increasing start. One pass, not passes until no gain: the second pass seldom gains
        and, in a search bounded by time, the schedules it costs are worth more as children
        (hard J120 instances, 7 s: mean gap 4.88 % with repeated passes, 4.77 % with one).
        ``rank`` is a fixed topological position per activity (breaks ties between
        zero-duration activities). Never returns a longer schedule than ``starts``.
        """
        if not self.n:
            return [], [], 0
        order, best, mk = self._justify(np.asarray(starts, np.int64), np.asarray(rank, np.int64))
        return order.tolist(), best.tolist(), mk

    def _justify(self, starts: np.ndarray, rank: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        order, best, mk = kernel.justify(
            starts, rank, *self._both_rows, self._dur, self._dem, self._cap, self.horizon
        )
        return order, best, int(mk)


def _rows(neighbours: list[list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compressed rows (ptr, idx, lag) of per-activity ``(neighbour, lag)`` lists."""
    ptr = np.zeros(len(neighbours) + 1, np.int64)
    for a, row in enumerate(neighbours):
        ptr[a + 1] = ptr[a] + len(row)
    idx = np.array([b for row in neighbours for b, _ in row], np.int64)
    lag = np.array([g for row in neighbours for _, g in row], np.int64)
    return ptr, idx, lag


def genetic_search(
    project: Project,
    modes: list[int] | tuple[int, ...],
    seeds: list[list[int]],
    *,
    seed: int = 0,
    population: int = 30,
    generations: int = 30,
    deadline: float | None = None,
    others: tuple[tuple[tuple[int, ...], list[int]], ...] = (),
    stop: Callable[[], bool] | None = None,
    inbox: Callable[[], list[tuple[Sequence[int], list[int]]]] | None = None,
    restart_after: int = 0,
    elites: int = 1,
) -> tuple[list[int], list[int], int] | None:
    """Best ``(modes, starts, makespan)`` found from the start schedules ``seeds`` (lists of
    starts in ``modes``) and ``others`` (``(modes, starts)`` pairs with their own modes).

    Multi-mode projects also search the mode vector (one-point mode crossover and mode
    mutation that keep every non-renewable budget). The result is never longer than the best
    seed schedule and always respects precedences, renewable capacities and non-renewable
    budgets. ``stop()``, when given, is asked once per generation whether to end early, and
    ``inbox()`` for the ``(modes, starts)`` schedules found elsewhere meanwhile (CP-SAT beside
    the search), which join the population.

    With ``restart_after``, a population whose best has not improved for that many generations
    has converged: it restarts from its ``elites`` best distinct schedules and strongly
    perturbed variants of them (``RESTART_NOISE``).
    """
    if not seeds:
        return None
    sgs = ListSGS(project, modes)
    if not sgs.n:
        return list(modes), [], 0
    rng = random.Random(seed)
    rank = np.zeros(sgs.n, np.int64)
    for i, a in enumerate(topological_order(project)):
        rank[a] = i
    related = _related(sgs)
    stream = np.array([rng.getrandbits(64)], np.uint64)  # the compiled operators' random stream
    budget = _Budget(project)
    multi = [a for a, act in enumerate(project.activities) if len(act.modes) > 1]
    multi = np.array(multi if budget.ok(modes) else [], np.int64)

    def decode(order, mv: tuple[int, ...], starts=None):
        """(makespan, order, starts, modes) of an individual: numpy order and starts."""
        if mv != sgs.modes:
            sgs.set_modes(mv)
        st = sgs._forward(order) if starts is None else np.asarray(starts, np.int64)
        order, st, mk = sgs._justify(st, rank)
        return (mk, order, st, mv)

    base_modes = tuple(modes)
    pop = [decode([], base_modes, list(starts)) for starts in seeds]
    if len(multi):  # other mode vectors seed the mode crossover (only when budgets can be kept)
        pop += [decode([], tuple(mv), list(st)) for mv, st in others if budget.ok(mv)]
    _fill(pop, population, sgs, decode, rng)
    best_mk, stale = min(x[0] for x in pop), 0
    for _ in range(generations):
        if _ended(deadline, stop):
            break
        if restart_after and stale >= restart_after:
            del pop[elites:]  # sorted by ``_select``: the best distinct schedules first
            _fill(pop, population, sgs, decode, rng, RESTART_NOISE)
            stale = 0
        rng.shuffle(pop)
        offspring = _offspring(pop, related, multi, budget, stream)
        children = [decode(order, mv) for order, mv in offspring]
        children += _arrivals(inbox, budget, decode)
        pop = _select(pop + children, population)
        best_mk, stale = (pop[0][0], 0) if pop[0][0] < best_mk else (best_mk, stale + 1)
    best = min(pop, key=lambda x: x[0])
    sgs.set_modes(best[3])
    starts = best[2].tolist()
    checked = budget.ok(best[3]) and sgs.valid(starts)  # never hand out a broken schedule
    return (list(best[3]), starts, best[0]) if checked else None


def _arrivals(inbox, budget: _Budget, decode) -> list:
    """The schedules found elsewhere meanwhile that keep the budgets, decoded."""
    if inbox is None:
        return []
    return [decode([], tuple(mv), list(st)) for mv, st in inbox() if budget.ok(mv)]


def _fill(
    pop: list, population: int, sgs: ListSGS, decode, rng: random.Random, noise: float = 1.5
) -> None:
    """Fill ``pop`` up to ``population`` with variants of its schedules' orders: each start
    shifted by up to ``noise`` times the activity's duration plus one before sorting."""
    first = len(pop)
    while len(pop) < population:
        _, _, base, mv = pop[len(pop) % first]
        sgs.set_modes(mv)
        noisy = [b + rng.random() * noise * (1 + d) for b, d in zip(base, sgs.dur, strict=True)]
        pop.append(decode(np.array(_feasible_order(sgs, noisy), np.int64), mv))


def _offspring(pop: list, related, multi, budget: _Budget, stream):
    """(order, modes) of two children per pair of neighbours in ``pop``: crossover and
    mutation of the lists (``kernel.child``), and of the modes when there is a choice."""
    shifts = 0 if len(multi) else MUTATION_SHIFTS
    for i in range(0, len(pop) - 1, 2):
        for mother, father in ((pop[i], pop[i + 1]), (pop[i + 1], pop[i])):
            child = kernel.child(mother[1], father[1], related, 0.05, shifts, stream)
            mv = mother[3]
            if len(multi):
                mv = budget.child(mother[3], father[3], multi, stream)
            yield child, mv


def _ended(deadline: float | None, stop: Callable[[], bool] | None) -> bool:
    return (deadline is not None and time.perf_counter() > deadline) or (
        stop is not None and stop()
    )


def _related(sgs: ListSGS) -> np.ndarray:
    """Direct precedence between two activities (not to be swapped by mutation)."""
    related = np.zeros((sgs.n, sgs.n), np.bool_)
    for a in range(sgs.n):
        for b, _ in sgs.succs[a]:
            related[a, b] = related[b, a] = True
    return related


def _select(pop: list, size: int) -> list:
    """The ``size`` shortest, distinct schedules first (diversity), then duplicates."""
    pop = sorted(pop, key=lambda x: x[0])
    seen, kept, rest = set(), [], []
    for item in pop:
        key = (item[2].tobytes(), item[3])
        (rest if key in seen else kept).append(item)
        seen.add(key)
    return (kept + rest)[:size]


class _Budget:
    """Non-renewable budgets of a project."""

    def __init__(self, project: Project):
        self.caps = [(r, res.capacity) for r, res in enumerate(project.resources)]
        self.caps = [(r, c) for r, c in self.caps if not project.resources[r].renewable]
        self.use = [[dict(m.demands) for m in act.modes] for act in project.activities]
        # The same as arrays for the compiled mode operators: use[a, k, i] of budget i. A mode
        # asking more of a renewable resource than there is can never be scheduled: a last
        # budget of 0 that it uses keeps mutation from choosing it.
        renewable = {r: res.capacity for r, res in enumerate(project.resources) if res.renewable}
        width = max((len(u) for u in self.use), default=1)
        self.count = np.array([len(u) for u in self.use], np.int64)
        self.cap = np.array([c for _, c in self.caps] + [0], np.int64)
        self.table = np.zeros((len(self.use), width, len(self.caps) + 1), np.int64)
        for a, row in enumerate(self.use):
            for k, used in enumerate(row):
                for i, (r, _) in enumerate(self.caps):
                    self.table[a, k, i] = used.get(r, 0)
                self.table[a, k, -1] = any(
                    q > renewable[r] for r, q in used.items() if r in renewable
                )

    def ok(self, modes) -> bool:
        return not self.over(modes)

    def over(self, modes) -> list[int]:
        """The non-renewable resources whose budget ``modes`` exceed."""
        return [
            r
            for r, cap in self.caps
            if sum(self.use[a][m].get(r, 0) for a, m in enumerate(modes)) > cap
        ]

    def child(self, mother, father, multi: np.ndarray, stream: np.ndarray) -> tuple[int, ...]:
        """Mode vector of a child of two budget-feasible mode vectors (``kernel.mode_child``)."""
        mv = kernel.mode_child(
            np.array(mother, np.int64),
            np.array(father, np.int64),
            multi,
            self.count,
            self.table,
            self.cap,
            0.03,
            stream,
        )
        return tuple(mv.tolist())


def _feasible_order(sgs: ListSGS, priority: list[float]) -> list[int]:
    """Precedence-feasible list taking the eligible activity of smallest priority first."""
    import heapq

    missing = [len(p) for p in sgs.preds]
    heap = [(priority[a], a) for a in range(sgs.n) if not missing[a]]
    heapq.heapify(heap)
    order = []
    while heap:
        _, a = heapq.heappop(heap)
        order.append(a)
        for b, _ in sgs.succs[a]:
            missing[b] -= 1
            if not missing[b]:
                heapq.heappush(heap, (priority[b], b))
    return order
