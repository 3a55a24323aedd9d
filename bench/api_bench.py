#!/usr/bin/python3
"""Load test of the chart query (`/api/overall-bars/points/?iphone=N` over 30 days) with wrk at 64
connections: `ypa serve` (response cache on, as shipped, and off) against the Django REST Framework
reference of tests/contract, in the same run, on 127.0.0.1 only, bounded in time.

    eval "$(build/ypa stack env)"; /usr/bin/python3 bench/api_bench.py --ypa build/ypa --seconds 15
"""
import argparse
import os
import platform
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "contract"))
import api_common as common  # noqa: E402
import jwt  # noqa: E402

PATH = "/api/overall-bars/points/?iphone=3&bucket__gte=2025-04-01&bucket__lte=2025-04-30T23:45"


def wrk(base, token, seconds, connections):
    r = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency", "--timeout", "10s",
                        "-H", "Authorization: Bearer " + token, base + PATH], capture_output=True, text=True)
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ypa", required=True)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    data = common.Dataset(args.ypa, "apibench", days=("2025-04-01", "2025-04-30"))
    now = int(time.time())
    token = jwt.encode({"token_type": "access", "exp": now + 3600, "iat": now, "jti": "b", "user_id": 1},
                       common.SECRET, algorithm="HS256")
    results = {}
    try:
        for label, start in (("ypa serve (cache 1 s, default)", lambda: common.start_ypa(args.ypa, data.env)),
                             ("ypa serve (cache off)",
                              lambda: common.start_ypa(args.ypa, data.env, {"API_CACHE_MS": "0"})),
                             ("Django REST Framework reference", lambda: common.start_reference(data.env))):
            server = start()
            try:
                status, _, body = common.get(server.base, PATH, {"Authorization": "Bearer " + token})
                assert status == 200, body[:200]
                points = body.count(b"+09:00")
                wrk(server.base, token, 2, args.connections)  # warm-up
                results[label] = wrk(server.base, token, args.seconds, args.connections)
                results[label]["points"] = points
            finally:
                server.stop()
    finally:
        data.drop()
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    print("machine: %s, %d CPUs, %s; wrk -t2 -c%d -d%ds; GET %s (%d points)" % (
        cpu, os.cpu_count(), platform.platform(), args.connections, args.seconds, PATH,
        next(iter(results.values()))["points"]))
    print("| server | requests/s | p50 ms | p99 ms | non-2xx | socket errors |")
    print("|---|---:|---:|---:|---:|---|")
    for label, r in results.items():
        print("| %s | %.0f | %.2f | %.2f | %d | %s |" % (label, r["rps"], r["p50"], r["p99"], r["non2xx"],
                                                         r["socket_errors"]))
    ref = results["Django REST Framework reference"]["rps"]
    for label in ("ypa serve (cache 1 s, default)", "ypa serve (cache off)"):
        print("%s: %.1fx the reference's throughput" % (label, results[label]["rps"] / ref))
    default = results["ypa serve (cache 1 s, default)"]
    ok = default["rps"] >= 20 * ref and default["p99"] < 20 and default["non2xx"] == 0
    print("target (>= 20x, p99 < 20 ms): %s" % ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
