"""Construction heuristic: serial schedule generation (SGS) with priority rules.

Activities are taken in priority order among those whose predecessors are scheduled and put, in
the mode that finishes first (ties: cheaper), at the earliest tick where precedences, calendars
and every resource allow it. Several priority rules plus biased random sampling are tried and,
for plain (calendar-free) projects, each schedule is improved by forward-backward justification.
Everything is deterministic for a given seed.
"""

from __future__ import annotations

import heapq
import random
import time
from dataclasses import replace

from .core import FORBIDDEN, Activity, Mode, Precedence, Project, Schedule


class _Profile:
    """Remaining capacity per renewable resource and tick, plus non-renewable budgets."""

    def __init__(self, project: Project, horizon: int):
        self.horizon = horizon
        self.free = [
            [r.available(t) for t in range(horizon)] if r.renewable else None
            for r in project.resources
        ]
        self.budget = [0 if r.renewable else r.capacity for r in project.resources]

    def conflict(self, demands: tuple[tuple[int, int], ...], start: int, span: int) -> int:
        """Last tick in ``[start, start + span)`` lacking capacity, or -1 when all fit."""
        if start + span > self.horizon:
            return self.horizon
        for res, amount in demands:
            free = self.free[res]
            if free is None:
                continue
            for t in range(start + span - 1, start - 1, -1):
                if free[t] < amount:
                    return t
        return -1

    def reserve(self, demands: tuple[tuple[int, int], ...], start: int, span: int) -> None:
        """Take the mode's demands for its span."""
        for res, amount in demands:
            free = self.free[res]
            if free is None:
                self.budget[res] -= amount
                continue
            for t in range(start, start + span):
                free[t] -= amount


def default_horizon(project: Project) -> int:
    """A safe tick horizon when the project gives none (serial schedule always fits)."""
    if project.horizon:
        return project.horizon
    total = max((a.release for a in project.activities), default=0)
    for act in project.activities:
        total += max(m.duration for m in act.modes)
    total += sum(max(p.lag, project.tick_lag(p)) for p in project.precedences)
    return total + 1


def predecessors(project: Project) -> list[list[Precedence]]:
    """Incoming precedences per activity."""
    preds: list[list[Precedence]] = [[] for _ in project.activities]
    for p in project.precedences:
        preds[p.succ].append(p)
    return preds


def successors(project: Project) -> list[list[Precedence]]:
    """Outgoing precedences per activity."""
    succs: list[list[Precedence]] = [[] for _ in project.activities]
    for p in project.precedences:
        succs[p.pred].append(p)
    return succs


def topological_order(project: Project) -> list[int]:
    """Activities in an order compatible with precedences; raises ValueError on a cycle."""
    indeg = [0] * len(project.activities)
    succs = successors(project)
    for p in project.precedences:
        indeg[p.succ] += 1
    stack = [i for i, d in enumerate(indeg) if d == 0]
    order = []
    while stack:
        a = stack.pop()
        order.append(a)
        for p in succs[a]:
            indeg[p.succ] -= 1
            if indeg[p.succ] == 0:
                stack.append(p.succ)
    if len(order) != len(project.activities):
        raise ValueError("precedence relations contain a cycle")
    return order


def evaluate(project: Project, modes: list[int], starts: list[int]) -> dict[str, int]:
    """Objective parts of a schedule, computed exactly as the CP-SAT model does."""
    ends = [s + project.activities[a].modes[modes[a]].span(s) for a, s in enumerate(starts)]
    parts = {"makespan": max(ends, default=0), "completion": 0, "lateness": 0, "cost": 0}
    for g in project.groups:
        done = max(project.fine_finish(a, modes[a], starts[a]) for a in g.members)
        parts["completion"] += g.weight * done
        if g.due is not None:
            parts["lateness"] += g.late_weight * max(0, done - g.due)
    loads = [0] * project.num_load_groups
    moved = 0
    for a, act in enumerate(project.activities):
        mode = act.modes[modes[a]]
        parts["cost"] += mode.cost
        for grp, amount in mode.loads:
            loads[grp] += amount
        if act.preferred is not None and act.preferred != (modes[a], starts[a]):
            moved += act.move_penalty
    parts["spread"] = (max(loads) - min(loads)) if loads else 0
    parts["moved"] = moved
    parts["objective"] = (
        project.makespan_weight * parts["makespan"]
        + parts["completion"]
        + parts["lateness"]
        + parts["cost"]
        + project.spread_weight * parts["spread"]
        + moved
    )
    return parts


class SerialSGS:
    """Serial schedule generation for one project; reusable across priority lists."""

    def __init__(self, project: Project, horizon: int | None = None):
        self.project = project
        self.horizon = horizon or default_horizon(project)
        self.preds = predecessors(project)
        self.succs = successors(project)
        self.min_budget = self._min_nonrenewable()
        self.deadline = self._deadlines()

    def _deadlines(self) -> list[tuple[int, int]]:
        """Latest (end tick, fine finish) per activity imposed by fixed successors."""
        project = self.project
        big = 1 << 40
        deadline = [(big, big)] * len(project.activities)
        latest_start = [big] * len(project.activities)
        for a in reversed(topological_order(project)):
            act = project.activities[a]
            end, fine = deadline[a]
            for p in self.succs[a]:
                s = latest_start[p.succ]
                end = min(end, s - project.tick_lag(p))
                if p.fine_lag is not None:
                    fine = min(fine, project.fine_start(s) - p.fine_lag)
            deadline[a] = (end, fine)
            if act.fixed is not None:
                latest_start[a] = act.fixed[1]
            elif end < big:
                latest_start[a] = end - min(m.duration for m in act.modes)
        return deadline

    def _min_nonrenewable(self) -> list[list[int]]:
        """Per activity, the smallest demand of each non-renewable resource over its modes."""
        nonren = [i for i, r in enumerate(self.project.resources) if not r.renewable]
        table = []
        for act in self.project.activities:
            row = [0] * len(self.project.resources)
            for res in nonren:
                row[res] = min(dict(m.demands).get(res, 0) for m in act.modes)
            table.append(row)
        return table

    def run(
        self,
        priority: list[float],
        mode_plan: list[int] | None = None,
        base: _Profile | None = None,
        placed: dict[int, tuple[int, int]] | None = None,
    ) -> tuple[list[int], list[int]] | None:
        """Schedule every activity not in ``placed``; returns ``(modes, starts)`` or None.

        ``base`` is a profile that already holds the demands of ``placed`` activities (used by
        the instant quote to insert into an existing plan).
        """
        project = self.project
        n = len(project.activities)
        profile = base or _Profile(project, self.horizon)
        modes = [-1] * n
        starts = [-1] * n
        placed = dict(placed or {})
        if base is None and not self._place_fixed(profile, placed):
            return None
        for a, (m, s) in placed.items():
            modes[a], starts[a] = m, s
        reserve = self._reserve_nonrenewable(placed)
        missing = [len(self.preds[a]) for a in range(n)]
        heap = []
        for a in placed:
            for p in self.succs[a]:
                missing[p.succ] -= 1
        for a in range(n):
            if missing[a] == 0 and a not in placed:
                heapq.heappush(heap, (priority[a], a))
        while heap:
            _, a = heapq.heappop(heap)
            choice = self._place(a, modes, starts, profile, reserve, mode_plan)
            if choice is None:
                return None
            modes[a], starts[a] = choice
            self._release_successors(a, missing, heap, priority, placed)
        if min(starts, default=0) < 0:
            return None
        return modes, starts

    def repair(self, priority: list[float]) -> tuple[list[int], list[int]] | None:
        """Keep every activity at its preferred (mode, start) while that stays valid, in order
        of preferred start, then schedule the others (and their successors) by ``priority``.
        """
        project = self.project
        profile = _Profile(project, self.horizon)
        placed: dict[int, tuple[int, int]] = {}
        if not self._place_fixed(profile, placed):
            return None
        n = len(project.activities)
        modes, starts = [-1] * n, [-1] * n
        for a, (m, s) in placed.items():
            modes[a], starts[a] = m, s
        wanted = sorted(
            (act.preferred[1], a)
            for a, act in enumerate(project.activities)
            if act.preferred is not None and a not in placed
        )
        for _, a in wanted:
            m, s = project.activities[a].preferred
            if all(p.pred in placed for p in self.preds[a]) and self._keeps(
                a, m, s, modes, starts, profile
            ):
                mode = project.activities[a].modes[m]
                profile.reserve(mode.demands, s, mode.span(s))
                placed[a] = (m, s)
                modes[a], starts[a] = m, s
        return self.run(priority, base=profile, placed=placed)

    def _keeps(self, a: int, m: int, s: int, modes, starts, profile: _Profile) -> bool:
        mode = self.project.activities[a].modes[m]
        est, fine = self.earliest(a, modes, starts)
        span = mode.span(s)
        return (
            span != FORBIDDEN
            and s >= est
            and self.project.fine_start(s) >= fine
            and s + span <= self.deadline[a][0]
            and profile.conflict(mode.demands, s, span) < 0
            and all(
                profile.free[r] is not None or amount <= profile.budget[r]
                for r, amount in mode.demands
            )
        )

    def _release_successors(self, a, missing, heap, priority, placed) -> None:
        for p in self.succs[a]:
            missing[p.succ] -= 1
            if missing[p.succ] == 0 and p.succ not in placed:
                heapq.heappush(heap, (priority[p.succ], p.succ))

    def _place_fixed(self, profile: _Profile, placed: dict[int, tuple[int, int]]) -> bool:
        for a, act in enumerate(self.project.activities):
            if act.fixed is None:
                continue
            m, s = act.fixed
            mode = act.modes[m]
            span = mode.span(s)
            if span == FORBIDDEN or profile.conflict(mode.demands, s, span) >= 0:
                return False
            profile.reserve(mode.demands, s, span)
            placed[a] = (m, s)
        return True

    def _reserve_nonrenewable(self, placed: dict[int, tuple[int, int]]) -> list[int]:
        """Budget still needed by unplaced activities in their cheapest modes."""
        need = [0] * len(self.project.resources)
        for a, row in enumerate(self.min_budget):
            if a not in placed:
                for res, amount in enumerate(row):
                    need[res] += amount
        return need

    def earliest(self, a: int, modes: list[int], starts: list[int]) -> tuple[int, int]:
        """Earliest start tick and earliest fine start allowed by predecessors."""
        project = self.project
        tick = project.activities[a].release
        fine = 0
        for p in self.preds[a]:
            pm, ps = modes[p.pred], starts[p.pred]
            end = ps + project.activities[p.pred].modes[pm].span(ps)
            tick = max(tick, end + project.tick_lag(p))
            if p.fine_lag is not None:
                fine = max(fine, project.fine_finish(p.pred, pm, ps) + p.fine_lag)
        return tick, fine

    def _place(self, a, modes, starts, profile, reserve, mode_plan) -> tuple[int, int] | None:
        project = self.project
        act = project.activities[a]
        est, fine = self.earliest(a, modes, starts)
        candidates = [mode_plan[a]] if mode_plan is not None else range(len(act.modes))
        row = self.min_budget[a]
        best = None
        for m in candidates:
            mode = act.modes[m]
            if not self._budget_ok(mode, row, profile, reserve):
                continue
            start = self._first_fit(a, m, est, fine, profile)
            if start is None:
                continue
            key = (project.fine_finish(a, m, start), mode.cost, m)
            if best is None or key < best[0]:
                best = (key, m, start)
        if best is None:
            return None
        _, m, start = best
        mode = act.modes[m]
        profile.reserve(mode.demands, start, mode.span(start))
        for res, amount in enumerate(row):
            reserve[res] -= amount
        return m, start

    def _budget_ok(self, mode: Mode, row: list[int], profile: _Profile, reserve) -> bool:
        for res, amount in mode.demands:
            if profile.free[res] is None and amount - row[res] > profile.budget[res] - reserve[res]:
                return False
        return True

    def _first_fit(self, a: int, m: int, est: int, fine: int, profile) -> int | None:
        """Earliest start of activity ``a`` in mode ``m`` at or after ``est`` that fits."""
        project = self.project
        act = project.activities[a]
        mode = act.modes[m]
        if act.preferred is not None and act.preferred[0] == m:
            s = act.preferred[1]
            span = mode.span(s)
            if (
                s >= est
                and s + span <= self.deadline[a][0]
                and project.fine_start(s) >= fine
                and span != FORBIDDEN
                and profile.conflict(mode.demands, s, span) < 0
            ):
                return s
        if fine:
            est = max(est, -(-(fine - project.fine_offset) // project.fine_per_tick))
        last_end, last_fine = self.deadline[a]
        t = est
        while t < profile.horizon:
            span = mode.span(t)
            if span == FORBIDDEN:
                t += 1
                continue
            if t + span > last_end or project.fine_finish(a, m, t) > last_fine:
                return None
            clash = profile.conflict(mode.demands, t, span)
            if clash < 0:
                return t
            t = max(t + 1, clash + 1) if not mode.spans else t + 1
        return None


def latest_finish_priority(project: Project, horizon: int) -> list[float]:
    """Latest finish time per activity from a backward pass with shortest modes (LFT rule)."""
    succs = successors(project)
    order = topological_order(project)
    lf = [float(horizon)] * len(project.activities)
    for a in reversed(order):
        for p in succs[a]:
            d = min(m.duration for m in project.activities[p.succ].modes)
            lf[a] = min(lf[a], lf[p.succ] - d - project.tick_lag(p))
    return lf


def total_successors(project: Project) -> list[int]:
    """Number of transitive successors per activity (MTS rule)."""
    succs = successors(project)
    order = topological_order(project)
    reach: list[set[int]] = [set() for _ in project.activities]
    for a in reversed(order):
        for p in succs[a]:
            reach[a].add(p.succ)
            reach[a] |= reach[p.succ]
    return [len(r) for r in reach]


def reversible(project: Project) -> bool:
    """Whether forward-backward justification applies (no calendars, releases or fixings)."""
    for act in project.activities:
        if act.release or act.fixed or act.preferred:
            return False
        if any(m.spans or m.finishes for m in act.modes):
            return False
    if any(r.profile for r in project.resources if r.renewable):
        return False
    return all(p.fine_lag is None for p in project.precedences)


def searchable(project: Project) -> bool:
    """Whether the genetic search applies: justifiable, and no negative lags (its orders
    assume them non-negative)."""
    return reversible(project) and all(project.tick_lag(p) >= 0 for p in project.precedences)


def _reverse(project: Project, modes: list[int]) -> Project:
    """The mirrored project with modes fixed, for backward (right-justified) scheduling."""
    acts = tuple(Activity(modes=(a.modes[modes[i]],)) for i, a in enumerate(project.activities))
    precs = tuple(Precedence(p.succ, p.pred, p.lag) for p in project.precedences)
    return replace(project, activities=acts, precedences=precs, groups=(), horizon=0)


def justify(project: Project, modes: list[int], starts: list[int], rounds: int = 2):
    """Forward-backward improvement: right- then left-justify; never worsens the makespan."""
    rev = SerialSGS(_reverse(project, modes))
    fwd = SerialSGS(project, rev.horizon)
    single = [0] * len(modes)
    best = (modes, starts)
    best_mk = evaluate(project, modes, starts)["makespan"]
    for _ in range(rounds):
        ends = [s + project.activities[a].modes[modes[a]].span(s) for a, s in enumerate(best[1])]
        back = rev.run([-e for e in ends], single)
        if back is None:
            break
        rev_ends = [s + rev.project.activities[a].modes[0].duration for a, s in enumerate(back[1])]
        new = fwd.run([float(-e) for e in rev_ends], list(modes))
        if new is None:
            break
        mk = evaluate(project, *new)["makespan"]
        if mk >= best_mk:
            break
        best, best_mk = new, mk
    return best


def construct(
    project: Project,
    *,
    seed: int = 0,
    passes: int = 24,
    time_limit: float = 10.0,
    generations: int = 0,
    mode_plans: tuple[tuple[int, ...], ...] = (),
    exact_generations: bool = False,
):
    """Best schedule found by priority-rule and sampled serial SGS passes.

    Returns a ``Schedule`` with status ``feasible`` (bound 0), or status ``infeasible`` when no
    pass could place every activity (the heuristic proves nothing, so the caller should ask the
    exact model why). With ``generations`` and a plain (calendar-free) project, the best
    schedule is then improved by an activity-list genetic search with forward-backward
    justification for its modes (``improve.genetic_search``). ``mode_plans`` are mode vectors
    (e.g. from ``modes.diverse_modes``) also tried with every priority rule; the best schedule
    of each also seeds the genetic search. ``time_limit``
    only caps pathological cases; results are deterministic whenever it is not reached
    (``exact_generations``: the genetic search always runs all its generations).
    """
    t0 = time.perf_counter()
    sgs = SerialSGS(project)
    rng = random.Random(seed)
    lft = latest_finish_priority(project, sgs.horizon)
    lft = [min(v, float(d[0])) for v, d in zip(lft, sgs.deadline, strict=True)]
    mts = total_successors(project)
    rules = _priority_rules(project, lft, mts)
    can_justify = reversible(project)
    best = None
    stable = any(a.preferred is not None for a in project.activities)
    for i in range(max(passes, len(rules))):
        prio = rules[i] if i < len(rules) else _sampled(lft, rng)
        result = sgs.repair(prio) if stable and i == 0 else sgs.run(prio)
        best = _better(project, best, result, can_justify)
        if time.perf_counter() - t0 > time_limit:
            break
    alternatives = []  # the best schedule of each mode plan: more mode vectors for the GA
    for plan in mode_plans:
        own = None
        for prio in rules:
            own = _better(project, own, sgs.run(prio, list(plan)), can_justify)
        if own is not None:
            alternatives.append(own)
            if best is None or own[0]["objective"] < best[0]["objective"]:
                best = own
    if best is not None and can_justify and any(len(a.modes) > 1 for a in project.activities):
        best = _mode_search(sgs, best, rng, 20 * passes, t0 + time_limit)
    if best is not None and generations > 0 and searchable(project):
        deadline = None if exact_generations else t0 + time_limit
        others = tuple((tuple(m), list(st)) for _, (m, st) in alternatives)
        best = _genetic(project, best, seed, generations, deadline, others)
    wall = time.perf_counter() - t0
    if best is None:
        return Schedule((), (), (), 0, 0, "infeasible", wall, message="no serial schedule found")
    parts, (modes, starts) = best
    ends = [s + project.activities[a].modes[modes[a]].span(s) for a, s in enumerate(starts)]
    return Schedule(
        tuple(modes), tuple(starts), tuple(ends), parts["objective"], 0, "feasible", wall, parts
    )


def _better(project: Project, best, result, can_justify: bool):
    """The better of ``best`` and the (justified) SGS ``result``."""
    if result is None:
        return best
    if can_justify:
        result = justify(project, *result)
    parts = evaluate(project, *result)
    if best is None or parts["objective"] < best[0]["objective"]:
        return parts, result
    return best


def _genetic(
    project: Project, best, seed: int, generations: int, deadline: float | None, others=()
):
    """``best`` improved by the genetic search on activity lists (and modes)."""
    from .improve import genetic_search

    parts, (modes, starts) = best
    found = genetic_search(
        project,
        modes,
        [list(starts)],
        seed=seed,
        generations=generations,
        deadline=deadline,
        others=others,
    )
    if found is None or found[2] >= parts["makespan"]:
        return best
    new = evaluate(project, found[0], found[1])
    if new["objective"] > parts["objective"]:
        return best
    return new, (found[0], found[1])


def _nonrenewable_ok(project: Project, modes: list[int]) -> bool:
    used = [0] * len(project.resources)
    for a, act in enumerate(project.activities):
        for res, amount in act.modes[modes[a]].demands:
            used[res] += amount
    return all(r.renewable or used[i] <= r.capacity for i, r in enumerate(project.resources))


def _mode_search(sgs: SerialSGS, best, rng: random.Random, moves: int, deadline: float):
    """Local search on the mode vector: change one activity's mode, reschedule, keep if not
    worse (multi-mode projects; the SGS alone spends scarce non-renewable budget greedily).
    """
    project = sgs.project
    parts, (modes, starts) = best
    multi = [a for a, act in enumerate(project.activities) if len(act.modes) > 1]
    for _ in range(moves):
        if time.perf_counter() > deadline:
            break
        a = rng.choice(multi)
        trial = list(modes)
        trial[a] = rng.randrange(len(project.activities[a].modes))
        if trial[a] == modes[a] or not _nonrenewable_ok(project, trial):
            continue
        result = sgs.run([s + rng.random() for s in starts], trial)
        if result is None:
            continue
        result = justify(project, *result)
        new = evaluate(project, *result)
        if new["objective"] <= parts["objective"]:
            parts, (modes, starts) = new, result
    return parts, (modes, starts)


def _sampled(lft: list[float], rng: random.Random) -> list[float]:
    """LFT priorities with multiplicative noise (biased random sampling)."""
    return [v + rng.random() * (1 + abs(v)) * 0.3 for v in lft]


def _priority_rules(project: Project, lft: list[float], mts: list[int]) -> list[list[float]]:
    """Deterministic priority lists (lower first): preferred start, LFT, MTS, LFT with MTS."""
    n = len(project.activities)
    pref = [
        float(a.fixed[1] if a.fixed else a.preferred[1] if a.preferred else lft[i] + 1e6)
        for i, a in enumerate(project.activities)
    ]
    rules = [
        [pref[i] if pref[i] < 1e6 else lft[i] for i in range(n)],
        [lft[i] - mts[i] / (n + 1) for i in range(n)],
        [-float(mts[i]) + lft[i] / 1e6 for i in range(n)],
        [a.release + lft[i] / 1e3 for i, a in enumerate(project.activities)],
    ]
    return rules


def relaxation_bound(project: Project) -> int:
    """Objective lower bound ignoring renewable resources (precedences, calendars, releases).

    Cheap and always valid; used when CP-SAT has not proven a better bound (huge instances).
    """
    n = len(project.activities)
    preds = predecessors(project)
    tick_end, fine_end = [0] * n, [0] * n
    cost = 0
    for a in topological_order(project):
        act = project.activities[a]
        est, fine = act.release, 0
        for p in preds[a]:
            est = max(est, tick_end[p.pred] + project.tick_lag(p))
            if p.fine_lag is not None:
                fine = max(fine, fine_end[p.pred] + p.fine_lag)
        if fine:
            est = max(est, -(-(fine - project.fine_offset) // project.fine_per_tick))
        if act.fixed is not None:
            est = max(est, act.fixed[1])
        tick_end[a], fine_end[a] = _earliest_finish(project, a, est)
        cost += min(m.cost for m in act.modes)
    total = cost + project.makespan_weight * max(tick_end, default=0)
    for g in project.groups:
        done = max(fine_end[a] for a in g.members)
        total += g.weight * done
        if g.due is not None:
            total += g.late_weight * max(0, done - g.due)
    return total


def _earliest_finish(project: Project, a: int, est: int) -> tuple[int, int]:
    """Smallest end tick and fine finish over modes, starting at or after ``est``."""
    best_tick = best_fine = 1 << 40
    for k, mode in enumerate(project.activities[a].modes):
        t = est
        limit = len(mode.spans) if mode.spans else est + 1
        while t < limit and mode.span(t) == FORBIDDEN:
            t += 1
        if t >= limit:
            continue
        best_tick = min(best_tick, t + mode.span(t))
        best_fine = min(best_fine, project.fine_finish(a, k, t))
    return best_tick, best_fine
