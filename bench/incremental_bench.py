#!/usr/bin/python3
"""One live-loop cycle: `ypa run_pipeline --mode incremental --since 2h` on top of a backfilled run.

  bench/incremental_bench.py [--shops 24] [--iphones 160] [--repeat 5] [--write-docs]

Uses the 30-day dataset of bench/pipeline_bench.py (database bench_30d_<shops>x<iphones>, generated if
missing), backfills run `inc_bench` over its last 3 days once, then times `--repeat` incremental cycles
over the last 2 hours of those days (each one continues the run's own feature state, as the live loop
does). Prints the median; --write-docs replaces the section in docs/BENCHMARKS.md.
"""
import argparse
import datetime as dt
import re
import statistics
import subprocess
import sys

from common import YPA, ensure_dataset, machine, run_range, sh, stack_env, timed, write_section


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=24)
    parser.add_argument("--iphones", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    env = stack_env()
    ensure_dataset(env, 30, args.shops, args.iphones)
    _, last_day = run_range(30)
    sh([YPA, "run_pipeline", "--run-id", "inc_bench", "--from", str(last_day - dt.timedelta(days=2)), "--to",
           str(last_day)], env=env)
    cycle = [YPA, "run_pipeline", "--run-id", "inc_bench", "--mode", "incremental", "--since", "2h", "--to",
             f"{last_day}T23:45"]
    times, rss = [], []
    for _ in range(args.repeat):
        seconds, kib = timed(cycle, env)
        times.append(seconds)
        rss.append(kib)
    rows = subprocess.run(cycle, env=env, check=True, capture_output=True, text=True).stdout
    written = re.search(r"(\d+) rows written", rows).group(1)
    med = statistics.median(times)
    line = (f"| one incremental cycle: 2 hours (8 buckets) of {args.shops} shops x {args.iphones} iPhones, "
            f"continuing run state | {med:.2f} s | {int(written):,} rows | {statistics.median(rss) / 1024:.0f} MiB |")
    print(line)
    if args.write_docs:
        write_docs(args, line)
    return 0


def write_docs(args, line):
    write_section(
        "Live loop: one incremental cycle",
        "What: `ypa run_pipeline --run-id inc_bench --mode incremental --since 2h` after a 3-day backfill of that "
        "run, on the 30-day dataset of the pipeline benchmark; wall time from process start to exit (connections, "
        "catalogue, reading the run's feature state back, PostgreSQL read, compute, both inserts).",
        "incremental_bench",
        [f"Command: `bench/incremental_bench.py --shops {args.shops} --iphones {args.iphones} --repeat {args.repeat} "
         "--write-docs`",
         f"Machine: {machine()}; measured {dt.date.today()}, median of {args.repeat}.",
         "",
         "| what | median wall | written | peak RSS |",
         "|---|---:|---:|---:|",
         line])


if __name__ == "__main__":
    sys.exit(main())
