#!/usr/bin/python3
"""run_pipeline end to end against its floors, on one dataset, in one run.

  bench/pipeline_bench.py [--days 30] [--shops 24] [--iphones 160] [--repeat 3] [--write-docs]

Uses the stack of `build/ypa stack up` (started if needed) and a dataset of its own (database
bench_<days>d_<shops>x<iphones>, generated once by `ypa datagen`, kept for later runs). Per repetition it measures:
  * ours:   `ypa run_pipeline` over the last <days> days (10 days of warm-up before them), wall time and peak RSS;
  * floor:  `psql \\copy (SELECT the same source rows) TO /dev/null (FORMAT binary)`;
  * floor:  `clickhouse-client --query "INSERT ... FORMAT Native" < file` of the same price_aligned and
            features_wide rows (exported once from our own output).
Tables are dropped and re-created before each insert so every repetition writes into empty tables.
Prints medians and ratios; --write-docs replaces the section in docs/BENCHMARKS.md.
"""
import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile

from common import (WARMUP_DAYS, YPA, clickhouse, ensure_dataset, machine, recreate_tables, run_range,
                    source_copy_sql, stack_env, timed, write_section)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--shops", type=int, default=24)
    parser.add_argument("--iphones", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-days", type=int, default=30)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    env = stack_env()
    db = f"bench_{args.days}d_{args.shops}x{args.iphones}"
    source_rows = ensure_dataset(env, args.days, args.shops, args.iphones)
    first, last = run_range(args.days)
    copy_sql = source_copy_sql(args.days)
    run_cmd = [YPA, "run_pipeline", "--run-id", "bench", "--from", str(first), "--to", str(last), "--device", "cpu",
               "--batch-days", str(args.batch_days)]

    results = {"ours": [], "rss": [], "read": [], "insert_pa": [], "insert_fw": []}
    with tempfile.TemporaryDirectory() as tmp:
        pa_file, fw_file = os.path.join(tmp, "pa.native"), os.path.join(tmp, "fw.native")
        for rep in range(args.repeat):
            recreate_tables(env, db)
            seconds, rss = timed(run_cmd, env)
            results["ours"].append(seconds)
            results["rss"].append(rss)
            if rep == 0:
                rows_pa = int(clickhouse(env, f"SELECT count() FROM {db}.price_aligned").stdout)
                rows_fw = int(clickhouse(env, f"SELECT count() FROM {db}.features_wide").stdout)
                for table, path in (("price_aligned", pa_file), ("features_wide", fw_file)):
                    with open(path, "wb") as out:
                        subprocess.run(["clickhouse-client", "--host", env["CLICKHOUSE_HOST"], "--port",
                                        env["CLICKHOUSE_PORT"], "--query",
                                        f"SELECT * FROM {db}.{table} FORMAT Native"], stdout=out, check=True)
            results["read"].append(timed(["psql", "-XAtq", "-c",
                                          f"\\copy ({copy_sql}) TO '/dev/null' (FORMAT binary)"], env)[0])
            recreate_tables(env, db)
            for table, path, key in (("price_aligned", pa_file, "insert_pa"), ("features_wide", fw_file, "insert_fw")):
                results[key].append(timed(["clickhouse-client", "--host", env["CLICKHOUSE_HOST"], "--port",
                                           env["CLICKHOUSE_PORT"], "--query",
                                           f"INSERT INTO {db}.{table} FORMAT Native"], env, path)[0])
            print(f"repetition {rep + 1}: ours {results['ours'][-1]:.2f} s, read floor {results['read'][-1]:.2f} s, "
                  f"insert floors {results['insert_pa'][-1]:.2f} + {results['insert_fw'][-1]:.2f} s", flush=True)

    med = {k: statistics.median(v) for k, v in results.items()}
    floors = med["read"] + med["insert_pa"] + med["insert_fw"]
    rows = rows_pa + rows_fw
    table = [
        "| what | median wall (s) | rows/s | peak RSS | vs sum of floors |",
        "|---|---:|---:|---:|---:|",
        f"| `ypa run_pipeline` end to end (read + align + aggregate + features + cohorts + write) | {med['ours']:.2f} "
        f"| {rows / med['ours']:,.0f} written | {med['rss'] / 1024:.0f} MiB | {med['ours'] / floors:.2f}x |",
        f"| floor: `psql` COPY binary of the {source_rows:,} source rows to /dev/null | {med['read']:.2f} | "
        f"{source_rows / med['read']:,.0f} read | | |",
        f"| floor: `clickhouse-client` Native insert of {rows_pa:,} price_aligned rows | {med['insert_pa']:.2f} | "
        f"{rows_pa / med['insert_pa']:,.0f} | | |",
        f"| floor: `clickhouse-client` Native insert of {rows_fw:,} features_wide rows | {med['insert_fw']:.2f} | "
        f"{rows_fw / med['insert_fw']:,.0f} | | |",
        f"| sum of the floors | {floors:.2f} | | | 1.00x |",
    ]
    header = (f"{args.days} days (+{WARMUP_DAYS} warm-up) of {args.shops} shops x {args.iphones} iPhones, "
              f"`--batch-days {args.batch_days}`, median of {args.repeat}")
    print("\n" + header + "\n" + "\n".join(table))
    if args.write_docs:
        write_docs(args, header, table)
    return 0


def write_docs(args, header, table):
    key = f"pipeline_bench {args.days}d {args.shops}x{args.iphones} batch{args.batch_days}"
    write_section("run_pipeline end to end vs the floors", PREAMBLE, key, [
        f"### {header}",
        "",
        f"Command: `bench/pipeline_bench.py --days {args.days} --shops {args.shops} --iphones {args.iphones} "
        f"--repeat {args.repeat} --batch-days {args.batch_days} --write-docs`",
        f"Machine: {machine()}; PostgreSQL 15 and ClickHouse 18.16 of `ypa stack` on the same machine; "
        f"measured {dt.date.today()}.",
        "",
        *table,
    ])


PREAMBLE = """What: `ypa run_pipeline` from PostgreSQL to ClickHouse on a generated dataset, against the floors on the
same data: the PostgreSQL read alone (`psql` COPY binary to /dev/null) and the ClickHouse writes alone
(`clickhouse-client` inserting our own output from Native files). Read, compute and write overlap in the
pipeline, so the target is an end-to-end time no slower than the sum of the floors. Both servers share the
machine's two cores with the pipeline, so the floors, each measured alone, are generous to the servers."""


if __name__ == "__main__":
    sys.exit(main())
