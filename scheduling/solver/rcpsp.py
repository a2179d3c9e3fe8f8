"""General RCPSP / MRCPSP instances (PSPLIB, MMLIB) as core projects.

``from_instance`` accepts any object shaped like ``psplib.ProjectInstance`` (resources with
``capacity``/``renewable``, activities with ``modes`` and 0-based ``successors``); reading files
is the caller's business (``psplib.parse``), so this module does no I/O.
"""

from __future__ import annotations

from .core import Activity, Mode, Precedence, Project, Resource


def from_instance(instance) -> Project:
    """Core project minimising the makespan of a PSPLIB-style instance."""
    resources = tuple(Resource(r.capacity, r.renewable) for r in instance.resources)
    activities = tuple(
        Activity(
            modes=tuple(
                Mode(m.duration, tuple((i, d) for i, d in enumerate(m.demands) if d))
                for m in act.modes
            ),
            name=getattr(act, "name", "") or str(i),
        )
        for i, act in enumerate(instance.activities)
    )
    precedences = []
    for i, act in enumerate(instance.activities):
        if getattr(act, "delays", None):
            raise ValueError("RCPSP/max (generalised delays) is not supported")
        precedences += [Precedence(i, succ) for succ in act.successors]
    return Project(resources, activities, tuple(precedences))
