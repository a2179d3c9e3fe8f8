"""The cooperative planner: maps a ``Problem`` onto the general MRCPSP core and back.

* one renewable resource per (workshop, trade) crew calendar, capacity = crews per day;
* one mode per eligible workshop (choice of workshop = choice of mode), costing its travel;
* a tick is a calendar day; a mode's span table says how many calendar days the task occupies
  when started on a given day (skipping the workshop's non-working days and the customer's
  blocked days), its finish table gives the hour the work ends;
* drying lags are fine (hour) lags on the calendar axis.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace

from . import core
from .cpsat import SolveOptions, TimeWindows, solve
from .heuristic import construct, evaluate, relaxation_bound, topological_order
from .problem import (
    Appointment,
    Assignment,
    CrewCalendar,
    ObjectiveParts,
    Plan,
    Problem,
    Segment,
    Task,
)


@dataclass
class Mapping:
    """A core project built from a problem, with the tables to translate a schedule back."""

    problem: Problem
    project: core.Project
    tasks: list[Task]
    workshops: list[list[str]]
    messages: list[str]
    # Tasks an input problem is about (the messages name them), with its ``REASONS`` code:
    # their packages can be set aside so that the rest is still planned.
    unplannable: dict[str, str] = field(default_factory=dict)


def _workable_days(problem: Problem, cal: CrewCalendar, blocked: frozenset[int]) -> list[int]:
    return [d for d in range(problem.days) if cal.working(d) and d not in blocked]


def _tables(problem: Problem, task: Task, cal: CrewCalendar, release: int, blocked):
    """Span and finish (absolute hour) per start day for ``task`` on ``cal``."""
    days = _workable_days(problem, cal, blocked)
    spans = [core.FORBIDDEN] * problem.days
    finishes = [0] * problem.days
    j, acc = 0, 0
    for i, first in enumerate(days):
        if j < i:
            j, acc = i, 0
        while j < len(days) and acc + cal.hours[days[j]] < task.hours:
            acc += cal.hours[days[j]]
            j += 1
        if j == len(days):
            break
        if first >= release:
            last = days[j]
            spans[first] = last - first + 1
            finishes[first] = 24 * last + problem.day_start_hour + task.hours - acc
        acc -= cal.hours[first]
    return tuple(spans), tuple(finishes)


def _capacity_hours(problem: Problem) -> dict[str, int]:
    hours: dict[str, int] = defaultdict(int)
    for cal in problem.calendars:
        hours[cal.workshop] += sum(c * h for c, h in zip(cal.crews, cal.hours, strict=False))
    return hours


class _Builder:
    """Collects resources, load groups and modes while mapping tasks."""

    def __init__(self, problem: Problem, used: dict | None):
        self.problem = problem
        self.used = used or {}
        self.resources: list[core.Resource] = []
        self.resource_index: dict[tuple[str, str], int] = {}
        self.load_index: dict[str, int] = {}
        self.capacity = _capacity_hours(problem)
        self.messages: list[str] = []
        self.unplannable: dict[str, str] = {}

    def refuse(self, task_ids: list[str], message: str, reason: str) -> None:
        """Leave the packages of ``task_ids`` out of the plan, saying why: ``message`` for the
        log, ``reason`` one of ``REASONS`` for the office."""
        self.messages.append(message)
        for task_id in task_ids:
            self.unplannable.setdefault(task_id, reason)

    def resource(self, cal: CrewCalendar) -> int:
        key = (cal.workshop, cal.trade)
        if key not in self.resource_index:
            used = self.used.get(key, {})
            cap = max(max(cal.crews, default=0), 1)
            profile = tuple(
                cal.crews[d] - used.get(d, 0) if cal.working(d) else cap
                for d in range(self.problem.days)
            )
            self.resource_index[key] = len(self.resources)
            self.resources.append(core.Resource(cap, True, profile, f"{key[0]}/{key[1]}"))
        return self.resource_index[key]

    def load(self, workshop: str) -> int:
        return self.load_index.setdefault(workshop, len(self.load_index))

    def modes(self, task: Task) -> tuple[list[core.Mode], list[str]]:
        problem = self.problem
        package = problem.package(task.package)
        release = max(task.release_day, package.release_day)
        modes, names = [], []
        for option in task.eligible:
            cal = problem.calendar(option.workshop, task.trade)
            shop = problem.workshop(option.workshop)
            if cal is None or (
                task.certification and task.certification not in shop.certifications
            ):
                continue
            spans, finishes = _tables(problem, task, cal, release, package.blocked_days)
            if all(s == core.FORBIDDEN for s in spans):
                continue
            permille = round(1000 * task.hours / max(1, self.capacity[option.workshop]))
            modes.append(
                core.Mode(
                    duration=min(s for s in spans if s != core.FORBIDDEN),
                    demands=((self.resource(cal), 1),),
                    spans=spans,
                    finishes=finishes,
                    cost=option.travel_km * problem.weights.travel_per_km,
                    loads=((self.load(option.workshop), permille),),
                )
            )
            names.append(option.workshop)
        if not modes:
            self.refuse(
                [task.id],
                f"task {task.id}: no eligible workshop has trade {task.trade}"
                + (f" with certification {task.certification}" if task.certification else "")
                + " and a working day for it within the horizon",
                "no_workshop",
            )
        return modes, names

    def keep(self, task: Task, names: list[str], app: Appointment | None, kind: str):
        """Mode and day of an appointment, or None (with a message when it cannot be kept)."""
        if app is None:
            return None
        if app.workshop not in names:
            self.refuse(
                [task.id],
                f"task {task.id}: {kind} workshop {app.workshop} is not eligible for it",
                "workshop_not_eligible",
            )
            return None
        return names.index(app.workshop), app.day


def build(problem: Problem, used: dict | None = None) -> Mapping:
    """Map ``problem`` onto a core project.

    ``used[(workshop, trade)][day]`` crews are already taken (by plans outside the problem).
    """
    b = _Builder(problem, used)
    w = problem.weights
    activities, names_per_task = [], []
    for task in problem.tasks:
        modes, names = b.modes(task)
        pin = b.keep(task, names, task.pinned, "pinned")
        prev = b.keep(task, names, task.previous, "previous")
        if pin is not None and modes and modes[pin[0]].span(pin[1]) == core.FORBIDDEN:
            b.refuse(
                [task.id],
                f"task {task.id}: pinned day {pin[1]} is not workable at {task.pinned.workshop}",
                "closed_day",
            )
        release = max(task.release_day, problem.package(task.package).release_day)
        act = core.Activity(modes=tuple(modes), release=release, name=task.id)
        if pin is not None and not problem.allow_moving_pinned:
            act = replace(act, fixed=pin)
        elif pin is not None:
            act = replace(act, preferred=pin, move_penalty=w.moved_pinned)
        elif prev is not None:
            act = replace(act, preferred=prev, move_penalty=w.moved_previous)
        activities.append(act)
        names_per_task.append(names)
    project = core.Project(
        resources=tuple(b.resources),
        activities=tuple(activities),
        precedences=_precedences(problem, b),
        groups=_groups(problem),
        horizon=problem.days,
        fine_per_tick=24,
        fine_offset=problem.day_start_hour,
        makespan_weight=0,
        num_load_groups=len(b.load_index),
        spread_weight=w.fairness_per_permille,
    )
    try:
        topological_order(project)
    except ValueError:
        circling = sorted(problem.tasks[a].id for a in _unordered(project))
        b.refuse(
            circling,
            "the precedences between tasks form a cycle (through tasks "
            + ", ".join(circling)
            + ")",
            "cycle",
        )
    return Mapping(
        problem, project, list(problem.tasks), names_per_task, b.messages, dict(b.unplannable)
    )


def _unordered(project: core.Project) -> set[int]:
    """The activities no order can place: those on a cycle of precedences and those after one
    (Kahn's algorithm leaves them with predecessors)."""
    waiting = [0] * len(project.activities)
    after: dict[int, list[int]] = defaultdict(list)
    for p in project.precedences:
        waiting[p.succ] += 1
        after[p.pred].append(p.succ)
    ready = [a for a, n in enumerate(waiting) if n == 0]
    while ready:
        for succ in after[ready.pop()]:
            waiting[succ] -= 1
            if waiting[succ] == 0:
                ready.append(succ)
    return {a for a, n in enumerate(waiting) if n > 0}


def _with_unreachable(mapping: Mapping) -> Mapping:
    """``mapping`` with the tasks whose time window is empty refused: a fixed appointment the
    order of work cannot reach in time (new work ordered before a pinned one, a task running
    into its successor's accepted day) would make CP-SAT refuse the whole cooperative's plan.
    Checked once per plan, not in ``build``, which the LNS steps and quotes call again."""
    windows = TimeWindows(mapping.project, mapping.project.horizon)
    late = sorted(
        mapping.tasks[a].id
        for a, (e, s) in enumerate(zip(windows.es, windows.ls, strict=True))
        if e > s
    )
    if not late:
        return mapping
    message = "a fixed appointment leaves no room for the order of work (tasks "
    return replace(
        mapping,
        messages=[*mapping.messages, message + ", ".join(late) + ")"],
        unplannable={**mapping.unplannable, **dict.fromkeys(late, "no_room")},
    )


def _without_unplannable(
    problem: Problem, mapping: Mapping
) -> tuple[Problem, dict[str, dict[str, str]]]:
    """``problem`` without the packages of the tasks an input problem is about, and per such
    package (sorted) those tasks with their ``REASONS`` codes."""
    problems: dict[str, dict[str, str]] = defaultdict(dict)
    for t in problem.tasks:
        if t.id in mapping.unplannable:
            problems[t.package][t.id] = mapping.unplannable[t.id]
    kept = tuple(t for t in problem.tasks if t.package not in problems)
    ids = {t.id for t in kept}
    rest = replace(
        problem,
        tasks=kept,
        packages=tuple(p for p in problem.packages if p.id not in problems),
        precedences=tuple(p for p in problem.precedences if p.before in ids and p.after in ids),
    )
    return rest, {p: problems[p] for p in sorted(problems)}


def _precedences(problem: Problem, b: _Builder) -> tuple[core.Precedence, ...]:
    index = {t.id: i for i, t in enumerate(problem.tasks)}
    out = []
    for p in problem.precedences:
        if p.before not in index or p.after not in index:
            known = [t for t in (p.before, p.after) if t in index]
            b.refuse(
                known, f"precedence {p.before} -> {p.after} names an unknown task", "unknown_task"
            )
            continue
        out.append(core.Precedence(index[p.before], index[p.after], 0, p.lag_hours))
    return tuple(out)


def _groups(problem: Problem) -> tuple[core.Group, ...]:
    w = problem.weights
    members: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(problem.tasks):
        members[t.package].append(i)
    groups = []
    for pid, idx in members.items():
        pkg = problem.package(pid)
        due = None if pkg.promised_day is None else 24 * (pkg.promised_day + 1)
        groups.append(
            core.Group(
                tuple(idx),
                weight=w.completion_per_hour * pkg.weight,
                due=due,
                late_weight=w.lateness_per_hour * pkg.weight,
            )
        )
    return tuple(groups)


def _segments(problem: Problem, task: Task, cal: CrewCalendar, start: int) -> list[Segment]:
    blocked = problem.package(task.package).blocked_days
    out, left, d = [], task.hours, start
    while left > 0 and d < problem.days:
        if cal.working(d) and d not in blocked:
            h = min(left, cal.hours[d])
            out.append(Segment(d, problem.day_start_hour, h))
            left -= h
        d += 1
    return out


def to_plan(mapping: Mapping, schedule: core.Schedule, first_plan_time: float = 0.0) -> Plan:
    """Translate a core schedule into a ``Plan`` of the mapped problem."""
    problem = mapping.problem
    if schedule.status in ("infeasible", "unknown", "invalid") or not schedule.modes:
        msg = tuple(mapping.messages) + ((schedule.message,) if schedule.message else ())
        return Plan(schedule.status, wall_time=schedule.wall_time, messages=msg)
    assignments = []
    for a, task in enumerate(mapping.tasks):
        shop = mapping.workshops[a][schedule.modes[a]]
        cal = problem.calendar(shop, task.trade)
        segs = _segments(problem, task, cal, schedule.starts[a])
        last = segs[-1]
        assignments.append(
            Assignment(
                task.id,
                shop,
                24 * segs[0].day + segs[0].start_hour,
                24 * last.day + last.start_hour + last.hours,
                tuple(segs),
            )
        )
    parts, completion = objective_parts(problem, assignments)
    return Plan(
        schedule.status,
        tuple(assignments),
        schedule.objective,
        schedule.bound,
        schedule.wall_time,
        parts,
        tuple(mapping.messages),
        first_plan_time,
        completion,
    )


def objective_parts(problem: Problem, assignments) -> tuple[ObjectiveParts, dict[str, int]]:
    """Objective parts of a list of assignments in natural units, and completion per package."""
    by_task = {a.task: a for a in assignments}
    completion: dict[str, int] = {}
    travel = moved_pinned = moved_previous = 0
    load: dict[str, int] = defaultdict(int)
    for task in problem.tasks:
        a = by_task.get(task.id)
        if a is None:
            continue
        completion[task.package] = max(completion.get(task.package, 0), a.end)
        travel += next((e.travel_km for e in task.eligible if e.workshop == a.workshop), 0)
        load[a.workshop] += task.hours
        here = Appointment(a.workshop, a.start_day)
        moved_pinned += task.pinned is not None and task.pinned != here
        moved_previous += task.pinned is None and task.previous not in (None, here)
    lateness = 0
    for pid, end in completion.items():
        pkg = problem.package(pid)
        if pkg.promised_day is not None:
            lateness += max(0, end - 24 * (pkg.promised_day + 1))
    cap = _capacity_hours(problem)
    shops = {e.workshop for t in problem.tasks for e in t.eligible if e.workshop in cap}
    util = [round(1000 * load[w] / max(1, cap[w])) for w in shops]
    spread = max(util) - min(util) if util else 0
    parts = ObjectiveParts(
        sum(completion.values()), lateness, travel, spread, moved_pinned, moved_previous
    )
    return parts, completion


def plan(problem: Problem, options: SolveOptions | None = None, decompose_above: int = 800) -> Plan:
    """Plan every task of ``problem``: construction heuristic, then CP-SAT within the limit.

    Input problems (no eligible workshop, pinned appointment on a closed day, unknown task in
    a precedence) make the plan ``infeasible`` with messages naming them. Problems with more
    than ``decompose_above`` tasks are improved package group by package group (LNS) instead
    of in one CP-SAT model; their bound is then the resource relaxation's.
    """
    options = options or SolveOptions()
    t0 = time.perf_counter()
    mapping = build(problem)
    if not mapping.messages:  # a cycle leaves no order to compute windows in
        mapping = _with_unreachable(mapping)
    if mapping.messages:
        rest, set_aside = _without_unplannable(problem, mapping)
        if not set_aside or not rest.tasks:
            return Plan(
                "infeasible",
                wall_time=time.perf_counter() - t0,
                messages=tuple(mapping.messages),
                set_aside_problems=set_aside,
            )
        # One order's problem (a site no member serves any more, a circle in its order of
        # work) must not stop the cooperative's planning: the rest is planned without it.
        result = plan(rest, options, decompose_above)
        return replace(
            result,
            messages=(*mapping.messages, *result.messages),
            set_aside_problems={**set_aside, **result.set_aside_problems},
            wall_time=time.perf_counter() - t0,
        )
    passes = options.heuristic_passes if len(problem.tasks) <= decompose_above else 2
    first = construct(mapping.project, seed=options.seed, passes=passes)
    first_time = time.perf_counter() - t0
    if len(problem.tasks) > decompose_above and first.status == "feasible":
        schedule = _improve_by_packages(mapping, first, options, t0)
    else:
        schedule = solve(mapping.project, options, start=first)
    if schedule.status == "feasible":
        schedule = replace(schedule, bound=max(schedule.bound, relaxation_bound(mapping.project)))
    schedule = replace(schedule, wall_time=time.perf_counter() - t0)
    return to_plan(mapping, schedule, first_time if first.status == "feasible" else 0.0)


def _neighbourhood(mapping: Mapping, modes, rng: random.Random, size: int) -> list[int]:
    """Tasks of a few packages that compete for the same crews as a random seed package."""
    project = mapping.project
    by_package: dict[str, list[int]] = defaultdict(list)
    by_resource: dict[int, set[str]] = defaultdict(set)
    for a, task in enumerate(mapping.tasks):
        by_package[task.package].append(a)
        for mode in project.activities[a].modes:
            by_resource[mode.demands[0][0]].add(task.package)
    queue = [rng.choice(sorted(by_package))]
    chosen: set[str] = set()
    free: list[int] = []
    while queue and len(free) < size:
        pkg = queue.pop(0)
        if pkg in chosen:
            continue
        chosen.add(pkg)
        free += by_package[pkg]
        near = set()
        for a in by_package[pkg]:
            near |= by_resource[project.activities[a].modes[modes[a]].demands[0][0]]
        queue += rng.sample(sorted(near - chosen), min(4, len(near - chosen)))
    return sorted(free)


def _windowed(act: core.Activity, lo: int, hi: int) -> core.Activity:
    """The activity allowed to start only in ``[lo, hi]`` (keeps LNS models small)."""
    modes = tuple(
        replace(
            m,
            spans=tuple(s if lo <= t <= hi else core.FORBIDDEN for t, s in enumerate(m.spans)),
        )
        for m in act.modes
    )
    return replace(act, modes=modes)


def _subproblem(
    mapping: Mapping, modes, starts, free: list[int], window: int = 7
) -> tuple[Mapping, core.Schedule]:
    """The free tasks as a problem of their own, the other tasks' crews taken, plus a hint."""
    problem = mapping.problem
    keep = set(free)
    used: dict = defaultdict(lambda: defaultdict(int))
    for a, task in enumerate(mapping.tasks):
        if a in keep:
            continue
        cal = problem.calendar(mapping.workshops[a][modes[a]], task.trade)
        span = mapping.project.activities[a].modes[modes[a]].span(starts[a])
        for d in range(starts[a], starts[a] + span):
            if cal.working(d):
                used[(cal.workshop, cal.trade)][d] += 1
    ids = {mapping.tasks[a].id for a in free}
    sub_problem = replace(
        problem,
        tasks=tuple(mapping.tasks[a] for a in free),
        precedences=tuple(p for p in problem.precedences if p.before in ids and p.after in ids),
    )
    sub = build(sub_problem, used)
    acts = tuple(
        _windowed(act, starts[a] - window, starts[a] + window)
        for act, a in zip(sub.project.activities, free, strict=True)
    )
    sub = replace(sub, project=replace(sub.project, activities=acts, spread_weight=0))
    hint_modes = [
        sub.workshops[i].index(mapping.workshops[a][modes[a]]) for i, a in enumerate(free)
    ]
    hint_starts = [starts[a] for a in free]
    parts = evaluate(sub.project, hint_modes, hint_starts)
    hint = core.Schedule(
        tuple(hint_modes), tuple(hint_starts), (), parts["objective"], 0, "feasible", 0.0, parts
    )
    return sub, hint


def _improve_by_packages(mapping: Mapping, first: core.Schedule, options: SolveOptions, t0):
    """Large-neighbourhood search over groups of packages that share crews.

    CP-SAT cannot even load a 2,000-task model within seconds on two cores, so we re-optimise
    ~200 tasks at a time with everything else held in place, accepting a neighbourhood's plan
    when the whole plan's objective improves.
    """
    project = mapping.project
    rng = random.Random(options.seed)
    modes, starts = list(first.modes), list(first.starts)
    best = evaluate(project, modes, starts)["objective"]
    bound = relaxation_bound(project)
    report = options.on_solution or (lambda *_: None)
    report(time.perf_counter() - t0, best, bound)
    while options.time_limit - (time.perf_counter() - t0) > 1.0:
        free = _neighbourhood(mapping, modes, rng, 200)
        sub, hint = _subproblem(mapping, modes, starts, free)
        left = options.time_limit - (time.perf_counter() - t0)
        result = solve(
            sub.project, replace(options, time_limit=min(4.0, left), on_solution=None), start=hint
        )
        if result.status not in ("optimal", "feasible"):
            continue
        new_modes, new_starts = list(modes), list(starts)
        for i, a in enumerate(free):
            new_modes[a] = mapping.workshops[a].index(sub.workshops[i][result.modes[i]])
            new_starts[a] = result.starts[i]
        value = evaluate(project, new_modes, new_starts)["objective"]
        if value < best:
            best, modes, starts = value, new_modes, new_starts
            report(time.perf_counter() - t0, best, bound)
    ends = [s + project.activities[a].modes[modes[a]].span(s) for a, s in enumerate(starts)]
    parts = evaluate(project, modes, starts)
    return core.Schedule(
        tuple(modes),
        tuple(starts),
        tuple(ends),
        parts["objective"],
        0,
        "feasible",
        time.perf_counter() - t0,
        parts,
    )


def heuristic_plan(problem: Problem, seed: int = 0, passes: int = 8) -> Plan:
    """A plan from the construction heuristic alone (fast; no bound, status ``feasible``)."""
    t0 = time.perf_counter()
    mapping = build(problem)
    if mapping.messages:
        return Plan(
            "infeasible", wall_time=time.perf_counter() - t0, messages=tuple(mapping.messages)
        )
    schedule = construct(mapping.project, seed=seed, passes=passes)
    if schedule.status != "feasible":
        return Plan(
            "unknown",
            wall_time=time.perf_counter() - t0,
            messages=(
                "the construction heuristic found no plan; run the full planner for a proof",
            ),
        )
    wall = time.perf_counter() - t0
    return to_plan(mapping, replace(schedule, wall_time=wall), wall)


def crews_in_use(problem: Problem, assignments) -> dict[tuple[str, str], dict[int, int]]:
    """Crews held per (workshop, trade) and day by ``assignments`` (first to last work day)."""
    trade = {t.id: t.trade for t in problem.tasks}
    used: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for a in assignments:
        key = (a.workshop, trade[a.task])
        cal = problem.calendar(*key)
        for d in range(a.segments[0].day, a.segments[-1].day + 1):
            if cal is not None and cal.working(d):
                used[key][d] += 1
    return used


def quote(problem: Problem, current: Plan, package_id: str, passes: int = 4) -> Plan:
    """Insert one new package into ``current`` without moving anything (instant quote).

    ``problem`` holds the current tasks and the new package's tasks; only the latter are
    planned, by the construction heuristic, into the capacity the current plan leaves free.
    The returned plan contains only the new package's assignments.
    """
    t0 = time.perf_counter()
    new = tuple(t for t in problem.tasks if t.package == package_id)
    new_ids = {t.id for t in new}
    used = crews_in_use(problem, [a for a in current.assignments if a.task not in new_ids])
    sub = replace(
        problem,
        tasks=new,
        precedences=tuple(
            p for p in problem.precedences if p.before in new_ids and p.after in new_ids
        ),
    )
    mapping = build(sub, used)
    if mapping.messages:
        return Plan(
            "infeasible", wall_time=time.perf_counter() - t0, messages=tuple(mapping.messages)
        )
    schedule = construct(mapping.project, passes=passes)
    if schedule.status != "feasible":
        return Plan(
            "infeasible",
            wall_time=time.perf_counter() - t0,
            messages=(f"package {package_id} does not fit into the free capacity of the horizon",),
        )
    wall = time.perf_counter() - t0
    return to_plan(mapping, replace(schedule, wall_time=wall), wall)


def replan(problem: Problem, previous: Plan, options: SolveOptions | None = None) -> Plan:
    """Plan again after a change, keeping tasks where ``previous`` had them when possible."""
    where = {a.task: Appointment(a.workshop, a.start_day) for a in previous.assignments}
    tasks = tuple(
        t if t.pinned is not None or t.id not in where else replace(t, previous=where[t.id])
        for t in problem.tasks
    )
    return plan(replace(problem, tasks=tasks), options)
