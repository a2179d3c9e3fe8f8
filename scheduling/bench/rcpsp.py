"""PSPLIB / MMLIB benchmark: our planner's core versus plain CP-SAT through PyJobShop."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

# Fixed default sample: every k-th file of the sorted set (k per set), so the default bench
# stays under 15 minutes on 2 cores; --full runs every file.
SAMPLE_STEP = {"j30": 5, "j60": 15, "j120": 25, "mmlib50": 20}
TIME_LIMIT = {"j30": 1.0, "j60": 10.0, "j120": 10.0, "mmlib50": 10.0}
# One worker on J30 is the published comparison; DESIGN.md: 8 workers beat 2 on large models.
WORKERS = {"j30": 1, "j60": 8, "j120": 8, "mmlib50": 8}


@dataclass(frozen=True)
class Run:
    """One solver on one instance."""

    set: str
    instance: str
    solver: str
    makespan: float
    bound: float
    optimal: bool
    best_known: int
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap of the makespan to the best known makespan."""
        return (self.makespan - self.best_known) / self.best_known


def read_reference(path: Path) -> dict[tuple[str, str], int]:
    """Best known makespan per ``(set, instance)`` from a reference CSV."""
    with path.open() as fh:
        return {
            (row["set"], row["instance"]): int(row["best_known_makespan"])
            for row in csv.DictReader(fh)
        }


def parse(path: Path):
    """A psplib instance; PSPLIB sets use the Patterson format, MMLIB the PSPLIB one."""
    import psplib

    try:
        return psplib.parse(path, instance_format="patterson"), "patterson"
    except (ValueError, StopIteration):
        return psplib.parse(path, instance_format="psplib"), "psplib"


def run_ours(path: Path, time_limit: float, workers: int, seed: int = 0) -> tuple:
    """(makespan, bound, optimal, seconds) of our core on one instance."""
    from scheduling.solver.cpsat import SolveOptions, solve
    from scheduling.solver.rcpsp import from_instance

    t0 = time.perf_counter()
    instance, _ = parse(path)
    project = from_instance(instance)
    result = solve(project, SolveOptions(time_limit=time_limit, workers=workers, seed=seed))
    return result.objective, result.bound, result.status == "optimal", time.perf_counter() - t0


def run_baseline(path: Path, time_limit: float, workers: int) -> tuple:
    """(makespan, bound, optimal, seconds) of plain CP-SAT through PyJobShop."""
    import pyjobshop

    t0 = time.perf_counter()
    _, fmt = parse(path)
    data = pyjobshop.read(path, instance_format=fmt)
    result = pyjobshop.solve(
        data, solver="ortools", time_limit=time_limit, display=False, num_workers=workers
    )
    optimal = result.status == pyjobshop.SolveStatus.OPTIMAL
    return result.objective, result.lower_bound, optimal, time.perf_counter() - t0


def instances(folder: Path, name: str, full: bool) -> list[Path]:
    """The instance files of one set: all with ``full``, else the fixed sample."""
    files = sorted(p for p in (folder / name).iterdir() if p.is_file())
    return files if full else files[:: SAMPLE_STEP.get(name, 1)]


def bench_set(
    folder: Path,
    name: str,
    reference: dict,
    *,
    full: bool,
    time_limit: float | None,
    workers: int | None,
    solvers: tuple[str, ...],
    progress=print,
) -> list[Run]:
    """Run the chosen solvers on one set and return every run."""
    limit = time_limit or TIME_LIMIT.get(name, 10.0)
    n_workers = workers or WORKERS.get(name, 8)
    runners = {
        "ours": lambda p: run_ours(p, limit, n_workers),
        "pyjobshop": lambda p: run_baseline(p, limit, n_workers),
    }
    runs = []
    files = instances(folder, name, full)
    for i, path in enumerate(files):
        best = reference.get((name, path.name))
        if best is None:
            continue
        for solver in solvers:
            mk, lb, opt, secs = runners[solver](path)
            runs.append(Run(name, path.name, solver, mk, lb, opt, best, secs))
        progress(
            f"  {name} {i + 1}/{len(files)} {path.name}: "
            + ", ".join(f"{r.solver}={r.makespan:g}" for r in runs[-len(solvers) :])
            + f" (best known {best})"
        )
    return runs


def summarise(runs: list[Run]) -> list[dict]:
    """Per set and solver: share at best known, share proven optimal, mean/max gap."""
    rows = []
    keys = sorted({(r.set, r.solver) for r in runs})
    for name, solver in keys:
        group = [r for r in runs if r.set == name and r.solver == solver]
        gaps = [r.gap for r in group]
        rows.append(
            {
                "set": name,
                "solver": solver,
                "instances": len(group),
                "at_best_known_%": round(
                    100 * sum(r.makespan <= r.best_known for r in group) / len(group), 1
                ),
                "proven_optimal_%": round(100 * sum(r.optimal for r in group) / len(group), 1),
                "mean_gap_%": round(100 * sum(gaps) / len(gaps), 3),
                "max_gap_%": round(100 * max(gaps), 2),
                "mean_seconds": round(sum(r.seconds for r in group) / len(group), 2),
            }
        )
    return rows
