#!/usr/bin/python3
"""run_pipeline against the design document's Python pipeline, a Polars version and the floors, in one run.

  bench/peers_bench.py [--days 30] [--shops 24] [--iphones 160] [--repeat 3] [--peer-repeat N]
                       [--systems ours,ours_lookback,design_numpy,design_tuples,polars,floors]
                       [--rss-limit-gib G] [--time-limit-min 60] [--write-docs]

Installs what the peers need first (Debian packages, a virtual environment for Polars; see bench/README.md),
uses the stack of `ypa stack up` and the dataset database bench_<days>d_<shops>x<iphones> (generated once,
shared with bench/pipeline_bench.py). Per repetition, each system runs alone into freshly emptied ClickHouse
tables, over the same range (the last <days> days, 10 days of warm-up read before them):

  ours           `ypa run_pipeline --align floor --device cpu` (floor mode: the peers floor, as the design doc does)
  ours_lookback  `ypa run_pipeline --device cpu` in its default mode, for reference (not compared)
  design_numpy   bench/peers/design_doc_pipeline.py --insert numpy   (clickhouse-driver columnar numpy inserts)
  design_tuples  bench/peers/design_doc_pipeline.py --insert tuples  (a list of row tuples, as most code does)
  polars         bench/peers/polars_pipeline.py
  floors         psql COPY binary of the source rows to /dev/null; clickhouse-client Native insert of our output

After every run its price_aligned rows must equal ours exactly and its aggregate (mean, median, std,
shop_count, dispersion, n_models of every scope and bucket) within 1e-9 relative; the Polars version's
features too (it implements SPEC §5; the design document's features differ on purpose). A run that fails a
check stops the benchmark. A peer that passes the resident-memory limit or the time limit is killed and
reported as not fitting; it is not run again at that size.

Prints medians, per-step times and ratios to ours; --write-docs puts them into docs/BENCHMARKS.md.
"""
import argparse
import datetime as dt
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

from common import (ROOT, WARMUP_DAYS, YPA, ensure_dataset, machine, mem_available_kib,
                    recreate_tables, run_measured, run_range, source_copy_sql, stack_env, write_section)

sys.path.insert(0, os.path.join(ROOT, "bench", "peers"))

DEBIAN_PACKAGES = ["python3-pandas", "python3-torch", "python3-psycopg2", "python3-clickhouse-driver", "python3-venv"]
VENV = os.path.join(ROOT, ".cache", "venv-bench")
# pyarrow 20+ wants numpy 2, which Debian's torch cannot use; the venv sees Debian's packages.
PIP_PACKAGES = ["polars", "connectorx", "pyarrow<20"]
SYSTEMS = ["ours", "ours_lookback", "design_numpy", "design_tuples", "polars", "floors"]
LABELS = {
    "ours": "ypa `run_pipeline --align floor` (C++, CPU)",
    "ours_lookback": "ypa `run_pipeline` (default lookback mode)",
    "design_numpy": "design doc pipeline, clickhouse-driver numpy inserts",
    "design_tuples": "design doc pipeline, clickhouse-driver tuple inserts",
    "polars": "Polars + connectorx + clickhouse-driver numpy",
    "floors": "floors: psql COPY binary + clickhouse-client Native inserts",
}
# Per-step columns of the second table, and the step names each system reports that make them up.
STEP_COLUMNS = {
    "read": ["read"],
    "align": ["align"],
    "write price_aligned": ["write_price_aligned"],
    "aggregate + cohorts + features": ["build_tensor", "aggregate", "features", "read_cohorts", "cohorts",
                                       "cohort_features"],
    "write features_wide": ["write_features_wide"],
}


# ------------------------------------------------------------------------------------------ bootstrap
def bootstrap():
    """Install the peers' dependencies when missing; idempotent, quiet when everything is there."""
    missing = [p for p in DEBIAN_PACKAGES
               if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
               .stdout != "install ok installed"]
    if missing:
        if os.geteuid() != 0:
            sys.exit(f"missing Debian packages; run: sudo apt-get install -y {' '.join(missing)}")
        print(f"installing {' '.join(missing)} ...", flush=True)
        subprocess.run(["apt-get", "update", "-q"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-q"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        print(f"creating {VENV} ...", flush=True)
        subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", VENV], check=True)
    if subprocess.run([python, "-c", "import polars, connectorx, pyarrow"], capture_output=True).returncode != 0:
        print(f"installing {' '.join(PIP_PACKAGES)} into {VENV} ...", flush=True)
        subprocess.run([python, "-m", "pip", "install", "-q"] + PIP_PACKAGES, check=True)
    for module in ("numpy", "pandas"):
        if importlib.util.find_spec(module) is None:
            sys.exit(f"{module} is not importable from {sys.executable}")
    return python


# ------------------------------------------------------------------------------------------- systems
def commands(args, first, last, venv_python):
    rng = ["--from", str(first), "--to", str(last)]
    peers = os.path.join(ROOT, "bench", "peers")
    return {
        "ours": [YPA, "run_pipeline", "--run-id", "peer_ours", *rng, "--device", "cpu", "--align", "floor",
                 "--batch-days", str(args.batch_days)],
        "ours_lookback": [YPA, "run_pipeline", "--run-id", "peer_lookback", *rng, "--device", "cpu",
                          "--batch-days", str(args.batch_days)],
        "design_numpy": ["/usr/bin/python3", os.path.join(peers, "design_doc_pipeline.py"), "--run-id",
                         "peer_design_numpy", *rng, "--insert", "numpy"],
        "design_tuples": ["/usr/bin/python3", os.path.join(peers, "design_doc_pipeline.py"), "--run-id",
                          "peer_design_tuples", *rng, "--insert", "tuples"],
        "polars": [venv_python, os.path.join(peers, "polars_pipeline.py"), "--run-id", "peer_polars", *rng],
    }


def run_id_of(cmd):
    return cmd[cmd.index("--run-id") + 1]


def our_steps(text):
    """Busy seconds per step from run_pipeline's closing table (its threads overlap: they do not add up)."""
    steps = {}
    for line in text.splitlines():
        m = re.match(r"^(read|align|aggregate|cohorts|features|write)\s+([\d.]+)\s+\d+\s+\d+", line.strip())
        if m:
            steps[m.group(1)] = float(m.group(2))
    if "write" in steps:
        steps["write_price_aligned+features_wide"] = steps.pop("write")
    return steps


def last_step(stderr):
    names = re.findall(r"^step: (\S+)", stderr, re.M)
    return names[-1] if names else "start"


class Checker:
    """Compares each run's output with the first run of ours (floor mode)."""

    def __init__(self, env, db, every):
        import outputs
        self.outputs, self.env, self.db, self.every = outputs, env, db, every
        self.reference = None

    def take_reference(self, run_id):
        o = self.outputs
        self.reference = (o.price_aligned_fingerprint(self.env, self.db, run_id),
                          o.aggregates(self.env, self.db, run_id, o.AGGREGATE_COLUMNS + o.FEATURE_COLUMNS,
                                        self.every))

    def check(self, run_id, with_features):
        o = self.outputs
        (rows, fingerprint), want = self.reference
        got_rows, got_fingerprint = o.price_aligned_fingerprint(self.env, self.db, run_id)
        problems = []
        if (got_rows, got_fingerprint) != (rows, fingerprint):
            problems.append(f"price_aligned: {got_rows:,} rows (ours {rows:,}), fingerprint "
                            f"{'equal' if got_fingerprint == fingerprint else 'differs'}")
        columns = o.AGGREGATE_COLUMNS + (o.FEATURE_COLUMNS if with_features else [])
        got = o.aggregates(self.env, self.db, run_id, columns, self.every)
        problems += o.compare_aggregates(want[columns], got)
        worst = o.max_relative_difference(want, got, columns)
        return problems, worst


# ---------------------------------------------------------------------------------------------- main
def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--shops", type=int, default=24)
    parser.add_argument("--iphones", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours and the floors (median reported)")
    parser.add_argument("--peer-repeat", type=int, help="runs of each peer (default: --repeat)")
    parser.add_argument("--batch-days", type=int, default=30)
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--rss-limit-gib", type=float,
                        help="kill a peer past this resident memory (default: available memory - 2 GiB, at most 20)")
    parser.add_argument("--time-limit-min", type=float, default=60)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    args.systems = [s for s in args.systems.split(",") if s]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown or "ours" not in args.systems:
        parser.error(f"--systems: choose from {','.join(SYSTEMS)}, ours included")
    if args.peer_repeat is None:
        args.peer_repeat = args.repeat
    if args.rss_limit_gib is None:
        args.rss_limit_gib = round(min(20.0, mem_available_kib() / 2**20 - 2), 1)
    return args


def main():
    args = parse_args()
    venv_python = bootstrap()
    env = stack_env()
    db = f"bench_{args.days}d_{args.shops}x{args.iphones}"
    source_rows = ensure_dataset(env, args.days, args.shops, args.iphones)
    first, last = run_range(args.days)
    cmds = commands(args, first, last, venv_python)
    # Past two months the aggregate check samples scopes (price_aligned is always checked in full).
    args.check_every = max(1, args.days // 30)
    checker = Checker(env, db, args.check_every)
    runs = {s: [] for s in args.systems}  # per system: list of dicts (seconds, rss, steps, rows)
    failed = {}  # system -> why it did not complete
    checks = {}  # system -> max relative difference seen
    rows = {}
    print(f"{db}: {source_rows:,} source rows; runs {first}..{last} with {WARMUP_DAYS} days of warm-up; "
          f"peers limited to {args.rss_limit_gib} GiB resident and {args.time_limit_min:.0f} min", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        native = {t: os.path.join(tmp, f"{t}.native") for t in ("price_aligned", "features_wide")}
        for rep in range(max(args.repeat, args.peer_repeat)):
            for system in args.systems:
                is_peer = system.startswith(("design", "polars"))
                if system in failed or rep >= (args.peer_repeat if is_peer else args.repeat):
                    continue
                if system == "floors":
                    runs[system].append(run_floors(env, db, args.days, native))
                    print(f"  rep {rep + 1} floors: {fmt_steps(runs[system][-1]['steps'])}", flush=True)
                    continue
                recreate_tables(env, db)
                limits = dict(rss_limit_kib=int(args.rss_limit_gib * 2**20), time_limit_s=args.time_limit_min * 60) \
                    if is_peer else {}
                m = run_measured(cmds[system], env, **limits)
                if not m.ok:
                    why = m.stopped or f"exit {m.returncode}: {m.stderr.strip().splitlines()[-2:]}"
                    failed[system] = f"{why} (in step {last_step(m.stderr)}, after {m.seconds:.0f} s)"
                    print(f"  rep {rep + 1} {system}: {failed[system]}", flush=True)
                    if system == "ours":
                        sys.exit(f"our run failed:\n{m.stderr[-3000:]}")
                    continue
                if is_peer:
                    report = json.loads(m.stdout.strip().splitlines()[-1])
                    steps = report["steps"]
                    rows.setdefault(system, report)
                else:
                    steps = our_steps(m.stdout + m.stderr)
                runs[system].append({"seconds": m.seconds, "rss": m.rss_kib, "steps": steps})
                verify(system, rep, cmds, checker, checks, env, db, native)
                print(f"  rep {rep + 1} {system}: {m.seconds:.2f} s, {m.rss_kib / 2**20:.2f} GiB peak RSS",
                      flush=True)

    header, tables = summarize(args, db, source_rows, runs, failed, checks, rows)
    print("\n" + header + "\n\n" + "\n".join(tables))
    if args.write_docs:
        write_docs(args, header, tables)
    return 0


def verify(system, rep, cmds, checker, checks, env, db, native):
    """First run of ours: take it as the reference and export it for the insert floors; others: compare."""
    run_id = run_id_of(cmds[system])
    if system == "ours" and rep == 0:
        checker.take_reference(run_id)
        for table, path in native.items():
            with open(path, "wb") as out:
                subprocess.run(["clickhouse-client", "--host", env["CLICKHOUSE_HOST"], "--port", env["CLICKHOUSE_PORT"],
                                "--query", f"SELECT * FROM {db}.{table} FORMAT Native"], stdout=out, check=True)
        return
    if system == "ours_lookback":
        return  # another alignment mode: other rows by design
    problems, worst = checker.check(run_id, with_features=system in ("ours", "polars"))
    if problems:
        sys.exit(f"{system} wrote other values than ours:\n  " + "\n  ".join(problems))
    checks[system] = max(checks.get(system, 0.0), worst)


def run_floors(env, db, days, native):
    """The floors of bench/pipeline_bench.py: the source read alone, our output's inserts alone."""
    copy = run_measured(["psql", "-XAtq", "-c", f"\\copy ({source_copy_sql(days)}) TO '/dev/null' (FORMAT binary)"],
                        env)
    recreate_tables(env, db)
    steps = {"read": copy.seconds}
    for table, key in (("price_aligned", "write_price_aligned"), ("features_wide", "write_features_wide")):
        full = ["/usr/bin/time", "-f", "%e", "clickhouse-client", "--host", env["CLICKHOUSE_HOST"], "--port",
                env["CLICKHOUSE_PORT"], "--query", f"INSERT INTO {db}.{table} FORMAT Native"]
        with open(native[table], "rb") as stdin:
            p = subprocess.run(full, stdin=stdin, capture_output=True, text=True, check=True)
        steps[key] = float(p.stderr.strip().splitlines()[-1])
    return {"seconds": sum(steps.values()), "rss": None, "steps": steps}


def fmt_steps(steps):
    return ", ".join(f"{k} {v:.2f} s" for k, v in steps.items())


# ---------------------------------------------------------------------------------------------- report
def median_step(runs, names):
    values = [sum(r["steps"].get(n, 0.0) for n in names) for r in runs if any(n in r["steps"] for n in names)]
    return statistics.median(values) if values else None


def summarize(args, db, source_rows, runs, failed, checks, rows):
    ours = statistics.median(r["seconds"] for r in runs["ours"])
    ours_rss = statistics.median(r["rss"] for r in runs["ours"])
    header = (f"{args.days} days (+{WARMUP_DAYS} warm-up) of {args.shops} shops x {args.iphones} iPhones: "
              f"{source_rows:,} source rows in `{db}`")
    t1 = ["| system | end to end (s) | source rows/s | peak RSS | time vs ours | memory vs ours | outputs |",
          "|---|---:|---:|---:|---:|---:|---|"]
    for system in args.systems:
        label = LABELS[system]
        if system in failed and not runs[system]:
            t1.append(f"| {label} | {failed[system]} | | | | | |")
            continue
        if not runs[system]:
            continue
        seconds = statistics.median(r["seconds"] for r in runs[system])
        n = len(runs[system])
        if system == "floors":
            t1.append(f"| {label} (sum, each alone) | {seconds:.2f} | {source_rows / seconds:,.0f} | | "
                      f"{seconds / ours:.2f}x | | — |")
            continue
        rss = statistics.median(r["rss"] for r in runs[system])
        if system == "ours":
            check = "reference"
        elif system == "ours_lookback":
            check = "other mode, not compared"
        else:
            what = "price_aligned identical; aggregate" + (" and features" if system == "polars" else "")
            check = f"{what} within {checks[system]:.0e}" if checks[system] > 0 else f"{what} identical"
        t1.append(f"| {label} | {seconds:.2f}{'' if n == args.repeat else f' (n={n})'} | "
                  f"{source_rows / seconds:,.0f} | {rss / 2**20:.2f} GiB | {seconds / ours:.1f}x | "
                  f"{rss / ours_rss:.1f}x | {check} |")
    t2 = ["| system | " + " | ".join(STEP_COLUMNS) + " |", "|---|" + "---:|" * len(STEP_COLUMNS)]
    for system in args.systems:
        if not runs[system] or system == "ours_lookback":
            continue
        if system.startswith("ours"):
            cells = []
            for column, names in STEP_COLUMNS.items():
                names = {"write price_aligned": ["write_price_aligned+features_wide"],
                         "write features_wide": [],
                         "aggregate + cohorts + features": ["aggregate", "cohorts", "features"]}.get(column, names)
                v = median_step(runs[system], names) if names else None
                cells.append(f"{v:.2f}" if v is not None else "(in the column before)")
            t2.append(f"| {LABELS[system]} (busy time per thread; they overlap) | " + " | ".join(cells) + " |")
            continue
        cells = []
        for names in STEP_COLUMNS.values():
            v = median_step(runs[system], names)
            cells.append(f"{v:.2f}" if v is not None else "—")
        t2.append(f"| {LABELS[system]} | " + " | ".join(cells) + " |")
    written = rows.get("design_numpy") or rows.get("polars")
    notes = []
    if written:
        notes.append(f"Rows written per system: {written['rows_price_aligned']:,} price_aligned + "
                     f"{written['rows_features_wide']:,} features_wide.")
    for system, why in failed.items():
        notes.append(f"{LABELS[system]}: {why}.")
    if args.check_every > 1:
        notes.append(f"price_aligned is checked in full; the aggregate and feature check covers every "
                     f"{args.check_every}th scope (by a hash of its name), to keep the checker's own memory small.")
    notes.append(f"Peers run under a {args.rss_limit_gib} GiB resident-memory watch and a "
                 f"{args.time_limit_min:.0f}-minute limit; medians of {args.repeat} runs of ours and the floors, "
                 f"{args.peer_repeat} of each peer.")
    return header, t1 + [""] + ["Per step, median seconds:", ""] + t2 + [""] + notes


def write_docs(args, header, tables):
    key = f"peers_bench {args.days}d {args.shops}x{args.iphones}"
    command = (f"bench/peers_bench.py --days {args.days} --shops {args.shops} --iphones {args.iphones} "
               f"--repeat {args.repeat} --peer-repeat {args.peer_repeat} --write-docs")
    write_section("run_pipeline vs the design document's Python pipeline, Polars and the floors", PREAMBLE, key, [
        f"### {header}",
        "",
        f"Command: `{'YPA_BIN=' + os.path.relpath(YPA, ROOT) + ' ' if os.environ.get('YPA_BIN') else ''}{command}`"
        f" (ypa at commit {our_commit()})",
        f"Machine: {machine()}, shared with other engineers' builds and tests (timings are noisy; medians "
        f"and ratios are what to read); PostgreSQL 15 and ClickHouse 18.16 of `ypa stack` on the same machine; "
        f"measured {dt.date.today()}.",
        "",
        *tables,
    ])


def our_commit():
    """The commit ypa was built from: build-peers/src/COMMIT for an exported tree, else the checkout's HEAD."""
    marker = os.path.join(os.path.dirname(os.path.dirname(YPA)), "src", "COMMIT")
    if os.path.exists(marker):
        return open(marker).read().strip()
    return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


PREAMBLE = """The question users ask first: how much faster is this than the pipeline the design document
planned? `bench/peers_bench.py` runs, one at a time on the same dataset and into freshly emptied tables:

* **ours**: `ypa run_pipeline --align floor --device cpu` (floor mode, because the design document's
  pipeline floors; our default lookback mode is shown once for reference);
* **the design document's pipeline** (`bench/peers/design_doc_pipeline.py`), written as §6.2-6.3 describe it:
  pandas `read_sql` over psycopg2, `recorded_at.dt.floor('15min')` + sort + one row per (bucket, shop, iPhone),
  a (iPhone, shop, bucket) PyTorch tensor for the cross-shop aggregate, the §6.3 features (EMA loop, SMA by
  `conv1d`, Bollinger by `unfold`), cohorts, clickhouse-driver inserts — once with clickhouse-driver's numpy
  columnar inserts (the fastest it has) and once with the list of row tuples most code passes to `execute`.
  Debian's pandas 1.5, PyTorch 1.13 (CPU), psycopg2 2.9 and clickhouse-driver 0.2.5;
* **Polars** (`bench/peers/polars_pipeline.py`), what a data person would write instead: connectorx read,
  lazy frames, window expressions, Polars' rolling/EWM functions, clickhouse-driver numpy inserts;
* **the floors** of `bench/pipeline_bench.py`: `psql` COPY binary of the same source rows to /dev/null, and
  `clickhouse-client` inserting our own output from Native files, each measured alone.

Every run is checked against ours: the same `price_aligned` rows (row count and a hash of every row,
computed by ClickHouse) and the same aggregate (`mean`, `median`, `std`, `shop_count`, `dispersion`,
`n_models` of every scope and bucket, 1e-9 relative). To be comparable, the peers do what SPEC §3.1 (floor)
and §4 say where the design document's sketch is loose: whole days, both inclusive; invalid records
dropped; ties to the larger id and all prices from one record (`groupby().last()` mixes the non-null
prices of several records, so the peer uses `nth(-1)`); the §6.1 mean-band outlier filter; numpy's median
(torch's `nanmedian` takes the lower middle). Features are **not** compared for the design document's
pipeline: its §6.3 definitions (padding with the first value, full windows for the bands, on a
forward-filled series) differ from SPEC §5 on purpose (see SPEC's note); the Polars version implements
SPEC §5 and its features are compared too. A peer that would not fit in memory is stopped by a
resident-memory watch and reported as "did not fit" instead of swapping the machine."""


if __name__ == "__main__":
    sys.exit(main())
