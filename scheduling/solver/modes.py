"""Mode assignment from a resource relaxation, for multi-mode projects with budgets.

The serial SGS picks modes greedily and can run out of a non-renewable budget (MMLIB50 J508:
no schedule at all). A small CP-SAT model over the mode choices only (precedences with
mode-dependent durations, each renewable resource's energy under capacity x makespan, every
non-renewable budget) gives mode vectors that are budget-feasible and good for the makespan;
the SGS and the genetic search start from them. Deterministic (deterministic time, one worker).
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from .core import Project
from .heuristic import default_horizon


def diverse_modes(
    project: Project, count: int, work: float = 0.2, seed: int = 0, differ: int = 3
) -> list[tuple[int, ...]]:
    """Up to ``count`` budget-feasible mode vectors, each good for the relaxed makespan and
    differing from every earlier one in at least ``differ`` multi-mode activities.

    Many mode vectors tie on the relaxation and the SGS tells them apart, so offering the
    schedule generator several of them finds better starts than one (MMLIB50 sample: mean
    heuristic gap 4.5 -> 3.2 % with eight).
    """
    acts = project.activities
    horizon = default_horizon(project)
    m = cp_model.CpModel()
    pick = [
        [m.new_bool_var(f"x{a}_{k}") for k in range(len(act.modes))] for a, act in enumerate(acts)
    ]
    dur = []
    for a, act in enumerate(acts):
        m.add_exactly_one(pick[a])
        dur.append(sum(md.duration * x for md, x in zip(act.modes, pick[a], strict=True)))
    start = [m.new_int_var(0, horizon, f"s{a}") for a in range(len(acts))]
    makespan = m.new_int_var(0, horizon, "makespan")
    for p in project.precedences:
        m.add(start[p.succ] >= start[p.pred] + dur[p.pred] + project.tick_lag(p))
    for a in range(len(acts)):
        m.add(makespan >= start[a] + dur[a])
    for r, res in enumerate(project.resources):
        use = [
            (dict(md.demands).get(r, 0), md.duration, x)
            for act, xs in zip(acts, pick, strict=True)
            for md, x in zip(act.modes, xs, strict=True)
        ]
        if not any(q for q, _, _ in use):
            continue
        if res.renewable:
            m.add(sum(q * d * x for q, d, x in use if q) <= res.capacity * makespan)
        else:
            m.add(sum(q * x for q, _, x in use if q) <= res.capacity)
    m.minimize(makespan)
    plans: list[tuple[int, ...]] = []
    multi = [a for a, act in enumerate(acts) if len(act.modes) > 1]
    for i in range(count):
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = seed + i
        solver.parameters.max_deterministic_time = work
        if solver.solve(m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        plan = tuple(next(k for k, x in enumerate(xs) if solver.boolean_value(x)) for xs in pick)
        plans.append(plan)
        if len(multi) < differ:
            break
        chosen = [pick[a][plan[a]] for a in multi]
        m.add(sum(chosen) <= len(chosen) - differ)
    return plans
