"""The cooperative's planning problem and plan, as frozen dataclasses.

Times: a plan covers ``Problem.days`` calendar days from ``Problem.start_date``. Day ``d`` is
``start_date + d``; an *absolute hour* is ``24 * d + hour of day`` (local wall-clock time, no time
zone: the adapter converts). Work on every day begins at ``Problem.day_start_hour``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Eligibility:
    """A workshop that may do a task, and the travel (km) it costs to do it from there."""

    workshop: str
    travel_km: int = 0


@dataclass(frozen=True)
class Appointment:
    """A workshop and start day for a task (an accepted or a previously planned one)."""

    workshop: str
    day: int


@dataclass(frozen=True)
class Task:
    """One trade's part of a package.

    ``hours`` are working hours, spread over the chosen workshop's working days. The task holds
    one crew of ``trade`` at the chosen workshop on every day from its first to its last working
    day. ``pinned`` is an accepted appointment (hard unless the problem allows moving accepted
    work); ``previous`` is where the last plan had it (soft, for stability).
    """

    id: str
    package: str
    hours: int
    trade: str
    eligible: tuple[Eligibility, ...]
    crew_size: int = 1
    certification: str | None = None
    release_day: int = 0
    pinned: Appointment | None = None
    previous: Appointment | None = None


@dataclass(frozen=True)
class Precedence:
    """``after`` may start only ``lag_hours`` calendar hours after ``before`` ends (drying)."""

    before: str
    after: str
    lag_hours: int = 0


@dataclass(frozen=True)
class Package:
    """A booked multi-trade job at one site.

    ``promised_day``: the package should be complete by the end of that day. ``blocked_days``:
    days the customer does not allow work on the site.
    """

    id: str
    release_day: int = 0
    promised_day: int | None = None
    blocked_days: frozenset[int] = frozenset()
    weight: int = 1


@dataclass(frozen=True)
class Workshop:
    """A member workshop and the certifications it holds."""

    id: str
    certifications: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CrewCalendar:
    """Crews and working hours per day of one workshop's trade (index = day of the horizon).

    ``hours[d] == 0`` or ``crews[d] == 0`` means nobody of this trade works that day (weekend,
    public holiday, Betriebsferien, everybody absent).
    """

    workshop: str
    trade: str
    crews: tuple[int, ...]
    hours: tuple[int, ...]

    def working(self, day: int) -> bool:
        """Whether a crew of this trade works on ``day``."""
        return 0 <= day < len(self.hours) and self.hours[day] > 0 and self.crews[day] > 0


@dataclass(frozen=True)
class Weights:
    """Objective weights; their sizes encode the priority order.

    Per hour of package completion (measured from the horizon start) and per hour late versus
    the promised day; per km of travel; per per-mille point of utilisation spread between the
    most and the least loaded workshop; per moved accepted appointment and per moved previously
    planned task.
    """

    completion_per_hour: int = 10
    lateness_per_hour: int = 100
    travel_per_km: int = 2
    fairness_per_permille: int = 1
    moved_pinned: int = 100_000
    moved_previous: int = 5_000


@dataclass(frozen=True)
class Problem:
    """Everything the planner needs: tasks, precedences, calendars, packages, weights."""

    start_date: dt.date
    days: int
    tasks: tuple[Task, ...]
    calendars: tuple[CrewCalendar, ...]
    workshops: tuple[Workshop, ...] = ()
    packages: tuple[Package, ...] = ()
    precedences: tuple[Precedence, ...] = ()
    day_start_hour: int = 7
    weights: Weights = Weights()
    allow_moving_pinned: bool = False

    def calendar(self, workshop: str, trade: str) -> CrewCalendar | None:
        """The crew calendar of ``workshop`` for ``trade``, if it has that trade."""
        return self._calendars.get((workshop, trade))

    def package(self, package_id: str) -> Package:
        """The package with this id (a default one when the problem does not list it)."""
        return self._packages.get(package_id) or Package(package_id)

    def workshop(self, workshop_id: str) -> Workshop:
        """The workshop with this id (without certifications when not listed)."""
        return self._workshops.get(workshop_id) or Workshop(workshop_id)

    @cached_property
    def _calendars(self) -> dict[tuple[str, str], CrewCalendar]:
        return {(c.workshop, c.trade): c for c in self.calendars}

    @cached_property
    def _packages(self) -> dict[str, Package]:
        return {p.id: p for p in self.packages}

    @cached_property
    def _workshops(self) -> dict[str, Workshop]:
        return {w.id: w for w in self.workshops}

    def datetime(self, absolute_hour: int) -> dt.datetime:
        """Local wall-clock time of an absolute hour."""
        start = dt.datetime.combine(self.start_date, dt.time())
        return start + dt.timedelta(hours=absolute_hour)


@dataclass(frozen=True)
class Segment:
    """Work on one day: ``hours`` from ``start_hour`` (hour of day)."""

    day: int
    start_hour: int
    hours: int


@dataclass(frozen=True)
class Assignment:
    """Where and when a task is done. ``start``/``end`` are absolute hours."""

    task: str
    workshop: str
    start: int
    end: int
    segments: tuple[Segment, ...]

    @property
    def start_day(self) -> int:
        """Day of the first segment."""
        return self.start // 24


@dataclass(frozen=True)
class ObjectiveParts:
    """The plan's objective in natural units."""

    completion_hours: int = 0
    lateness_hours: int = 0
    travel_km: int = 0
    fairness_spread_permille: int = 0
    moved_pinned: int = 0
    moved_previous: int = 0


#: Why a package is set aside (``Plan.set_aside_problems``): no eligible workshop; the workshop
#: of a kept appointment no longer eligible; a pinned day its workshop does not work; the order
#: of work in a circle, or naming an unknown task; a fixed appointment the order of work cannot
#: reach in time.
REASONS = (
    "no_workshop",
    "workshop_not_eligible",
    "closed_day",
    "cycle",
    "unknown_task",
    "no_room",
)


@dataclass(frozen=True)
class Plan:
    """The planner's answer.

    ``status``: ``optimal``, ``feasible``, ``infeasible`` or ``unknown``. ``objective`` and
    ``bound`` are in weighted units (see ``Weights``); ``gap`` is ``(objective - bound) /
    objective``. ``messages`` explain infeasibility or input problems.
    """

    status: str
    assignments: tuple[Assignment, ...] = ()
    objective: int = 0
    bound: int = 0
    wall_time: float = 0.0
    parts: ObjectiveParts = ObjectiveParts()
    messages: tuple[str, ...] = ()
    first_plan_time: float = 0.0
    package_completion: dict[str, int] = field(default_factory=dict)
    # Packages left out of the plan for an input problem the messages name (the rest is
    # planned): per package, the tasks its problems are about (the pinned one without room, the
    # tasks of a circle, the one nobody may do), each with its ``REASONS`` code.
    set_aside_problems: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def set_aside(self) -> tuple[str, ...]:
        """The packages left out of the plan."""
        return tuple(self.set_aside_problems)

    @property
    def set_aside_reasons(self) -> dict[str, tuple[str, ...]]:
        """Per package set aside, the ``REASONS`` codes of its problems (sorted)."""
        return {p: tuple(sorted(set(why.values()))) for p, why in self.set_aside_problems.items()}

    @property
    def set_aside_tasks(self) -> dict[str, tuple[str, ...]]:
        """Per package set aside, the tasks the office has to change."""
        return {p: tuple(why) for p, why in self.set_aside_problems.items()}

    @property
    def gap(self) -> float:
        """Relative gap to the proven bound."""
        if self.status == "optimal" or not self.objective:
            return 0.0
        return (self.objective - self.bound) / abs(self.objective)

    def assignment(self, task_id: str) -> Assignment | None:
        """The assignment of a task, if planned."""
        for a in self.assignments:
            if a.task == task_id:
                return a
        return None
