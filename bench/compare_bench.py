#!/usr/bin/env python3
"""GET /api/runs/compare/ over a year of data: one iPhone scope and one cohort scope, median of N requests.

Dataset bench_365d_<shops>x<iphones> (bench/common.py: generated once by `ypa datagen`, kept), two runs of the
same year (`cmpbase`, and `cmpfloor` with `--align floor`; written once and kept), then `ypa serve`
answers the dashboard's compare request for each scope over the whole year. With several --ypa binaries (e.g. main's build and this one) every
binary is measured against the same data, one after the other, so that the rows compare like with like; each
binary's JSON answers must be identical, or the script fails.

    python3 bench/compare_bench.py --ypa /work/main/build/ypa --ypa build/ypa [--target cmpequal]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid

import jwt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SECRET = "compare-bench-" + uuid.uuid4().hex
# The default target aligns with --align floor: most rows differ from the base, so the answers compared
# across the binaries name real differences and their places, not only counts of equal rows. `cmpequal`
# is the base's own command again: every key in both runs, every value equal.
RUN_ARGS = {"cmpbase": [], "cmpfloor": ["--align", "floor"], "cmpequal": []}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ypa", action="append", help="binary to measure (repeatable; default build/ypa)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shops", type=int, default=24)
    ap.add_argument("--iphones", type=int, default=4)
    ap.add_argument("--target", choices=["cmpfloor", "cmpequal"], default="cmpfloor",
                    help="the run compared with cmpbase (default cmpfloor: most rows differ)")
    args = ap.parse_args()
    runs = ("cmpbase", args.target)
    binaries = [os.path.abspath(b) for b in (args.ypa or [common.YPA])]

    env = common.stack_env()
    common.ensure_dataset(env, 365, args.shops, args.iphones)
    first, last = common.run_range(365)
    db = env["CLICKHOUSE_DB"]
    for run in runs:
        have = common.clickhouse(env, f"SELECT count() FROM {db}.features_wide WHERE run_id = '{run}'").stdout.strip()
        if have == "0":
            print(f"run_pipeline {run} {first} .. {last} ...", flush=True)
            common.sh([binaries[0], "run_pipeline", "--run-id", run, "--from", str(first), "--to", str(last)]
                      + RUN_ARGS[run], env=env, capture=False)
    scopes = common.clickhouse(env, f"SELECT min(scope) FROM {db}.features_wide WHERE run_id = '{runs[0]}' AND "
                                    "startsWith(scope, 'iphone:') UNION ALL "
                                    f"SELECT min(scope) FROM {db}.features_wide WHERE run_id = '{runs[0]}' AND "
                                    "startsWith(scope, 'cohort:')").stdout.split()
    scopes.sort(key=lambda s: not s.startswith("iphone:"))
    rows_pa = common.clickhouse(env, f"SELECT count() FROM {db}.price_aligned WHERE run_id IN {runs!r} AND "
                                     f"iphone_id = {scopes[0].split(':')[1]}").stdout.strip()
    now = int(time.time())
    token = jwt.encode({"token_type": "access", "exp": now + 3600, "iat": now, "jti": uuid.uuid4().hex,
                        "user_id": 1}, SECRET, algorithm="HS256")

    results = {}  # (binary, scope) -> (median ms, samples, body)
    for binary in binaries:
        port = 18000 + (os.getpid() + len(results)) % 1000
        server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}"],
                                  env=dict(env, API_JWT_SECRET=SECRET, API_CACHE_MS="0"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    common.sh(["curl", "-fsS", base + "/healthz"])
                    break
                except subprocess.CalledProcessError:
                    time.sleep(0.1)
            for scope in scopes:
                url = (f"{base}/api/runs/compare/?base={runs[0]}&target={runs[1]}&scope={scope}"
                       f"&from={first}&to={last}")
                samples, body = [], None
                for i in range(args.repeat + 1):
                    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
                    t0 = time.perf_counter()
                    with urllib.request.urlopen(req, timeout=600) as r:
                        body = json.loads(r.read())
                    ms = (time.perf_counter() - t0) * 1000
                    if i > 0:  # the first request warms ClickHouse's caches and is not counted
                        samples.append(ms)
                body.pop("elapsed_ms", None)
                results[(binary, scope)] = (statistics.median(samples), samples, body)
        finally:
            server.terminate()
            server.wait(10)

    for scope in scopes:
        bodies = [results[(b, scope)][2] for b in binaries]
        if any(b != bodies[0] for b in bodies[1:]):
            sys.exit(f"the binaries answer {scope} differently")
    print(f"\nMachine: {common.machine()}; load average (1 min) at the end: {os.getloadavg()[0]:.2f}; "
          f"{args.shops} shops x {args.iphones} iPhones, runs {runs[0]} and {runs[1]}, {first} .. {last}; "
          f"{rows_pa} price_aligned rows of {scopes[0]} in both runs; {args.repeat} requests per row after one "
          "not counted; answers identical across binaries.")
    print("| binary | scope | median ms | each request (ms) |")
    print("|---|---|---:|---|")
    for binary in binaries:
        for scope in scopes:
            med, samples, _ = results[(binary, scope)]
            print(f"| {binary} | {scope} | **{med:.0f}** | {', '.join('%.0f' % s for s in samples)} |")


if __name__ == "__main__":
    main()
