"""Independent plan checker.

Validates a ``Plan`` against a ``Problem`` straight from the problem's definitions (calendars,
precedences, packages), without any of the planner's model code, and returns human-readable
violations. An empty list means the plan is valid.
"""

from __future__ import annotations

from collections import defaultdict

from .problem import Assignment, Plan, Problem, Task


def check_plan(problem: Problem, plan: Plan) -> list[str]:
    """All violations of hard constraints by ``plan`` (empty when the plan is valid)."""
    tasks = {t.id: t for t in problem.tasks}
    out: list[str] = []
    seen: set[str] = set()
    for a in plan.assignments:
        task = tasks.get(a.task)
        if task is None:
            out.append(f"{a.task}: not a task of the problem")
            continue
        if a.task in seen:
            out.append(f"{a.task}: planned more than once")
        seen.add(a.task)
        out += _eligibility(problem, task, a)
        out += _working_time(problem, task, a)
        out += _pinned(problem, task, a)
    out += [f"{t}: not planned" for t in tasks if t not in seen]
    out += _precedences(problem, plan)
    out += _capacity(problem, tasks, plan)
    return out


def _eligibility(problem: Problem, task: Task, a: Assignment) -> list[str]:
    if a.workshop not in {e.workshop for e in task.eligible}:
        return [f"{task.id}: workshop {a.workshop} is not eligible (trade, area)"]
    if problem.calendar(a.workshop, task.trade) is None:
        return [f"{task.id}: workshop {a.workshop} has no {task.trade} crews"]
    if task.certification and task.certification not in problem.workshop(a.workshop).certifications:
        return [f"{task.id}: workshop {a.workshop} lacks certification {task.certification}"]
    return []


def _working_time(problem: Problem, task: Task, a: Assignment) -> list[str]:
    """Segments lie on workable days inside working hours, contiguous, summing to the task."""
    cal = problem.calendar(a.workshop, task.trade)
    if cal is None:
        return []
    if not a.segments:
        return [f"{task.id}: no work segments"]
    out = []
    pkg = problem.package(task.package)
    release = max(task.release_day, pkg.release_day)
    hours = {s.day: s for s in a.segments}
    if len(hours) != len(a.segments):
        out.append(f"{task.id}: two segments on one day")
    first, last = a.segments[0].day, a.segments[-1].day
    if first < release:
        out.append(f"{task.id}: starts on day {first} before its release day {release}")
    if first < 0 or last >= problem.days:
        out.append(f"{task.id}: work outside the planning horizon")
        return out
    for seg in a.segments:
        out += _segment(problem, task, cal, pkg.blocked_days, seg, seg.day == last)
    for d in range(first, last):
        if cal.working(d) and d not in pkg.blocked_days and d not in hours:
            out.append(f"{task.id}: work interrupted on working day {d}")
    total = sum(s.hours for s in a.segments)
    if total != task.hours:
        out.append(f"{task.id}: segments sum to {total} h, task needs {task.hours} h")
    start = 24 * first + a.segments[0].start_hour
    end = 24 * last + a.segments[-1].start_hour + a.segments[-1].hours
    if (a.start, a.end) != (start, end):
        out.append(f"{task.id}: start/end {a.start}/{a.end} do not match segments")
    return out


def _segment(problem, task, cal, blocked, seg, is_last) -> list[str]:
    d = seg.day
    if d in blocked:
        return [f"{task.id}: works on day {d}, which the customer blocked"]
    if cal.hours[d] <= 0:
        return [f"{task.id}: works on day {d}, a non-working day (weekend, holiday, closure)"]
    if cal.crews[d] <= 0:
        return [f"{task.id}: works on day {d} when no crew of {task.trade} is available"]
    if seg.start_hour != problem.day_start_hour or seg.hours > cal.hours[d]:
        return [f"{task.id}: works outside working hours on day {d}"]
    if not is_last and seg.hours != cal.hours[d]:
        return [f"{task.id}: leaves day {d} part-unused before its last day"]
    return []


def _precedences(problem: Problem, plan: Plan) -> list[str]:
    by_task = {a.task: a for a in plan.assignments}
    out = []
    for p in problem.precedences:
        before, after = by_task.get(p.before), by_task.get(p.after)
        if before is None or after is None:
            continue
        if after.start < before.end + p.lag_hours:
            out.append(
                f"{p.after}: starts at hour {after.start}, but must wait until "
                f"{before.end + p.lag_hours} ({p.lag_hours} h after {p.before} ends)"
            )
    return out


def _capacity(problem: Problem, tasks: dict[str, Task], plan: Plan) -> list[str]:
    busy: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for a in plan.assignments:
        task = tasks.get(a.task)
        if task is None:
            continue
        for seg in a.segments:
            busy[(a.workshop, task.trade, seg.day)].append(a.task)
    out = []
    for (shop, trade, day), names in sorted(busy.items()):
        cal = problem.calendar(shop, trade)
        if cal is None or not 0 <= day < len(cal.crews):
            continue
        if len(names) > cal.crews[day]:
            out.append(
                f"{shop}/{trade} day {day}: {len(names)} tasks ({', '.join(sorted(names))}) "
                f"but only {cal.crews[day]} crew(s)"
            )
    return out


def _pinned(problem: Problem, task: Task, a: Assignment) -> list[str]:
    if task.pinned is None or problem.allow_moving_pinned:
        return []
    if (a.workshop, a.start_day) != (task.pinned.workshop, task.pinned.day):
        return [
            f"{task.id}: accepted appointment ({task.pinned.workshop}, day {task.pinned.day}) "
            f"was moved to ({a.workshop}, day {a.start_day})"
        ]
    return []
