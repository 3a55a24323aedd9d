"""The dashboard of `ypa serve` (docs/dashboard.md) in a real headless Chromium (Debian's chromium,
chromium-driver and python3-selenium).

On datagen data with two runs computed (`live` over two days, `trial` over the second), opens every view
and reads back from the page's chart objects (window.ypaCharts, the dygraphs the page drew) the number
of points and the values at a known bucket; the expected values come from ClickHouse itself
(clickhouse-driver), not from the API. Also: a deep link restores its view on reload, the back button
returns to the previous view, no JavaScript console errors, and the empty and failing states are
messages (no data in the range, no runs yet, ClickHouse unreachable: 503, an expired token: the login). It
logs in through the page's form with an auth_user account made by `ypa init --demo-user`.
Saves a screenshot of every view into --screens (docs/dashboard-*.png are copies of them).

Needs `ypa stack` (eval "$(ypa stack env)"). The expired and replacement tokens of the failure cases are
signed with PyJWT as the Django application's simplejwt signs them (the login endpoint's own answers are
compared with simplejwt's in tests/contract/login_test.py).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import uuid

import jwt
from clickhouse_driver import Client
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "contract"))
import api_common  # noqa: E402

FROM, TO = "2025-03-01", "2025-05-01"  # wider than both runs: every stored bucket is in range
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def token(seconds=600):
    now = int(time.time())
    return jwt.encode({"token_type": "access", "exp": now + seconds, "iat": now, "jti": uuid.uuid4().hex,
                       "user_id": 1}, api_common.SECRET, algorithm="HS256")


class Browser:
    def __init__(self, screens):
        opts = Options()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1400,1000", "--disable-extensions", "--no-first-run"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
        self.screens = screens
        os.makedirs(screens, exist_ok=True)

    def wait_view(self, view, seconds=60):
        """Waits until the page shows `view` drawn or as a message; returns the state."""
        WebDriverWait(self.d, seconds).until(lambda d: d.execute_script(
            "return document.body && document.body.dataset.view === arguments[0] && "
            "['ready', 'message'].includes(document.body.dataset.state)", view))
        return self.d.execute_script("return document.body.dataset.state")

    def open(self, base, hash_, view):
        self.d.get(base + "/" + hash_)
        return self.wait_view(view)

    def go(self, hash_, view):
        self.d.execute_script("location.hash = arguments[0]", hash_)
        return self.wait_view(view)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def shot(self, name):
        self.d.save_screenshot(os.path.join(self.screens, "dashboard-%s.png" % name))

    def errors(self):
        return [e for e in self.d.get_log("browser") if e["level"] == "SEVERE"]

    def text(self):
        return self.js("return document.getElementById('main').innerText")


# The value a chart drew for `label` at the bucket `ms`: dygraphs' own data (getValue), as [v, v, v].
READ = """
const [view, chart, label, ms] = arguments;
const c = window.ypaCharts[view];
const g = chart === 'main' ? c.graph : c.graphs[chart];
const col = g.getLabels().indexOf(label);
if (col < 0) return {missing: g.getLabels()};
for (let r = 0; r < g.numRows(); ++r) {
  if (Number(g.getValue(r, 0)) === ms) {
    const v = g.getValue(r, col);
    return {value: Array.isArray(v) ? v : (v === null ? null : [v, v, v])};
  }
}
return {nobucket: true};
"""


def drawn(b, view, chart, label, ms):
    r = b.js(READ, view, chart, label, ms)
    return r.get("value") if "value" in r else r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ypa", required=True)
    ap.add_argument("--screens", required=True)
    args = ap.parse_args()

    ds = api_common.Dataset(args.ypa, "ypa_dash", days=("2025-04-01", "2025-04-02"), iphones=6, shops=5)
    servers = []
    browser = None
    try:
        ds.pipeline("trial", "2025-04-02", "2025-04-02")
        ch = Client(host=os.environ.get("CLICKHOUSE_HOST", "127.0.0.1"), port=int(os.environ["CLICKHOUSE_PORT"]),
                    user=os.environ.get("CLICKHOUSE_USER", "default"),
                    password=os.environ.get("CLICKHOUSE_PASSWORD", ""), database=ds.name)
        server = api_common.start_ypa(args.ypa, ds.env)
        servers.append(server)
        base = server.base

        # The files are the ones in src/http/ui/ and Debian's dygraphs, served without a token.
        ui = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "http", "ui")
        for path, source in (("/", os.path.join(ui, "index.html")), ("/ui/app.js", os.path.join(ui, "app.js")),
                             ("/ui/app.css", os.path.join(ui, "app.css")),
                             ("/ui/dygraph.min.js", "/usr/share/javascript/dygraphs/dygraph.min.js")):
            status, headers, body = api_common.get(base, path)
            with open(source, "rb") as f:
                check(status == 200 and body == f.read(), "%s serves %s as it is (%d, %d bytes)" %
                      (path, source, status, len(body)))
            check("default-src 'self'" in headers.get("content-security-policy", ""), path + " has a CSP")
        status, _, body = api_common.get(base, "/ui/missing.js")
        check(status == 404 and body == b'{"detail":"Not found."}', "an unknown asset is 404 (%d %r)" % (status, body))
        status, _, _ = api_common.get(base, "/api/iphones/")
        check(status == 401, "/api/iphones/ needs a token (%d)" % status)

        browser = b = Browser(args.screens)

        # The page itself needs no token; the API does: without one, the page asks for a login.
        b.d.get(base + "/")
        check(b.wait_view("login") == "ready", "without a token the page shows the login")
        b.d.get_log("browser")  # that 401 is logged by Chromium as a failed load: expected here
        # Log in through the form with an account of Django's auth_user, as `ypa init --demo-user` makes it:
        # a wrong password first (simplejwt's 401 detail on the page), then the right one.
        password = "dash-" + uuid.uuid4().hex
        subprocess.run([args.ypa, "init", "--source-schema", "--demo-user", "dash"], env=ds.env,
                       input=password + "\n", text=True, check=True, capture_output=True)

        def log_in(pw):
            form = b.d.find_element(By.ID, "login")
            for name, value in (("username", "dash"), ("password", pw)):
                field = form.find_element(By.NAME, name)
                field.clear()
                field.send_keys(value)
            form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

        log_in("not-" + password)
        WebDriverWait(b.d, 30).until(lambda d: "No active account" in
                                     d.find_element(By.ID, "login-message").text)
        check(b.js("return sessionStorage.getItem('ypa.access')") is None, "a wrong password stores no token")
        b.d.get_log("browser")  # the 401 of the wrong password is logged by Chromium as a failed load
        log_in(password)
        check(b.wait_view("runs") == "ready", "the right password leads to the runs view")
        access = b.js("return sessionStorage.getItem('ypa.access')")
        refresh = b.js("return sessionStorage.getItem('ypa.refresh')")
        claims = jwt.decode(access, api_common.SECRET, algorithms=["HS256"])
        check(claims.get("token_type") == "access" and refresh, "the login stored an access and a refresh token")

        # An expired access token with the refresh token of the login: the page refreshes it and goes on.
        expired = token(-60)
        b.js("sessionStorage.setItem('ypa.access', arguments[0])", expired)
        b.d.refresh()  # a new page load: its first request carries the expired token
        check(b.wait_view("runs") == "ready", "an expired access token is refreshed through /api/token/refresh/")
        renewed = b.js("return sessionStorage.getItem('ypa.access')")
        check(renewed != expired and
              jwt.decode(renewed, api_common.SECRET, algorithms=["HS256"])["exp"] > time.time(),
              "the refreshed access token is a new, valid one")
        b.d.get_log("browser")  # the expired token's 401 before the refresh: expected here

        # 1. Runs: one row per run, with the rows ClickHouse holds for it.
        state = b.open(base, "#/runs", "runs")
        check(state == "ready", "runs view is drawn")
        want = dict(ch.execute("SELECT run_id, count() FROM features_wide FINAL GROUP BY run_id"))
        rows = b.js("return [...document.querySelectorAll('#runs tbody tr')].map(r => [r.dataset.run, "
                    "[...r.cells].map(c => c.innerText)])")
        check(sorted(r for r, _ in rows) == sorted(want), "runs view lists the runs %s (got %s)" %
              (sorted(want), [r for r, _ in rows]))
        header = b.js("return [...document.querySelectorAll('#runs thead th')].map(c => c.innerText)")
        col = header.index("rows in features_wide") if "rows in features_wide" in header else -1
        for run, cells in rows:
            got = int(cells[col].replace(",", "")) if col >= 0 else None
            check(got == want.get(run), "runs view: %s has %s features_wide rows (ClickHouse: %s)" %
                  (run, got, want.get(run)))
        b.shot("runs")

        # 2. iPhone: the first iPhone with data; every bucket drawn, and a middle bucket's values.
        scope, n = ch.execute("SELECT scope, count() FROM features_wide FINAL WHERE run_id = 'live' AND "
                              "startsWith(scope, 'iphone:') GROUP BY scope ORDER BY scope LIMIT 1")[0]
        iphone = scope.split(":")[1]
        row = ch.execute("SELECT toUInt32(bucket), mean, median, shop_count, ema_120, boll_low_120, boll_mid_120, "
                         "boll_up_120, sma_900 FROM features_wide FINAL WHERE run_id = 'live' AND scope = %(s)s "
                         "ORDER BY bucket LIMIT 1 OFFSET %(o)s", {"s": scope, "o": n // 2})[0]
        ms = row[0] * 1000
        link = "#/iphone?run=live&id=%s&from=%s&to=%s&ma=ema&w=120" % (iphone, FROM, TO)
        check(b.open(base, link, "iphone") == "ready", "iphone view is drawn")
        check(b.js("return ypaCharts.iphone.graph.numRows()") == n, "iphone view draws %d buckets" % n)
        check(b.js("return ypaCharts.iphone.graphs[1].numRows()") == n, "shop count chart draws %d buckets" % n)
        mean = drawn(b, "iphone", "main", "mean", ms)
        check(isinstance(mean, list) and close(mean[1], row[1]), "iphone mean at %d: %s (ClickHouse %s)" %
              (row[0], mean, row[1]))
        med = drawn(b, "iphone", "main", "median", ms)
        check(isinstance(med, list) and close(med[1], row[2]), "iphone median: %s (ClickHouse %s)" % (med, row[2]))
        count = drawn(b, "iphone", 1, "shop_count", ms)
        check(isinstance(count, list) and count[1] == row[3], "shop count: %s (ClickHouse %s)" % (count, row[3]))
        ema = drawn(b, "iphone", "main", "ema_120", ms)
        check(isinstance(ema, list) and close(ema[1], row[4]), "ema_120: %s (ClickHouse %s)" % (ema, row[4]))
        band = [drawn(b, "iphone", "main", "boll_%s_120" % k, ms) for k in ("low", "mid", "up")]
        check(all(isinstance(v, list) and close(v[1], want) for v, want in zip(band, row[5:8])),
              "Bollinger band low/mid/up: %s (ClickHouse %s)" % (band, row[5:8]))
        b.shot("iphone")

        # The names lists against PostgreSQL.
        bearer = {"Authorization": "Bearer " + token()}
        pg = api_common.run(["psql", "-XAtq", "-F", "|", "-c", "SELECT id, part_number, model_name, capacity_gb, color "
                             "FROM \"AppleStockChecker_iphone\" ORDER BY id"], ds.env).stdout.splitlines()
        status, _, body = api_common.get(base, "/api/iphones/?limit=10000", bearer)
        got = ["%s|%s|%s|%s|%s" % (i["id"], i["part_number"], i["model_name"], i["capacity_gb"], i["color"])
               for i in json.loads(body)["results"]] if status == 200 else []
        check(got == pg and len(pg) > 0, "/api/iphones/ lists PostgreSQL's %d iPhones (got %d)" % (len(pg), len(got)))
        pg = api_common.run(["psql", "-XAtq", "-F", "|", "-c", "SELECT c.slug, c.title, count(m.id) FROM "
                             "\"AppleStockChecker_cohort\" c LEFT JOIN \"AppleStockChecker_cohortmember\" m "
                             "ON m.cohort_id = c.id GROUP BY c.slug, c.title ORDER BY c.slug"], ds.env).stdout.splitlines()
        status, _, body = api_common.get(base, "/api/cohorts/", bearer)
        got = ["%s|%s|%s" % (c["slug"], c["title"], c["members"]) for c in json.loads(body)["results"]] \
            if status == 200 else []
        check(got == pg and len(pg) > 0, "/api/cohorts/ lists PostgreSQL's cohorts (%s vs %s)" % (got, pg))

        # Search: typing narrows the iPhone list to the matching names from PostgreSQL.
        model = api_common.run(["psql", "-XAtq", "-c", "SELECT model_name, count(*) FROM "
                                           "\"AppleStockChecker_iphone\" GROUP BY model_name ORDER BY 1 LIMIT 1"],
                                          ds.env).stdout.strip().split("|")
        b.js("const s = document.getElementById('iphone-search'); s.value = arguments[0]; "
             "s.dispatchEvent(new Event('input'))", model[0])
        options = b.js("return document.getElementById('iphone-select').options.length")
        check(options == int(model[1]), "searching '%s' lists %s iPhones (PostgreSQL: %s)" % (model[0], options, model[1]))

        # A deep link with another average restores on reload.
        deep = "#/iphone?run=live&id=%s&from=%s&to=%s&ma=sma&w=900" % (iphone, FROM, TO)
        b.go(deep, "iphone")
        b.d.refresh()
        check(b.wait_view("iphone") == "ready", "reloaded deep link is drawn")
        restored = b.js("return [location.hash, document.querySelector('select[name=ma]').value, "
                        "document.querySelector('select[name=w]').value]")
        check(restored == [deep, "sma", "900"], "reload restores the deep link (%s)" % restored)
        sma = drawn(b, "iphone", "main", "sma_900", ms)
        check(isinstance(sma, list) and close(sma[1], row[8]), "sma_900 after reload: %s (ClickHouse %s)" %
              (sma, row[8]))

        # 3. Per shop: one series per shop around the mean, each shop's aligned price at the bucket.
        prices = ch.execute("SELECT shop_id, price_new FROM price_aligned FINAL WHERE run_id = 'live' AND "
                            "iphone_id = %(i)s AND toUInt32(bucket) = %(b)s ORDER BY shop_id",
                            {"i": int(iphone), "b": row[0]})
        shops = ch.execute("SELECT uniqExact(shop_id), uniqExact(bucket) FROM price_aligned FINAL "
                           "WHERE run_id = 'live' AND iphone_id = %(i)s", {"i": int(iphone)})[0]
        check(b.go("#/shops?run=live&id=%s&from=%s&to=%s" % (iphone, FROM, TO), "shops") == "ready",
              "per-shop view is drawn")
        labels = b.js("return ypaCharts.shops.graph.getLabels()")
        check(len(labels) == 2 + shops[0], "per-shop view: %d shops and the mean (labels %s)" % (shops[0], labels))
        buckets = ch.execute("SELECT count() FROM (SELECT bucket FROM price_aligned FINAL WHERE run_id = 'live' AND "
                             "iphone_id = %(i)s UNION ALL SELECT bucket FROM features_wide FINAL WHERE run_id = 'live' "
                             "AND scope = %(s)s) GROUP BY bucket", {"i": int(iphone), "s": scope})
        got = b.js("return ypaCharts.shops.graph.numRows()")
        check(got == len(buckets), "per-shop view draws %d buckets (ClickHouse: %d with a price or a mean)" %
              (got, len(buckets)))
        for shop_id, price in prices:
            label = next((l for l in labels if l.endswith(" #%d" % shop_id)), None)
            got = drawn(b, "shops", "main", label, ms) if label else None
            check(isinstance(got, list) and got[1] == price, "shop %d price at the bucket: %s (ClickHouse %s)" %
                  (shop_id, got, price))
        got = drawn(b, "shops", "main", "mean", ms)
        check(isinstance(got, list) and close(got[1], row[1]), "per-shop view's mean: %s" % got)
        b.shot("shops")

        # 4. Cohort: the first cohort with data, its member count from PostgreSQL.
        cscope, cn = ch.execute("SELECT scope, count() FROM features_wide FINAL WHERE run_id = 'live' AND "
                                "startsWith(scope, 'cohort:') GROUP BY scope ORDER BY scope LIMIT 1")[0]
        slug = cscope.split(":", 1)[1]
        crow = ch.execute("SELECT toUInt32(bucket), mean, n_models FROM features_wide FINAL WHERE run_id = 'live' "
                          "AND scope = %(s)s ORDER BY bucket LIMIT 1 OFFSET %(o)s", {"s": cscope, "o": cn // 2})[0]
        members = api_common.run(["psql", "-XAtq", "-c", "SELECT count(*) FROM \"AppleStockChecker_cohortmember\" m "
                                  "JOIN \"AppleStockChecker_cohort\" c ON c.id = m.cohort_id WHERE c.slug = '%s'" % slug],
                                 ds.env).stdout.strip()
        check(b.go("#/cohort?run=live&slug=%s&from=%s&to=%s" % (slug, FROM, TO), "cohort") == "ready",
              "cohort view is drawn")
        check(b.js("return ypaCharts.cohort.graph.numRows()") == cn, "cohort view draws %d buckets" % cn)
        got = drawn(b, "cohort", "main", "mean", crow[0] * 1000)
        check(isinstance(got, list) and close(got[1], crow[1]), "cohort mean: %s (ClickHouse %s)" % (got, crow[1]))
        got = drawn(b, "cohort", 1, "n_models", crow[0] * 1000)
        check(isinstance(got, list) and got[1] == crow[2], "cohort members with data: %s (ClickHouse %s)" %
              (got, crow[2]))
        text = b.js("return document.getElementById('members').innerText")
        check(text.startswith(members + " members"), "cohort member count %s (PostgreSQL %s)" % (text, members))
        b.shot("cohort")

        # 5. Compare: both runs' means overlaid; the differences or, without the endpoint, a message.
        trial = dict(ch.execute("SELECT toUInt32(bucket), mean FROM features_wide FINAL WHERE run_id = 'trial' "
                                "AND scope = %(s)s", {"s": scope}))
        live = dict(ch.execute("SELECT toUInt32(bucket), mean FROM features_wide FINAL WHERE run_id = 'live' "
                               "AND scope = %(s)s", {"s": scope}))
        check(b.go("#/compare?base=live&target=trial&scope=%s&from=%s&to=%s" % (scope, FROM, TO), "compare") == "ready",
              "compare view is drawn")
        check(b.js("return ypaCharts.compare.graph.numRows()") == len(set(trial) | set(live)),
              "compare view draws the union of both runs' buckets (%d)" % len(set(trial) | set(live)))
        t = max(trial)
        got_live = drawn(b, "compare", "main", "live mean", t * 1000)
        got_trial = drawn(b, "compare", "main", "trial mean", t * 1000)
        check(isinstance(got_live, list) and close(got_live[1], live[t]), "compare: live's mean %s (ClickHouse %s)" %
              (got_live, live[t]))
        check(isinstance(got_trial, list) and close(got_trial[1], trial[t]),
              "compare: trial's mean %s (ClickHouse %s)" % (got_trial, trial[t]))
        # The differences come from /api/runs/compare/; its row counts are ClickHouse's for the scope.
        WebDriverWait(b.d, 60).until(lambda d: "Comparing" not in
                                     d.find_element(By.ID, "differences").text)
        counts = b.js("""const h = [...document.querySelectorAll('#differences h3')]
                             .find(e => e.innerText === 'features_wide');
                         if (!h) return null;
                         return [...h.nextElementSibling.querySelectorAll('tr')[1].cells].map(c => c.innerText);""")
        want = [ch.execute("SELECT count() FROM features_wide FINAL WHERE run_id = %(r)s AND scope = %(s)s",
                           {"r": r, "s": scope})[0][0] for r in ("live", "trial")]
        check(counts is not None and [int(c) for c in counts[:2]] == want,
              "compare view lists features_wide's rows in base and target %s (ClickHouse %s)" % (counts, want))
        b.shot("compare")

        # Back: from the compare view to the cohort view it came from, then to the runs list.
        b.d.back()
        check(b.wait_view("cohort") == "ready", "back returns to the cohort view")
        b.js("history.go(-3)")
        check(b.wait_view("iphone") in ("ready", "message"), "back again returns to an iPhone view")

        severe = b.errors()
        check(not severe, "no JavaScript console errors (%s)" % severe)

        # Empty range: a message, not a blank chart.
        state = b.go("#/iphone?run=live&id=%s&from=2024-01-01&to=2024-01-02" % iphone, "iphone")
        check(state == "message" and "No data" in b.text(), "empty range shows a message (%s)" % b.text()[-200:])
        check(b.js("return document.querySelectorAll('.chart').length") == 0, "no blank chart for an empty range")
        b.shot("empty")

        # An expired token without a refresh token: back to the login, saying why.
        b.js("sessionStorage.removeItem('ypa.refresh')")
        b.js("sessionStorage.setItem('ypa.access', arguments[0])", token(-60))
        b.d.get(base + "/#/iphone?run=live&id=" + iphone)
        b.wait_view("login")
        check("expired" in b.text(), "expired token leads to the login with a message (%s)" % b.text()[:120])
        check("iphone" in b.js("return new URLSearchParams(location.hash.split('?')[1]).get('next') || ''"),
              "the login returns to the view asked for")
        b.shot("login")

        # No runs yet: a server on an initialised ClickHouse database without runs.
        empty_db = ds.name + "_empty"
        env = dict(ds.env, CLICKHOUSE_DB=empty_db)
        api_common.run([args.ypa, "init"], env)
        try:
            s2 = api_common.start_ypa(args.ypa, env)
            servers.append(s2)
            b.d.get(s2.base + "/")
            b.js("sessionStorage.setItem('ypa.access', arguments[0])", token())
            check(b.open(s2.base, "#/iphone", "iphone") == "message" and "No runs yet" in b.text(),
                  "no runs: a message (%s)" % b.text()[:120])
            b.shot("no-runs")
        finally:
            ds.clickhouse("DROP DATABASE IF EXISTS " + empty_db)

        # ClickHouse unreachable: the API's 503 becomes a message.
        env = dict(ds.env, CLICKHOUSE_PORT=str(api_common.free_port()), API_CH_CONNECT_TIMEOUT_MS="300")
        s3 = api_common.start_ypa(args.ypa, env)
        servers.append(s3)
        b.d.get(s3.base + "/")
        b.js("sessionStorage.setItem('ypa.access', arguments[0])", token())
        check(b.open(s3.base, "#/runs", "runs") == "message" and "unavailable (503" in b.text(),
              "ClickHouse down: a 503 message (%s)" % b.text()[:160])
        b.shot("unavailable")
    finally:
        if browser:
            browser.d.quit()
        for s in servers:
            s.stop()
        ds.drop()
    if failures:
        sys.exit("%d checks failed:\n  %s" % (len(failures), "\n  ".join(failures)))
    print("dashboard_test: all checks passed")


if __name__ == "__main__":
    main()
