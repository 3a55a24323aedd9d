#!/usr/bin/python3
"""Fuzzes `ypa serve` from its own OpenAPI document (schemathesis is not installable here): every
operation with random, malformed and oversized parameter values, repeated keys, odd encodings and
headers, from several threads for a bounded time. Fails on any 5xx, 503 included, or if the server
dies: ClickHouse is up for the whole run (checked by /readyz before and after), so a 503 would be a
query ClickHouse refused passed off as an outage, or a pool or timeout bug.

    eval "$(ypa stack env)"; /usr/bin/python3 tests/contract/fuzz_api.py --ypa build/ypa --seconds 60
"""
import argparse
import json
import random
import sys
import threading
import time
import urllib.parse

import jwt

import api_common as common

NASTY = ["", " ", "0", "-1", "1e400", "NaN", "inf", "-0", "1.5", "1_000", "١٢", "99999999999999999999999",
         "2025-04-01", "2025-04-01T00:00", "2025-04-01T00:00:00+09:00", "2025-02-30", "9999-12-31T23:59:59Z",
         "0001-01-01T00:00:00+23:59", "2025-04-01T24:00", "%00", "\x00", "'", "\\", "' OR 1=1 --", "`drop`",
         "a" * 5000, "é", "東京", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"), ",", ",,,", "1,2,x",
         "-", "--bucket", "bucket,-bucket", "live", "bf1", "x" * 65, "iphone:1", "cohort:", "ema_120",
         "ema_120,sma_900", "%", "%zz", "+", "null", "[]", "{}"]


def value_for(schema, rng):
    if rng.random() < 0.5:
        return rng.choice(NASTY)
    kind = schema.get("type")
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if kind == "integer":
        return str(rng.choice([0, 1, 2, 3, 7, 100, 10000, 10001, 2 ** 31, -5]))
    if schema.get("format") == "date-time":
        return "2025-04-0%dT%02d:%02d" % (rng.randint(1, 3), rng.randint(0, 23), rng.choice([0, 15, 59]))
    return rng.choice(["iphone:3", "x", "live", "a,b", "sma_120"])


def make_request(spec, rng):
    path = rng.choice([p for p in spec["paths"] if "get" in spec["paths"][p]])
    params = spec["paths"][path]["get"]["parameters"]
    query = []
    for p in params:
        if rng.random() < 0.4:
            query.append((p["name"], value_for(p["schema"], rng)))
            if rng.random() < 0.1:
                query.append((p["name"], value_for(p["schema"], rng)))
    if rng.random() < 0.2:
        query.append((rng.choice(NASTY) or "k", rng.choice(NASTY)))
    encoded = urllib.parse.urlencode(query, quote_via=urllib.parse.quote) if rng.random() < 0.8 else "&".join(
        "%s=%s" % (urllib.parse.quote(k, safe="%"), urllib.parse.quote(v, safe="%+,")) for k, v in query)
    if rng.random() < 0.05:
        path = path.rstrip("/")
    method = "GET" if rng.random() < 0.9 else rng.choice(["POST", "DELETE", "HEAD", "OPTIONS", "PUT"])
    return method, path + ("?" + encoded if encoded else "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ypa", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = common.Dataset(args.ypa, "fuzz", days=("2025-04-01", "2025-04-01"), iphones=6, shops=4)
    server = None
    try:
        server = common.start_ypa(args.ypa, data.env)
        if common.get(server.base, "/readyz")[0] != 200:
            sys.exit("ClickHouse is not ready before the run: %s" % common.get(server.base, "/readyz")[2])
        spec = json.loads(common.get(server.base, "/api/schema/")[2])
        now = int(time.time())
        good = jwt.encode({"token_type": "access", "exp": now + 3600, "iat": now, "jti": "f", "user_id": 1},
                          common.SECRET, algorithm="HS256")
        headers = [{"Authorization": "Bearer " + good}] * 6 + [
            {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer " + good + "x"},
            {"Authorization": "Bearer a.b.c"}, {"Authorization": "Bearer " + "A" * 8000 + ".e30.x"}]
        counts, failures, lock = {}, [], threading.Lock()
        deadline = time.time() + args.seconds

        def worker(seed):
            rng = random.Random(seed)
            while time.time() < deadline:
                method, target = make_request(spec, rng)
                try:
                    status = common.get(server.base, target, rng.choice(headers), method)[0]
                except Exception as e:  # a dropped connection counts as a crash
                    status = "error: %s" % e
                with lock:
                    counts[status] = counts.get(status, 0) + 1
                    if not isinstance(status, int) or status >= 500:
                        failures.append((status, method, target))

        threads = [threading.Thread(target=worker, args=(args.seed * 1000 + i,)) for i in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        alive = server.proc.poll() is None
        ready = alive and common.get(server.base, "/readyz")[0] == 200
        print("requests by status: %s" % dict(sorted(counts.items(), key=str)))
        print("server alive: %s; ClickHouse ready after the run: %s; failures: %d" % (alive, ready, len(failures)))
        for f in failures[:20]:
            print("  %s %s %s" % f)
        return 0 if alive and ready and not failures and sum(counts.values()) > 0 else 1
    finally:
        if server:
            server.stop()
        data.drop()


if __name__ == "__main__":
    sys.exit(main())
