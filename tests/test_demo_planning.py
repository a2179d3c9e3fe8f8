"""The demo cooperative's open packages planned end to end, checked by the independent checker."""

import pytest

from scheduling import services
from scheduling.models import Appointment
from scheduling.solver import check_plan
from zunft.demo import data

pytestmark = pytest.mark.django_db


def test_the_demo_cooperative_is_planned_and_the_checker_accepts_the_stored_plan(settings):
    settings.PLANNER_WORKERS = 2
    data.seed()
    run = services.plan_cooperative(today=data.REFERENCE_DATE, time_limit=8)
    assert run.status in {"optimal", "feasible"}, run.messages
    assert run.tasks > 50
    assert Appointment.objects.count() == run.tasks

    ctx = services.build_problem(services.plan_start(data.REFERENCE_DATE))
    assert check_plan(ctx.problem, services.stored_plan(ctx)) == []
    # every appointment keeps clear of the day its customer blocked
    for a in Appointment.objects.select_related("task__package"):
        blocked = {d.isoformat() for d in a.task.package.blocked_days}
        assert not blocked & {s["date"] for s in a.segments}
