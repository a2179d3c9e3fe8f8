"""Generated cooperative instances: quality over time, illness re-plan churn, quote latency."""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import time
from dataclasses import replace

from scheduling.solver import (
    Appointment,
    Eligibility,
    Package,
    Plan,
    Precedence,
    Problem,
    SolveOptions,
    Task,
    Workshop,
    check_plan,
    crew_calendar,
    heuristic_plan,
    plan,
    quote,
    replan,
)

START = dt.date(2025, 10, 27)
REFORMATION_DAY = dt.date(2025, 10, 31)  # holiday in Niedersachsen, Bremen, Hamburg, ...
TRADES = ("shk", "elektro", "estrich", "fliesen", "maler", "tischler", "dach", "trockenbau")
# Package templates: (trade, hours, certification) per task, precedences (i, j, lag hours).
TEMPLATES = (
    (
        "bad",
        (
            ("shk", 16, "gas"),
            ("elektro", 6, None),
            ("estrich", 8, None),
            ("fliesen", 20, None),
            ("maler", 6, None),
        ),
        ((0, 2, 0), (1, 2, 0), (2, 3, 72), (3, 4, 0)),
    ),
    (
        "dach",
        (("dach", 32, None), ("trockenbau", 12, None), ("maler", 8, None)),
        ((0, 1, 0), (1, 2, 24)),
    ),
    (
        "kueche",
        (("elektro", 4, None), ("tischler", 14, None), ("fliesen", 6, None)),
        ((0, 1, 0), (1, 2, 0)),
    ),
    ("renovierung", (("trockenbau", 10, None), ("maler", 16, None)), ((0, 1, 12),)),
)
SIZES = {
    "small": {"workshops": 10, "tasks": 60, "days": 35, "area": 40},
    "medium": {"workshops": 40, "tasks": 300, "days": 49, "area": 80},
    "large": {"workshops": 120, "tasks": 2000, "days": 84, "area": 140},
}


def generate(size: str, seed: int = 1) -> Problem:
    """A deterministic cooperative problem of roughly the given size."""
    spec = SIZES[size]
    rng = random.Random(seed)
    days, area = spec["days"], spec["area"]
    shops, calendars = _workshops(rng, spec["workshops"], days, area)
    tasks, precs, packages = [], [], []
    p = 0
    while len(tasks) < spec["tasks"]:
        pid = f"P{p}"
        p += 1
        name, parts, links = rng.choice(TEMPLATES)
        site = (rng.uniform(0, area), rng.uniform(0, area))
        release = rng.randrange(0, days // 3)
        blocked = frozenset({release + rng.randrange(1, 8)}) if rng.random() < 0.2 else frozenset()
        packages.append(Package(pid, release, release + rng.randrange(12, 25), blocked))
        for k, (trade, hours, cert) in enumerate(parts):
            eligible, cert = _eligible(shops, trade, site, cert if rng.random() < 0.5 else None)
            tasks.append(
                Task(
                    f"{pid}-{k}-{name}-{trade}",
                    pid,
                    hours,
                    trade,
                    tuple(eligible),
                    certification=cert,
                )
            )
        precs += [
            Precedence(tasks[-len(parts) + i].id, tasks[-len(parts) + j].id, lag)
            for i, j, lag in links
        ]
    problem = Problem(
        START,
        days,
        tuple(tasks),
        tuple(calendars),
        tuple(Workshop(s[0], s[3]) for s in shops),
        tuple(packages),
        tuple(precs),
    )
    return _pin_some(problem, rng)


def _workshops(rng, count, days, area):
    shops, calendars = [], []
    for i in range(count):
        trades = rng.sample(TRADES, rng.choice((1, 1, 2, 3)))
        if i < len(TRADES):
            trades = [TRADES[i], *(t for t in trades if t != TRADES[i])]
        where = (rng.uniform(0, area), rng.uniform(0, area))
        certs = frozenset({"gas"}) if "shk" in trades and rng.random() < 0.7 else frozenset()
        shop = f"W{i:03d}"
        shops.append((shop, trades, where, certs))
        closed = [REFORMATION_DAY] if rng.random() < 0.5 else []
        holiday = rng.randrange(0, days - 5)
        if rng.random() < 0.15:
            closed += [START + dt.timedelta(days=holiday + k) for k in range(5)]
        friday = rng.choice((8, 6))
        for t in trades:
            calendars.append(
                crew_calendar(
                    shop,
                    t,
                    START,
                    days,
                    crews=rng.choice((1, 1, 2, 3)),
                    weekly_hours=(8, 8, 8, 8, friday, 0, 0),
                    closed=closed,
                )
            )
    return shops, calendars


def _eligible(shops, trade, site, cert):
    """Up to five nearest workshops with the trade (certified ones when ``cert`` is needed)."""

    def nearest(accept):
        options = sorted(
            (math.dist(site, where), name)
            for name, trades, where, certs in shops
            if trade in trades and accept(certs)
        )
        return [Eligibility(name, round(km)) for km, name in options[:5]]

    if cert:
        certified = nearest(lambda certs: cert in certs)
        if certified:
            return certified, cert
    return nearest(lambda certs: True), None


def _pin_some(problem: Problem, rng) -> Problem:
    """Pin about a tenth of the tasks where the heuristic put them (accepted appointments)."""
    first = heuristic_plan(problem, passes=1)
    if first.status != "feasible":
        return problem
    at = {a.task: Appointment(a.workshop, a.start_day) for a in first.assignments}
    tasks = tuple(replace(t, pinned=at[t.id]) if rng.random() < 0.1 else t for t in problem.tasks)
    return replace(problem, tasks=tasks)


def quality(problem: Problem, checkpoints: tuple[float, ...], workers: int) -> tuple[Plan, dict]:
    """Solve once up to the last checkpoint; objective, bound and gap at each checkpoint."""
    trace: list[tuple[float, int, int]] = []
    options = SolveOptions(
        time_limit=max(checkpoints),
        workers=workers,
        on_solution=lambda t, o, b: trace.append((t, o, b)),
    )
    result = plan(problem, options)
    row = {
        "tasks": len(problem.tasks),
        "workshops": len({c.workshop for c in problem.calendars}),
        "first_plan_s": round(result.first_plan_time, 3),
        "status": result.status,
        "violations": len(check_plan(problem, result)),
    }
    for limit in checkpoints:
        seen = [x for x in trace if x[0] <= limit]
        if limit == max(checkpoints):
            obj, bound = result.objective, result.bound
        elif seen:
            obj, bound = seen[-1][1], seen[-1][2]
        else:
            obj, bound = None, None
        gap = None if obj is None else round(100 * (obj - bound) / max(1, obj), 2)
        row[f"gap_%@{limit:g}s"] = gap
    row |= {
        "objective": result.objective,
        "bound": result.bound,
        "travel_km": result.parts.travel_km,
        "fairness_spread_permille": result.parts.fairness_spread_permille,
        "lateness_h": result.parts.lateness_hours,
    }
    return result, row


def illness(problem: Problem, current: Plan, time_limit: float, workers: int) -> dict:
    """One crew ill on two fully booked days of the busiest calendar: re-plan vs. scratch."""
    trade = {t.id: t.trade for t in problem.tasks}
    use: dict[tuple[str, str], dict[int, int]] = {}
    for a in current.assignments:
        days = use.setdefault((a.workshop, trade[a.task]), {})
        for s in a.segments:
            days[s.day] = days.get(s.day, 0) + 1
    full = {
        key: sorted(d for d, n in days.items() if n >= problem.calendar(*key).crews[d])
        for key, days in use.items()
    }
    key = max((k for k in full if len(full[k]) >= 2), key=lambda k: sum(use[k].values()))
    sick = full[key][:2]
    cal = problem.calendar(*key)
    crews = tuple(c - 1 if d in sick else c for d, c in enumerate(cal.crews))
    changed = replace(
        problem,
        calendars=tuple(replace(c, crews=crews) if c is cal else c for c in problem.calendars),
    )
    hit = {
        a.task
        for a in current.assignments
        if (a.workshop, trade[a.task]) == key and any(s.day in sick for s in a.segments)
    }
    options = SolveOptions(time_limit=time_limit, workers=workers)
    again = replan(changed, current, options)
    scratch = plan(changed, options)
    return {
        "ill": f"{key[0]}/{key[1]} days {sick}",
        "directly_affected": len(hit),
        "moved_by_replan": _moved(current, again),
        "moved_from_scratch": _moved(current, scratch),
        "replan_violations": len(check_plan(changed, again)),
        "replan_status": again.status,
        "replan_s": round(again.wall_time, 2),
    }


def _moved(before: Plan, after: Plan) -> int:
    where = {a.task: (a.workshop, a.start_day) for a in before.assignments}
    return sum(where.get(a.task) != (a.workshop, a.start_day) for a in after.assignments)


def quote_latency(problem: Problem, current: Plan, count: int, seed: int = 7) -> dict:
    """Insert ``count`` generated packages one at a time (each alone) into ``current``."""
    rng = random.Random(seed)
    extra = generate("medium", seed=seed)
    times, ok = [], 0
    pids = [p.id for p in extra.packages]
    rng.shuffle(pids)
    by_trade: dict[str, list[str]] = {}
    for c in problem.calendars:
        by_trade.setdefault(c.trade, []).append(c.workshop)
    for pid in pids[:count]:
        new = tuple(
            replace(
                t,
                id=f"Q-{t.id}",
                package=f"Q-{pid}",
                pinned=None,
                certification=None,
                eligible=tuple(
                    Eligibility(w, rng.randrange(2, 60))
                    for w in rng.sample(by_trade[t.trade], min(4, len(by_trade[t.trade])))
                ),
            )
            for t in extra.tasks
            if t.package == pid
        )
        names = {t.id[2:]: t.id for t in new}
        precs = tuple(
            Precedence(names[p.before], names[p.after], p.lag_hours)
            for p in extra.precedences
            if p.before in names and p.after in names
        )
        ask = replace(problem, tasks=problem.tasks + new, precedences=problem.precedences + precs)
        t0 = time.perf_counter()
        offer = quote(ask, current, f"Q-{pid}")
        times.append(time.perf_counter() - t0)
        ok += offer.status == "feasible"
    times.sort()
    p95 = times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)]
    return {
        "quotes": len(times),
        "feasible": ok,
        "p50_ms": round(1000 * statistics.median(times), 1),
        "p95_ms": round(1000 * p95, 1),
        "max_ms": round(1000 * times[-1], 1),
    }
