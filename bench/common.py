"""Helpers shared by the benchmark scripts in bench/: the stack, the dataset databases, timing, the docs.

Standard library only, so that every script can import it from /usr/bin/python3 before anything else is
installed. A dataset is a PostgreSQL database and a ClickHouse database both named
bench_<days>d_<shops>x<iphones>, generated once by `ypa datagen` over <days> + WARMUP_DAYS days from START
and kept: every script that names the same size reuses it.
"""
import datetime as dt
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# YPA_BIN lets a run use another build directory (e.g. one that nobody else rebuilds during the run).
YPA = os.path.abspath(os.environ.get("YPA_BIN", os.path.join(ROOT, "build", "ypa")))
WARMUP_DAYS = 10  # 960 buckets of 15 minutes, SPEC §5's default warm-up
START = dt.date(2025, 1, 1)
TIME_ZONE = "+09"  # PIPELINE_TZ's default, Asia/Tokyo, has no daylight saving time


def sh(cmd, env=None, stdin=None, capture=True):
    return subprocess.run(cmd, env=env, stdin=stdin, check=True, text=True, capture_output=capture)


def timed(cmd, env, stdin_path=None):
    """Wall seconds and peak RSS (KiB) of one command, via GNU time; exits on failure."""
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
    """The environment of `ypa stack` (started if needed): PG* and CLICKHOUSE_* variables."""
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
    """Empty the run tables (drop + `ypa init`), so that a timed run writes into empty tables."""
    for table in ("price_aligned", "features_wide", "shop_health"):
        clickhouse(env, f"DROP TABLE IF EXISTS {db}.{table}")
    sh([YPA, "init"], env=env)


def machine():
    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(open("/proc/meminfo").readline().split()[1]) // (1024 * 1024)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}"


# ------------------------------------------------------------------------------------------- datasets
def dataset_name(days, shops, iphones):
    return f"bench_{days}d_{shops}x{iphones}"


def run_range(days):
    """First and last day a benchmark run covers: the last <days> days of the dataset, after the warm-up."""
    first = START + dt.timedelta(days=WARMUP_DAYS)
    return first, first + dt.timedelta(days=days - 1)


def ensure_dataset(env, days, shops, iphones):
    """Point env at the dataset's databases, generating it first when the PostgreSQL database is missing.

    Returns the number of source rows."""
    db = dataset_name(days, shops, iphones)
    env["PGDATABASE"] = db
    env["CLICKHOUSE_DB"] = db
    _, last = run_range(days)
    exists = sh(["psql", "-XAtq", "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
                env=env).stdout.strip()
    if not exists:
        sh(["psql", "-XAtq", "-d", "postgres", "-c", f"CREATE DATABASE {db}"], env=env)
        sh([YPA, "init", "--source-schema"], env=env)
        print(f"generating {days + WARMUP_DAYS} days into {db} ...", flush=True)
        sh([YPA, "datagen", "--shops", str(shops), "--iphones", str(iphones), "--from", str(START),
            "--to", str(last), "--seed", "1"], env=env, capture=False)
    sh([YPA, "init"], env=env)
    return int(sh(["psql", "-XAtq", "-c", 'SELECT count(*) FROM "AppleStockChecker_purchasingshoppricerecord"'],
                  env=env).stdout)


def source_copy_sql(days):
    """The source rows a run reads: warm-up included, 15 minutes of lookback before it."""
    _, last = run_range(days)
    return ("SELECT id, shop_id, iphone_id, price_new, price_grade_a, price_grade_b, recorded_at "
            "FROM \"AppleStockChecker_purchasingshoppricerecord\" "
            f"WHERE recorded_at > '{START} 00:00:00{TIME_ZONE}'::timestamptz - interval '15 minutes' "
            f"AND recorded_at <= '{last} 23:45:00{TIME_ZONE}'")


# ------------------------------------------------------------------------------ measured, memory-capped runs
def _tree_rss_kib(pid):
    """Resident memory of a process and all its descendants, from /proc (0 once it is gone)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def mem_available_kib():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    return 0


class Measured:
    """Outcome of run_measured: wall seconds, peak RSS (KiB), exit status, output, and why it was stopped."""

    def __init__(self, seconds, rss_kib, returncode, stdout, stderr, stopped):
        self.seconds, self.rss_kib, self.returncode = seconds, rss_kib, returncode
        self.stdout, self.stderr, self.stopped = stdout, stderr, stopped

    @property
    def ok(self):
        return self.returncode == 0 and not self.stopped


def run_measured(cmd, env, rss_limit_kib=None, time_limit_s=None):
    """Run cmd under GNU time, killing it (and reporting why) past a resident-memory or wall-time limit.

    The RSS watch polls the process tree every 0.2 s, so that a program that would not fit is stopped
    before the machine swaps or the kernel's OOM killer picks a database server instead."""
    full = ["/usr/bin/time", "-f", "%e %M"] + cmd
    started = time.monotonic()
    proc = subprocess.Popen(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    out, err, stopped, peak = [], [], [None], [0]
    readers = [threading.Thread(target=lambda: out.append(proc.stdout.read())),
               threading.Thread(target=lambda: err.append(proc.stderr.read()))]
    for r in readers:
        r.start()
    while proc.poll() is None:
        rss = _tree_rss_kib(proc.pid)
        peak[0] = max(peak[0], rss)
        if rss_limit_kib and rss > rss_limit_kib:
            stopped[0] = f"did not fit: resident memory passed {rss_limit_kib / 2**20:.1f} GiB"
        elif time_limit_s and time.monotonic() - started > time_limit_s:
            stopped[0] = f"did not finish within {time_limit_s / 60:.0f} min"
        if stopped[0]:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    proc.wait()
    for r in readers:
        r.join()
    seconds = time.monotonic() - started
    stderr = "".join(err)
    last = stderr.strip().splitlines()[-1].split() if stderr.strip() else []
    if len(last) == 2 and not stopped[0]:
        try:
            seconds, peak[0] = float(last[0]), int(last[1])
        except ValueError:
            pass
    return Measured(seconds, peak[0], proc.returncode, "".join(out), stderr, stopped[0])


# ---------------------------------------------------------------------------------------------- docs
def write_section(title, preamble, key, body_lines):
    """Put body_lines between the markers named by key under `## title` in docs/BENCHMARKS.md.

    The section (title + preamble) is created once; a later run with the same key replaces its block."""
    path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    begin, end = f"<!-- {key} -->", f"<!-- end {key} -->"
    body = "\n".join([begin, *body_lines, end])
    heading = f"## {title}"
    if heading not in text:
        text = text.rstrip() + "\n\n" + heading + "\n\n" + preamble + "\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: body, text)
    else:
        # Append at the end of this section: before the next "## " heading, if any.
        at = text.index(heading) + len(heading)
        nxt = text.find("\n## ", at)
        if nxt < 0:
            text = text.rstrip() + "\n\n" + body + "\n"
        else:
            text = text[:nxt].rstrip() + "\n\n" + body + "\n" + text[nxt:]
    open(path, "w").write(text)
    print(f"wrote {path}")
