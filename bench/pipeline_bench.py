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
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
YPA = os.path.join(ROOT, "build", "ypa")
WARMUP_DAYS = 10  # 960 buckets of 15 minutes, SPEC §5's default warm-up
START = dt.date(2025, 1, 1)


def sh(cmd, env=None, stdin=None, capture=True):
    return subprocess.run(cmd, env=env, stdin=stdin, check=True, text=True,
                          capture_output=capture)


def timed(cmd, env, stdin_path=None):
    """Wall seconds and peak RSS (KiB) of one command, via GNU time."""
    full = ["/usr/bin/time", "-f", "%e %M"] + cmd
    stdin = open(stdin_path, "rb") if stdin_path else None
    try:
        p = subprocess.run(full, env=env, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    finally:
        if stdin:
            stdin.close()
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    seconds, rss = p.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(rss)


def stack_env():
    sh([YPA, "stack", "up"], capture=False)
    env = dict(os.environ)
    for line in sh([YPA, "stack", "env"]).stdout.splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            env[name] = value
        elif line.startswith("unset "):
            env.pop(line.split()[1], None)
    return env


def clickhouse(env, query, **kw):
    return sh(["clickhouse-client", "--host", env["CLICKHOUSE_HOST"], "--port", env["CLICKHOUSE_PORT"],
               "--query", query], **kw)


def recreate_tables(env, db):
    clickhouse(env, f"DROP TABLE IF EXISTS {db}.price_aligned")
    clickhouse(env, f"DROP TABLE IF EXISTS {db}.features_wide")
    sh([YPA, "init"], env=env)


def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // (1024 * 1024)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}"


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
    env["PGDATABASE"] = db
    env["CLICKHOUSE_DB"] = db
    first = START + dt.timedelta(days=WARMUP_DAYS)
    last = first + dt.timedelta(days=args.days - 1)

    exists = sh(["psql", "-XAtq", "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                env=env).stdout.strip()
    if not exists:
        sh(["psql", "-XAtq", "-d", "postgres", "-c", f"CREATE DATABASE {db}"], env=env)
        sh([YPA, "init", "--source-schema"], env=env)
        print(f"generating {args.days + WARMUP_DAYS} days into {db} ...", flush=True)
        sh([YPA, "datagen", "--shops", str(args.shops), "--iphones", str(args.iphones), "--from", str(START),
            "--to", str(last), "--seed", "1"], env=env, capture=False)
    sh([YPA, "init"], env=env)
    source_rows = int(sh(["psql", "-XAtq", "-c",
                          'SELECT count(*) FROM "AppleStockChecker_purchasingshoppricerecord"'], env=env).stdout)

    # The source rows a run reads: warm-up included, 15 minutes of lookback before it.
    copy_sql = ("SELECT id, shop_id, iphone_id, price_new, price_grade_a, price_grade_b, recorded_at "
                "FROM \"AppleStockChecker_purchasingshoppricerecord\" "
                f"WHERE recorded_at > '{START} 00:00:00+09'::timestamptz - interval '15 minutes' "
                f"AND recorded_at <= '{last} 23:45:00+09'")
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
    path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    title = "## run_pipeline end to end vs the floors"
    key = f"<!-- pipeline_bench {args.days}d {args.shops}x{args.iphones} batch{args.batch_days} -->"
    body = "\n".join([
        key,
        f"### {header}",
        "",
        f"Command: `bench/pipeline_bench.py --days {args.days} --shops {args.shops} --iphones {args.iphones} "
        f"--repeat {args.repeat} --batch-days {args.batch_days} --write-docs`",
        f"Machine: {machine()}; PostgreSQL 15 and ClickHouse 18.16 of `ypa stack` on the same machine; "
        f"measured {dt.date.today()}.",
        "",
        *table,
        key.replace("<!--", "<!-- end"),
    ])
    if title not in text:
        text = text.rstrip() + "\n\n" + title + "\n\n" + PREAMBLE + "\n"
    pattern = re.compile(re.escape(key) + r".*?" + re.escape(key.replace("<!--", "<!-- end")), re.S)
    text = pattern.sub(body, text) if pattern.search(text) else text.rstrip() + "\n\n" + body + "\n"
    open(path, "w").write(text)
    print(f"wrote {path}")


PREAMBLE = """What: `ypa run_pipeline` from PostgreSQL to ClickHouse on a generated dataset, against the floors on the
same data: the PostgreSQL read alone (`psql` COPY binary to /dev/null) and the ClickHouse writes alone
(`clickhouse-client` inserting our own output from Native files). Read, compute and write overlap in the
pipeline, so the target is an end-to-end time no slower than the sum of the floors. Both servers share the
machine's two cores with the pipeline, so the floors, each measured alone, are generous to the servers."""


if __name__ == "__main__":
    sys.exit(main())
