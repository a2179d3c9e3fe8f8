"""Zunft's planner: pure Python on OR-Tools CP-SAT, no Django, no I/O.

Frozen dataclasses in (``Problem``), a ``Plan`` out. Entry points: ``plan`` (heuristic, then
CP-SAT), ``heuristic_plan`` (construction heuristic only), ``quote`` (insert one package into the
current plan in milliseconds), ``replan`` (after a change, keeping what can stay) and
``check_plan`` (independent validation).

Time model (day-granular with hours)
------------------------------------
A CP-SAT tick is one calendar day. Each task/workshop pair becomes a mode whose span table gives,
for every start day, how many calendar days the task occupies (walking the workshop's working
days for that trade, skipping weekends, public holidays, closures, days without crews and the
customer's blocked days) and the absolute hour its work ends. Work starts at the beginning of a
working day (``Problem.day_start_hour``) and then runs on working time; drying lags are
compared in calendar hours between the finish hour of one task and the start hour of the next,
so "3 days of drying" across a weekend is exact. Crews are renewable resources per
(workshop, trade) with a per-day capacity profile; the choice of workshop is the choice of mode.
The same core (``core.Project``) solves PSPLIB RCPSP/MRCPSP instances, which is what the
benchmark measures.

Why days: a global hour axis per calendar would need a different axis per workshop (Bundesland
holidays, Betriebsferien) and hour-level domains multiply the model by ~10; day ticks keep the
start domains small (one value per working day) and the cumulative constraints tight.

Limits of this choice (documented, deliberate):

* a task starts at the beginning of a working day and holds one crew for every day from its
  first to its last working day, so one crew does at most one task per day (two 3-hour jobs
  need two crew-days) and a successor with no lag starts the next working day;
* a crew stays with its task across days the customer blocked (it is not given other work);
* ``crew_size`` is carried for the adapter; capacity is counted in crews, not persons;
* travel is charged once per task (the adapter may scale ``travel_km`` by visits).
"""

from .calendar import crew_calendar
from .check import check_plan
from .cpsat import SolveOptions
from .planner import heuristic_plan, plan, quote, replan
from .problem import (
    Appointment,
    Assignment,
    CrewCalendar,
    Eligibility,
    ObjectiveParts,
    Package,
    Plan,
    Precedence,
    Problem,
    Segment,
    Task,
    Weights,
    Workshop,
)

__all__ = [
    "Appointment",
    "Assignment",
    "CrewCalendar",
    "Eligibility",
    "ObjectiveParts",
    "Package",
    "Plan",
    "Precedence",
    "Problem",
    "Segment",
    "SolveOptions",
    "Task",
    "Weights",
    "Workshop",
    "check_plan",
    "crew_calendar",
    "heuristic_plan",
    "plan",
    "quote",
    "replan",
]
