#!/usr/bin/python3
"""drop_run and promote_run on a 30-day run of 24 shops x 160 iPhones, against the stack's ClickHouse.

  bench/runs_bench.py [--ypa build/ypa] [--days 30] [--shops 24] [--iphones 160] [--fill 0.3] [--repeat 5]

Synthesizes the run inside ClickHouse (INSERT ... SELECT FROM numbers(): price_aligned with `--fill` of
the (bucket, shop, iPhone) cells present, about 3.3 M rows; one features_wide row per (bucket, iPhone),
460,800 rows with every value column set) into a database of its own (dropped at the end), starting
2025-01-16 so the run covers two Tokyo months. Per repetition, wall time of the ypa process for:
  promote          promote_run --from bf --to live --confirm (live already holds an earlier copy)
  promote+backup   the same with --keep-backup (copies live to backup_YYYYMMDD first)
  compare          compare_runs --base bf --target live (equal runs, every row and column compared)
  drop             drop_run --run-id bf --confirm, and the elapsed ms it reports itself
Prints the medians as a Markdown table, and each command's peak RSS.
"""
import argparse
import os
import platform
import re
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ypa", default=os.path.join(ROOT, "build", "ypa"))
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--shops", type=int, default=24)
    ap.add_argument("--iphones", type=int, default=160)
    ap.add_argument("--fill", type=float, default=0.3)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()

    host = os.environ.get("CLICKHOUSE_HOST", "127.0.0.1")
    port = os.environ.get("CLICKHOUSE_PORT", "9000")
    db = f"bench_runs_{os.getpid()}"
    env = dict(os.environ, CLICKHOUSE_DB=db, PIPELINE_TZ="Asia/Tokyo")

    def ch(query):
        return subprocess.run(["clickhouse-client", "--host", host, "--port", port, "--query", query],
                              check=True, capture_output=True, text=True).stdout

    peak_mib = {}  # command -> peak RSS of each ypa process, MiB

    def ypa(*args, ok=(0,)):
        start = time.monotonic()
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.Popen([a.ypa, *args], env=env, stdout=out, stderr=err, text=True)
            _, status, usage = os.wait4(p.pid, 0)  # the child's own peak RSS, which Popen.wait() drops
            wall = time.monotonic() - start
            p.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        if p.returncode not in ok:
            raise SystemExit(f"ypa {' '.join(args)}: exit {p.returncode}\n{stdout}{stderr}")
        peak_mib.setdefault(args[0], []).append(usage.ru_maxrss / 1024)
        return wall, stdout

    buckets = a.days * 96
    cells = a.shops * a.iphones
    t0 = "toDateTime('2025-01-16 00:00:00', 'Asia/Tokyo')"

    def fill():
        ch(f"INSERT INTO {db}.price_aligned (run_id, bucket, shop_id, iphone_id, price_new, price_a, price_b, "
           f"alignment_diff_sec, record_time) SELECT 'bf', {t0} + 900 * intDiv(number, {cells}) AS b, "
           f"number % {a.shops} + 1, intDiv(number % {cells}, {a.shops}) + 1, 80000 + cityHash64(number) % 20000, "
           f"if(cityHash64(number, 1) % 5 = 0, NULL, 70000 + cityHash64(number, 2) % 20000), NULL, "
           f"-toInt32(cityHash64(number, 4) % 900), b - cityHash64(number, 4) % 900 FROM numbers({buckets * cells}) "
           f"WHERE cityHash64(number, 3) % 1000 < {int(a.fill * 1000)}")
        cols = ch(f"SELECT name, type FROM system.columns WHERE database = '{db}' AND table = 'features_wide' "
                  "FORMAT TSV").splitlines()
        names, values = [], []
        for i, line in enumerate(cols):
            name, typ = line.split("\t")
            if name in ("inserted_at", "n_models"):
                continue
            names.append(name)
            if name == "run_id":
                values.append("'bf'")
            elif name == "bucket":
                values.append(f"{t0} + 900 * intDiv(number, {a.iphones})")
            elif name == "scope":
                values.append(f"concat('iphone:', toString(number % {a.iphones} + 1))")
            elif name == "shop_count":
                values.append(f"toUInt16(cityHash64(number) % {a.shops} + 1)")
            else:
                values.append(f"80000 + (cityHash64(number, {i}) % 100000) / 7")
        ch(f"INSERT INTO {db}.features_wide ({', '.join(names)}) SELECT {', '.join(values)} "
           f"FROM numbers({buckets * a.iphones})")

    try:
        ypa("init")
        fill()
        rows = ch(f"SELECT (SELECT count() FROM {db}.price_aligned), (SELECT count() FROM {db}.features_wide), "
                  f"(SELECT uniqExact(toYYYYMM(bucket)) FROM {db}.price_aligned)").split()
        ypa("promote_run", "--from", "bf", "--to", "live", "--confirm")  # live holds a copy from here on
        times = {"promote": [], "promote+backup": [], "compare": [], "drop": [], "drop (reported)": []}
        for rep in range(a.repeat):
            if rep > 0:
                fill()
            times["promote"].append(ypa("promote_run", "--from", "bf", "--to", "live", "--confirm")[0])
            times["promote+backup"].append(
                ypa("promote_run", "--from", "bf", "--to", "live", "--confirm", "--keep-backup")[0])
            times["compare"].append(ypa("compare_runs", "--base", "bf", "--target", "live")[0])
            wall, out = ypa("drop_run", "--run-id", "bf", "--confirm")
            times["drop"].append(wall)
            times["drop (reported)"].append(float(re.search(r"in ([0-9.]+) ms", out).group(1)) / 1000)
            print(f"repetition {rep + 1}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()), flush=True)
    finally:
        ch(f"DROP DATABASE IF EXISTS {db}")

    print(f"\nrun: {a.days} days, {a.shops} shops x {a.iphones} iPhones: {int(rows[0]):,} price_aligned rows, "
          f"{int(rows[1]):,} features_wide rows, {rows[2]} Tokyo months; machine: {platform.machine()}, "
          f"{os.cpu_count()} CPUs; ClickHouse {ch('SELECT version()').strip()}; median of {a.repeat}\n")
    print("| command | median s | min s | max s |\n|---|---:|---:|---:|")
    for k, v in times.items():
        print(f"| {k} | {statistics.median(v):.3f} | {min(v):.3f} | {max(v):.3f} |")
    print("\npeak RSS of the ypa process, MiB (median of all its runs): " +
          ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in peak_mib.items()))


if __name__ == "__main__":
    main()
