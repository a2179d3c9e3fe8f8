"""CP-SAT model of a core ``Project``, warm-started from the construction heuristic.

Tightening beyond a plain model:

* start domains are cut to ``[earliest start, latest start]`` from a forward pass and a backward
  pass against the heuristic's upper bound, and to the ticks a calendar allows;
* single-mode activities get plain (not optional) intervals and precedences act on shared
  start/end variables, so CP-SAT sees a pure precedence graph;
* unit-capacity resources use ``no_overlap`` (stronger propagation than a cumulative);
* the makespan gets the critical-path and energy lower bounds as its domain;
* multi-mode makespan models get a mode-dependent energy constraint per renewable resource;
* identical calendar tables of one activity's modes share their element variables;
* the heuristic schedule is a complete hint (every derived variable included), so CP-SAT starts
  from it at once and its LNS workers improve it;
* with one worker the portfolio is interleaved in that thread (LNS included) instead of one
  search that stalls (J30, 1 s: 97.9 % instead of 97.5 % at best known, measured);
* calendar-free projects start from a schedule improved by an activity-list genetic search
  with forward-backward justification (``improve``), multi-mode ones with budgets from a mode
  vector of a resource relaxation (``modes``); pure makespan models with 8+ workers give more
  threads to CP-SAT's LNS (J60/J120 at 10 s: measured);
* on those projects the genetic search goes on beside CP-SAT (``race``), which then leaves
  most of the workers to it (``RACE_CP_SAT_SHARE``), and the better schedule wins: on hard
  J120 instances CP-SAT hardly improves its start in the time left, and on hard J60 ones the
  search gains from the cores.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .core import FORBIDDEN, Project, Schedule
from .heuristic import (
    construct,
    default_horizon,
    evaluate,
    predecessors,
    searchable,
    successors,
    topological_order,
)
from .modes import diverse_modes

# The search beside CP-SAT runs for time, not generations. With the compiled decoder (about 16,000
# children a second on J120) 150 individuals beat 60 (12 hardest J120 instances, full solves of
# 10 s: mean gap 6.64 % against 7.34 %; 300: 6.58 %; hard J60: 2.83 % against 2.71 %, noise).
RACE_POPULATION = 150
# Within ten seconds the search converges many times over: it restarts after this many
# generations without a better schedule (28 hard J60 instances: mean gap 2.28 % without
# restarts; after 20, 50, 150, 300 stale generations 1.06, 1.01, 1.18, 1.43 %).
RACE_RESTART = 50
# A multi-mode search restarts from its eight best schedules, which carry different mode
# vectors (40 hard MMLIB50 instances: 17 at best known, mean gap 1.77 % without restarts;
# 15, 1.59 % keeping one; 20, 1.25 % keeping four; 26, 0.85 % keeping eight). Single-mode
# ones keep one (28 hard J60 instances: mean gap 0.94 % with one, 1.37 % with four).
RACE_ELITES = 8
# Independent populations of a single-mode search, each in a thread of its own: 28 hard J60
# instances at 10 s, 8-9 at best known and mean gap 0.94-1.01 % with one; 10-12, 0.82-0.91 % with
# two (whole J60 set: 91.7 -> 92.5 % at best known). Multi-mode searches keep one: their eight
# elites need the generations (40 hard MMLIB50 instances: 26 at best known, 0.85 % with one;
# 24, 1.06 % with two).
RACE_ISLANDS = 2
# Racing, CP-SAT runs ``SolveOptions.workers`` divided by this and leaves the rest of the cores to
# the genetic search. Beside eight threads the search got a ninth of two cores (hard J120
# instances: mean gap 8.45 % with 8 threads, 8.01 % with 4); 35 hard J60 instances beside two
# search populations: 19 at best known, mean gap 0.59 % with 4; 22, 0.45 % with 2 (19, 0.53 %
# with another seed); 20, 0.54 % with 1. Whole J60 set: 93.3 % at best known with 4, 94.2 % with
# 2 in two runs.
RACE_CP_SAT_SHARE = 4
ALWAYS = True  # presence of a mode that is the only choice

STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
    cp_model.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class SolveOptions:
    """How hard to search.

    ``on_solution(seconds, objective, bound)`` is called for every improving CP-SAT solution.
    ``deterministic`` replaces the wall-clock limit by CP-SAT's deterministic time (roughly
    seconds of work) and interleaves workers, so equal inputs give equal plans on any machine
    load. ``parameters`` are extra CP-SAT parameters as ``(name, value)`` pairs.
    ``generations`` of the activity-list genetic search improve the heuristic start of
    calendar-free projects when ``time_limit`` is at least 3 s. Multi-mode ones with budgets
    first get ``mode_plans`` mode vectors from a relaxation (``modes.diverse_modes``) and run
    ``mode_generations``: there the start decides most, as CP-SAT's own search over modes is
    weak (MMLIB50 sample: heuristic gap 4.5 % with one plan and 30 generations, 2.0 % with
    eight plans and 100). ``race`` keeps the genetic search running beside CP-SAT on such
    projects when not ``deterministic``; CP-SAT then runs ``workers // RACE_CP_SAT_SHARE``.
    """

    time_limit: float = 10.0
    workers: int = 8
    seed: int = 0
    deterministic: bool = False
    use_heuristic: bool = True
    heuristic_passes: int = 24
    generations: int = 30
    mode_plans: int = 8
    mode_generations: int = 100
    hint: bool = True
    race: bool = True
    parameters: tuple[tuple[str, object], ...] = ()
    log: bool = False
    on_solution: Callable[[float, int, int], None] | None = field(default=None, compare=False)


class TimeWindows:
    """Earliest and latest start of each activity (``es``, ``ls``) from releases, precedences,
    calendars, fixings and the horizon (or ``upper_bound`` on a pure makespan). An activity
    with ``es > ls`` cannot be placed: ``feasible_windows`` is then false."""

    def __init__(self, project: Project, horizon: int, upper_bound: int | None = None):
        self.project = project
        self.horizon = horizon
        self.preds = predecessors(project)
        self.succs = successors(project)
        self.order = topological_order(project)
        self.ub = upper_bound
        self.es, self.ls = self._time_windows()
        self.feasible_windows = all(e <= ls for e, ls in zip(self.es, self.ls, strict=True))

    # --- bounds -------------------------------------------------------------------------
    def _min_end(self, a: int, t0: int) -> tuple[int, int]:
        """Earliest start >= t0 allowed by some mode, and the earliest end from there."""
        best = (self.horizon + 1, self.horizon + 1)
        for mode in self.project.activities[a].modes:
            t = t0
            while t < self.horizon and mode.span(t) == FORBIDDEN:
                t += 1
            if t < self.horizon or (not mode.spans and t <= self.horizon):
                end = t + mode.span(t)
                best = (min(best[0], t), min(best[1], end))
        return best

    def _max_start(self, a: int, lf: int) -> int:
        """Latest start whose end is <= lf in some mode (-1 if none)."""
        best = -1
        for mode in self.project.activities[a].modes:
            if not mode.spans:
                best = max(best, lf - mode.duration)
                continue
            for t in range(min(lf, len(mode.spans) - 1), -1, -1):
                span = mode.spans[t]
                if span != FORBIDDEN and t + span <= lf:
                    best = max(best, t)
                    break
        return best

    def _time_windows(self) -> tuple[list[int], list[int]]:
        project = self.project
        n = len(project.activities)
        es, ef = [0] * n, [0] * n
        for a in self.order:
            t0 = project.activities[a].release
            for p in self.preds[a]:
                t0 = max(t0, ef[p.pred] + project.tick_lag(p))
            es[a], ef[a] = self._min_end(a, t0)
        limit = self.horizon
        if self.ub is not None and project.makespan_weight and not project.groups:
            limit = min(limit, self.ub)
        lf, ls = [limit] * n, [limit] * n
        for a in reversed(self.order):
            for p in self.succs[a]:
                lf[a] = min(lf[a], ls[p.succ] - project.tick_lag(p))
            ls[a] = self._max_start(a, lf[a])
        for a, act in enumerate(project.activities):
            if act.fixed is not None:
                es[a] = max(es[a], act.fixed[1]) if es[a] <= act.fixed[1] else self.horizon + 1
                ls[a] = min(ls[a], act.fixed[1])
        return es, ls


class CpModel(TimeWindows):
    """CP-SAT variables and constraints for one project."""

    def __init__(self, project: Project, horizon: int, upper_bound: int | None = None):
        super().__init__(project, horizon, upper_bound)
        self.model = cp_model.CpModel()
        if not self.feasible_windows:
            return
        self._variables()
        self._precedences()
        self._resources()
        self._objective()

    # --- variables ----------------------------------------------------------------------
    def _variables(self) -> None:
        m = self.model
        project = self.project
        self.start, self.end, self.present, self.intervals, self.size = [], [], [], [], []
        self.finish = []
        self.main: list = [None] * len(project.activities)
        self.finish_vars: set[int] = set()
        self.shared: list[dict] = []
        for a, act in enumerate(project.activities):
            allowed = self._allowed_starts(a)
            s = m.new_int_var_from_domain(cp_model.Domain.from_values(allowed), f"s{a}")
            e = m.new_int_var(self.es[a], self.horizon, f"e{a}")
            pres, itvs, sizes = [], [], []
            self._shared: dict = {}  # identical calendar tables of one activity share variables
            self.shared.append(self._shared)
            single = len(act.modes) == 1
            for k, mode in enumerate(act.modes):
                if act.fixed is not None and act.fixed[0] != k:
                    pres.append(None)
                    itvs.append(None)
                    sizes.append(None)
                    continue
                lit = ALWAYS if single or act.fixed else m.new_bool_var(f"p{a}_{k}")
                size = self._size(s, mode, allowed, lit, f"{a}_{k}")
                if lit is ALWAYS:
                    itv = m.new_interval_var(s, size, e, f"i{a}_{k}")
                else:
                    itv = m.new_optional_interval_var(s, size, e, lit, f"i{a}_{k}")
                pres.append(lit)
                itvs.append(itv)
                sizes.append(size)
            choices = [p for p in pres if p is not None]
            if len(choices) > 1:
                m.add_exactly_one(choices)
            self.start.append(s)
            self.end.append(e)
            self.present.append(pres)
            self.intervals.append(itvs)
            self.size.append(sizes)
            self.finish.append(self._finish_var(a, s, e, pres))

    def _allowed_starts(self, a: int) -> list[int]:
        lo, hi = self.es[a], self.ls[a]
        values = set()
        for mode in self.project.activities[a].modes:
            if not mode.spans:
                return list(range(lo, hi + 1))
            values.update(t for t in range(lo, hi + 1) if mode.span(t) != FORBIDDEN)
        return sorted(values) or [lo]

    def _size(self, s, mode, allowed, lit, name):
        if not mode.spans:
            return mode.duration
        m = self.model
        own = [t for t in allowed if mode.span(t) != FORBIDDEN]
        if not own:
            m.add_bool_or([] if lit is ALWAYS else [~lit])
            return 0
        if len(own) != len(allowed):
            ct = m.add_linear_expression_in_domain(s, cp_model.Domain.from_values(own))
            if lit is not ALWAYS:
                ct.only_enforce_if(lit)
        key = ("span", mode.spans)
        if key not in self._shared:
            table = self._dense_table(mode.spans, allowed[-1] + 1)
            size = m.new_int_var(min(table[t] for t in own), max(table), f"d{name}")
            m.add_element(s, table, size)
            self._shared[key] = (size, table)
        return self._shared[key][0]

    @staticmethod
    def _dense_table(values: tuple[int, ...], length: int) -> list[int]:
        """Table with forbidden entries replaced by the next allowed value (for propagation)."""
        out = list(values[:length]) + [FORBIDDEN] * max(0, length - len(values))
        nxt = max((v for v in out if v != FORBIDDEN), default=0)
        for t in range(length - 1, -1, -1):
            if out[t] == FORBIDDEN:
                out[t] = nxt
            else:
                nxt = out[t]
        return out

    def _finish_var(self, a, s, e, pres):
        """Fine finish: an affine expression of the end, or a variable from calendar tables."""
        project = self.project
        modes = project.activities[a].modes
        if not any(mode.finishes for mode in modes):
            return project.fine_per_tick * e + project.fine_offset
        m = self.model
        self.finish_vars.add(a)
        hi = project.fine_start(self.horizon + 1)
        fin = m.new_int_var(project.fine_start(self.es[a]), hi, f"f{a}")
        allowed_max = self.ls[a] + 1
        used = [(k, mode) for k, mode in enumerate(modes) if pres[k] is not None]
        tables = {mode.finishes for _, mode in used}
        for k, mode in used:
            lit = ALWAYS if len(tables) == 1 else pres[k]
            if not mode.finishes:
                self._enforce(m.add(fin == project.fine_per_tick * e + project.fine_offset), lit)
                continue
            key = ("finish", mode.finishes)
            if key not in self._shared:
                table = self._dense_table(mode.finishes, allowed_max)
                fk = m.new_int_var(min(table), max(table), f"f{a}_{k}")
                self._shared[key] = (fk, table)
                m.add_element(s, table, fk)
                self._enforce(m.add(fin == fk), lit)
            elif lit is not ALWAYS:
                self._enforce(m.add(fin == self._shared[key][0]), lit)
        return fin

    @staticmethod
    def _enforce(constraint, lit) -> None:
        if lit is not ALWAYS:
            constraint.only_enforce_if(lit)

    # --- constraints --------------------------------------------------------------------
    def _precedences(self) -> None:
        m = self.model
        project = self.project
        for p in project.precedences:
            m.add(self.start[p.succ] >= self.end[p.pred] + project.tick_lag(p))
            if p.fine_lag is not None and p.pred in self.finish_vars:
                m.add(
                    project.fine_per_tick * self.start[p.succ] + project.fine_offset
                    >= self.finish[p.pred] + p.fine_lag
                )

    def _resources(self) -> None:
        m = self.model
        project = self.project
        users: list[list[tuple]] = [[] for _ in project.resources]
        self.mode_valued: list[tuple[int, object, dict[int, int]]] = []
        for a, act in enumerate(project.activities):
            per_res: dict[int, list[tuple[int, int]]] = {}
            for k, mode in enumerate(act.modes):
                if self.present[a][k] is None:
                    continue
                for res, amount in mode.demands:
                    if amount > 0:
                        per_res.setdefault(res, []).append((k, amount))
            for res, uses in per_res.items():
                if self._combine(a, res, uses):
                    users[res].append(self._combined_use(a, res, dict(uses)))
                else:
                    users[res] += [(self.intervals[a][k], q, self.present[a][k]) for k, q in uses]
        for r, res in enumerate(project.resources):
            if not users[r]:
                continue
            if not res.renewable:
                m.add(sum(amount * lit for _, amount, lit in users[r]) <= res.capacity)
                continue
            itvs = [u[0] for u in users[r]]
            dems = [u[1] for u in users[r]]
            blockers = self._blockers(res)
            if res.capacity == 1:
                m.add_no_overlap(itvs + [b for b, _ in blockers])
            else:
                m.add_cumulative(
                    itvs + [b for b, _ in blockers], dems + [d for _, d in blockers], res.capacity
                )

    def _combine(self, a: int, r: int, uses: list[tuple[int, int]]) -> bool:
        """Several calendar-free modes of ``a`` share the cumulative resource ``r``: one
        interval with a mode-dependent size and demand instead of an optional interval per
        mode, so the cumulative reasons on the activity before its mode is fixed (MMLIB50 J508
        at 10 s: bound 24 -> 35, measured)."""
        res = self.project.resources[r]
        modes = self.project.activities[a].modes
        return (
            len(uses) > 1
            and res.renewable
            and res.capacity > 1
            and not any(modes[k].spans for k, _ in uses)
        )

    def _mode_value(self, a: int, values: dict[int, int], name: str):
        """Integer variable equal to ``values[k]`` for the chosen mode ``k`` of ``a`` (0 when
        the mode is not listed)."""
        lits = self.present[a]
        lo = min([values.get(k, 0) for k, lit in enumerate(lits) if lit is not None])
        hi = max([values.get(k, 0) for k, lit in enumerate(lits) if lit is not None])
        var = self.model.new_int_var(lo, hi, name)
        self.model.add(var == sum(q * lits[k] for k, q in values.items() if lits[k] is not None))
        self.mode_valued.append((a, var, values))
        return var

    def _combined_use(self, a: int, r: int, demands: dict[int, int]) -> tuple:
        if self.main[a] is None:
            modes = self.project.activities[a].modes
            durations = {
                k: mode.duration for k, mode in enumerate(modes) if self.present[a][k] is not None
            }
            size = self._mode_value(a, durations, f"dur{a}")
            self.main[a] = self.model.new_interval_var(self.start[a], size, self.end[a], f"m{a}")
        return (self.main[a], self._mode_value(a, demands, f"q{a}_{r}"), ALWAYS)

    def _blockers(self, res) -> list[tuple]:
        """Fixed intervals that eat the capacity missing on reduced ticks of a profile."""
        out = []
        t, prof = 0, res.profile[: self.horizon]
        while t < len(prof):
            missing = res.capacity - prof[t]
            if missing <= 0:
                t += 1
                continue
            u = t
            while u < len(prof) and res.capacity - prof[u] == missing:
                u += 1
            out.append((self.model.new_fixed_size_interval_var(t, u - t, f"b{t}"), missing))
            t = u
        return out

    def _objective(self) -> None:
        m = self.model
        project = self.project
        terms = []
        self.makespan = None
        if project.makespan_weight:
            lb = (
                max(
                    self.es[a] + min(md.duration for md in act.modes)
                    for a, act in enumerate(project.activities)
                )
                if project.activities
                else 0
            )
            self.makespan = m.new_int_var(max(lb, self._energy_bound()), self.horizon, "makespan")
            for a in range(len(project.activities)):
                if not self.succs[a]:
                    m.add(self.makespan >= self.end[a])
            terms.append(project.makespan_weight * self.makespan)
            self._energy_constraints()
        self.completion, self.late = [], []
        for gi, g in enumerate(project.groups):
            hi = project.fine_start(self.horizon + 1)
            c = m.new_int_var(0, hi, f"c{gi}")
            m.add_max_equality(c, [self.finish[a] for a in g.members])
            self.completion.append(c)
            terms.append(g.weight * c)
            if g.due is not None and g.late_weight:
                late = m.new_int_var(0, hi, f"late{gi}")
                m.add(late >= c - g.due)
                self.late.append(late)
                terms.append(g.late_weight * late)
            else:
                self.late.append(None)
        terms.extend(self._mode_terms())
        self.objective = sum(terms)
        m.minimize(self.objective)

    def _energy_constraints(self) -> None:
        """Mode-dependent energy of each renewable resource fits under capacity x makespan."""
        project = self.project
        for r, res in enumerate(project.resources):
            if not res.renewable or res.profile:
                continue
            energy, flexible = [], False
            for a, act in enumerate(project.activities):
                for k, mode in enumerate(act.modes):
                    amount = dict(mode.demands).get(r, 0) * mode.duration
                    if amount and self.present[a][k] is not None:
                        energy.append(amount * self.present[a][k])
                        flexible |= self.present[a][k] is not ALWAYS
            if flexible:
                self.model.add(sum(energy) <= res.capacity * self.makespan)

    def _energy_bound(self) -> int:
        """Per renewable resource, ceil(min total energy / capacity): a makespan lower bound."""
        project = self.project
        best = 0
        for r, res in enumerate(project.resources):
            if not res.renewable or res.profile:
                continue
            energy = 0
            for act in project.activities:
                energy += min(m.duration * dict(m.demands).get(r, 0) for m in act.modes)
            best = max(best, -(-energy // res.capacity))
        return best

    def _mode_terms(self) -> list:
        m = self.model
        project = self.project
        terms = []
        loads = [[] for _ in range(project.num_load_groups)]
        self.moved = []
        for a, act in enumerate(project.activities):
            for k, mode in enumerate(act.modes):
                lit = self.present[a][k]
                if lit is None:
                    continue
                if mode.cost:
                    terms.append(mode.cost * lit)
                for grp, amount in mode.loads:
                    loads[grp].append(amount * lit)
            self.moved.append(self._moved_literal(a, act))
            if self.moved[-1] is not None:
                terms.append(act.move_penalty * self.moved[-1])
        self.loads, self.spread = [], None
        if project.num_load_groups and project.spread_weight:
            total = sum(
                max((amt for _, amt in md.loads), default=0)
                for act in project.activities
                for md in act.modes
            )
            self.loads = [m.new_int_var(0, total, f"load{g}") for g in range(len(loads))]
            for var, parts in zip(self.loads, loads, strict=True):
                m.add(var == sum(parts))
            hi, lo = m.new_int_var(0, total, "load_max"), m.new_int_var(0, total, "load_min")
            m.add_max_equality(hi, self.loads)
            m.add_min_equality(lo, self.loads)
            self.spread = (hi, lo)
            terms.append(project.spread_weight * (hi - lo))
        return terms

    def _moved_literal(self, a, act):
        if act.preferred is None or not act.move_penalty or act.fixed is not None:
            return None
        mode, start = act.preferred
        lit = self.present[a][mode]
        if lit is None:
            return None
        moved = self.model.new_bool_var(f"moved{a}")
        self.model.add(self.start[a] == start).only_enforce_if(~moved)
        if lit is not ALWAYS:
            self.model.add_implication(~moved, lit)
        return moved

    # --- hints and reading --------------------------------------------------------------
    def hint(self, modes, starts, model: cp_model.CpModel | None = None) -> None:
        """Give CP-SAT (this model or a clone of it) a complete solution to start from."""
        m = model or self.model
        m.clear_hints()
        project = self.project
        for a, act in enumerate(project.activities):
            s = starts[a]
            span = act.modes[modes[a]].span(s)
            m.add_hint(self.start[a], s)
            m.add_hint(self.end[a], s + span)
            for k, lit in enumerate(self.present[a]):
                if lit is not None and lit is not ALWAYS:
                    m.add_hint(lit, k == modes[a])
            if self.moved[a] is not None:
                m.add_hint(self.moved[a], act.preferred != (modes[a], s))
            if a in self.finish_vars:
                m.add_hint(self.finish[a], project.fine_finish(a, modes[a], s))
        self._hint_derived(m, modes, starts)
        if self.makespan is not None:
            m.add_hint(
                self.makespan,
                max(
                    st + project.activities[a].modes[modes[a]].span(st)
                    for a, st in enumerate(starts)
                ),
            )

    def _hint_derived(self, m: cp_model.CpModel, modes, starts) -> None:
        """Hints for the variables derived from modes and starts, to make the hint complete."""
        project = self.project
        for a, shared in enumerate(self.shared):
            s = starts[a]
            for var, table in shared.values():
                m.add_hint(var, table[s])
        for a, var, values in self.mode_valued:
            m.add_hint(var, values.get(modes[a], 0))
        fin = [project.fine_finish(a, modes[a], s) for a, s in enumerate(starts)]
        for g, c, late in zip(project.groups, self.completion, self.late, strict=True):
            done = max(fin[a] for a in g.members)
            m.add_hint(c, done)
            if late is not None:
                m.add_hint(late, max(0, done - g.due))
        if self.loads:
            totals = [0] * len(self.loads)
            for a, act in enumerate(project.activities):
                for grp, amount in act.modes[modes[a]].loads:
                    totals[grp] += amount
            for var, value in zip(self.loads, totals, strict=True):
                m.add_hint(var, value)
            m.add_hint(self.spread[0], max(totals))
            m.add_hint(self.spread[1], min(totals))

    def _chosen(self, solver: cp_model.CpSolver, a: int) -> int:
        for k, lit in enumerate(self.present[a]):
            if lit is not None and (lit is ALWAYS or solver.boolean_value(lit)):
                return k
        raise AssertionError("no mode chosen")

    def read(self, solver: cp_model.CpSolver) -> tuple[list[int], list[int]]:
        """Modes and starts of the solver's incumbent."""
        modes, starts = [], []
        for a in range(len(self.project.activities)):
            starts.append(solver.value(self.start[a]))
            modes.append(self._chosen(solver, a))
        return modes, starts


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each improving solution with the time since the solve started, and hands the
    solution itself to ``relay`` (the race's genetic search) when given."""

    def __init__(self, report, t0: float, relay=None):
        super().__init__()
        self.report, self.t0 = report, t0
        self.relay = relay

    def on_solution_callback(self) -> None:
        if self.relay is not None:
            self.relay(self)
        if self.report is not None:
            self.report(
                time.perf_counter() - self.t0,
                round(self.objective_value),
                round(self.best_objective_bound),
            )


def _parameters(
    options: SolveOptions, time_limit: float, makespan_only: bool = False, racing: bool = False
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = max(1, options.workers // RACE_CP_SAT_SHARE if racing else options.workers)
    p.random_seed = options.seed
    p.log_search_progress = options.log
    # Interleaving runs CP-SAT's portfolio (including its LNS workers) deterministically; with
    # one worker it is what keeps a single thread from stalling in one search (J30: measured).
    p.interleave_search = options.deterministic or p.num_workers == 1
    if options.deterministic:
        p.max_deterministic_time = max(0.01, time_limit)
    else:
        p.max_time_in_seconds = max(0.01, time_limit)
    p.exploit_all_precedences = True
    if makespan_only and p.num_workers >= 8 and not p.interleave_search:
        # Pure makespan (RCPSP): fewer full-search threads leave more of the machine to the
        # LNS workers, which find the improvements on hard instances (8 workers on 2 cores,
        # hard J60/J120/MMLIB50 instances at 10 s: mean gap 4.1 -> 3.5 %, 5.3 -> 4.4 %,
        # 8.1 -> 6.8 % in one measurement; the cooperative objective keeps the default).
        p.num_full_subsolvers = 3 * p.num_workers // 8
    for name, value in options.parameters:
        if isinstance(value, list | tuple):
            getattr(p, name).extend(value)
        else:
            setattr(p, name, value)
    return solver


def solve(
    project: Project, options: SolveOptions | None = None, start: Schedule | None = None
) -> Schedule:
    """Best schedule of ``project`` within ``options.time_limit`` seconds (heuristic + CP-SAT).

    The heuristic schedule (``start``, or built here), when one is found, is both the hint and
    the fallback: the result is never worse than it. Status ``infeasible`` means CP-SAT proved
    that no schedule exists.
    """
    options = options or SolveOptions()
    t0 = time.perf_counter()
    start_solution = start
    if start_solution is None and options.use_heuristic:
        plans, generations = (), options.generations
        if options.time_limit >= 3 and _budgeted_modes(project):
            plans = tuple(
                diverse_modes(project, count=options.mode_plans, work=0.2, seed=options.seed)
            )
            generations = options.mode_generations
        start_solution = construct(
            project,
            seed=options.seed,
            passes=options.heuristic_passes,
            time_limit=max(0.05, options.time_limit / 4),
            generations=generations if options.time_limit >= 3 else 0,
            mode_plans=plans,
            exact_generations=options.deterministic,
        )
    if start_solution is not None and start_solution.status != "feasible":
        start_solution = None
    horizon = project.horizon or (
        start_solution.parts["makespan"] if start_solution else default_horizon(project)
    )
    ub = start_solution.parts["makespan"] if start_solution else None
    cpm = CpModel(project, horizon, ub)
    if not cpm.feasible_windows:
        return _infeasible(t0, "time windows are empty: a release, fixing or horizon is too tight")
    if start_solution is not None and options.hint:
        cpm.hint(start_solution.modes, start_solution.starts)
    remaining = options.time_limit - (time.perf_counter() - t0)
    makespan_only = bool(project.makespan_weight) and not project.groups
    racing = (
        options.race
        and not options.deterministic
        and makespan_only
        and start_solution is not None
        and options.generations > 0
        and options.time_limit >= 3  # as for the start's own genetic search
        and searchable(project)
    )
    solver = _parameters(options, remaining, makespan_only, racing)
    if racing:
        code, found, bound = _race(solver, cpm, t0, project, start_solution, options)
    else:
        progress = _Progress(options.on_solution, t0) if options.on_solution else None
        code = solver.solve(cpm.model, progress)
        found, bound = _incumbent(code, solver, cpm)
    status = STATUS[code]
    if status == "infeasible":
        return _infeasible(
            t0, "CP-SAT proved that no plan satisfies all hard constraints within the horizon"
        )
    if found is None and start_solution is not None:
        found = list(start_solution.modes), list(start_solution.starts)
    if found is None:
        return _result(project, [], [], 0, "unknown", t0, "no plan found within the time limit")
    if status not in ("optimal", "feasible"):
        status, bound = "feasible", 0
    return _result(project, found[0], found[1], bound, status, t0)


def _race(solver, cpm: CpModel, t0: float, project: Project, start: Schedule, options):
    """CP-SAT and the genetic search at the same time: CP-SAT's status code, the best
    ``(modes, starts)`` found and CP-SAT's bound.

    CP-SAT runs in a thread (it releases the GIL), the genetic search here until CP-SAT ends.
    Run one after the other, one of the two cores idled while the search ran, and on hard
    instances CP-SAT's LNS hardly improves the start, while more generations do. Each of
    CP-SAT's improving solutions joins the search's population (hard J60 instances: mean gap
    3.81 % without, 3.25 % with). Restarting CP-SAT from the search's best did not pay
    (3.48 % with one restart, 3.69 % with three). A single-mode search runs as
    ``RACE_ISLANDS`` independent populations, each in its own thread (the compiled decoder
    releases the GIL).
    """
    done = threading.Event()
    multi = any(len(a.modes) > 1 for a in project.activities)
    count = 1 if multi else RACE_ISLANDS
    islands = [_Island(project, start, options, i, done.is_set) for i in range(count)]

    def relay(callback) -> None:
        found = cpm.read(callback)
        for island in islands:
            island.news.append(found)

    progress = _Progress(options.on_solution, t0, relay)
    codes = []

    def run() -> None:
        try:
            codes.append(solver.solve(cpm.model, progress))
        finally:
            done.set()

    threads = [threading.Thread(target=run, name="cp-sat", daemon=True)]
    threads += [threading.Thread(target=i.run, name="search", daemon=True) for i in islands[1:]]
    for thread in threads:
        thread.start()
    try:
        islands[0].run()
    finally:
        for thread in threads:
            thread.join()
    for island in islands:
        if island.error is not None:
            raise island.error
    best, bound = _incumbent(codes[0], solver, cpm)
    length = solver.objective_value if best is not None else None
    for found in (island.found for island in islands):
        if found is not None and (length is None or found[2] < length):
            best, length = (found[0], found[1]), found[2]
    return codes[0], best, bound


class _Island:
    """One population of the genetic search beside CP-SAT, with its own seed and its own inbox
    of CP-SAT's solutions."""

    def __init__(self, project: Project, start: Schedule, options, number: int, stop) -> None:
        self.project, self.start, self.stop = project, start, stop
        self.seed = options.seed + 1 + 1000 * number
        self.news: list[tuple[list[int], list[int]]] = []  # CP-SAT's, not yet in the search
        self.found: tuple[list[int], list[int], int] | None = None
        self.error: BaseException | None = None  # raised again by the racing thread

    def inbox(self) -> list[tuple[list[int], list[int]]]:
        taken = self.news[:]
        del self.news[: len(taken)]
        return taken

    def run(self) -> None:
        try:
            self._search()
        except BaseException as error:
            self.error = error

    def _search(self) -> None:
        from .improve import genetic_search

        multi = any(len(a.modes) > 1 for a in self.project.activities)
        self.found = genetic_search(
            self.project,
            self.start.modes,
            [list(self.start.starts)],
            seed=self.seed,
            population=RACE_POPULATION,
            generations=1 << 30,
            stop=self.stop,
            inbox=self.inbox,
            restart_after=RACE_RESTART,
            elites=RACE_ELITES if multi else 1,
        )


def _incumbent(code, solver: cp_model.CpSolver, cpm: CpModel):
    """CP-SAT's ``(modes, starts)`` and bound after a solve, or ``(None, 0)`` without one."""
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return cpm.read(solver), round(solver.best_objective_bound)
    return None, 0


def _budgeted_modes(project: Project) -> bool:
    """Multi-mode with a non-renewable budget and no calendars (RCPSP-like MRCPSP)."""
    return (
        any(not r.renewable for r in project.resources)
        and any(len(a.modes) > 1 for a in project.activities)
        and not any(m.spans or m.finishes for a in project.activities for m in a.modes)
    )


def _infeasible(t0: float, message: str) -> Schedule:
    return Schedule((), (), (), 0, 0, "infeasible", time.perf_counter() - t0, message=message)


def _result(project, modes, starts, bound, status, t0, message="") -> Schedule:
    if not modes:
        return Schedule((), (), (), 0, bound, status, time.perf_counter() - t0, message=message)
    parts = evaluate(project, modes, starts)
    ends = [s + project.activities[a].modes[modes[a]].span(s) for a, s in enumerate(starts)]
    bound = min(bound, parts["objective"])
    if bound == parts["objective"]:
        status = "optimal"
    return Schedule(
        tuple(modes),
        tuple(starts),
        tuple(ends),
        parts["objective"],
        bound,
        status,
        time.perf_counter() - t0,
        parts,
        message,
    )
