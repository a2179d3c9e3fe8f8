"""General RCPSP / MRCPSP instances (PSPLIB, MMLIB) as core projects.

``from_instance`` accepts any object shaped like ``psplib.ProjectInstance`` (resources with
``capacity``/``renewable``, activities with ``modes`` and 0-based ``successors``); reading files
is the caller's business (``psplib.parse``), so this module does no I/O.
"""

from __future__ import annotations

from .core import Activity, Mode, Precedence, Project, Resource


def _dominated(modes: list, k: int) -> bool:
    """Mode ``k`` is no shorter and needs no less of anything than another mode."""
    mk = modes[k]
    for j, mj in enumerate(modes):
        if j == k or mj.duration > mk.duration:
            continue
        if any(a > b for a, b in zip(mj.demands, mk.demands, strict=True)):
            continue
        same = mj.duration == mk.duration and list(mj.demands) == list(mk.demands)
        if not same or j < k:
            return True
    return False


def from_instance(instance, drop_dominated_modes: bool = True) -> Project:
    """Core project minimising the makespan of a PSPLIB-style instance.

    Dominated modes (longer or equal and needing no less of any resource than another mode of
    the same activity) never help the makespan and are dropped unless told otherwise; the
    activity's ``name`` then lists the original mode numbers kept, as ``"i:k,k"``.
    """
    resources = tuple(Resource(r.capacity, r.renewable) for r in instance.resources)
    activities = []
    for i, act in enumerate(instance.activities):
        kept = [
            k
            for k in range(len(act.modes))
            if not (drop_dominated_modes and _dominated(act.modes, k))
        ]
        modes = tuple(
            Mode(m.duration, tuple((r, d) for r, d in enumerate(m.demands) if d))
            for m in (act.modes[k] for k in kept)
        )
        activities.append(Activity(modes=modes, name=f"{i}:{','.join(map(str, kept))}"))
    activities = tuple(activities)
    precedences = []
    for i, act in enumerate(instance.activities):
        if getattr(act, "delays", None):
            raise ValueError("RCPSP/max (generalised delays) is not supported")
        precedences += [Precedence(i, succ) for succ in act.successors]
    return Project(resources, activities, tuple(precedences))
