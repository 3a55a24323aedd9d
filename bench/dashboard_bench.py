#!/usr/bin/env python3
"""The dashboard's iPhone view: time to its first complete paint in headless Chromium, for 30 days and for a
year of 15-minute buckets (docs/BENCHMARKS.md, "Dashboard").

Dataset bench_365d_<shops>x<iphones> (bench/common.py: generated once by `ypa datagen`, kept), `run_pipeline`
into `live` over its year. `ypa serve` runs with the response cache off (API_CACHE_MS=0), so every load asks
ClickHouse. Each load is a fresh navigation of `/#/iphone?...` (page, dygraphs, the five API requests, the
charts); measured from the browser's own clocks: the page's `performance.mark("ypa-view-ready")`, set when
every chart of the view has drawn, against the navigation's start (Navigation Timing), and the API requests'
span from Resource Timing. One load of each span first, not counted; then the median of --repeat.

Needs Debian's chromium, chromium-driver, python3-selenium and python3-jwt.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid

import jwt
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SECRET = "dashboard-bench-" + uuid.uuid4().hex

TIMINGS = """
const nav = performance.getEntriesByType('navigation')[0];
const ready = performance.getEntriesByName('ypa-view-ready')[0];
const api = performance.getEntriesByType('resource').filter(r => r.name.includes('/api/'));
const first = Math.min(...api.map(r => r.startTime));
const last = Math.max(...api.map(r => r.responseEnd));
return {ready: ready ? ready.startTime : null, dom: nav.domContentLoadedEventEnd, api: last - first,
        requests: api.length, bytes: api.reduce((s, r) => s + (r.encodedBodySize || 0), 0),
        points: window.ypaCharts.iphone ? window.ypaCharts.iphone.graph.numRows() : 0};
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ypa", default=common.YPA)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--shops", type=int, default=8)
    ap.add_argument("--iphones", type=int, default=2)
    args = ap.parse_args()

    env = common.stack_env()
    common.ensure_dataset(env, 365, args.shops, args.iphones)
    first, last = common.run_range(365)
    db = env["CLICKHOUSE_DB"]
    have = common.clickhouse(env, f"SELECT count() FROM {db}.features_wide WHERE run_id = 'live'").stdout.strip()
    if have == "0":
        print(f"run_pipeline live {first} .. {last} ...", flush=True)
        common.sh([args.ypa, "run_pipeline", "--run-id", "live", "--allow-live", "--from", str(first), "--to",
                   str(last)], env=env, capture=False)

    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([args.ypa, "serve", "--listen", f"127.0.0.1:{port}"],
                              env=dict(env, API_JWT_SECRET=SECRET, API_CACHE_MS="0"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        opts.add_argument(a)
    driver = None
    try:
        for _ in range(100):
            try:
                common.sh(["curl", "-fsS", base + "/healthz"])
                break
            except subprocess.CalledProcessError:
                time.sleep(0.1)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        now = int(time.time())
        token = jwt.encode({"token_type": "access", "exp": now + 3600, "iat": now, "jti": uuid.uuid4().hex,
                            "user_id": 1}, SECRET, algorithm="HS256")
        driver.get(base + "/ui/app.css")
        driver.execute_script("sessionStorage.setItem('ypa.access', arguments[0])", token)
        iphone = common.clickhouse(env, f"SELECT min(scope) FROM {db}.features_wide WHERE run_id = 'live' AND "
                                        "startsWith(scope, 'iphone:')").stdout.strip().split(":")[1]
        rows = []
        for label, days in (("30 days", 30), ("a year", 365)):
            start = last - common.dt.timedelta(days=days - 1)
            url = f"{base}/#/iphone?run=live&id={iphone}&from={start}&to={last}T23:45&ma=ema&w=120"
            samples = []
            for i in range(args.repeat + 1):
                driver.get("about:blank")
                driver.get(url)
                WebDriverWait(driver, 120).until(lambda d: d.execute_script(
                    "return document.body && document.body.dataset.state === 'ready'"))
                t = driver.execute_script(TIMINGS)
                if i > 0:
                    samples.append(t)
            ready = statistics.median(s["ready"] for s in samples)
            rows.append((label, samples[0]["points"], samples[0]["requests"], samples[0]["bytes"],
                         statistics.median(s["dom"] for s in samples), statistics.median(s["api"] for s in samples),
                         ready, ", ".join("%.0f" % s["ready"] for s in samples)))
        print(f"\nMachine: {common.machine()}; Chromium headless; {args.repeat} loads per span after one not counted.")
        print("| span | points | API requests | API bytes (gzip) | DOM ready ms | API span ms | first complete paint ms "
              "(median) | each load (ms) |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        for r in rows:
            print("| %s | %d | %d | %d | %.0f | %.0f | **%.0f** | %s |" % r)
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
