"""``python -m scheduling.bench``: RCPSP sets, cooperative instances and quote latency.

Default run (about 10 minutes on 2 cores): a fixed sample of each PSPLIB/MMLIB set (every
k-th file, see ``rcpsp.SAMPLE_STEP``) for our planner and plain CP-SAT (PyJobShop); cooperative
instances small and medium with gap checkpoints at 5 and 30 s, large with 30 s; illness re-plan
on the medium instance; 40 instant quotes into the medium plan. ``--full`` runs every RCPSP file
and checkpoints 5/30/120 s for every size.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from . import coop, rcpsp

REPO = Path(__file__).resolve().parents[2]
DEFAULT_INSTANCES = REPO.parent / "shared" / "bench" / "rcpsp"


def _table(title: str, rows: list[dict]) -> None:
    print(f"\n{title}")
    if not rows:
        print("  (nothing run)")
        return
    cols = list(rows[0])
    width = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    print("  " + "  ".join(c.ljust(width[c]) for c in cols))
    for r in rows:
        print("  " + "  ".join(str(r.get(c, "")).ljust(width[c]) for c in cols))


def _write(out: Path, name: str, rows: list[dict]) -> None:
    if not rows:
        return
    out.mkdir(parents=True, exist_ok=True)
    with (out / name).open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _arguments(argv):
    ap = argparse.ArgumentParser(
        prog="python -m scheduling.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--instances",
        type=Path,
        default=DEFAULT_INSTANCES,
        help="folder with j30/ j60/ j120/ mmlib50/ (default: ../shared/bench/rcpsp)",
    )
    ap.add_argument(
        "--reference",
        type=Path,
        default=None,
        help="CSV set,instance,best_known_makespan (default: INSTANCES/reference.csv)",
    )
    ap.add_argument("--sets", default="j30,j60,j120,mmlib50", help="RCPSP sets, comma separated")
    ap.add_argument("--solvers", default="ours,pyjobshop", help="ours and/or pyjobshop")
    ap.add_argument(
        "--workers",
        type=int,
        default=None,
        help="CP-SAT workers (default: 1 for j30, 8 otherwise and for cooperative)",
    )
    ap.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds per RCPSP instance (default: 1 for j30, 10 otherwise)",
    )
    ap.add_argument("--full", action="store_true", help="whole sets and 5/30/120 s checkpoints")
    ap.add_argument(
        "--coop", default="small,medium,large", help="cooperative sizes to run (empty string: none)"
    )
    ap.add_argument("--quotes", type=int, default=40, help="instant quotes to time")
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated instances")
    ap.add_argument("--out", type=Path, default=Path(".var/bench"), help="CSV output folder")
    return ap.parse_args(argv)


def run_rcpsp(args) -> None:
    """The PSPLIB/MMLIB comparison."""
    sets = [s for s in args.sets.split(",") if s]
    if not sets:
        return
    if not args.instances.is_dir():
        print(f"no instance folder {args.instances}; skipping RCPSP sets (use --instances)")
        return
    reference = rcpsp.read_reference(args.reference or args.instances / "reference.csv")
    from scheduling.solver import kernel

    kernel.warm_up()  # compiling must not eat the first instance's time limit
    runs = []
    for name in sets:
        print(f"RCPSP set {name}")
        runs += rcpsp.bench_set(
            args.instances,
            name,
            reference,
            full=args.full,
            time_limit=args.time_limit,
            workers=args.workers,
            solvers=tuple(args.solvers.split(",")),
            progress=lambda m: print(m, flush=True),
        )
    rows = [vars(r) | {"gap": round(r.gap, 5)} for r in runs]
    _write(args.out, "rcpsp_runs.csv", rows)
    summary = rcpsp.summarise(runs)
    _write(args.out, "rcpsp_summary.csv", summary)
    _table("RCPSP summary (gap = makespan vs best known)", summary)


def run_coop(args) -> None:
    """Cooperative instances, illness re-plan and quotes."""
    sizes = [s for s in args.coop.split(",") if s]
    workers = args.workers or 8
    rows, replans, quotes = [], [], []
    for size in sizes:
        checkpoints = (
            (5.0, 30.0, 120.0) if args.full else ((30.0,) if size == "large" else (5.0, 30.0))
        )
        print(
            f"cooperative {size}: generating and solving up to {max(checkpoints):g} s", flush=True
        )
        problem = coop.generate(size, args.seed)
        result, row = coop.quality(problem, checkpoints, workers)
        rows.append({"size": size} | row)
        _table(f"cooperative {size}", rows[-1:])
        if size == "medium" or (size == sizes[-1] and not replans):
            replans.append({"size": size} | coop.illness(problem, result, 10.0, workers))
            _table("illness re-plan", replans[-1:])
            if args.quotes:
                quotes.append({"size": size} | coop.quote_latency(problem, result, args.quotes))
                _table("instant quote", quotes[-1:])
    _write(args.out, "coop_quality.csv", rows)
    _write(args.out, "coop_replan.csv", replans)
    _write(args.out, "coop_quote.csv", quotes)


def main(argv=None) -> int:
    """Entry point."""
    args = _arguments(argv)
    run_rcpsp(args)
    run_coop(args)
    print(f"\nCSV written to {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
