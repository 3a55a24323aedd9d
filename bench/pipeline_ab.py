#!/usr/bin/python3
"""run_pipeline of two builds on the same dataset, alternating, in one run: what one change costs end to end.

  bench/pipeline_ab.py --ypa A --ypa B [--days 30] [--shops 24] [--iphones 160] [--repeat 7]

The dataset and the run are those of bench/pipeline_bench.py (bench_<days>d_<shops>x<iphones>, the last <days>
days after the warm-up, `--device cpu`). Per repetition each build runs once into freshly created tables, in
the order A B, then B A on the next repetition, so that a drift of the machine's load touches both alike.
Prints each build's wall times, peak RSS and median, and the ratio of the medians B / A, with the median of
the per-repetition ratios (each B over the A of the same repetition).

Used for the cost of the shop_health table (docs/shop-health.md, "Cost"): A is the build with
`writes_shop_health()` returning false, B the same source as it is.
"""
import argparse
import os
import statistics
import sys

from common import ensure_dataset, machine, recreate_tables, run_range, stack_env, timed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ypa", action="append", required=True, help="a build to measure (give two)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--shops", type=int, default=24)
    parser.add_argument("--iphones", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if len(args.ypa) != 2:
        parser.error("--ypa: give exactly two builds, A and B")
    builds = [os.path.abspath(b) for b in args.ypa]

    env = stack_env()
    db = f"bench_{args.days}d_{args.shops}x{args.iphones}"
    source_rows = ensure_dataset(env, args.days, args.shops, args.iphones)
    first, last = run_range(args.days)
    seconds = {b: [] for b in builds}
    rss = {b: [] for b in builds}
    for rep in range(args.repeat):
        for build in builds if rep % 2 == 0 else reversed(builds):
            recreate_tables(env, db)
            s, r = timed([build, "run_pipeline", "--run-id", "bench", "--from", str(first), "--to", str(last),
                          "--device", "cpu"], env)
            seconds[build].append(s)
            rss[build].append(r)
        a, b = (seconds[x][-1] for x in builds)
        print(f"repetition {rep + 1}: A {a:.2f} s, B {b:.2f} s, B/A {b / a:.3f}", flush=True)

    a, b = builds
    ratios = [y / x for x, y in zip(seconds[a], seconds[b])]
    print(f"\n{args.days} days of {args.shops} shops x {args.iphones} iPhones ({source_rows:,} source rows), "
          f"{args.repeat} repetitions alternating; machine: {machine()}; load average (1 min) at the end: "
          f"{os.getloadavg()[0]:.2f}\n")
    print("| build | median wall (s) | each (s) | peak RSS (MiB) |\n|---|---:|---|---|")
    for label, build in (("A", a), ("B", b)):
        print(f"| {label}: `{build}` | {statistics.median(seconds[build]):.2f} | "
              f"{', '.join('%.2f' % x for x in seconds[build])} | "
              f"{', '.join('%.0f' % (x / 1024) for x in rss[build])} |")
    print(f"\nB / A: ratio of the medians {statistics.median(seconds[b]) / statistics.median(seconds[a]):.3f}, "
          f"median of the per-repetition ratios {statistics.median(ratios):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
