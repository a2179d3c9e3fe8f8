"""The activity-list genetic search and its fast SGS on random RCPSP instances built here."""

import random
import time

import numpy as np

from scheduling.solver.core import Activity, Mode, Precedence, Project, Resource
from scheduling.solver.cpsat import SolveOptions, solve
from scheduling.solver.heuristic import construct, evaluate
from scheduling.solver.improve import ListSGS, genetic_search


def random_project(seed: int, n: int = 20, modes: int = 1) -> Project:
    """Three renewable resources; with several modes also a tight non-renewable budget."""
    rng = random.Random(seed)
    resources = tuple(Resource(rng.randint(4, 8)) for _ in range(3))
    acts = []
    cheapest = 0
    for _ in range(n):
        ms = []
        for _ in range(modes):
            demands = tuple((r, rng.randint(1, 4)) for r in range(3) if rng.random() < 0.6)
            if modes > 1:
                demands += ((3, rng.randint(1, 5)),)
            ms.append(Mode(rng.randint(1, 8), demands))
        cheapest += min(dict(m.demands).get(3, 0) for m in ms)
        acts.append(Activity(tuple(ms)))
    if modes > 1:
        resources += (Resource(cheapest + n // 2, renewable=False),)
    precs = []
    for b in range(1, n):
        for a in rng.sample(range(b), k=min(b, rng.randint(0, 2))):
            precs.append(Precedence(a, b))
    return Project(resources, tuple(acts), tuple(precs))


def violations(project: Project, modes, starts) -> list[str]:
    """Independent RCPSP check: precedences and renewable capacity per tick."""
    out = []
    dur = [project.activities[a].modes[m].duration for a, m in enumerate(modes)]
    for p in project.precedences:
        if starts[p.succ] < starts[p.pred] + dur[p.pred] + p.lag:
            out.append(f"precedence {p.pred}->{p.succ}")
    horizon = max(s + d for s, d in zip(starts, dur, strict=True))
    for r, res in enumerate(project.resources):
        if not res.renewable:
            used = sum(
                dict(project.activities[a].modes[m].demands).get(r, 0) for a, m in enumerate(modes)
            )
            if used > res.capacity:
                out.append(f"non-renewable {r}: {used} > {res.capacity}")
            continue
        for t in range(horizon):
            used = sum(
                dict(project.activities[a].modes[m].demands).get(r, 0)
                for a, m in enumerate(modes)
                if starts[a] <= t < starts[a] + dur[a]
            )
            if used > res.capacity:
                out.append(f"resource {r} at {t}: {used} > {res.capacity}")
    if any(s < 0 for s in starts):
        out.append("negative start")
    return out


def test_list_sgs_and_justification_give_feasible_schedules_that_never_get_longer():
    for seed in range(5):
        project = random_project(seed)
        sgs = ListSGS(project, [0] * len(project.activities))
        first = construct(project, seed=seed, passes=2)
        order = sorted(range(len(project.activities)), key=lambda a: first.starts[a])
        starts = sgs.forward(order)
        assert violations(project, [0] * 20, starts) == []
        rank = sorted(range(20), key=lambda a: (first.starts[a], a))
        rank = [rank.index(a) for a in range(20)]
        _, better, mk = sgs.justify(starts, rank)
        assert violations(project, [0] * 20, better) == []
        assert mk == sgs.makespan(better) <= sgs.makespan(starts)


def test_crossover_and_mutation_keep_lists_precedence_feasible_and_follow_their_stream():
    from scheduling.solver import kernel
    from scheduling.solver.improve import _feasible_order, _related

    project = random_project(4, n=30)
    sgs = ListSGS(project, [0] * 30)
    rng = random.Random(4)
    mother, father = (
        np.array(_feasible_order(sgs, [rng.random() for _ in range(30)])) for _ in range(2)
    )
    related = _related(sgs)
    children = set()
    for seed in range(40):
        child = kernel.child(mother, father, related, 0.3, 3, np.array([seed], np.uint64))
        assert sorted(child.tolist()) == list(range(30))
        position = {a: i for i, a in enumerate(child.tolist())}
        assert all(position[p.pred] < position[p.succ] for p in project.precedences)
        again = kernel.child(mother, father, related, 0.3, 3, np.array([seed], np.uint64))
        assert (again == child).all()
        children.add(tuple(child.tolist()))
    assert len(children) > 20  # a stream, not a constant
    stream = np.array([7], np.uint64)
    assert (kernel.child(mother, mother, related, 0.0, 0, stream) == mother).all()
    moved = [kernel.child(mother, mother, related, 0.0, 1, stream) for _ in range(40)]
    for child in moved:  # the shift alone keeps every precedence
        position = {a: i for i, a in enumerate(child.tolist())}
        assert all(position[p.pred] < position[p.succ] for p in project.precedences)
    assert sum((child != mother).any() for child in moved) > 20


def test_genetic_search_never_returns_worse_or_infeasible_and_is_deterministic():
    for seed in range(5):
        project = random_project(seed)
        first = construct(project, seed=seed, passes=2)
        modes = list(first.modes)
        found = genetic_search(project, modes, [list(first.starts)], seed=seed, generations=5)
        assert found is not None
        modes, starts, makespan = found
        assert violations(project, modes, starts) == []
        assert makespan == max(
            s + project.activities[a].modes[modes[a]].duration for a, s in enumerate(starts)
        )
        assert makespan <= first.parts["makespan"]
        again = genetic_search(project, modes, [list(first.starts)], seed=seed, generations=5)
        assert again == found


def test_restarting_search_keeps_its_best_stays_feasible_and_is_deterministic():
    # Restarting after every stale generation replaces nearly the whole population many
    # times; the best schedule found so far must survive each restart.
    for seed, modes in ((0, 1), (1, 1), (2, 3)):
        project = random_project(seed, n=20, modes=modes)
        first = construct(project, seed=seed, passes=2)
        start = (list(first.modes), [list(first.starts)])
        found = genetic_search(project, *start, seed=seed, generations=40, restart_after=1)
        assert violations(project, found[0], found[1]) == []
        assert found[2] <= first.parts["makespan"]
        again = genetic_search(project, *start, seed=seed, generations=40, restart_after=1)
        assert again == found


def test_construct_with_generations_is_feasible_and_not_worse_multi_mode_included():
    for seed, modes in ((1, 1), (2, 2), (3, 3)):
        project = random_project(seed, n=15, modes=modes)
        plain = construct(project, seed=seed, passes=4)
        improved = construct(project, seed=seed, passes=4, generations=5)
        assert plain.status == improved.status == "feasible"
        assert violations(project, improved.modes, improved.starts) == []
        assert improved.objective <= plain.objective


def test_solve_uses_the_improved_start_and_stays_feasible():
    project = random_project(7, n=15)
    options = SolveOptions(time_limit=5, workers=1, deterministic=True)
    result = solve(project, options)
    assert result.status in ("optimal", "feasible")
    assert violations(project, result.modes, result.starts) == []


def test_multi_mode_genetic_search_keeps_the_budget():
    for seed in range(4):
        project = random_project(seed, n=15, modes=3)
        first = construct(project, seed=seed, passes=4)
        assert first.status == "feasible"
        found = genetic_search(
            project, list(first.modes), [list(first.starts)], seed=seed, generations=8
        )
        modes, starts, makespan = found
        assert violations(project, modes, starts) == []
        assert makespan <= first.parts["makespan"]


def test_mode_plans_respect_the_budget_and_fail_only_without_one():
    from scheduling.solver.modes import diverse_modes

    for seed in range(3):
        project = random_project(seed, n=12, modes=3)
        (plan,) = diverse_modes(project, count=1, work=0.5)
        budget = project.resources[3]
        used = sum(
            dict(project.activities[a].modes[m].demands).get(3, 0) for a, m in enumerate(plan)
        )
        assert used <= budget.capacity
    broke = Project(
        resources=(Resource(1, renewable=False),),
        activities=(Activity((Mode(1, ((0, 2),)), Mode(3, ((0, 3),)))),),
    )
    assert diverse_modes(broke, count=3) == []


def test_solve_on_a_multi_mode_budget_project_is_feasible():
    project = random_project(11, n=12, modes=3)
    result = solve(project, SolveOptions(time_limit=4, workers=1, deterministic=True))
    assert result.status in ("optimal", "feasible")
    assert violations(project, result.modes, result.starts) == []


def _budget_used(project: Project, plan) -> int:
    return sum(dict(project.activities[a].modes[m].demands).get(3, 0) for a, m in enumerate(plan))


def test_diverse_modes_are_within_budget_and_differ_from_each_other():
    from scheduling.solver.modes import diverse_modes

    project = random_project(5, n=15, modes=3)
    plans = diverse_modes(project, count=4, work=0.3, differ=2)
    assert len(plans) == 4
    for plan in plans:
        assert _budget_used(project, plan) <= project.resources[3].capacity
    for i, one in enumerate(plans):
        for other in plans[i + 1 :]:
            assert sum(x != y for x, y in zip(one, other, strict=True)) >= 2


def test_genetic_search_crosses_in_the_modes_of_other_start_schedules():
    # Ten chained activities, each slow (5) or fast (1) at the same budget cost: the seed runs
    # slow, another start schedule fast; the search must start from that one's modes too.
    acts = tuple(
        Activity((Mode(5, ((0, 1), (1, 1))), Mode(1, ((0, 1), (1, 1))))) for _ in range(10)
    )
    project = Project(
        (Resource(1), Resource(10, renewable=False)),
        acts,
        tuple(Precedence(a, a + 1) for a in range(9)),
    )
    slow = [5 * a for a in range(10)]
    fast = (1,) * 10
    alone = genetic_search(project, [0] * 10, [slow], generations=0)
    assert alone[2] == 50
    found = genetic_search(
        project, [0] * 10, [slow], generations=0, others=((fast, list(range(10))),)
    )
    assert found[2] == 10 and tuple(found[0]) == fast


def test_mutation_never_picks_a_mode_that_asks_more_than_a_resource_has():
    # Each activity's fast mode needs two units of a one-unit resource: never schedulable,
    # though free of budget. The search must keep the slow modes and stay in bounds.
    slow, impossible = Mode(3, ((0, 1), (1, 1))), Mode(1, ((0, 2),))
    project = Project(
        (Resource(1), Resource(10, renewable=False)),
        tuple(Activity((slow, impossible)) for _ in range(10)),
        tuple(Precedence(a, a + 1) for a in range(9)),
    )
    found = genetic_search(project, [0] * 10, [[3 * a for a in range(10)]], generations=200)
    assert found is not None
    assert found[0] == [0] * 10 and found[2] == 30


def test_budget_repair_keeps_the_mutated_activity_and_ends_within_budget():
    from scheduling.solver import kernel
    from scheduling.solver.improve import _Budget

    project = random_project(2, n=15, modes=3)
    budget = _Budget(project)
    cap = project.resources[3].capacity
    dearest = [
        max(range(3), key=lambda k, a=a: dict(act.modes[k].demands)[3])
        for a, act in enumerate(project.activities)
    ]
    assert _budget_used(project, dearest) > cap
    modes = np.array(dearest)
    stream = np.array([1], np.uint64)
    kernel.repair(modes, 0, np.arange(15), budget.count, budget.table, budget.cap, stream)
    assert modes[0] == dearest[0]
    assert _budget_used(project, modes.tolist()) <= cap


def _watch_searches(monkeypatch) -> list[bool]:
    """Per genetic search started: whether CP-SAT's thread was running beside it."""
    import threading

    from scheduling.solver import improve

    beside, real = [], improve.genetic_search

    def watching(*args, **kwargs):
        beside.append(any(t.name == "cp-sat" and t.is_alive() for t in threading.enumerate()))
        return real(*args, **kwargs)

    monkeypatch.setattr(improve, "genetic_search", watching)
    return beside


def test_the_genetic_search_goes_on_while_cp_sat_runs(monkeypatch):
    beside = _watch_searches(monkeypatch)
    project = random_project(3, n=30)
    result = solve(project, SolveOptions(time_limit=3, workers=2))
    # the start's search, then two populations beside CP-SAT, each in its own thread
    assert beside == [False, True, True]
    assert violations(project, result.modes, result.starts) == []
    # deterministic runs keep one after the other: equal inputs, equal plans
    beside.clear()
    solve(project, SolveOptions(time_limit=3, workers=2, deterministic=True))
    assert beside == [False]


def test_a_better_schedule_from_the_search_beside_cp_sat_is_the_result(monkeypatch):
    from scheduling.solver import improve

    project = random_project(3, n=30)
    best = solve(project, SolveOptions(time_limit=5, workers=2))
    start = construct(project, seed=0, passes=1)
    assert best.objective < start.objective  # CP-SAT alone, stopped at its hint, is worse

    def search(*args, **kwargs):
        if kwargs.get("stop") is None:  # the start's own search: leave the start as it is
            return None
        return list(best.modes), list(best.starts), best.objective  # found beside CP-SAT

    monkeypatch.setattr(improve, "genetic_search", search)
    options = SolveOptions(
        time_limit=3,
        workers=2,
        heuristic_passes=1,
        parameters=(("stop_after_first_solution", True),),
    )
    result = solve(project, options)
    assert result.objective == best.objective
    assert violations(project, result.modes, result.starts) == []


def test_cp_sat_solutions_join_the_search_beside_it(monkeypatch):
    from scheduling.solver import improve

    real = improve.genetic_search
    received: dict[int, list] = {}  # per population (its seed)

    def search(*args, **kwargs):
        if kwargs.get("inbox") is None:  # the start's own search
            return real(*args, **kwargs)
        mine = received.setdefault(kwargs["seed"], [])
        while not kwargs["stop"]():
            mine.extend(kwargs["inbox"]())
            time.sleep(0.01)
        mine.extend(kwargs["inbox"]())
        return None

    monkeypatch.setattr(improve, "genetic_search", search)
    project = random_project(3, n=30)
    reported = []
    options = SolveOptions(
        time_limit=3, workers=2, on_solution=lambda seconds, value, bound: reported.append(value)
    )
    result = solve(project, options)
    assert len(received) == 2  # two populations, each told of every CP-SAT solution once
    for got in received.values():
        assert got and len(got) == len(reported)
        for modes, starts in got:
            assert violations(project, modes, starts) == []
        assert [evaluate(project, m, s)["makespan"] for m, s in got] == reported
    assert min(reported) == result.objective
