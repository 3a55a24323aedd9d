#!/usr/bin/python3
"""Load test of the chart query (`/api/overall-bars/points/?iphone=N` over 30 days) with wrk at 64
connections: `ypa serve` (response cache on, as shipped, and off; and with the cache on, asked as a
browser asks, `Accept-Encoding: gzip, deflate, br`) against the Django REST Framework reference of
tests/contract, in the same run, on 127.0.0.1 only, bounded in time.

    eval "$(build/ypa stack env)"; /usr/bin/python3 bench/api_bench.py --ypa build/ypa --seconds 15 --repeat 5

Each server runs pinned to CPU 0 and wrk to the other CPUs (taskset), as if they were two machines: on
a small machine wrk otherwise takes CPU from the server it measures, which halves the reference's
throughput and flatters the ratio (--no-pin shows it). ClickHouse and PostgreSQL are not pinned;
the runs start once ClickHouse has no merge left to do. wrk corrects for coordinated omission: a request
that took D ms adds about D / (run time / requests per connection) samples, so a single stall of a
few hundred milliseconds moves the p99.
Medians over --repeat runs of each server.
"""
import argparse
import gzip
import os
import platform
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "contract"))
import api_common as common  # noqa: E402
import jwt  # noqa: E402

PATH = "/api/overall-bars/points/?iphone=3&bucket__gte=2025-04-01&bucket__lte=2025-04-30T23:45"


BROWSER_ENCODINGS = "gzip, deflate, br"


def wrk(base, token, seconds, connections, prefix=(), headers=()):
    extra = [a for h in headers for a in ("-H", h)]
    r = subprocess.run(list(prefix) + ["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency",
                                       "--timeout", "10s", "-H", "Authorization: Bearer " + token] + extra +
                       [base + PATH], capture_output=True, text=True)
    out = r.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % label, out)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none", "raw": out}


def positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("%r is not a positive whole number" % text)
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ypa", required=True)
    parser.add_argument("--seconds", type=positive, default=15)
    parser.add_argument("--connections", type=positive, default=64)
    parser.add_argument("--repeat", type=positive, default=5, help="wrk runs per server (medians are reported)")
    parser.add_argument("--no-pin", action="store_true", help="let the server and wrk share every CPU")
    args = parser.parse_args()
    if not os.access(args.ypa, os.X_OK):
        parser.error("--ypa: %s is not an executable (build it first: scripts/build.sh)" % args.ypa)
    cpus = os.cpu_count() or 1
    pin = not args.no_pin and cpus >= 2
    server_prefix = ("taskset", "-c", "0") if pin else ()
    client_prefix = ("taskset", "-c", "1-%d" % (cpus - 1)) if pin else ()

    data = common.Dataset(args.ypa, "apibench", days=("2025-04-01", "2025-04-30"))
    # The data was just written: let ClickHouse finish merging it first, so that its background merges
    # do not take CPU from wrk or the server during the measured runs.
    deadline = time.time() + 120
    while int(data.clickhouse("SELECT count() FROM system.merges").strip() or 0) > 0 and time.time() < deadline:
        time.sleep(0.5)
    now = int(time.time())
    token = jwt.encode({"token_type": "access", "exp": now + 3600, "iat": now, "jti": "b", "user_id": 1},
                       common.SECRET, algorithm="HS256")
    results = {}
    try:
        browser = ("Accept-Encoding: " + BROWSER_ENCODINGS,)
        for label, start, headers in (
                ("ypa serve (cache 1 s, default)", lambda: common.start_ypa(args.ypa, data.env, prefix=server_prefix),
                 ()),
                ("ypa serve (cache 1 s, a browser's Accept-Encoding: gzip)",
                 lambda: common.start_ypa(args.ypa, data.env, prefix=server_prefix), browser),
                ("ypa serve (cache off)",
                 lambda: common.start_ypa(args.ypa, data.env, {"API_CACHE_MS": "0"}, prefix=server_prefix), ()),
                ("Django REST Framework reference", lambda: common.start_reference(data.env, prefix=server_prefix),
                 ())):
            server = start()
            try:
                asked = dict(h.split(": ", 1) for h in headers)
                status, answer_headers, body = common.get(server.base, PATH,
                                                          dict(asked, Authorization="Bearer " + token))
                assert status == 200, body[:200]
                wire_bytes = len(body)
                if "Accept-Encoding" in asked:
                    assert answer_headers.get("content-encoding") == "gzip", answer_headers
                    body = gzip.decompress(body)
                points = body.count(b"+09:00")
                wrk(server.base, token, 2, args.connections, client_prefix, headers)  # warm-up
                runs = [wrk(server.base, token, args.seconds, args.connections, client_prefix, headers)
                        for _ in range(args.repeat)]
                for r in runs:
                    print("  %s: %.0f requests/s, p50 %.2f ms, p99 %.2f ms" % (label, r["rps"], r["p50"], r["p99"]),
                          flush=True)
                results[label] = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}
                results[label]["non2xx"] = sum(r["non2xx"] for r in runs)
                results[label]["socket_errors"] = "; ".join(sorted({r["socket_errors"] for r in runs}))
                results[label]["p99_runs"] = [r["p99"] for r in runs]
                results[label]["points"] = points
                results[label]["bytes"] = wire_bytes
            finally:
                server.stop()
    finally:
        data.drop()
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    print("machine: %s, %d CPUs, %s; wrk -t2 -c%d -d%ds x %d runs per server, %s; GET %s (%d points)" % (
        cpu, cpus, platform.platform(), args.connections, args.seconds, args.repeat,
        "server on CPU 0, wrk on CPUs 1-%d" % (cpus - 1) if pin else "not pinned", PATH,
        next(iter(results.values()))["points"]))
    print("| server | body bytes | requests/s | p50 ms | p99 ms | p99 of each run (ms) | non-2xx |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for label, r in results.items():
        print("| %s | %d | %.0f | %.2f | %.2f | %s | %d |" % (
            label, r["bytes"], r["rps"], r["p50"], r["p99"], ", ".join("%.1f" % v for v in r["p99_runs"]),
            r["non2xx"]))
    ref = results["Django REST Framework reference"]["rps"]
    for label in results:
        if label.startswith("Django"):
            continue
        if ref > 0:
            print("%s: %.1fx the reference's throughput" % (label, results[label]["rps"] / ref))
        else:  # a short --seconds can end before the reference (about a second per request) answers once
            print("%s: the reference completed no request in %d s; no ratio" % (label, args.seconds))
    default = results["ypa serve (cache 1 s, default)"]
    ok = default["rps"] >= 20 * ref and default["p99"] < 20 and default["non2xx"] == 0
    print("target (>= 20x, median p99 < 20 ms): %s" % ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
