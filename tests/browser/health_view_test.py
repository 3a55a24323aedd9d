"""The data health findings (docs/shop-health.md, "Findings") end to end on injected failures: the dashboard's
view (#/health, docs/dashboard.md) in a real headless Chromium (Debian's chromium, chromium-driver,
python3-selenium), /api/shop-health/findings/, /metrics and the log of `ypa schedule`.

Two datagen sets of the same seed: one with the three failures of `ypa datagen` injected on the last day
(shop 2 silent from 20:00 to the end, shop 4 at ten times its prices all day, shop 5 dropping its
odd-numbered iPhones from 12:00), one clean (`--no-outages`: no shop loses hours of scrapes, single ones
are still missed at random). Expected values come from the datagen parameters and from ClickHouse's
price_aligned and features_wide read directly (clickhouse-driver), not from shop_health nor the API:
- at the run's last bucket, with the default thresholds, the endpoint, the view and /metrics
  (ypa_shop_finding) list exactly: shop 2 silent, shop 4 ratio, shop 5 coverage. Shop 5's coverage value is
  recomputed from price_aligned's cells per bucket;
- the clean set has no finding: not at its last bucket (view, endpoint, /metrics), not at any bucket of its
  two days (the endpoint at every `at`), not in `ypa schedule`'s log over two hours of cycles, although it
  holds two missed scrapes in a row (recomputed from price_aligned: no cell in two buckets after one with
  cells), which look like the first half hour of a silence;
- within one cycle: in lookback mode a bucket T holds the records of (T - 15 min, T], so a failure that
  starts at HH:00 is first in the bucket HH:15. The endpoint at earlier buckets (`at`) and `ypa schedule`
  on the compressed clock (YPA_SIM_CLOCK) find shop 5's drop at 12:30 and not at 12:15, shop 2's
  silence once it is longer than 4 buckets (HEALTH_SILENT_BUCKETS), at 21:00 and not at 20:45, never as a
  coverage drop, and with HEALTH_SILENT_BUCKETS=1 at 20:15, its first empty bucket; the schedule finds shop
  4's x10 prices at 00:15 (its first bucket), not at 00:00. (The endpoint at a past `at` reads hour rows as
  the run holds them now, whole hours for a backfill, so the ratio is checked on the schedule's own cycles.)
- /api/shop-health/ and the view's coverage hold shop 5's cells per hour as price_aligned counts them;
  shop 4's price_ratio_median is the median of its price_new / mean, near 10 / (1 + 9 / shops); shop 2's
  last_recorded_at is before 20:00; /metrics: shop 2's seconds since the last record exceed every other
  shop's by at least 4 hours.
Saves the view of the injected set as --screens/dashboard-health.png (docs/dashboard-health.png is a copy).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid

from clickhouse_driver import Client
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "contract"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_common  # noqa: E402
from dashboard_test import Browser, token  # noqa: E402

SHOPS, IPHONES = 24, 10  # 24 shops: one at x10 moves the others' ratio to 1 / (1 + 9 / 24), within 0.3 of 1
DAY = "2025-04-02"
SILENT, SILENT_FROM = 2, "2025-04-02T20:00"  # silent to the end of the data (4 hours before midnight)
X10, DROP, DROP_FROM = 4, 5, "2025-04-02T12:00"
INJECT = ["--inject-silent", "%d,%s,6" % (SILENT, SILENT_FROM), "--inject-x10", "%d,%s" % (X10, DAY),
          "--inject-drop-half", "%d,%s" % (DROP, DROP_FROM)]
TOKYO = "+09:00"
VIEW = "#/health?run=live&from=2025-04-01&to=2025-04-03"
# The findings at the run's last bucket (2025-04-02T23:45) with the default thresholds.
EXPECTED = {(SILENT, "silent"), (X10, "ratio"), (DROP, "coverage")}
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


class Dataset:
    """A PostgreSQL and ClickHouse database of one name, datagen output and a `live` run over two days."""

    def __init__(self, ypa, prefix, inject):
        self.ypa = ypa
        self.name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])
        self.env = dict(os.environ, PGDATABASE=self.name, CLICKHOUSE_DB=self.name)
        api_common.run(["psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE " + self.name], self.env)
        api_common.run([ypa, "init", "--source-schema"], self.env)
        api_common.run([ypa, "init"], self.env)
        api_common.run([ypa, "datagen", "--shops", str(SHOPS), "--iphones", str(IPHONES), "--from", "2025-03-25",
                        "--to", DAY, "--seed", "5"] + inject, self.env)
        api_common.run([ypa, "run_pipeline", "--run-id", "live", "--allow-live", "--from", "2025-04-01",
                        "--to", DAY], self.env)
        self.ch = Client(host=os.environ.get("CLICKHOUSE_HOST", "127.0.0.1"), port=int(os.environ["CLICKHOUSE_PORT"]),
                         user=os.environ.get("CLICKHOUSE_USER", "default"),
                         password=os.environ.get("CLICKHOUSE_PASSWORD", ""), database=self.name)

    def drop(self):
        api_common.run(["psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name],
                       self.env, check=False)
        self.ch.execute("DROP DATABASE IF EXISTS " + self.name)


def api_rows(base, params):
    """Every /api/shop-health/ row for `params`, paging with limit/offset."""
    out, offset = [], 0
    bearer = {"Authorization": "Bearer " + token()}
    while True:
        q = "&".join("%s=%s" % (k, v.replace("+", "%2B")) for k, v in dict(params, limit="500",
                                                                            offset=str(offset)).items())
        status, _, body = api_common.get(base, "/api/shop-health/?" + q, bearer)
        if status != 200:
            sys.exit("/api/shop-health/ answered %d: %s" % (status, body[:200]))
        page = json.loads(body)
        out += page["results"]
        offset += len(page["results"])
        if not page["results"] or offset >= page["count"]:
            return out


def metrics(base, seconds=60):
    """The per-shop gauges of /metrics, once the server's background read has filled them."""
    deadline = time.time() + seconds
    while True:
        _, _, body = api_common.get(base, "/metrics")
        since = {int(s): float(v) for s, v in
                 re.findall(r'^ypa_shop_seconds_since_last_record\{shop="(\d+)"\} (\S+)$', body.decode(), re.M)}
        if len(since) == SHOPS or time.time() > deadline:
            return since
        time.sleep(0.5)  # the gauges are read by a background thread after the first scrape


def findings_of(base, params):
    """/api/shop-health/findings/ for `params`: (status, body)."""
    q = "&".join("%s=%s" % (k, v.replace("+", "%2B")) for k, v in params.items())
    status, _, body = api_common.get(base, "/api/shop-health/findings/?" + q, {"Authorization": "Bearer " + token()})
    return status, json.loads(body)


def kinds_at(base, at):
    status, body = findings_of(base, {"run_id": "live", "at": at})
    if status != 200:
        sys.exit("/api/shop-health/findings/ answered %d: %s" % (status, body))
    return {(f["shop"], f["kind"]) for f in body["results"]}


def metric_findings(base, seconds=60):
    """The ypa_shop_finding and ypa_shop_coverage gauges of /metrics, once the background read has run."""
    deadline = time.time() + seconds
    while True:
        _, _, body = api_common.get(base, "/metrics")
        text = body.decode()
        since = re.findall(r'^ypa_shop_seconds_since_last_record\{', text, re.M)
        if len(since) == SHOPS or time.time() > deadline:
            found = {(int(s), k) for s, k in re.findall(r'^ypa_shop_finding\{shop="(\d+)",kind="(\w+)"\} 1$', text, re.M)}
            coverage = {int(s): float(v) for s, v in re.findall(r'^ypa_shop_coverage\{shop="(\d+)"\} (\S+)$', text, re.M)}
            return found, coverage
        time.sleep(0.5)


def schedule_findings(ypa, env, run_id, first, cycles):
    """`ypa schedule --run-id RUN_ID --max-cycles CYCLES` on the compressed clock (YPA_SIM_CLOCK, 300 times real
    time), its first cycle at the bucket `first` (Tokyo "YYYY-MM-DDTHH:MM"), after a backfill of the run up to the
    bucket before: {(cycle's bucket HH:MM, shop, kind)} of the `finding:` lines (appearing) it logs."""
    start = epoch(first + TOKYO)
    before = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(start - 900 + 9 * 3600))
    api_common.run([ypa, "run_pipeline", "--run-id", run_id, "--from", "2025-04-01", "--to", before], env)
    # The first cycle computes floor(now - 3 min) = `first`; the next ones every 15 simulated minutes.
    clock = "%.3f,%d,300" % (time.time(), start + 181)
    r = api_common.run([ypa, "schedule", "--run-id", run_id, "--max-cycles", str(cycles), "--device", "cpu"],
                       dict(env, YPA_SIM_CLOCK=clock))
    out, cycle = set(), None
    kinds = {"silent": "silent", "filtered share": "filtered", "price ratio": "ratio", "coverage dropped": "coverage"}
    for line in (r.stdout + r.stderr).splitlines():
        m = re.search(r"cycle: buckets \S+ \.\. \d{4}-\d\d-\d\dT(\d\d:\d\d)", line)
        if m:
            cycle = m.group(1)
        m = re.search(r"finding: shop (\d+) (silent|filtered share|price ratio|coverage dropped)", line)
        if m:
            out.add((cycle, int(m.group(1)), kinds[m.group(2)]))
    return out


def bucket_cells(ch, shop=None):
    """price_aligned's cells of live per (shop, bucket), read directly."""
    where = "" if shop is None else " AND shop_id = %d" % shop
    return {(s, b): n for s, b, n in ch.execute("SELECT shop_id, toUInt32(bucket), count() FROM price_aligned FINAL "
                                                 "WHERE run_id = 'live'%s GROUP BY shop_id, bucket" % where)}


def coverage(counts, shop, last):
    """The coverage rule at the bucket `last` from cells per (shop, bucket): (cells, baseline, value). The cells
    are the larger of the shop's last two scrapes (buckets with cells) among the last three buckets (None with
    fewer than two); the baseline is the median, over the 24 whole hours before the hour of `last`, of the
    hour's cells / 4."""
    at = lambda b: counts.get((shop, b), 0)
    hour = last - last % 3600
    baseline = statistics.median(sum(at(hour - 3600 * k + 900 * j) for j in range(4)) / 4 for k in range(1, 25))
    scrapes = [at(b) for b in (last - 1800, last - 900, last) if at(b) > 0]
    cells = max(scrapes[-2:]) if len(scrapes) >= 2 else None
    value = cells / baseline if cells is not None and baseline > 0 else None
    return cells, baseline, value


def drop_value(ch, last):
    """Shop DROP's coverage at the bucket `last` from price_aligned."""
    return coverage(bucket_cells(ch, DROP), DROP, last)[2]


def iso_tokyo(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + 9 * 3600)) + TOKYO


def epoch(iso):
    return int(subprocess.run(["date", "-d", iso, "+%s"], capture_output=True, text=True, check=True).stdout)


def open_health(b, base, hash_):
    b.d.get(base + "/ui/app.css")  # the origin's sessionStorage, without the page's requests before the token
    b.js("sessionStorage.setItem('ypa.access', arguments[0])", token())
    return b.open(base, hash_, "health")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ypa", required=True)
    ap.add_argument("--screens", required=True)
    args = ap.parse_args()
    if "CLICKHOUSE_PORT" not in os.environ:
        sys.exit('CLICKHOUSE_PORT is not set: run eval "$(ypa stack env)" first')

    sets, servers, browser = [], [], None
    try:
        bad = Dataset(args.ypa, "ypa_health", INJECT)
        sets.append(bad)
        clean = Dataset(args.ypa, "ypa_health_clean", ["--no-outages"])
        sets.append(clean)
        server = api_common.start_ypa(args.ypa, bad.env)
        servers.append(server)
        base = server.base
        ch = bad.ch
        browser = b = Browser(args.screens)

        # --- The view on the injected set.
        state = open_health(b, base, VIEW)
        check(state == "ready", "health view is drawn (%s)" % b.text()[:200])
        h = b.js("return window.ypaCharts.health")
        findings = h["findings"] if h else []
        listed = b.js("return [...document.querySelectorAll('#findings li')].map(li => "
                      "[Number(li.dataset.shop), li.dataset.kind, li.innerText])")
        check(sorted((s, k) for s, k, _ in listed) == sorted((f["shop"], f["kind"]) for f in findings),
              "the findings list shows window.ypaCharts.health.findings (%s)" % listed)
        got = {(f["shop"], f["kind"]) for f in findings}
        check(got == EXPECTED, "view: exactly the injected failures with the default thresholds (%s)" % sorted(got))
        status, answer = findings_of(base, {"run_id": "live"})
        check(status == 200 and answer["results"] == findings,
              "view: the findings are /api/shop-health/findings/'s (%s)" % (answer if status != 200 else ""))
        check(status == 200 and answer["thresholds"] == {"silent_buckets": 4, "filtered_share": 0.2, "ratio_drift": 0.3,
                                                         "coverage_drop": 0.3},
              "endpoint: the default thresholds (%s)" % answer.get("thresholds"))
        check(h and h["shops"] == list(range(1, SHOPS + 1)), "the view has a row per shop (%s)" %
              (h["shops"] if h else None))

        # Silent: its last source record (PostgreSQL) and the run's last bucket (ClickHouse's features_wide).
        silent_from = epoch(SILENT_FROM + TOKYO)
        last_bucket = ch.execute("SELECT toUInt32(max(bucket)) FROM features_wide FINAL WHERE run_id = 'live'")[0][0]
        last = int(api_common.run(["psql", "-XAtq", "-c", "SELECT floor(extract(epoch FROM max(recorded_at)))::bigint "
                                   "FROM \"AppleStockChecker_purchasingshoppricerecord\" WHERE shop_id = %d AND "
                                   "recorded_at <= to_timestamp(%d)" % (SILENT, last_bucket)],
                                  bad.env).stdout.strip())
        check(last < silent_from, "PostgreSQL: shop %d's last record %d is before the silence (%d)" %
              (SILENT, last, silent_from))
        silent = [f for f in findings if f["shop"] == SILENT and f["kind"] == "silent"]
        want = (last_bucket - (last - last % 900)) // 900
        check(silent and silent[0]["value"] == want,
              "silent finding counts %s buckets (%d from the bucket of its last record to the run's last)" %
              (silent[0]["value"] if silent else None, want))
        rows = api_rows(base, {"run_id": "live", "shop": str(SILENT), "bucket__gte": "2025-04-02T00:00" + TOKYO})
        api_last = max(epoch(r["last_recorded_at"]) for r in rows if r["last_recorded_at"])
        check(api_last == last, "API: shop %d's latest last_recorded_at is PostgreSQL's last record (%d vs %d)" %
              (SILENT, api_last, last))
        # (A record just before 20:00 belongs to the bucket 20:00, so the hour of 20:00 may still read one.)
        check(all(r["records_read"] == 0 for r in rows if epoch(r["bucket"]) > silent_from),
              "API: shop %d reads no record in the hours after %s" % (SILENT, SILENT_FROM))

        # x10: the median of price_new / mean over the shop's cells per hour, from ClickHouse directly.
        cells = ch.execute("SELECT toUInt32(toStartOfHour(a.bucket)), a.price_new / f.mean FROM price_aligned AS a "
                           "FINAL INNER JOIN (SELECT bucket, scope, mean FROM features_wide FINAL WHERE run_id = 'live') "
                           "AS f ON f.bucket = a.bucket AND f.scope = concat('iphone:', toString(a.iphone_id)) "
                           "WHERE a.run_id = 'live' AND a.shop_id = %(s)s", {"s": X10})
        per_hour = {}
        for hour, ratio in cells:
            per_hour.setdefault(hour, []).append(ratio)
        rows = api_rows(base, {"run_id": "live", "shop": str(X10)})
        got = {epoch(r["bucket"]): r["price_ratio_median"] for r in rows}
        day = epoch(DAY + "T00:00" + TOKYO)
        bad_hours = [hr for hr in per_hour if hr >= day]
        check(len(bad_hours) == 24 and all(abs(got.get(hr, 0) - statistics.median(per_hour[hr])) < 1e-9
                                           for hr in per_hour),
              "API: shop %d's price_ratio_median per hour is ClickHouse's median of price_new / mean (%d hours)" %
              (X10, len(per_hour)))
        near = 10 / (1 + 9 / SHOPS)
        x10 = [got[hr] for hr in bad_hours]
        check(x10 and all(abs(v - near) < 0.25 * near for v in x10),
              "API: shop %d's ratio on %s is near 10 / (1 + 9 / %d) = %.2f (%.2f .. %.2f)" %
              (X10, DAY, SHOPS, near, min(x10), max(x10)))
        check(all(abs(got[hr] - 1) < 0.3 for hr in per_hour if hr < day),
              "API: shop %d's ratio is near 1 the day before" % X10)

        # Drop-half: cells per hour from price_aligned; the API and the view's coverage hold the same, and
        # they fall after the drop.
        counts = dict(ch.execute("SELECT toUInt32(toStartOfHour(bucket)) AS h, count() FROM price_aligned FINAL "
                                 "WHERE run_id = 'live' AND shop_id = %(s)s GROUP BY h", {"s": DROP}))
        rows = api_rows(base, {"run_id": "live", "shop": str(DROP)})
        got = {epoch(r["bucket"]): r["cells"] for r in rows}
        check(all(got.get(hr, 0) == n for hr, n in counts.items()) and sum(got.values()) == sum(counts.values()),
              "API: shop %d's cells per hour are price_aligned's counts (%d hours)" % (DROP, len(counts)))
        view = dict(zip([int(x) // 1000 for x in h["hours"]], h["coverage"][str(DROP)])) if h else {}
        check(all(view.get(hr) == n for hr, n in counts.items()),
              "view: shop %d's coverage per hour is price_aligned's counts" % DROP)
        drop_at = epoch(DROP_FROM + TOKYO)
        before = [n for hr, n in counts.items() if hr < drop_at]
        after = [counts.get(hr, 0) for hr in got if hr >= drop_at]
        check(before and after and max(after) <= 0.6 * statistics.mean(before),
              "shop %d's cells fall after %s: at most %s per hour after, %.1f before" %
              (DROP, DROP_FROM, max(after) if after else None, statistics.mean(before) if before else 0))
        b.shot("health")

        # The endpoint: shop 5's coverage value from price_aligned; each failure within one cycle of its first
        # bucket (none at the bucket before); a bad threshold is a 400 naming it, an unknown run a 404.
        want = drop_value(ch, last_bucket)
        value = [f["value"] for f in findings if (f["shop"], f["kind"]) == (DROP, "coverage")]
        check(value and abs(value[0] - want) < 1e-12, "endpoint: shop %d's coverage %s is price_aligned's %.6f" %
              (DROP, value, want))
        for at, shop, kind, present in [("2025-04-02T12:15", DROP, "coverage", False),
                                        ("2025-04-02T12:30", DROP, "coverage", True),
                                        ("2025-04-02T20:45", SILENT, "coverage", False),
                                        ("2025-04-02T20:45", SILENT, "silent", False),
                                        ("2025-04-02T21:00", SILENT, "silent", True)]:
            kinds = kinds_at(base, at + TOKYO)
            check(((shop, kind) in kinds) == present, "endpoint at %s: shop %d %s %s (%s)" %
                  (at, shop, kind, "found" if present else "not yet", sorted(kinds)))
        status, body = findings_of(base, {"run_id": "live", "coverage_drop": "2"})
        check(status == 400 and list(body) == ["coverage_drop"], "endpoint: coverage_drop=2 is a 400 naming it (%s)" % body)
        status, body = findings_of(base, {"run_id": "live", "ratio_drift": "100"})
        check(status == 200 and (X10, "ratio") not in {(f["shop"], f["kind"]) for f in body["results"]},
              "endpoint: ratio_drift=100 has no ratio finding")
        status, body = findings_of(base, {"run_id": "nosuch"})
        check(status == 404, "endpoint: an unknown run is a 404 (%d %s)" % (status, body))

        # /metrics: one ypa_shop_finding per open finding of live; shop 5's coverage gauge.
        found, coverage = metric_findings(base)
        check(found == EXPECTED, "/metrics: ypa_shop_finding is exactly the injected failures (%s)" % sorted(found))
        check(abs(coverage.get(DROP, -1) - want) < 1e-12, "/metrics: ypa_shop_coverage of shop %d is %.6f (%s)" %
              (DROP, want, coverage.get(DROP)))

        # `ypa schedule` logs each failure within one cycle of its first bucket.
        logged = schedule_findings(args.ypa, bad.env, "sched_drop", "2025-04-02T12:00", 3)
        check((("12:30", DROP, "coverage") in logged) and not any(s == DROP for _, s, _k in logged if _ < "12:30"),
              "schedule: shop %d's coverage drop logged at 12:30 (%s)" % (DROP, sorted(logged)))
        logged = schedule_findings(args.ypa, bad.env, "sched_silent", "2025-04-02T20:00", 5)
        check({(c, k) for c, s, k in logged if s == SILENT} == {("21:00", "silent")},
              "schedule: shop %d's silence logged once, as silent at 21:00 (%s)" % (SILENT, sorted(logged)))
        logged = schedule_findings(args.ypa, dict(bad.env, HEALTH_SILENT_BUCKETS="1"), "sched_silent1",
                                   "2025-04-02T20:00", 2)
        check({(c, k) for c, s, k in logged if s == SILENT} == {("20:15", "silent")},
              "schedule with HEALTH_SILENT_BUCKETS=1: shop %d silent at 20:15 (%s)" % (SILENT, sorted(logged)))
        logged = schedule_findings(args.ypa, bad.env, "sched_x10", "2025-04-02T00:00", 2)
        check(("00:15", X10, "ratio") in logged and not any(s == X10 for c, s, _k in logged if c < "00:15"),
              "schedule: shop %d's x10 prices logged at 00:15 (%s)" % (X10, sorted(logged)))

        # /metrics: every shop's seconds since its last source record (PostgreSQL, up to the run's last
        # bucket); shop 2's exceed every other shop's by the silence, less the last bucket.
        pg_last = dict((int(s), int(t)) for s, t in (line.split("|") for line in api_common.run(
            ["psql", "-XAtq", "-F", "|", "-c", "SELECT shop_id, floor(extract(epoch FROM max(recorded_at)))::bigint "
             "FROM \"AppleStockChecker_purchasingshoppricerecord\" WHERE recorded_at <= to_timestamp(%d) "
             "GROUP BY shop_id" % last_bucket], bad.env).stdout.split()))
        since = metrics(base)
        now = time.time()
        check(len(since) == SHOPS and all(abs(since[s] - (now - pg_last[s])) < 120 for s in since),
              "/metrics: every shop's seconds since = now - its last record in PostgreSQL (%d gauges)" % len(since))
        if len(since) == SHOPS:
            rest = max(v for s, v in since.items() if s != SILENT)
            check(since[SILENT] - rest >= last_bucket - 900 - silent_from,
                  "/metrics: shop %d silent %.0f s longer than any other shop (at least %d)" %
                  (SILENT, since[SILENT] - rest, last_bucket - 900 - silent_from))
        # Thresholds from the link: a drift of 100 hides the ratio finding; a bad value is a message.
        check(open_health(b, base, "#/health?run=live&from=2025-04-01&to=2025-04-03&drift=100") == "ready",
              "health view with drift=100 is drawn")
        kinds = {(f["shop"], f["kind"]) for f in b.js("return window.ypaCharts.health.findings")}
        check((X10, "ratio") not in kinds and (SILENT, "silent") in kinds,
              "drift=100: no ratio finding, the silent one stays (%s)" % sorted(kinds))
        check(open_health(b, base, "#/health?run=live&drift=x") == "message" and 'bad drift "x"' in b.text(),
              "a bad threshold is a message (%s)" % b.text()[:120])
        check(open_health(b, base, "#/health?run=live&from=2024-01-01&to=2024-01-02") == "message" and
              "No shop_health rows" in b.text(), "an empty range is a message (%s)" % b.text()[-160:])
        # (favicon.ico: Chromium asks for it on /ui/app.css, which open_health loads to set the token.)
        # (ratio_drift=x: Chromium logs the endpoint's 400 for the bad threshold above, which the page shows.)
        severe = [e for e in b.errors() if "/favicon.ico" not in e["message"] and
                  not ("/api/shop-health/findings/?" in e["message"] and "ratio_drift=x" in e["message"])]
        check(not severe, "no JavaScript console errors (%s)" % severe)

        # --- The clean set: no finding.
        s2 = api_common.start_ypa(args.ypa, clean.env)
        servers.append(s2)
        check(open_health(b, s2.base, VIEW) == "ready",
              "health view of the clean set is drawn")
        got = b.js("return window.ypaCharts.health.findings")
        check(got == [] and "No findings" in b.text(), "clean set: no finding (%s)" % got)
        status, body = findings_of(s2.base, {"run_id": "live"})
        check(status == 200 and body["count"] == 0, "clean set: the endpoint has no finding (%s)" % body)
        found, _ = metric_findings(s2.base)
        check(not found, "clean set: /metrics has no ypa_shop_finding (%s)" % sorted(found))
        # The clean set's two days bucket by bucket (the endpoint at each `at`): no finding of any kind, although
        # it holds runs of two missed scrapes (recomputed from price_aligned: a shop with cells in a bucket and
        # none in the two after it).
        counts = bucket_cells(clean.ch)
        first = epoch("2025-04-01T00:00" + TOKYO)
        found, gaps = [], []
        for t in range(first + 1800, first + 2 * 86400, 900):
            got = kinds_at(s2.base, iso_tokyo(t))
            if got:
                found.append((iso_tokyo(t)[5:16], sorted(got)))
            gaps += [(iso_tokyo(t)[5:16], s) for s in range(1, SHOPS + 1)
                     if counts.get((s, t - 1800)) and not counts.get((s, t - 900)) and not counts.get((s, t))]
        check(not found, "clean set: no finding at any bucket of 2025-04-01 and %s (%s)" % (DAY, found))
        check(len(gaps) >= 2, "clean set: two missed scrapes in a row, no finding there either (%s)" % gaps)
        logged = schedule_findings(args.ypa, clean.env, "sched_clean", "2025-04-02T17:00", 8)
        check(not logged, "clean set: `ypa schedule` logs no finding over 8 cycles from 17:00 (%s)" % sorted(logged))
    finally:
        if browser:
            browser.d.quit()
        for s in servers:
            s.stop()
        for d in sets:
            d.drop()
    if failures:
        sys.exit("%d checks failed:\n  %s" % (len(failures), "\n  ".join(failures)))
    print("health_view_test: all checks passed")


if __name__ == "__main__":
    main()
