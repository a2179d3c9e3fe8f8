"""General multi-mode resource-constrained project scheduling (MRCPSP) data types.

Time is measured in integer *ticks* (a PSPLIB period, or one calendar day for the cooperative).
A mode may have a time-dependent span (``spans[t]`` ticks occupied when started at tick ``t``;
``-1`` forbids starting at ``t``), which is how working calendars enter the core: the span of a
12-hour job that starts on a Friday covers the weekend. Precedences may carry an extra *fine*
lag (hours for the cooperative), compared against each mode's fine finish time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FORBIDDEN = -1


@dataclass(frozen=True)
class Resource:
    """A renewable (per tick) or non-renewable (whole project) resource.

    ``profile`` optionally gives a per-tick capacity of a renewable resource; ticks beyond the
    profile have ``capacity``. ``capacity`` must be the maximum of the profile.
    """

    capacity: int
    renewable: bool = True
    profile: tuple[int, ...] = ()
    name: str = ""

    def available(self, tick: int) -> int:
        """Capacity at ``tick``."""
        if tick < len(self.profile):
            return self.profile[tick]
        return self.capacity


@dataclass(frozen=True)
class Mode:
    """One way to execute an activity.

    ``demands`` are sparse ``(resource index, amount)`` pairs. With ``spans`` empty the mode
    occupies ``duration`` ticks wherever it starts. ``finishes[t]`` is the fine finish time when
    started at ``t`` (defaults to ``fine_per_tick * end + fine_offset``). ``cost`` is added to the
    objective when the mode is chosen, ``loads`` are ``(load group, amount)`` pairs used by the
    fairness spread.
    """

    duration: int = 0
    demands: tuple[tuple[int, int], ...] = ()
    spans: tuple[int, ...] = ()
    finishes: tuple[int, ...] = ()
    cost: int = 0
    loads: tuple[tuple[int, int], ...] = ()

    def span(self, tick: int) -> int:
        """Ticks occupied when starting at ``tick``, or ``FORBIDDEN``."""
        if not self.spans:
            return self.duration if tick >= 0 else FORBIDDEN
        if 0 <= tick < len(self.spans):
            return self.spans[tick]
        return FORBIDDEN


@dataclass(frozen=True)
class Activity:
    """A task with alternative modes.

    ``fixed`` = ``(mode, start)`` is hard; ``preferred`` = ``(mode, start)`` is soft and costs
    ``move_penalty`` when not kept (stability).
    """

    modes: tuple[Mode, ...]
    release: int = 0
    fixed: tuple[int, int] | None = None
    preferred: tuple[int, int] | None = None
    move_penalty: int = 0
    name: str = ""


@dataclass(frozen=True)
class Precedence:
    """``succ`` starts at least ``lag`` ticks after ``pred`` ends.

    With ``fine_lag`` set, additionally ``fine start of succ >= fine finish of pred + fine_lag``
    where the fine start of tick ``t`` is ``fine_per_tick * t + fine_offset``.
    """

    pred: int
    succ: int
    lag: int = 0
    fine_lag: int | None = None


@dataclass(frozen=True)
class Group:
    """A set of activities whose completion (fine finish of the last one) is minimised.

    ``weight`` per fine unit of completion, ``late_weight`` per fine unit after ``due``.
    """

    members: tuple[int, ...]
    weight: int = 1
    due: int | None = None
    late_weight: int = 0


@dataclass(frozen=True)
class Project:
    """A scheduling problem for the core.

    ``horizon`` bounds every end tick (0: derived from a heuristic schedule). The objective is
    ``makespan_weight * makespan + group terms + mode costs + spread_weight * (max load - min
    load over load groups) + move penalties``.
    """

    resources: tuple[Resource, ...]
    activities: tuple[Activity, ...]
    precedences: tuple[Precedence, ...] = ()
    groups: tuple[Group, ...] = ()
    horizon: int = 0
    fine_per_tick: int = 1
    fine_offset: int = 0
    makespan_weight: int = 1
    num_load_groups: int = 0
    spread_weight: int = 0

    def fine_start(self, tick: int) -> int:
        """Fine time at which work starting at ``tick`` begins."""
        return self.fine_per_tick * tick + self.fine_offset

    def fine_finish(self, act: int, mode: int, start: int) -> int:
        """Fine finish time of ``act`` in ``mode`` started at ``start``."""
        m = self.activities[act].modes[mode]
        if m.finishes:
            return m.finishes[start]
        return self.fine_per_tick * (start + m.span(start)) + self.fine_offset

    def tick_lag(self, prec: Precedence) -> int:
        """Tick lag implied by a precedence (valid whatever the pred's fine finish)."""
        if prec.fine_lag is None:
            return prec.lag
        # The fine finish lies strictly after the fine start of the pred's last tick.
        implied = -(-(1 + prec.fine_lag) // self.fine_per_tick) - 1
        return max(prec.lag, implied)


@dataclass(frozen=True)
class Schedule:
    """A solution of a ``Project``: mode, start and end tick per activity.

    ``status`` is ``optimal``, ``feasible``, ``infeasible`` or ``unknown``; ``bound`` is the proven
    lower bound of the objective (0 when nothing was proven).
    """

    modes: tuple[int, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    objective: int
    bound: int
    status: str
    wall_time: float
    parts: dict[str, int] = field(default_factory=dict)
    message: str = ""

    @property
    def gap(self) -> float:
        """Relative gap between objective and proven bound."""
        if self.status == "optimal":
            return 0.0
        return (self.objective - self.bound) / max(1, abs(self.objective))
