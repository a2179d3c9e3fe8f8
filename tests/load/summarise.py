"""Print throughput, p95 and error rate of two locust CSV runs and their ratio."""

import csv
import sys


def aggregated(prefix: str) -> dict:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        print(
            f"  {row['Type']:5} {row['Name']:28} n={row['Request Count']:>6} "
            f"fail={row['Failure Count']:>4} rps={float(row['Requests/s']):7.1f} "
            f"p50={row['50%']:>5} ms p95={row['95%']:>5} ms p99={row['99%']:>5} ms"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    count = int(total["Request Count"])
    return {
        "rps": float(total["Requests/s"]),
        "p95": float(total["95%"]),
        "errors": int(total["Failure Count"]) / count if count else 0.0,
        "count": count,
    }


def main(main_prefix: str, trivial_prefix: str) -> int:
    print("main user paths:")
    main = aggregated(main_prefix)
    print("trivial endpoint:")
    trivial = aggregated(trivial_prefix)
    print()
    print(f"{'':18}{'requests':>10}{'req/s':>10}{'p95 ms':>10}{'errors':>10}")
    for name, r in (("main paths", main), ("trivial", trivial)):
        print(f"{name:18}{r['count']:>10}{r['rps']:>10.1f}{r['p95']:>10.0f}{r['errors']:>10.2%}")
    print(
        f"ratio main/trivial: throughput {main['rps'] / trivial['rps']:.2f}, "
        f"p95 {main['p95'] / trivial['p95']:.2f}"
    )
    return 1 if main["errors"] > 0.01 or trivial["errors"] > 0.01 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
