#!/usr/bin/python3
"""A week in production, compressed: `ypa schedule` and `ypa serve` under load and faults (issue 19).

One command, on a stack of its own (`ypa stack` in --stack-dir, on --pg-port/--ch-port):

  1. source data: `ypa datagen` writes HISTORY_DAYS of scraped prices before the simulated start, and
     `run_pipeline --allow-live` makes run `live` from them;
  2. a simulated clock (YPA_SIM_CLOCK, docs/configuration.md) that runs --speed times as fast as the real
     one; every ypa process of the soak reads it, so a 15-minute bucket closes every 900/speed seconds;
  3. a scraper process that inserts rows as the design document's shops do: one round every ~15
     simulated minutes, the shops one after the other over 10-12 minutes, plus late rows (a shop's batch
     held back 20-60 simulated minutes, recorded at the original time), duplicate rows and invalid
     prices (NULL, 0, negative);
  4. `ypa schedule --every 15m --delay 3m --since 2h` keeping `live` current, restarted by the harness
     when it dies, as systemd's Restart=on-failure does;
  5. `ypa serve` under a steady load (--rps requests per second from --threads client threads) of charts,
     lists and points;
  6. a fault injector on a seeded schedule, each kind in turn: ClickHouse restarted, PostgreSQL
     restarted, `ypa schedule` SIGKILLed and restarted at once, `ypa schedule` SIGKILLed and restarted
     after 2.2-2.6 simulated hours (longer than --since), a backfill promoted into `live` with
     `promote_run --keep-backup`, old runs dropped;
  7. checkpoints (every --checkpoint-min and at the end): the scraper pauses, the loop catches up, and
     `live` must equal a fresh backfill of the same range (`compare_runs`, 1e-9) with no bucket missing
     or duplicated.

Verdicts, one line each, exit 1 if any fails: see verdicts() at the end. `--write-docs` records the
run in docs/BENCHMARKS.md and docs/soak.png. Needs /usr/bin/python3 with python3-psycopg2 (and
python3-matplotlib for the plot), and `build/ypa` (--ypa).
"""
import argparse
import bisect
import collections
import datetime as dt
import gzip
import http.client
import json
import math
import multiprocessing
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUCKET = 900
TZ = dt.timezone(dt.timedelta(hours=9))  # PIPELINE_TZ's default, Asia/Tokyo (no daylight saving time)
HISTORY_FROM = dt.date(2025, 1, 1)  # datagen's first day; one day of warm-up before the runs' --from
RUN_FROM = "2025-01-02"
HISTORY_DAYS = 5  # datagen days: 2025-01-01 .. 2025-01-05; the simulation starts 2025-01-06 00:00
PROBE_DAY = "2025-01-03"  # a day of history no loop cycle rewrites: only promotes change its rows
FAULT_KINDS = ["clickhouse_restart", "postgres_restart", "schedule_kill", "schedule_outage", "promote", "drop_runs"]
CACHE_MS = 1000  # API_CACHE_MS
STALE_GRACE_S = 1.0  # a refresh of an expired answer: queried and stored within this
OUTAGE_STALE_S = 10.0  # an expired answer is served at most 10 s more while ClickHouse is away (docs/api.md)
OUTAGE_GRACE_S = 5.0  # after a server is back, the API's pool replaces its dead connections


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} soak: {msg}", flush=True)


def sim_start_epoch():
    d = HISTORY_FROM + dt.timedelta(days=HISTORY_DAYS)
    return int(dt.datetime(d.year, d.month, d.day, tzinfo=TZ).timestamp())


def iso_minute(epoch):
    return dt.datetime.fromtimestamp(epoch, TZ).strftime("%Y-%m-%dT%H:%M")


def iso_full(epoch):
    return dt.datetime.fromtimestamp(epoch, TZ).isoformat()


class SimClock:
    """YPA_SIM_CLOCK's arithmetic (src/core/clock.cpp): sim = sim0 + (real - real0) * speed."""

    def __init__(self, real0, sim0, speed):
        self.real0, self.sim0, self.speed = real0, sim0, speed

    def env_value(self):
        return f"{self.real0:.3f},{self.sim0},{self.speed:g}"

    def now(self):
        return self.sim0 + (time.time() - self.real0) * self.speed

    def real_for(self, sim):
        return self.real0 + (sim - self.sim0) / self.speed


# ------------------------------------------------------------------------------------------ the stack
class Stack:
    def __init__(self, args):
        self.args = args
        self.dir = os.path.abspath(args.stack_dir)
        self.env = dict(os.environ)
        self.env["YPA_STACK_DIR"] = self.dir
        for name in list(self.env):
            if name.startswith(("PG", "CLICKHOUSE_", "API_", "DATABASE_URL", "PIPELINE_", "YPA_SIM_CLOCK")):
                del self.env[name]

    def ypa(self, *argv, check=True, env=None, timeout=600):
        p = subprocess.run([self.args.ypa, *argv], env=env or self.env, text=True, capture_output=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"ypa {' '.join(argv)} exited {p.returncode}: {p.stderr.strip()[-2000:]}")
        return p

    def up(self):
        self.ypa("stack", "up", "--pg-port", str(self.args.pg_port), "--ch-port", str(self.args.ch_port))
        for line in self.ypa("stack", "env").stdout.splitlines():
            if line.startswith("export "):
                name, _, value = line[len("export "):].partition("=")
                self.env[name] = value.strip("'\"")
        self.env["CLICKHOUSE_DB"] = self.env["PGDATABASE"] = "soak"
        self.env["PIPELINE_DEVICE"] = "cpu"

    def down(self):
        self.ypa("stack", "down", check=False)

    def ch(self, query, timeout=60, database=None):
        """One query through ClickHouse's HTTP interface (native port - 877); the result's text."""
        port = int(self.env["CLICKHOUSE_PORT"]) - 877
        url = f"http://127.0.0.1:{port}/?" + urllib.parse.urlencode({"database": database or self.env["CLICKHOUSE_DB"]})
        req = urllib.request.Request(url, data=query.encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"ClickHouse refused {query[:200]!r}: {e.read().decode()[:500]}") from None

    def pg_connect(self):
        import psycopg2
        return psycopg2.connect(host=self.env["PGHOST"], port=self.env["PGPORT"], user=self.env["PGUSER"],
                                dbname=self.env["PGDATABASE"], connect_timeout=3)

    def _server_pid(self, path, marker):
        try:
            pid = int(open(path).readline().strip())
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
        except (OSError, ValueError):
            return None
        return pid if marker in cmdline else None  # only the server of this stack, never another

    def ch_pid(self):
        return self._server_pid(os.path.join(self.dir, "clickhouse", "server.pid"), self.dir)

    def pg_pid(self):
        return self._server_pid(os.path.join(self.dir, "postgres", "data", "postmaster.pid"), self.dir)

    def stop_server(self, which):
        pid, sig = (self.ch_pid(), signal.SIGTERM) if which == "clickhouse" else (self.pg_pid(), signal.SIGINT)
        if pid is None:
            raise RuntimeError(f"{which} of {self.dir} is not running")
        os.kill(pid, sig)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)  # another process's exit: nothing to wait on but polling
        raise RuntimeError(f"{which} (pid {pid}) did not stop within 90 s")


# ---------------------------------------------------------------------------------------- the scraper
def scraper_main(env, clock_value, seed, pause, paused, stop, stats):
    """The shops' scrapers (a process of its own): each ~15 simulated minutes a round, shop after shop."""
    import psycopg2
    real0, sim0, speed = (float(x) for x in clock_value.split(","))
    clock = SimClock(real0, int(sim0), speed)
    rng = random.Random(seed * 7919 + 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def connect():
        c = psycopg2.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname=env["PGDATABASE"],
                             connect_timeout=3)
        c.autocommit = True
        return c

    conn = connect()
    cur = conn.cursor()
    tables = {"record": env.get("YPA_TABLE_PRICE_RECORD", "AppleStockChecker_purchasingshoppricerecord")}
    cur.execute(f'SELECT DISTINCT ON (shop_id, iphone_id) shop_id, iphone_id, price_new, price_grade_a, '
                f'price_grade_b FROM "{tables["record"]}" WHERE price_new > 0 '
                f'ORDER BY shop_id, iphone_id, recorded_at DESC')
    last = {(s, i): [p, a, b] for s, i, p, a, b in cur.fetchall()}
    shops = sorted({s for s, _ in last})
    conn.close()
    pending = []  # (insert at sim time, rows)
    next_round = clock.sim0
    conn = None
    while not stop.is_set():
        if pause.is_set():
            paused.set()
            time.sleep(0.05)
            continue
        paused.clear()
        now = clock.now()
        while next_round <= now:
            # One round: two scrapers at a time, so shop k's prices are recorded ~k * 11 min / shops in.
            start = next_round + rng.uniform(0, 60)
            for k, shop in enumerate(shops):
                at = start + k * rng.uniform(600, 720) / len(shops)
                rows = []
                for (s, iphone), prices in last.items():
                    if s != shop:
                        continue
                    for j in range(3):
                        if prices[j] is not None and prices[j] > 0:
                            prices[j] = max(1000, int(prices[j] * (1 + rng.gauss(0, 0.004))))
                    row = [shop, iphone, prices[0], prices[1], prices[2], at]
                    u = rng.random()
                    if u < 0.02:
                        row[2] = None
                        stats["invalid"] += 1
                    elif u < 0.03:
                        row[2] = 0
                        stats["invalid"] += 1
                    elif u < 0.04:
                        row[2] = -prices[0]
                        stats["invalid"] += 1
                    rows.append(row)
                    if rng.random() < 0.03:
                        rows.append(list(row))
                        stats["duplicate"] += 1
                late = rng.random() < 0.05
                if late:
                    stats["late_batches"] += 1
                pending.append((at + (rng.uniform(1200, 3600) if late else 0), rows))
            next_round += BUCKET + rng.uniform(-60, 60)
        due = [p for p in pending if p[0] <= now]
        if due:
            try:
                if conn is None:
                    conn = connect()
                with conn.cursor() as c:
                    for _, rows in due:
                        c.executemany(
                            f'INSERT INTO "{tables["record"]}" (shop_id, iphone_id, price_new, price_grade_a, '
                            f'price_grade_b, recorded_at) VALUES (%s, %s, %s, %s, %s, to_timestamp(%s))', rows)
                        stats["rows"] += len(rows)
                pending = [p for p in pending if p[0] > now]
            except Exception as e:  # PostgreSQL restarting: keep the rows, send them later (late rows)
                stats["insert_failures"] += 1
                stats["last_error"] = str(e).strip().splitlines()[0][:200] if str(e).strip() else repr(e)
                try:
                    conn.close()
                except Exception:
                    pass
                conn = None
        time.sleep(0.05)


# -------------------------------------------------------------------------------------------- the load
class Load:
    """Client threads with kept-alive connections, --rps in all; every answer is recorded."""

    def __init__(self, args, clock, iphones, cohorts):
        self.args, self.clock, self.iphones, self.cohorts = args, clock, iphones, cohorts
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.records = []  # (t0, t1, kind, status, detail)
        self.probes = []  # (t0, t1, max updated_at epoch or None)
        self.duplicates = []
        self.errors = collections.Counter()
        self.threads = []

    def start(self):
        for k in range(self.args.threads):
            t = threading.Thread(target=self.worker, args=(k,), daemon=True)
            t.start()
            self.threads.append(t)

    def request_for(self, rng):
        now = self.clock.now()
        # "The last 24 hours", as a front end asks for it, rounded to 6 simulated hours so that a key
        # stays the same for a while (a real front end rounds, or its answers would never be cached).
        day_ago = iso_minute(int(now - 86400) // 21600 * 21600)
        iphone = rng.choice(self.iphones)
        u = rng.random()
        if u < 0.30:
            return "chart", f"/api/overall-bars/?iphone={iphone}&bucket__gte={day_ago}&limit=200"
        if u < 0.50:
            return "points", f"/api/overall-bars/points/?iphone__in={iphone},{rng.choice(self.iphones)}&bucket__gte={day_ago}"
        if u < 0.60:
            return "cohort_points", f"/api/cohort-bars/points/?cohort__slug={rng.choice(self.cohorts)}&bucket__gte={day_ago}"
        if u < 0.70:
            return "features", f"/api/features/?scope=iphone:{iphone}&name=ema_120&bucket__gte={day_ago}&limit=100"
        if u < 0.85:
            return "list", f"/api/purchasing-time-analyses/compact/?iphone={iphone}&limit=50"
        return "probe", f"/api/overall-bars/?iphone={self.iphones[0]}&bucket__gte={PROBE_DAY}T00:00&bucket__lte={PROBE_DAY}T23:45&limit=200"

    def worker(self, k):
        rng = random.Random(self.args.seed * 1000 + k)
        period = self.args.threads / self.args.rps
        conn = None
        next_at = time.time() + rng.uniform(0, period)
        while not self.stop.is_set():
            delay = next_at - time.time()
            if delay > 0:
                time.sleep(delay)  # pacing of the steady load
            next_at = max(next_at + period, time.time() - period)
            kind, path = self.request_for(rng)
            t0 = time.time()
            status, body = None, b""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.args.api_port, timeout=30)
                conn.request("GET", path, headers={"Accept-Encoding": "gzip", "Host": "127.0.0.1"})
                r = conn.getresponse()
                body = r.read()
                status = r.status
                if r.getheader("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:
                self.errors[type(e).__name__] += 1
                status = 0
                try:
                    conn.close()
                except Exception:
                    pass
                conn = None
            t1 = time.time()
            detail = None
            if status == 200:
                try:
                    detail = self.check_body(kind, json.loads(body))
                except ValueError as e:
                    detail = f"bad body: {e}"
            with self.lock:
                self.records.append((t0, t1, kind, status, detail if isinstance(detail, str) else None))
                if kind == "probe" and status == 200:
                    self.probes.append((t0, t1, detail if not isinstance(detail, str) else None))

    def check_body(self, kind, doc):
        """Per answer: no (bucket, key) twice; for the probe, the newest updated_at (epoch)."""
        if kind in ("points", "cohort_points"):
            key = "iphone" if kind == "points" else "cohort"
            pairs = list(zip(doc["bucket"], doc[key]))
            if len(pairs) != len(set(pairs)):
                self.duplicates.append(kind)
                return "duplicate (bucket, key) in a points answer"
            return None
        if kind in ("chart", "probe"):
            pairs = [(r["bucket"], r["iphone"]) for r in doc["results"]]
            if len(pairs) != len(set(pairs)):
                self.duplicates.append(kind)
                return "duplicate (bucket, iphone) in a list answer"
            if kind == "probe":
                if len(doc["results"]) != 96:
                    return f"probe day has {len(doc['results'])} buckets, not 96"
                return max(dt.datetime.fromisoformat(r["updated_at"]).timestamp() for r in doc["results"])
        return None


# -------------------------------------------------------------------------------------------- sampling
def proc_sample(pid, ports):
    """RSS (MiB), open fds, and TCP connections to each of `ports` of one process; None when it is gone."""
    try:
        rss = 0
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
        inodes = set()
        fds = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            fds += 1
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        conns = {p: 0 for p in ports}
        for table in ("tcp", "tcp6"):
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    remote_port = int(parts[2].rsplit(":", 1)[1], 16)
                    if parts[9] in inodes and remote_port in conns and parts[3] == "01":  # ESTABLISHED
                        conns[remote_port] += 1
        return rss, fds, conns
    except (OSError, StopIteration):
        return None


# ---------------------------------------------------------------------------------------- the harness
class Soak:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.stack = Stack(args)
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.faults = []  # dicts: kind, t0, t1, ok, detail
        self.outages = []  # (t0, t1) of ClickHouse or PostgreSQL away, grace included
        self.promotes = []  # (t_done, inserted_at of the promoted rows on the probe day)
        self.checkpoints = []  # dicts
        self.samples = []  # (t, process, rss, fds, ch, pg)
        self.cache_samples = []  # (t, answers in ypa serve's response cache), from /metrics
        self.verdict_lines = []
        self.fault_lock = threading.Lock()
        self.stop = threading.Event()
        self.schedule = None
        self.serve = None
        self.schedule_pid = None
        self.schedule_restart_at = None
        self.schedule_starts = 0
        self.schedule_log = os.path.join(self.out, "schedule.log")
        self.serve_log = os.path.join(self.out, "serve.log")
        self.harness_notes = []

    # ---- setup
    def setup(self):
        a = self.args
        log(f"stack in {self.stack.dir} (PostgreSQL {a.pg_port}, ClickHouse {a.ch_port})")
        self.stack.up()
        env = self.stack.env
        import psycopg2
        admin = psycopg2.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute("DROP DATABASE IF EXISTS soak")
        admin.cursor().execute("CREATE DATABASE soak")
        admin.close()
        self.stack.ch("DROP DATABASE IF EXISTS soak", database="default")
        self.stack.ypa("init", "--source-schema")
        self.stack.ypa("init")
        last_day = HISTORY_FROM + dt.timedelta(days=HISTORY_DAYS - 1)
        self.stack.ypa("datagen", "--shops", str(a.shops), "--iphones", str(a.iphones), "--from",
                       HISTORY_FROM.isoformat(), "--to", last_day.isoformat(), "--seed", str(a.seed))
        with self.stack.pg_connect() as c:
            cur = c.cursor()
            cur.execute('SELECT id FROM "AppleStockChecker_iphone" ORDER BY id')
            self.iphones = [r[0] for r in cur.fetchall()]
            cur.execute('SELECT slug FROM "AppleStockChecker_cohort" ORDER BY slug')
            self.cohorts = [r[0] for r in cur.fetchall()]
        # The simulated clock starts now at the first bucket after the history.
        self.clock = SimClock(time.time(), sim_start_epoch(), a.speed)
        self.env = dict(env, YPA_SIM_CLOCK=self.clock.env_value())
        t = time.time()
        self.stack.ypa("run_pipeline", "--run-id", "live", "--allow-live", "--from", RUN_FROM, "--to",
                       iso_minute(sim_start_epoch() - BUCKET), env=self.env)
        log(f"live backfilled from {RUN_FROM} in {time.time() - t:.1f} s; {len(self.iphones)} iPhones, "
            f"{len(self.cohorts)} cohorts, {a.shops} shops; simulated clock x{a.speed:g} from "
            f"{iso_full(sim_start_epoch())}")

    # ---- processes
    def start_schedule(self):
        f = open(self.schedule_log, "a")
        self.schedule = subprocess.Popen(
            [self.args.ypa, "schedule", "--every", "15m", "--delay", "3m", "--since", "2h", "--device", "cpu"],
            env=self.env, stdout=f, stderr=subprocess.STDOUT)
        f.close()
        self.schedule_pid = self.schedule.pid
        self.schedule_starts += 1

    def supervise(self):
        """Restarts `ypa schedule` when it dies, after the delay the fault asked for (systemd's RestartSec)."""
        while not self.stop.is_set():
            if self.schedule.poll() is not None:
                if self.schedule_restart_at is None:
                    self.schedule_restart_at = time.time() + 1.0
                    self.harness_notes.append(f"schedule exited {self.schedule.returncode} on its own")
                if time.time() >= self.schedule_restart_at:
                    self.schedule_restart_at = None
                    self.start_schedule()
            time.sleep(0.1)

    def start_serve(self):
        env = dict(self.env, API_CACHE_MS=str(CACHE_MS))
        f = open(self.serve_log, "a")
        self.serve = subprocess.Popen([self.args.ypa, "serve", "--no-auth", "--listen",
                                       f"127.0.0.1:{self.args.api_port}"], env=env, stdout=f, stderr=subprocess.STDOUT)
        f.close()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.args.api_port, timeout=2)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.serve.poll() is not None:
                raise RuntimeError(f"ypa serve exited {self.serve.returncode}: see {self.serve_log}")
            time.sleep(0.1)  # readiness is polled: /readyz
        raise RuntimeError("ypa serve did not get ready within 30 s")

    def sampler(self):
        ports = [int(self.stack.env["CLICKHOUSE_PORT"]), int(self.stack.env["PGPORT"])]
        while not self.stop.wait(self.args.sample_s):
            t = time.time()
            for name, pid in (("serve", self.serve.pid), ("schedule", self.schedule_pid)):
                s = proc_sample(pid, ports)
                if s:
                    self.samples.append((t, name, s[0], s[1], s[2][ports[0]], s[2][ports[1]]))
            m = re.search(r"^ypa_response_cache_entries (\d+)$", self.fetch_metrics(), re.M)
            if m:
                self.cache_samples.append((t, int(m.group(1))))

    # ---- faults
    def fault(self, kind):
        t0 = time.time()
        rec = {"kind": kind, "t0": t0, "sim": iso_full(int(self.clock.now())), "ok": True, "detail": ""}
        try:
            if kind in ("clickhouse_restart", "postgres_restart"):
                which = kind.split("_")[0]
                self.stack.stop_server(which)
                down_s = self.rng.uniform(2, 8)
                time.sleep(down_s)  # the server stays away this long (an upgrade, a failover)
                self.stack.ypa("stack", "up")
                rec["detail"] = f"down {time.time() - t0:.1f} s"
                self.outages.append((t0, time.time() + OUTAGE_GRACE_S, which))
            elif kind in ("schedule_kill", "schedule_outage"):
                # kill: systemd restarts it at once; outage: the host is away longer than --since (2 h), so
                # the restarted loop must catch up from the run's newest bucket.
                delay = self.rng.uniform(2.2, 2.6) * 3600 / self.clock.speed if kind == "schedule_outage" else 1.0
                # Still away from an earlier fault: wait for the restart, as a second crash can only hit a
                # running process.
                deadline = time.time() + 600
                while (self.schedule_restart_at is not None or self.schedule.poll() is not None) and \
                        time.time() < deadline:
                    time.sleep(0.2)
                self.schedule_restart_at = time.time() + delay
                self.schedule.kill()
                rec["detail"] = f"restarted after {delay:.1f} s ({delay * self.clock.speed / 60:.0f} simulated min)"
            elif kind == "promote":
                n = sum(1 for f in self.faults if f["kind"] == "promote") + 1
                run = f"bf_{n}"
                to = int(self.clock.now() - 180) // BUCKET * BUCKET
                self.stack.ypa("run_pipeline", "--run-id", run, "--from", RUN_FROM, "--to", iso_minute(to), env=self.env)
                p = self.stack.ypa("promote_run", "--from", run, "--to", "live", "--confirm", "--keep-backup",
                                   env=self.env)
                done = time.time()
                version = self.probe_version()
                self.promotes.append((done, version))
                rec["detail"] = f"{run} up to {iso_minute(to)} promoted in {done - t0:.1f} s"
                rec["output"] = p.stdout[-1500:] + p.stderr[-1500:]
            elif kind == "drop_runs":
                runs = json.loads(self.stack.ypa("list_runs", "--json", env=self.env).stdout)
                ids = sorted({r.get("run_id") for r in (runs if isinstance(runs, list) else runs.get("runs", []))})
                bfs = sorted((i for i in ids if re.fullmatch(r"bf_\d+", i)), key=lambda i: int(i[3:]))
                dropped = []
                for run in bfs[:-1]:
                    self.stack.ypa("drop_run", "--run-id", run, "--confirm", env=self.env)
                    dropped.append(run)
                rec["detail"] = f"dropped {', '.join(dropped) or 'nothing'} (runs: {', '.join(ids)})"
        except Exception as e:
            rec["ok"] = False
            rec["detail"] = str(e)[:800]
            if kind in ("clickhouse_restart", "postgres_restart"):
                self.outages.append((t0, time.time() + OUTAGE_GRACE_S, kind))
                try:
                    self.stack.ypa("stack", "up")
                except Exception:
                    pass
        rec["t1"] = time.time()
        self.faults.append(rec)
        log(f"fault {kind}: {'ok' if rec['ok'] else 'FAILED'}, {rec['detail']}")

    def probe_version(self):
        """inserted_at of live's rows on the probe day, read from ClickHouse right after a promote: what the
        probe must show from then on (promote_run stamps the copied rows with ClickHouse's now(), so each
        promote's rows are newer than the last one's; the loop never rewrites the probe day)."""
        first = int(dt.datetime.fromisoformat(PROBE_DAY).replace(tzinfo=TZ).timestamp())
        q = (f"SELECT toUInt32(min(inserted_at)), toUInt32(max(inserted_at)) FROM features_wide FINAL WHERE "
             f"run_id = 'live' AND scope = 'iphone:{self.iphones[0]}' AND bucket >= toDateTime({first}) AND "
             f"bucket < toDateTime({first + 86400})")
        low, high = (int(x) for x in self.stack.ch(q).split())
        if low != high:
            raise RuntimeError(f"the probe day of live has rows of two versions after a promote: {low}, {high}")
        return low

    def fault_plan(self, seconds):
        """Fault times and kinds, seeded: every kind in turn (shuffled per turn), evenly spaced with jitter."""
        n = max(len(FAULT_KINDS), int(seconds / self.args.fault_every_s))
        kinds = []
        while len(kinds) < n:
            turn = FAULT_KINDS[:]
            self.rng.shuffle(turn)
            kinds += turn
        step = (seconds - 40) / n
        return [(20 + i * step + self.rng.uniform(0, step * 0.5), kinds[i]) for i in range(n)]

    # ---- checkpoints
    def cycles_logged(self):
        try:
            text = open(self.schedule_log).read()
        except OSError:
            return []
        return re.findall(r"cycle: buckets \S+ \.\. (\S+) \(", text)

    def checkpoint(self, label):
        t0 = time.time()
        rec = {"label": label, "t0": t0, "ok": False}
        self.pause.set()
        if not self.paused.wait(30):
            rec["detail"] = "scraper did not pause"
            self.checkpoints.append(rec)
            return
        paused_at = self.clock.now()  # buckets after this one get no rows until the scraper resumes
        if self.schedule_restart_at is not None:
            self.schedule_restart_at = time.time()  # a checkpoint needs the loop: restart it now
        # Two cycles after the pause: the second started after the last source row was inserted.
        seen = len(self.cycles_logged())
        deadline = time.time() + max(120, 4 * BUCKET / self.clock.speed)
        while len(self.cycles_logged()) < seen + 2 and time.time() < deadline:
            time.sleep(0.2)  # the schedule's log is the only sign of a finished cycle
        cycles = self.cycles_logged()
        if len(cycles) < seen + 2:
            rec["detail"] = f"the loop wrote no two cycles within {deadline - t0:.0f} s"
            self.pause.clear()
            self.checkpoints.append(rec)
            return
        last_epoch = min(int(dt.datetime.fromisoformat(cycles[-1]).timestamp()), int(paused_at) // BUCKET * BUCKET)
        # shop_health has a row per hour: end at the last bucket of the last whole hour, so that neither
        # side's last hour holds buckets the other's range cut off (a backfill to 05:30 has 3 buckets of
        # the 05:00 hour where live, already at 05:45, has 4).
        last_epoch = (last_epoch + BUCKET) // 3600 * 3600 - BUCKET
        to = iso_minute(last_epoch)
        run = f"chk_{len(self.checkpoints) + 1}"
        try:
            self.stack.ypa("run_pipeline", "--run-id", run, "--from", RUN_FROM, "--to", to, env=self.env)
            cmp = self.stack.ypa("compare_runs", "--base", "live", "--target", run, "--from", RUN_FROM, "--to", to,
                                 "--tolerance", "1e-9", check=False, env=self.env)
            rec["compare_rc"] = cmp.returncode
            rec["compare"] = (cmp.stdout + cmp.stderr)[-1500:]
            rec["buckets"] = self.bucket_check(RUN_FROM, last_epoch, run)
            self.stack.ypa("drop_run", "--run-id", run, "--confirm", env=self.env)
            rec["ok"] = cmp.returncode == 0 and rec["buckets"]["ok"]
            rec["detail"] = (f"live = {run} up to {to}: compare_runs exit {cmp.returncode}; "
                             f"{rec['buckets']['detail']}")
        except Exception as e:
            rec["detail"] = f"{type(e).__name__}: {str(e)[:600]}"
        finally:
            self.pause.clear()
        rec["t1"] = time.time()
        self.checkpoints.append(rec)
        log(f"checkpoint {label}: {'ok' if rec['ok'] else 'FAILED'}, {rec['detail']}")

    def missing_pairs(self, run, first, last_epoch):
        """(scope, bucket) of the grid (every scope of live, every bucket before the last hour) without a row of `run`."""
        live = f"run_id = 'live' AND bucket >= toDateTime({first}) AND bucket <= toDateTime({last_epoch - 3600})"
        text = self.stack.ch(
            f"SELECT s, toUInt32(b) FROM (SELECT DISTINCT scope AS s FROM features_wide WHERE {live}) "
            f"CROSS JOIN (SELECT DISTINCT bucket AS b FROM features_wide WHERE {live}) "
            f"WHERE (s, b) NOT IN (SELECT scope, bucket FROM features_wide FINAL WHERE run_id = '{run}' "
            f"AND bucket >= toDateTime({first}) AND bucket <= toDateTime({last_epoch - 3600})) FORMAT TSV")
        return {tuple(line.split("\t")) for line in text.splitlines() if line}

    def bucket_check(self, first_day, last_epoch, backfill_run):
        """Every scope at every bucket of the range, once; read with FINAL and without."""
        first = int(dt.datetime.fromisoformat(first_day).replace(tzinfo=TZ).timestamp())
        where = f"run_id = 'live' AND bucket >= toDateTime({first}) AND bucket <= toDateTime({last_epoch})"
        expected_buckets = (last_epoch - first) // BUCKET + 1
        out = {"expected_buckets": expected_buckets}
        fw = self.stack.ch(f"SELECT count(), uniqExact(scope, bucket), uniqExact(scope), uniqExact(bucket) "
                           f"FROM features_wide FINAL WHERE {where}").split()
        pa = self.stack.ch(f"SELECT uniqExact(bucket), uniqExact(iphone_id) FROM price_aligned FINAL WHERE {where}").split()
        argmax = self.stack.ch(f"SELECT count() FROM (SELECT scope, bucket FROM features_wide WHERE {where} "
                               f"GROUP BY scope, bucket)").strip()
        count, pairs, scopes, buckets = (int(x) for x in fw)
        out.update(rows=count, pairs=pairs, scopes=scopes, buckets=buckets, price_buckets=int(pa[0]),
                   group_pairs=int(argmax))
        problems = []
        if count != pairs:
            problems.append(f"{count - pairs} duplicated (scope, bucket) after FINAL")
        if buckets != expected_buckets:
            problems.append(f"{expected_buckets - buckets} buckets missing in features_wide")
        if int(pa[0]) != expected_buckets:
            problems.append(f"{expected_buckets - int(pa[0])} buckets missing in price_aligned")
        # Every scope at every bucket, but for the last hour (the scraper, paused for the checkpoint, may not
        # have sent a shop's round yet) and but where the fresh backfill from the source has no row either:
        # a scope without any valid price in a bucket has none (one invalid or late price among few shops
        # in a bucket is enough, rarely, with 8 shops). A pair live lacks and the backfill has is the loop's
        # fault.
        missing_live = self.missing_pairs("live", first, last_epoch)
        missing_backfill = self.missing_pairs(backfill_run, first, last_epoch)
        lost = sorted(missing_live - missing_backfill)
        empty = sorted(missing_live & missing_backfill)
        out["without_valid_price"] = [f"{s}@{iso_minute(int(b))}" for s, b in empty]
        if lost:
            problems.append(f"{len(lost)} (scope, bucket) before the last hour missing in live but not in the "
                            f"backfill, e.g. {lost[0][0]} at {iso_minute(int(lost[0][1]))}")
        if int(argmax) != pairs:
            problems.append(f"{int(argmax) - pairs} keys seen only without FINAL")
        out["ok"] = not problems
        out["detail"] = (f"{buckets} of {expected_buckets} buckets, {scopes} scopes, {pairs} rows, none twice"
                         + (f"; {len(empty)} (scope, bucket) without a row in live and in the backfill alike "
                            f"({', '.join(out['without_valid_price'][:3])})" if empty else "")
                         if not problems else "; ".join(problems))
        return out

    # ---- the run
    def run(self):
        try:
            return self.run_inner()
        finally:
            self.cleanup()

    def cleanup(self):
        """However the run ends (a failure, Ctrl-C): no process of the soak outlives it, the stack stops."""
        self.stop.set()
        for ev in ("scraper_stop", "load"):
            obj = getattr(self, ev, None)
            if obj is not None:
                (obj.stop if ev == "load" else obj).set()
        for name in ("schedule", "serve"):
            proc = getattr(self, name, None)
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        scraper = getattr(self, "scraper", None)
        if scraper is not None and scraper.is_alive():
            scraper.kill()
            scraper.join(5)
        if not self.args.keep_stack:
            self.stack.down()

    def run_inner(self):
        a = self.args
        self.setup()
        for name in ("schedule.log", "serve.log"):
            open(os.path.join(self.out, name), "w").close()
        self.start_serve()
        self.start_schedule()
        self.pause, self.paused, self.scraper_stop = (multiprocessing.Event(), multiprocessing.Event(),
                                                      multiprocessing.Event())
        manager = multiprocessing.Manager()
        self.scraper_stats = manager.dict(rows=0, invalid=0, duplicate=0, late_batches=0, insert_failures=0,
                                          last_error="")
        self.scraper = multiprocessing.Process(target=scraper_main, args=(
            self.stack.env, self.clock.env_value(), a.seed, self.pause, self.paused, self.scraper_stop,
            self.scraper_stats), daemon=True)
        self.scraper.start()
        threading.Thread(target=self.supervise, daemon=True).start()
        threading.Thread(target=self.sampler, daemon=True).start()
        self.load = Load(a, self.clock, self.iphones, self.cohorts)
        self.load.start()
        self.t_start = time.time()
        seconds = a.minutes * 60
        plan = self.fault_plan(seconds - 60)  # the last minute: the final checkpoint
        checkpoint_every = a.checkpoint_min * 60
        next_checkpoint = self.t_start + checkpoint_every
        log(f"running {a.minutes} min: {len(plan)} faults, checkpoints every {a.checkpoint_min} min, "
            f"load {a.rps} req/s on {a.threads} threads")
        for at, kind in plan + [(seconds - 60, None)]:
            while time.time() < self.t_start + at:
                if time.time() >= next_checkpoint and next_checkpoint < self.t_start + seconds - 90:
                    self.checkpoint(f"{(time.time() - self.t_start) / 60:.1f} min")
                    next_checkpoint += checkpoint_every
                time.sleep(0.2)
            if kind:
                self.fault(kind)
        self.checkpoint("end")
        self.t_end = time.time()
        self.load.stop.set()
        for t in self.load.threads:
            t.join(35)
        self.metrics = self.fetch_metrics()
        self.stop.set()
        self.scraper_stop.set()
        self.scraper.join(10)
        self.schedule.send_signal(signal.SIGTERM)
        try:
            self.schedule.wait(60)
        except subprocess.TimeoutExpired:
            self.schedule.kill()
        self.serve_alive = self.serve.poll() is None
        self.serve.send_signal(signal.SIGTERM)
        try:
            self.serve.wait(30)
        except subprocess.TimeoutExpired:
            self.serve.kill()
        self.scraper_stats = dict(self.scraper_stats)
        manager.shutdown()
        self.buckets_written = self.count_buckets()
        ok = self.verdicts()
        self.save()
        if a.write_docs:
            self.write_docs()
        return ok

    def fetch_metrics(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.args.api_port, timeout=5)
            c.request("GET", "/metrics")
            return c.getresponse().read().decode()
        except OSError as e:
            return f"unavailable: {e}"

    def count_buckets(self):
        try:
            first = sim_start_epoch()
            return int(self.stack.ch(f"SELECT uniqExact(bucket) FROM features_wide FINAL WHERE run_id = 'live' "
                                     f"AND bucket >= toDateTime({first})").strip())
        except Exception:
            return None

    # ---- verdicts
    def in_outage(self, t0, t1, extra=0.0):
        return any(t0 <= b + extra and t1 >= a for a, b, _ in self.outages)

    def verdict(self, name, ok, detail):
        line = f"{'PASS' if ok else 'FAIL'} {name}: {detail}"
        self.verdict_lines.append((name, ok, detail))
        print(line, flush=True)
        return ok

    def segments(self):
        seg = self.args.segment_min * 60
        out = []
        t = self.t_start
        while t < self.t_end - 1:
            out.append((t, min(t + seg, self.t_end)))
            t += seg
        return out

    def verdicts(self):
        a = self.args
        recs = self.load.records
        ok = True
        print(f"--- soak verdicts ({a.minutes} min, seed {a.seed}, x{a.speed:g}) ---", flush=True)
        # Checkpoints.
        failed = [c for c in self.checkpoints if not c["ok"]]
        ok &= self.verdict("live_equals_backfill", not failed and bool(self.checkpoints),
                           f"{len(self.checkpoints) - len(failed)} of {len(self.checkpoints)} checkpoints: live = fresh "
                           f"backfill (compare_runs 1e-9), every bucket once"
                           + ("" if not failed else f"; first failure at {failed[0]['label']}: {failed[0].get('detail')}"))
        # Answers.
        statuses = collections.Counter(r[3] for r in recs)
        bad = [r for r in recs if not (r[3] == 200 or (r[3] == 503 and self.in_outage(r[0], r[1])))]
        kinds = collections.Counter((r[3], r[2]) for r in bad)
        ok &= self.verdict("api_status", not bad and len(recs) > 0,
                           f"{len(recs)} requests: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
                           + (f"; outside the rules: {dict(kinds)}" if bad else "; every non-200 was a 503 during an outage"))
        body_problems = [r for r in recs if r[4]]
        ok &= self.verdict("api_bodies", not body_problems,
                           "no (bucket, key) twice in any answer, the probe day always complete"
                           if not body_problems else f"{len(body_problems)} bad answers, first: {body_problems[0][4]}")
        # Stale answers after promotes.
        stale = []
        for t0, t1, updated in self.load.probes:
            allowed = CACHE_MS / 1000 + STALE_GRACE_S
            need = None
            for done, version in self.promotes:
                extra = OUTAGE_STALE_S if self.in_outage(done, done + allowed + OUTAGE_STALE_S) else 0.0
                if t0 >= done + allowed + extra:
                    need = version
            if need is not None and updated is not None and updated < need:
                stale.append((t0, updated, need))
        ok &= self.verdict("no_stale_after_promote", not stale,
                           f"{len(self.load.probes)} probe answers, {len(self.promotes)} promotes: none older than the "
                           f"promoted run after {CACHE_MS} ms + {STALE_GRACE_S:g} s"
                           if not stale else f"{len(stale)} answers from a run promoted away, first at "
                           f"+{stale[0][0] - self.t_start:.1f} s (updated_at {stale[0][1]:.0f} < {stale[0][2]})")
        # Faults.
        fault_fail = [f for f in self.faults if not f["ok"]]
        by_kind = collections.Counter(f["kind"] for f in self.faults)
        ok &= self.verdict("faults", not fault_fail and all(by_kind[k] for k in FAULT_KINDS),
                           ", ".join(f"{k} {by_kind[k]}" for k in FAULT_KINDS)
                           + ("" if not fault_fail else f"; failed: {fault_fail[0]['kind']}: {fault_fail[0]['detail']}"))
        ok &= self.verdict("serve_alive", self.serve_alive, "ypa serve ran from start to end" if self.serve_alive
                           else "ypa serve died")
        notes = self.harness_notes
        ok &= self.verdict("schedule_restarts", not notes, f"{self.schedule_starts - 1} restarts, each after a SIGKILL"
                           if not notes else "; ".join(notes[:3]))
        # Resources.
        ok &= self.resource_verdicts()
        # Latency.
        lat_ok = True
        rows = []
        for s0, s1 in self.segments():
            lat = sorted((r[1] - r[0]) * 1000 for r in recs if s0 <= r[0] < s1 and r[3] == 200
                         and not self.in_outage(r[0], r[1]))
            p99 = lat[min(len(lat) - 1, int(math.ceil(0.99 * len(lat))) - 1)] if lat else float("nan")
            p50 = lat[len(lat) // 2] if lat else float("nan")
            rows.append((s0 - self.t_start, len(lat), p50, p99))
            lat_ok &= bool(lat) and p99 <= a.p99_limit_ms
        self.latency_rows = rows
        ok &= self.verdict("p99_latency", lat_ok, f"per {a.segment_min} min (outside outages): " + ", ".join(
            f"{p99:.0f} ms" for _, _, _, p99 in rows) + f" (limit {a.p99_limit_ms} ms)")
        print(f"--- {'PASS' if ok else 'FAIL'} ---", flush=True)
        return ok

    def resource_verdicts(self):
        a = self.args
        ok = True
        warm = self.t_start + max(60, 0.2 * (self.t_end - self.t_start))
        limits = {"rss": (1.25, 16.0), "fds": (1.0, 6), "ch": (1.0, 3), "pg": (1.0, 2)}
        for proc in ("serve", "schedule"):
            s = [x for x in self.samples if x[1] == proc and x[0] >= warm]
            if len(s) < 6:
                ok &= self.verdict(f"{proc}_resources", False, f"only {len(s)} samples after warm-up")
                continue
            third = len(s) // 3
            head, tail = s[third:2 * third], s[-third:]  # the middle third against the last
            problems, parts = [], []
            for name, idx in (("rss", 2), ("fds", 3), ("ch", 4), ("pg", 5)):
                factor, slack = limits[name]
                h = statistics.median(x[idx] for x in head) if name == "rss" else max(x[idx] for x in head)
                t = statistics.median(x[idx] for x in tail) if name == "rss" else max(x[idx] for x in tail)
                allowed = h * factor + slack
                parts.append(f"{name} {h:.0f}->{t:.0f}" + (" MiB" if name == "rss" else ""))
                if t > allowed:
                    problems.append(f"{name} grew {h:.0f} -> {t:.0f} (allowed {allowed:.0f})")
            ok &= self.verdict(f"{proc}_resources", not problems,
                               f"{len(s)} samples after warm-up, middle third -> last third: " + ", ".join(parts)
                               + ("" if not problems else "; " + "; ".join(problems)))
        return ok

    # ---- output
    def summary(self):
        by_kind = collections.Counter(f["kind"] for f in self.faults)
        statuses = collections.Counter(r[3] for r in self.load.records)
        return {
            "minutes": self.args.minutes, "t_start": self.t_start, "real_seconds": round(self.t_end - self.t_start, 1),
            "seed": self.args.seed,
            "speed": self.args.speed, "simulated_hours": round((self.t_end - self.t_start) * self.args.speed / 3600, 1),
            "requests": len(self.load.records), "statuses": {str(k): v for k, v in statuses.items()},
            "client_errors": dict(self.load.errors), "faults": dict(by_kind),
            "buckets_written": self.buckets_written, "scraper": self.scraper_stats,
            "verdicts": [{"name": n, "ok": o, "detail": d} for n, o, d in self.verdict_lines],
            "latency": [{"from_s": round(a), "requests": n, "p50_ms": round(p50, 1), "p99_ms": round(p99, 1)}
                        for a, n, p50, p99 in self.latency_rows],
            "fault_log": [{k: v for k, v in f.items()} for f in self.faults],
            "checkpoints": self.checkpoints, "schedule_starts": self.schedule_starts,
        }

    def save(self):
        with open(os.path.join(self.out, "summary.json"), "w") as f:
            json.dump(self.summary(), f, indent=1, default=str)
        with open(os.path.join(self.out, "samples.json"), "w") as f:
            json.dump([[round(t - self.t_start, 1), p, round(r, 1), fd, c, g] for t, p, r, fd, c, g in self.samples], f)
        with open(os.path.join(self.out, "cache_samples.json"), "w") as f:
            json.dump([[round(t - self.t_start, 1), n] for t, n in self.cache_samples], f)
        with open(os.path.join(self.out, "metrics.txt"), "w") as f:
            f.write(self.metrics)
        log(f"logs, samples and summary in {self.out}")

    def plot(self, path):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(5, 1, figsize=(9, 11), sharex=True)
        for proc, style in (("serve", "-"), ("schedule", "--")):
            s = [x for x in self.samples if x[1] == proc]
            t, rows = [], []
            for k, x in enumerate(s):
                if k and x[0] - s[k - 1][0] > 3 * self.args.sample_s:  # the process was away: break the line
                    t.append(float("nan"))
                    rows.append((None, None, float("nan"), float("nan"), float("nan"), float("nan")))
                t.append((x[0] - self.t_start) / 60)
                rows.append(x)
            for ax, idx, label in zip(axes, (2, 3, 4, 5), ("RSS (MiB)", "open fds", "ClickHouse conns", "PostgreSQL conns")):
                ax.plot(t, [x[idx] for x in rows], style, label=f"ypa {proc}")
                ax.set_ylabel(label)
        axes[4].plot([(t - self.t_start) / 60 for t, _ in self.cache_samples], [n for _, n in self.cache_samples],
                     label="ypa serve")
        axes[4].set_ylabel("cached answers")
        for f in self.faults:
            for ax in axes:
                ax.axvline((f["t0"] - self.t_start) / 60, color="grey", alpha=0.25, lw=0.8)
        axes[0].legend(loc="upper left")
        axes[-1].set_xlabel(f"real minutes (x{self.args.speed:g}: one real minute = "
                            f"{self.args.speed:g} simulated minutes); grey lines: faults")
        fig.suptitle(f"soak: {self.args.minutes} min, seed {self.args.seed}")
        fig.tight_layout()
        fig.savefig(path, dpi=80)

    def write_docs(self):
        s = self.summary()
        png = os.path.join(ROOT, "docs", "soak.png")
        self.plot(png)
        real_min = s["real_seconds"] / 60
        lines = [
            "<!-- soak:begin (written by bench/soak.py --write-docs) -->",
            f"Recorded run: `/usr/bin/python3 bench/soak.py --minutes {self.args.minutes} --seed {self.args.seed} "
            f"--write-docs` on {machine()}, {time.strftime('%Y-%m-%d', time.gmtime(self.t_start))}: "
            f"**{real_min:.1f} real minutes**, at x{self.args.speed:g} = {s['simulated_hours']} simulated hours "
            f"({s['simulated_hours'] / 24:.1f} days) of buckets.",
            "",
            "| what | value |",
            "|---|---|",
            f"| requests served | {s['requests']} ({', '.join(f'{k}: {v}' for k, v in sorted(s['statuses'].items()))}) |",
            "| faults injected | " + ", ".join(f"{k} {s['faults'].get(k, 0)}" for k in FAULT_KINDS) + " |",
            f"| buckets written by the loop (`live`, after the start) | {s['buckets_written']} |",
            f"| source rows inserted | {s['scraper']['rows']} ({s['scraper']['invalid']} invalid prices, "
            f"{s['scraper']['duplicate']} duplicates, {s['scraper']['late_batches']} late batches) |",
            f"| `ypa schedule` starts | {s['schedule_starts']} |",
            "",
            "| load segment (real min) | requests (200, outside outages) | p50 ms | p99 ms |",
            "|---|---|---|---|",
        ]
        for row in s["latency"]:
            lines.append(f"| {row['from_s'] / 60:.0f}-{row['from_s'] / 60 + self.args.segment_min:.0f} | "
                         f"{row['requests']} | {row['p50_ms']} | {row['p99_ms']} |")
        lines += ["", "| verdict | result |", "|---|---|"]
        for v in s["verdicts"]:
            lines.append(f"| {v['name']} | {'pass' if v['ok'] else '**FAIL**'}: {v['detail'].replace('|', '/')} |")
        lines += ["", "![RSS, open fds and connections of ypa serve and ypa schedule](soak.png)",
                  "<!-- soak:end -->"]
        block = "\n".join(lines)
        path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
        text = open(path).read()
        if "<!-- soak:begin" in text:
            text = re.sub(r"<!-- soak:begin.*?<!-- soak:end -->", lambda m: block, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n## Soak: a week in production, compressed\n\n" + SOAK_LEAD + "\n\n" + block + "\n"
        open(path, "w").write(text)
        log(f"wrote {path} and {png}")


SOAK_LEAD = """What: `bench/soak.py` (bench/README.md): `ypa schedule` keeping `live` current and `ypa serve` under a
steady load, on a simulated clock (`YPA_SIM_CLOCK`) 84 times as fast as the real one, while a scraper
inserts rows (late, duplicate and invalid ones included) and faults are injected on a seeded schedule;
checkpoints compare `live` with a fresh backfill. Issue 19 asks for a run of at least 2 hours (a week of
buckets): `/usr/bin/python3 bench/soak.py --minutes 120 --write-docs` records one here. The run below is
shorter; its real length is stated in its first line. CTest runs 5 minutes of it (`soak_test`)."""


def default_stack_dir():
    """.ypa/soak-stack, unless root runs from a folder PostgreSQL's account cannot enter (scripts/lib.sh)."""
    local = os.path.join(ROOT, ".ypa", "soak-stack")
    account = os.environ.get("YPA_STACK_USER", "postgres")
    if os.getuid() == 0 and subprocess.run(["id", account], capture_output=True).returncode == 0 and \
            subprocess.run(["runuser", "-u", account, "--", "test", "-x", ROOT], capture_output=True).returncode != 0:
        import hashlib
        return f"/var/tmp/ypa-{hashlib.md5(ROOT.encode()).hexdigest()[:8]}/soak-stack"
    return local


def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({cpu})"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=5, help="real minutes of load and faults (default 5)")
    p.add_argument("--seed", type=int, default=1, help="seeds the faults, the scraper and the load (default 1)")
    p.add_argument("--speed", type=float, default=84, help="simulated seconds per real second (default 84: a week in 2 h)")
    p.add_argument("--ypa", default=os.path.join(ROOT, "build", "ypa"))
    p.add_argument("--stack-dir", default=default_stack_dir(), help="the soak's own stack (default .ypa/soak-stack)")
    p.add_argument("--pg-port", type=int, default=25761)
    p.add_argument("--ch-port", type=int, default=29761)
    p.add_argument("--api-port", type=int, default=18761)
    p.add_argument("--shops", type=int, default=8)
    p.add_argument("--iphones", type=int, default=16)
    p.add_argument("--threads", type=int, default=4, help="client threads of the load (default 4)")
    p.add_argument("--rps", type=float, default=40, help="requests per second in all (default 40)")
    p.add_argument("--fault-every-s", type=float, default=45, help="real seconds between faults (default 45)")
    p.add_argument("--checkpoint-min", type=float, default=None,
                   help="real minutes between checkpoints (default: half the run up to 10 min, else 20)")
    p.add_argument("--segment-min", type=float, default=None, help="latency segment, real minutes (default 1, 60 from 2 h)")
    p.add_argument("--sample-s", type=float, default=None, help="resource sampling period (default 2 s, 30 s from 2 h)")
    p.add_argument("--p99-limit-ms", type=float, default=1000)
    p.add_argument("--out", default=None, help="folder for logs and the summary (default build/soak-<seed>)")
    p.add_argument("--write-docs", action="store_true", help="record the run in docs/BENCHMARKS.md and docs/soak.png")
    p.add_argument("--keep-stack", action="store_true", help="leave the stack running at the end")
    a = p.parse_args()
    if a.minutes < 3:
        p.error("--minutes: at least 3 (warm-up, faults and the final checkpoint)")
    if a.checkpoint_min is None:
        a.checkpoint_min = a.minutes / 2 if a.minutes <= 10 else 20
    if a.segment_min is None:
        a.segment_min = 60 if a.minutes >= 120 else 1
    if a.sample_s is None:
        a.sample_s = 30 if a.minutes >= 120 else 2
    if a.out is None:
        a.out = os.path.join(ROOT, "build", f"soak-{a.seed}")
    if not os.access(a.ypa, os.X_OK):
        p.error(f"--ypa: {a.ypa} is not an executable (build it: scripts/build.sh)")
    multiprocessing.set_start_method("fork")
    sys.exit(0 if Soak(a).run() else 1)


if __name__ == "__main__":
    main()
