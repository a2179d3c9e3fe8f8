"""The cooperative planner and its independent checker, one constraint kind at a time.

For every kind a naive plan that ignores the constraint is rejected by the checker and the
solver's plan is accepted. No database, no Django.
"""

import datetime as dt
from dataclasses import replace

import pytest

from scheduling.solver import (
    Appointment,
    Assignment,
    Eligibility,
    Package,
    Plan,
    Precedence,
    Problem,
    Segment,
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
from scheduling.solver.heuristic import relaxation_bound
from scheduling.solver.planner import build

MONDAY = dt.date(2025, 10, 27)  # Friday 31 Oct 2025 is Reformation Day in Niedersachsen
DAYS = 21
FAST = SolveOptions(time_limit=5, workers=2, deterministic=True)


def calendar(shop, trade, **kwargs):
    return crew_calendar(shop, trade, MONDAY, DAYS, **kwargs)


def task(tid, trade, hours=8, package="p1", shops=("A",), **kwargs):
    return Task(tid, package, hours, trade, tuple(Eligibility(s, 10) for s in shops), **kwargs)


def naive(tid, shop, *days, hours=8, start_hour=7):
    """An assignment working full days on the given days, as a careless planner would."""
    segs = tuple(Segment(d, start_hour, hours) for d in days)
    last = segs[-1]
    return Assignment(
        tid, shop, 24 * days[0] + start_hour, 24 * last.day + start_hour + hours, segs
    )


def solved(problem: Problem) -> Plan:
    result = plan(problem, FAST)
    assert result.status == "optimal", result.messages
    assert check_plan(problem, result) == []
    return result


def test_drying_lag_runs_on_calendar_time_across_the_weekend():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("screed", "estrich", release_day=4), task("tiles", "fliesen")),
        calendars=(calendar("A", "estrich"), calendar("A", "fliesen")),
        precedences=(Precedence("screed", "tiles", lag_hours=72),),
    )
    # Screed Friday 07-15; 72 h of drying end Monday 15:00, so tiles start Tuesday.
    too_early = Plan("feasible", (naive("screed", "A", 4), naive("tiles", "A", 7)))
    assert any("must wait" in v for v in check_plan(problem, too_early))

    result = solved(problem)
    assert result.assignment("tiles").start_day == 8


def test_work_runs_on_working_time_and_skips_reformation_day_in_niedersachsen():
    reformation_day = dt.date(2025, 10, 31)
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("wiring", "elektro", hours=12, release_day=3),),
        calendars=(calendar("A", "elektro", closed=[reformation_day]),),
    )
    through_holiday = Plan("feasible", (naive("wiring", "A", 3, 4, hours=6),))
    assert any("non-working day" in v for v in check_plan(problem, through_holiday))

    wiring = solved(problem).assignment("wiring")
    assert [(s.day, s.hours) for s in wiring.segments] == [(3, 8), (7, 4)]
    assert wiring.end == 24 * 7 + 7 + 4


def test_a_crew_does_one_task_at_a_time():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("a", "maler", package="p1"), task("b", "maler", package="p2")),
        calendars=(calendar("A", "maler", crews=1),),
    )
    both_monday = Plan("feasible", (naive("a", "A", 0), naive("b", "A", 0)))
    assert any("only 1 crew" in v for v in check_plan(problem, both_monday))

    result = solved(problem)
    assert sorted(a.start_day for a in result.assignments) == [0, 1]


def test_two_crews_work_in_parallel():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("a", "maler", package="p1"), task("b", "maler", package="p2")),
        calendars=(calendar("A", "maler", crews=2),),
    )
    assert sorted(a.start_day for a in solved(problem).assignments) == [0, 0]


def test_gas_work_goes_to_a_certified_workshop_even_if_further_away():
    gas = Task(
        "boiler",
        "p1",
        8,
        "shk",
        (Eligibility("near", 5), Eligibility("far", 40)),
        certification="gas",
    )
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(gas,),
        calendars=(calendar("near", "shk"), calendar("far", "shk")),
        workshops=(Workshop("near"), Workshop("far", frozenset({"gas"}))),
    )
    uncertified = Plan("feasible", (naive("boiler", "near", 0),))
    assert any("lacks certification gas" in v for v in check_plan(problem, uncertified))

    assert solved(problem).assignment("boiler").workshop == "far"


def test_a_workshop_outside_the_service_area_is_not_eligible():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("roof", "dach", shops=("inside",)),),
        calendars=(calendar("inside", "dach"), calendar("outside", "dach")),
    )
    outside = Plan("feasible", (naive("roof", "outside", 0),))
    assert any("not eligible" in v for v in check_plan(problem, outside))

    assert solved(problem).assignment("roof").workshop == "inside"


def test_no_work_on_a_day_the_customer_blocked():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("paint", "maler", hours=16),),
        calendars=(calendar("A", "maler"),),
        packages=(Package("p1", blocked_days=frozenset({1})),),
    )
    blocked = Plan("feasible", (naive("paint", "A", 0, 1),))
    assert any("customer blocked" in v for v in check_plan(problem, blocked))

    paint = solved(problem).assignment("paint")
    assert 1 not in {s.day for s in paint.segments}


def test_an_accepted_appointment_stays_where_it_was_accepted():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(
            task("accepted", "maler", package="p1", pinned=Appointment("A", 2)),
            task("other", "maler", package="p2"),
        ),
        calendars=(calendar("A", "maler"),),
    )
    moved_earlier = Plan("feasible", (naive("accepted", "A", 0), naive("other", "A", 1)))
    assert any("accepted appointment" in v for v in check_plan(problem, moved_earlier))

    assert solved(problem).assignment("accepted").start_day == 2


def test_release_date_delays_the_start():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("kitchen", "tischler"),),
        calendars=(calendar("A", "tischler"),),
        packages=(Package("p1", release_day=3),),
    )
    early = Plan("feasible", (naive("kitchen", "A", 0),))
    assert any("before its release day" in v for v in check_plan(problem, early))
    assert solved(problem).assignment("kitchen").start_day == 3


def bathroom(n_packages=4, shops=("A", "B")):
    tasks, precs = [], []
    for i in range(n_packages):
        p = f"bath{i}"
        tasks += [
            task(f"{p}-shk", "shk", 12, p, shops),
            task(f"{p}-elektro", "elektro", 6, p, shops),
            task(f"{p}-estrich", "estrich", 8, p, shops),
            task(f"{p}-fliesen", "fliesen", 16, p, shops),
        ]
        precs += [
            Precedence(f"{p}-shk", f"{p}-estrich"),
            Precedence(f"{p}-elektro", f"{p}-estrich"),
            Precedence(f"{p}-estrich", f"{p}-fliesen", 72),
        ]
    cals = tuple(calendar(s, t) for s in shops for t in ("shk", "elektro", "estrich", "fliesen"))
    return Problem(MONDAY, DAYS, tuple(tasks), cals, precedences=tuple(precs))


def test_same_input_same_seed_gives_the_same_plan():
    problem = bathroom()
    first = plan(problem, FAST)
    second = plan(problem, FAST)
    assert first.assignments == second.assignments
    assert first.objective == second.objective


def test_a_plan_reports_objective_parts_bound_and_gap():
    result = plan(bathroom(), FAST)
    assert result.status in ("optimal", "feasible")
    assert 0 <= result.bound <= result.objective
    assert result.parts.travel_km == 10 * 16
    assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)


def test_no_eligible_workshop_is_reported_as_infeasible_with_the_reason():
    problem = Problem(
        MONDAY, DAYS, tasks=(task("x", "dach", shops=("A",)),), calendars=(calendar("A", "maler"),)
    )
    result = plan(problem, FAST)
    assert result.status == "infeasible"
    assert "task x: no eligible workshop has trade dach" in result.messages[0]


def test_conflicting_accepted_appointments_are_proven_infeasible():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(
            task("a", "maler", package="p1", pinned=Appointment("A", 2)),
            task("b", "maler", package="p2", pinned=Appointment("A", 2)),
        ),
        calendars=(calendar("A", "maler"),),
    )
    result = plan(problem, FAST)
    assert result.status == "infeasible"
    assert result.messages


def test_a_precedence_cycle_is_reported():
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(task("a", "maler"), task("b", "maler")),
        calendars=(calendar("A", "maler"),),
        precedences=(Precedence("a", "b"), Precedence("b", "a")),
    )
    result = plan(problem, FAST)
    assert result.status == "infeasible"
    assert "cycle" in result.messages[0]


def test_one_packages_input_problem_sets_it_aside_and_the_rest_is_planned():
    """A circle in one order's work, a trade nobody does for another: both are reported and
    left out, and the cooperative's other work is planned all the same."""
    problem = Problem(
        MONDAY,
        DAYS,
        tasks=(
            task("a", "maler", package="circle"),
            task("b", "maler", package="circle"),
            task("c", "maler", package="fine"),
            task("d", "maler", package="fine"),
            task("x", "dach", package="roof"),
        ),
        calendars=(calendar("A", "maler"),),
        precedences=(Precedence("a", "b"), Precedence("b", "a"), Precedence("c", "d", 4)),
    )
    result = plan(problem, FAST)
    assert result.status == "optimal" and result.set_aside == ("circle", "roof")
    assert result.set_aside_reasons == {"circle": ("cycle",), "roof": ("no_workshop",)}
    assert result.set_aside_tasks == {"circle": ("a", "b"), "roof": ("x",)}
    assert {a.task for a in result.assignments} == {"c", "d"}
    assert any("cycle (through tasks a, b)" in m for m in result.messages)
    assert any(m.startswith("task x: no eligible workshop") for m in result.messages)
    rest = replace(
        problem,
        tasks=problem.tasks[2:4],
        precedences=problem.precedences[2:],
    )
    assert check_plan(rest, result) == []


def test_the_heuristic_alone_gives_a_valid_plan():
    problem = bathroom()
    result = heuristic_plan(problem)
    assert result.status == "feasible"
    assert check_plan(problem, result) == []


def test_quote_inserts_a_package_without_moving_the_current_plan():
    problem = bathroom(3)
    current = plan(problem, FAST)
    new = bathroom(4)
    extra = replace(
        new,
        tasks=tuple(replace(t, package="new") if t.package == "bath3" else t for t in new.tasks),
    )
    offer = quote(extra, current, "new")
    assert offer.status == "feasible"
    assert {a.task for a in offer.assignments} == {t.id for t in extra.tasks if t.package == "new"}
    combined = Plan("feasible", current.assignments + offer.assignments)
    assert check_plan(extra, combined) == []
    assert offer.package_completion["new"] > 0


def test_replan_after_illness_moves_only_affected_work():
    problem = bathroom(4)
    before = plan(problem, FAST)
    ill = {MONDAY + dt.timedelta(days=d): 1 for d in (0, 1)}
    cals = tuple(
        calendar(c.workshop, c.trade, absent_crews=ill)
        if (c.workshop, c.trade) == ("A", "shk")
        else c
        for c in problem.calendars
    )
    changed = replace(problem, calendars=cals)
    after = replan(changed, before, FAST)
    assert check_plan(changed, after) == []
    affected = {
        a.task
        for a in before.assignments
        if a.workshop == "A" and a.task.endswith("-shk") and a.segments[0].day <= 1
    }
    moved = {
        a.task
        for a in after.assignments
        if (a.workshop, a.start_day)
        != (before.assignment(a.task).workshop, before.assignment(a.task).start_day)
    }
    assert moved <= affected | {
        f"{t.split('-')[0]}-{x}" for t in affected for x in ("estrich", "fliesen", "elektro")
    }
    assert after.parts.moved_previous == len(moved)


def test_large_problems_are_improved_package_by_package_and_stay_valid():
    problem = bathroom(6)
    result = plan(problem, SolveOptions(time_limit=3, workers=2, seed=3), decompose_above=5)
    assert result.status == "feasible"
    assert check_plan(problem, result) == []
    assert 0 < result.bound <= result.objective


def test_the_resource_relaxation_bound_never_exceeds_the_optimum():
    problem = bathroom(3, shops=("A",))
    optimum = solved(problem).objective
    assert 0 < relaxation_bound(build(problem).project) < optimum
