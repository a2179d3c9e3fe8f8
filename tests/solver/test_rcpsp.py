"""The general core on tiny RCPSP / MRCPSP instances built here (no benchmark files)."""

import psplib

from scheduling.solver.core import Activity, Mode, Precedence, Project, Resource
from scheduling.solver.cpsat import SolveOptions, solve
from scheduling.solver.heuristic import construct
from scheduling.solver.rcpsp import from_instance

# Patterson format: activities resources / capacities / per activity: duration, demands,
# number of successors, successors (1-based). Activities 2 and 3 cannot overlap (2 + 1 > 2).
TINY = """4 1
2
0 0 2 2 3
3 2 1 4
2 1 1 4
0 0 0
"""

OPTIONS = SolveOptions(time_limit=5, workers=1, deterministic=True)


def test_a_patterson_file_is_parsed_and_solved_to_optimality(tmp_path):
    path = tmp_path / "tiny.rcp"
    path.write_text(TINY)
    project = from_instance(psplib.parse(path, instance_format="patterson"))
    assert len(project.activities) == 4
    assert project.resources[0].capacity == 2

    result = solve(project, OPTIONS)
    assert result.status == "optimal"
    assert result.objective == 5 == result.bound


def test_the_heuristic_respects_resources_and_precedences():
    project = Project(
        resources=(Resource(3),),
        activities=(
            Activity((Mode(2, ((0, 2),)),)),
            Activity((Mode(2, ((0, 2),)),)),
            Activity((Mode(1, ((0, 3),)),)),
        ),
        precedences=(Precedence(0, 2),),
    )
    result = construct(project)
    assert result.status == "feasible"
    start = result.starts
    assert start[2] >= start[0] + 2
    assert abs(start[0] - start[1]) >= 2  # 2 + 2 > 3
    assert result.objective == 5


def test_modes_trade_time_against_a_nonrenewable_budget():
    fast_or_slow = (Mode(1, ((0, 1), (1, 5))), Mode(4, ((0, 1), (1, 1))))
    project = Project(
        resources=(Resource(1), Resource(6, renewable=False)),
        activities=(Activity(fast_or_slow), Activity(fast_or_slow)),
        precedences=(Precedence(0, 1),),
    )
    result = solve(project, OPTIONS)
    assert result.status == "optimal"
    assert sorted(result.modes) == [0, 1]  # only one fast mode fits the budget of 6
    assert result.objective == 5


def test_infeasible_budget_is_proven():
    project = Project(
        resources=(Resource(1, renewable=False),),
        activities=(Activity((Mode(1, ((0, 2),)),)),),
    )
    result = solve(project, OPTIONS)
    assert result.status == "infeasible"
    assert result.message


def test_a_mode_s_demand_holds_while_the_mode_is_still_open():
    # Shared cumulative resource, mode-dependent size and demand (one interval per activity):
    # the two fast modes side by side would need 6 of 3 (the energy bound alone allows it).
    fast_or_slow = (Mode(1, ((0, 3),)), Mode(2, ((0, 2),)))
    project = Project(
        resources=(Resource(3),),
        activities=(Activity(fast_or_slow), Activity(fast_or_slow), Activity((Mode(1, ()),))),
        precedences=(Precedence(0, 2), Precedence(1, 2)),
    )
    result = solve(project, SolveOptions(time_limit=5, workers=1, use_heuristic=False))
    assert result.status == "optimal"
    assert result.modes[:2] == (0, 0)
    assert abs(result.starts[0] - result.starts[1]) >= 1
    assert result.objective == 3
