"""Every statement ypa sends to ClickHouse, on both engines (docs/compat.md).

1. Drives a scenario against the test stack's ClickHouse 18.16 with YPA_SQL_LOG and YPA_SQL_LOG_ROWS on:
   init (empty, existing, upgrade), run_pipeline (backfill, --steps, --shard, incremental), list_runs,
   compare_runs, promote_run (plain, --keep-backup, --drop-source, interrupted and resumed), drop_run and
   every API endpoint with filters and orderings. The log holds each SQL text, the rows ypa inserted and
   the rows 18.16 returned.
2. Replays the log in order on chdb-core's engine (ClickHouse 26, in-process, installed from PyPI into
   a virtual environment under the build folder): INSERTs load the logged rows, every other statement
   runs as sent, and each result is compared with 18.16's: same rows, numbers within 1e-12 relative,
   same order where the statement orders.
3. Fails when a statement matches no known kind (KINDS below), when a kind meant to be replayed did not
   occur, or when anything differs.

Needs `ypa stack` (eval "$(ypa stack env)"), python3-venv, and PyPI for the first run.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "contract"))

CHDB_VERSION = "26.9.0"  # chdb-core; its engine reports version 26.9.2.1
REL_TOL = 1e-12

# Every kind of statement ypa sends, as a regular expression over the statement's template (see
# template()). "replay": replayed on chdb and compared; anything else is the reason it is not.
NEEDS_SERVER = "needs a real server"
KINDS = [
    ("create_database", r"^CREATE DATABASE IF NOT EXISTS `DB`$", "replay"),
    ("create_database_on_cluster", r"^CREATE DATABASE IF NOT EXISTS `DB` ON CLUSTER", NEEDS_SERVER + " (ON CLUSTER)"),
    ("table_columns", r"^SELECT name, type FROM system\.columns WHERE database = \? AND table = \?$", "replay"),
    ("table_engine", r"^SELECT engine, engine_full FROM system\.tables WHERE", "replay"),
    ("create_table", r"^CREATE TABLE IF NOT EXISTS `DB`\.`\w+` \(\n", "replay"),
    ("add_column", r"^ALTER TABLE `DB`\.`\w+` ADD COLUMN ", "replay"),
    ("drop_table", r"^DROP TABLE IF EXISTS `DB`\.`\w+`$", "replay"),  # a staging table of an older structure
    ("on_cluster", r" ON CLUSTER ", NEEDS_SERVER + " (ON CLUSTER)"),
    ("replicated_or_distributed", r"ENGINE = (Replicated|Distributed)", NEEDS_SERVER + " (cluster tables)"),
    ("system_replicas", r"system\.replicas", NEEDS_SERVER + " (system.replicas)"),
    ("system_clusters", r"system\.clusters", NEEDS_SERVER + " (system.clusters)"),
    ("sync_replica", r"^SYSTEM SYNC REPLICA", NEEDS_SERVER + " (SYSTEM SYNC REPLICA)"),
    ("cluster_parts", r"FROM cluster\(", NEEDS_SERVER + " (cluster() table function)"),
    ("cluster_session", r"^SET insert_(distributed_sync|deduplicate) = \?$", NEEDS_SERVER + " (cluster session)"),
    ("insert_session", r"^SET min_insert_block_size_(rows|bytes) = \?$", "replay"),
    ("insert_values", r"^INSERT INTO `DB`\.`\w+`( \([^()]*\))? VALUES$", "replay"),
    ("partitions", r"^SELECT table, partition, sum\(rows\), sum\(bytes_on_disk\).* FROM system\.parts WHERE", "replay"),
    ("last_inserts", r"^SELECT run_id, toUInt32\(max\(inserted_at\)\) FROM `DB`\.`\w+` GROUP BY run_id$", "replay"),
    ("drop_partition", r"^ALTER TABLE `DB`\.`\w+` DROP PARTITION \(\?\)$", "replay"),
    ("replace_partition", r"^ALTER TABLE `DB`\.`\w+` REPLACE PARTITION \(\?\) FROM `DB`\.`\w+`$", "replay"),
    ("count_month", r"^SELECT count\(\) FROM `DB`\.`\w+` WHERE run_id = \? AND toYYYYMM\(bucket\) = \?$", "replay"),
    ("create_staging", r"^CREATE TABLE IF NOT EXISTS `DB`\.`\w+` AS `DB`\.`\w+`$", "replay"),
    ("copy_month", r"^INSERT INTO `DB`\.`\w+` \(.*\) SELECT .* FROM `DB`\.`\w+` FINAL WHERE run_id = \? AND toYYYYMM", "replay"),
    ("verify_counts", r"^SELECT toYYYYMM\(bucket\) AS month, countIf", "replay"),
    ("create_journal", r"^CREATE TABLE IF NOT EXISTS `DB`\.`run_promotions` \(", "replay"),
    ("next_promote_seq", r"^SELECT max\(seq\) \+ \? FROM `DB`\.`run_promotions`", "replay"),
    ("journal_insert", r"^INSERT INTO `DB`\.`run_promotions` \(target, .*\) SELECT \?", "replay"),
    ("unfinished_promotes", r"^SELECT target, argMax\(source, k\)", "replay"),
    ("pipeline_tables", r"^SELECT name FROM system\.tables WHERE database = \? AND name IN", "replay"),
    ("pipeline_history_prices", r"^SELECT iphone_id, shop_id, toUInt32\(bucket\) AS b, argMax\(price_new", "replay"),
    ("pipeline_history_inserted", r"^SELECT toUInt32\(greatest\(\(SELECT max\(inserted_at\)", "replay"),
    ("pipeline_history_means", r"^SELECT scope, toUInt32\(bucket\) AS b, argMax\(mean, inserted_at\)", "replay"),
    ("pipeline_history_state", r"^SELECT scope, .* FROM \(SELECT scope, bucket, .* GROUP BY scope, bucket\) GROUP BY scope$", "replay"),
    ("run_max_bucket", r"^SELECT toUInt32\(max\(bucket\)\) FROM `DB`\.`\w+` WHERE run_id = \?$", "replay"),
    ("run_min_bucket", r"^SELECT toUInt32\(min\(bucket\)\) FROM `DB`\.`\w+` WHERE run_id = \?$", "replay"),
    ("compare_read", r"^SELECT `\w+`(, `\w+`)?, toUInt32\(bucket\), isNull\(.* FROM `DB`\.`\w+` FINAL WHERE run_id = \?", "replay"),
    ("api_count_features", r"^SELECT count\(\) FROM `DB`\.`features_wide` FINAL WHERE", "replay"),
    ("api_bars", r"^SELECT toUInt32\(bucket\), scope, mean, median, std, toUInt32\(shop_count\), dispersion", "replay"),
    ("api_count_feature_items", r"^SELECT count\(\) \* \? FROM `DB`\.`features_wide` FINAL WHERE", "replay"),
    ("api_features", r"^SELECT toUInt32\(bucket\), scope, name, value FROM \(SELECT bucket, scope, \[", "replay"),
    ("api_count_prices", r"^SELECT count\(\) FROM `DB`\.`price_aligned` FINAL WHERE", "replay"),
    ("api_prices", r"^SELECT toUInt32\(bucket\), shop_id, iphone_id, price_new, price_a, price_b", "replay"),
    ("health_last_record", r"^SELECT shop_id, toUInt32\(ifNull\(max\(last_recorded_at\)", "replay"),
    ("health_hours", r"^SELECT shop_id, toUInt32\(bucket\), toUInt64\(buckets\)", "replay"),
    ("health_bucket_cells", r"^SELECT shop_id, toUInt32\(bucket\), toUInt64\(count\(\)\) FROM `DB`\.`price_aligned` FINAL", "replay"),
    ("api_count_shop_health", r"^SELECT count\(\) FROM `DB`\.`shop_health` FINAL WHERE", "replay"),
    ("api_shop_health", r"^SELECT toUInt32\(bucket\), shop_id, toUInt32\(buckets\), records_read", "replay"),
    ("shop_gauges", r"^SELECT shop_id, toUInt32\(max\(last_recorded_at\)\), toUInt64\(argMax", "replay"),
    ("stack_probe", r"^SELECT \?$|^SELECT name FROM system\.zookeeper", "sent only by `ypa stack` to the servers it starts"),
]


def template(sql, database):
    """The statement with its literals replaced: '...' -> ?, numbers -> ?, the database -> `DB`."""
    t = sql.replace("`%s`" % database, "`DB`")
    t = re.sub(r"'(?:[^'\\]|\\.)*'", "?", t)
    t = re.sub(r"(?<![\w.`])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w`])", "?", t)
    t = re.sub(r"\?(?:, \?)+", "?", t)
    return t


def kind_of(tmpl):
    for name, pattern, policy in KINDS:
        if re.search(pattern, tmpl, re.S):
            return name, policy
    return None, None


# --- part 1: the scenario on 18.16 -----------------------------------------------------------------


class Scenario:
    def __init__(self, ypa, work):
        import api_common as common

        self.common = common
        self.ypa = ypa
        self.name = "compat_%s" % os.urandom(5).hex()
        self.log = os.path.join(work, "statements.jsonl")
        self.env = dict(os.environ, PGDATABASE=self.name, CLICKHOUSE_DB=self.name, PIPELINE_DEVICE="cpu")
        self.log_env = dict(self.env, YPA_SQL_LOG=self.log, YPA_SQL_LOG_ROWS="1")
        self.test_statements = 0
        self.commands = 0

    def ch(self, query, log=True):
        """A statement of the test itself (not of ypa): run on 18.16 and logged so the replay runs it too."""
        if log:
            self.test_statements += 1
            with open(self.log, "a") as f:
                f.write(json.dumps({"pid": 0, "n": self.test_statements, "cmd": "compat_test", "sql": query}) + "\n")
        return self.common.run(["clickhouse-client", "--host", os.environ.get("CLICKHOUSE_HOST", "127.0.0.1"),
                                "--port", os.environ["CLICKHOUSE_PORT"], "--query", query], self.env).stdout

    def ypa_run(self, *args, expect=0, extra=None, prefix=()):
        env = dict(self.log_env, **(extra or {}))
        r = subprocess.run(list(prefix) + [self.ypa] + list(args), env=env, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != expect:
            sys.exit("ypa %s: exit %d, expected %d\n%s%s" % (" ".join(args), r.returncode, expect, r.stdout,
                                                               r.stderr))
        self.commands += 1
        return r.stdout

    def setup(self):
        run = self.common.run
        run(["psql", "-XAtq", "-d", "postgres", "-c", "CREATE DATABASE " + self.name], self.env)
        run([self.ypa, "init", "--source-schema"], self.env)
        run([self.ypa, "datagen", "--shops", "4", "--iphones", "6", "--from", "2025-03-30", "--to", "2025-04-02",
             "--seed", "7"], self.env)
        self.slug = run(["psql", "-XAtq", "-c", 'SELECT slug FROM "AppleStockChecker_cohort" ORDER BY slug LIMIT 1'],
                        self.env).stdout.strip()

    def drop(self):
        self.common.run(["psql", "-XAtq", "-d", "postgres", "-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name],
                        self.env, check=False)
        self.ch("DROP DATABASE IF EXISTS `%s`" % self.name, log=False)

    def run_all(self):
        y = self.ypa_run
        day1, day2 = "2025-04-01", "2025-04-02"
        y("init")  # empty
        y("init")  # existing tables
        # A features_wide made by the design document's DDL lacks n_models: init adds it.
        self.ch("ALTER TABLE `%s`.`features_wide` DROP COLUMN n_models" % self.name)
        y("init")
        y("run_pipeline", "--run-id", "live", "--allow-live", "--from", day1, "--to", day1)
        y("run_pipeline", "--run-id", "b2", "--from", day1, "--to", day2, "--batch-days", "1")
        y("run_pipeline", "--run-id", "st", "--steps", "align,aggregate", "--from", day1, "--to", day1)
        y("run_pipeline", "--run-id", "st", "--steps", "features,cohorts", "--from", day1, "--to", day1)
        y("run_pipeline", "--run-id", "sh", "--shard", "0/2", "--from", day1, "--to", day1)
        y("run_pipeline", "--run-id", "sh", "--shard", "1/2", "--from", day1, "--to", day1)
        y("run_pipeline", "--run-id", "sh", "--steps", "cohorts", "--from", day1, "--to", day1)
        y("run_pipeline", "--run-id", "live", "--mode", "incremental", "--since", "2h", "--to", day2 + "T10:00")
        # One cycle of the scheduler on a clock of 2025-04-02 12:05 in Tokyo: it continues `live`.
        self.ypa_run("schedule", "--run-id", "live", "--max-cycles", "1", "--delay", "1m",
                     prefix=["faketime", "-f", "@2025-04-02 03:05:00"])
        y("list_runs")
        y("list_runs", "--json")
        y("compare_runs", "--base", "live", "--target", "b2", expect=1)
        y("compare_runs", "--base", "live", "--target", "b2", "--json", expect=1)
        y("compare_runs", "--base", "st", "--target", "sh", "--from", day1 + "T06:00", "--to", day1 + "T18:00",
          "--scope", "iphone:1,iphone:2,cohort:" + self.slug, "--json")
        y("promote_run", "--from", "b2", "--to", "live", expect=1)  # the plan only
        y("promote_run", "--from", "b2", "--to", "live", "--confirm")
        # A staging table left by an older ypa with another structure is dropped and made again.
        self.ch("ALTER TABLE `%s`.`features_wide_promote_staging` DROP COLUMN n_models" % self.name)
        y("promote_run", "--from", "st", "--to", "live", "--confirm", "--keep-backup")
        # Interrupted after the backup, then resumed by the next promote into the same target.
        y("promote_run", "--from", "sh", "--to", "live", "--confirm", "--keep-backup", expect=137,
          extra={"YPA_FAILPOINT": "promote_after_backup:1"})
        y("promote_run", "--from", "sh", "--to", "live", "--confirm")
        y("promote_run", "--from", "st", "--to", "p2", "--confirm", "--drop-source")
        y("drop_run", "--run-id", "b2", expect=1)  # dry run
        y("drop_run", "--run-id", "b2", "--confirm", "--tables", "price_aligned")
        y("drop_run", "--run-id", "b2", "--confirm")
        y("list_runs", "--json")
        # live is sh's now, and a sharded run writes no shop_health: a run of day 2 for /api/shop-health/.
        y("run_pipeline", "--run-id", "hl", "--from", day2, "--to", day2)
        self.api()
        self.bad_values()

    def bad_values(self):
        """A bad statement-log setting: one line naming it, exit 2, nothing sent and no file made."""
        missing = os.path.join(os.path.dirname(self.log), "no-such-folder", "log.jsonl")
        made = os.path.join(os.path.dirname(self.log), "not-made.jsonl")
        for extra, name in [({"YPA_SQL_LOG": missing}, "YPA_SQL_LOG"),
                            ({"YPA_SQL_LOG": made, "YPA_SQL_LOG_ROWS": "2"}, "YPA_SQL_LOG_ROWS"),
                            ({"YPA_SQL_LOG": made, "YPA_SQL_LOG_ROWS": "yes"}, "YPA_SQL_LOG_ROWS")]:
            r = subprocess.run([self.ypa, "drop_run", "--run-id", "p2", "--confirm"], env=dict(self.env, **extra),
                               capture_output=True, text=True, timeout=60)
            lines = r.stderr.strip().splitlines()
            if r.returncode != 2 or len(lines) != 1 or name not in lines[0] or os.path.exists(made):
                sys.exit("%s: expected exit 2 and one line naming %s, got %d: %s" % (extra, name, r.returncode,
                                                                                   r.stderr))
        # Nothing was dropped: run p2 is still listed.
        if '"p2"' not in self.ypa_run("list_runs", "--json"):
            sys.exit("a refused drop_run dropped run p2")

    def api(self):
        common = self.common
        server = common.Server([self.ypa, "serve", "--no-auth", "--listen", "127.0.0.1:{port}"],
                               dict(self.log_env, API_CACHE_MS="0"), "/healthz")
        paths = []
        for run in ("live", "sh"):
            for q in [
                {}, {"ordering": "-mean,bucket"}, {"iphone": "1"}, {"iphone__in": "1,2,3"},
                {"bucket__gte": "2025-04-01T06:00", "bucket__lte": "2025-04-01T12:00", "ordering": "std,-iphone"},
                {"limit": "7", "offset": "3", "ordering": "shop_count,dispersion,updated_at"},
            ]:
                paths.append(("/api/overall-bars/", dict(q, run_id=run)))
                paths.append(("/api/overall-bars/points/", dict(q, run_id=run)))
            for q in [{}, {"cohort__slug": self.slug}, {"cohort__slug__in": self.slug + ",nosuch"},
                      {"ordering": "-n_models,shop_count_agg,median", "bucket__gte": "2025-04-01T20:00+09:00"}]:
                paths.append(("/api/cohort-bars/", dict(q, run_id=run)))
                paths.append(("/api/cohort-bars/points/", dict(q, run_id=run)))
            for q in [{}, {"scope": "iphone:1"}, {"scope__in": "iphone:1,cohort:" + self.slug, "name": "ema_120"},
                      {"name__in": "sma_900,boll_width_1800", "ordering": "-value,name", "bucket__lte": "2025-04-01T03:00"},
                      {"limit": "5", "offset": "40"}]:
                paths.append(("/api/features/", dict(q, run_id=run)))
                paths.append(("/api/features/points/", dict(q, run_id=run)))
            for q in [{}, {"shop": "2"}, {"shop__in": "1,3", "iphone__in": "2,4"},
                      {"Timestamp_Time__gte": "2025-04-01T10:00", "Timestamp_Time__lte": "2025-04-01T11:00",
                       "ordering": "price_a,-price_b,alignment_diff_sec"},
                      {"iphone": "3", "ordering": "record_time,-price_new", "limit": "4"}]:
                paths.append(("/api/purchasing-time-analyses/", dict(q, run_id=run)))
                paths.append(("/api/purchasing-time-analyses/compact/", dict(q, run_id=run)))
        # Every ordering field of each list, descending (docs/api.md). updated_at (inserted_at) comes from each
        # engine's clock, so it is only ever a later key: as the first, same-second ties on one engine and
        # not on the other would order rows differently.
        fields = {
            "/api/overall-bars/": "bucket iphone mean median std shop_count dispersion",
            "/api/cohort-bars/": "bucket cohort mean median std n_models shop_count_agg dispersion",
            "/api/features/": "bucket scope name value",
            "/api/purchasing-time-analyses/": "Timestamp_Time shop iphone price_new price_a price_b "
                                              "alignment_diff_sec record_time",
            "/api/purchasing-time-analyses/compact/": "Timestamp_Time shop iphone price_new price_a price_b "
                                                      "alignment_diff_sec record_time",
        }
        for path, names in fields.items():
            for field in names.split():
                paths.append((path, {"ordering": "-%s,updated_at" % field if "bars" in path else "-" + field,
                                     "limit": "50"}))
        # hl's shop_health: day 2 (see run_all).
        for q in [{}, {"shop": "2"}, {"shop__in": "1,3", "bucket__gte": "2025-04-02T06:00",
                                      "bucket__lte": "2025-04-02T12:00"}, {"limit": "5", "offset": "10"}]:
            paths.append(("/api/shop-health/", dict(q, run_id="hl")))
        for field in ("bucket shop records_read invalid_prices cells filtered_share iphones last_recorded_at "
                      "price_ratio_median").split():
            paths.append(("/api/shop-health/", {"run_id": "hl", "ordering": "-" + field, "limit": "50"}))
        # The findings of hl (the rules of `ypa schedule`): at its last bucket, at an earlier one, with thresholds.
        for q in [{}, {"at": "2025-04-02T12:30"}, {"coverage_drop": "0.1", "ratio_drift": "0.05", "silent_buckets": "1"}]:
            paths.append(("/api/shop-health/findings/", dict(q, run_id="hl")))
        # The dashboard's compare endpoint: one scope and range in one statement per table.
        for scope in ("iphone:1", "cohort:" + self.slug):
            paths.append(("/api/runs/compare/", {"base": "live", "target": "sh", "scope": scope,
                                                 "from": "2025-04-01", "to": "2025-04-02"}))
        paths += [("/api/runs/", {}), ("/readyz", {}), ("/api/schema/", {})]
        try:
            for path, q in paths:
                url = server.base + path + ("?" + urllib.parse.urlencode(q) if q else "")
                with urllib.request.urlopen(url, timeout=30) as r:
                    if r.status != 200:
                        sys.exit("%s: HTTP %d" % (url, r.status))
            # /metrics reads live's per-shop gauges on a background thread: wait until the log has that query.
            with urllib.request.urlopen(server.base + "/metrics", timeout=30) as r:
                r.read()
            deadline = time.time() + 30
            while "argMax(above_band + below_band, bucket)" not in open(self.log, encoding="utf-8").read():
                if time.time() > deadline:
                    sys.exit("/metrics did not read the shop gauges within 30 s")
                time.sleep(0.2)
        finally:
            server.stop()
        self.requests = len(paths)


# --- part 2: the replay on chdb -----------------------------------------------------------------


def read_log(path):
    """Statements in log order, each with the rows ypa inserted or 18.16 returned, or the error code."""
    statements, by_key = [], {}
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            key = (rec["pid"], rec["n"])
            if "sql" in rec:
                rec.update(result=[], insert=[], error=None, types=None, names=None)
                statements.append(rec)
                by_key[key] = rec
                continue
            st = by_key[key]
            if rec["part"] == "error":
                st["error"] = rec["code"]
            else:
                st[rec["part"]] += rec["rows"]
                st["types"], st["names"] = rec["types"], rec["names"]
    return statements


def tsv_escape(v):
    if v is None:
        return "\\N"
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def tsv_unescape(cell):
    if cell == "\\N":
        return None
    out, i = [], 0
    while i < len(cell):
        c = cell[i]
        if c == "\\" and i + 1 < len(cell):
            n = cell[i + 1]
            out.append({"t": "\t", "n": "\n", "\\": "\\", "'": "'", "0": "\0", "r": "\r", "b": "\b", "f": "\f"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def top_level_order_by(sql):
    depth = 0
    for i, c in enumerate(sql):
        depth += c == "("
        depth -= c == ")"
        if depth == 0 and sql.startswith("ORDER BY", i):
            return True
    return False


def as_number(v):
    if v is None:
        return None
    try:
        return float(v)
    except ValueError:
        return None


def cells_equal(a, b, clock):
    if a == b:
        return True
    x, y = as_number(a), as_number(b)
    if x is None or y is None:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    if x == y or abs(x - y) <= REL_TOL * max(abs(x), abs(y)):
        return True
    # A value from the clock (now() at insert time: inserted_at, updated_at) differs by when each engine ran.
    return clock(x, y)


def compare_results(name, sql, want, got, clock):
    """None when chdb's rows `got` match 18.16's `want`, else what differs first."""
    a, b = want, got
    if not top_level_order_by(sql):
        a, b = sorted(want, key=json.dumps), sorted(got, key=json.dumps)
    if len(a) != len(b):
        return "18.16 returned %d rows, chdb %d" % (len(a), len(b))
    skip = ignored_cells(name, sql)
    for i, (ra, rb) in enumerate(zip(a, b)):
        if len(ra) != len(rb):
            return "row %d: 18.16 %s, chdb %s" % (i, ra, rb)
        ignored = skip(ra)
        cells = [(j, x, y) for j, (x, y) in enumerate(zip(ra, rb)) if j not in ignored and not cells_equal(x, y, clock)]
        if cells:
            return "row %d: %s" % (i, "; ".join("column %d: 18.16 %r, chdb %r" % c for c in cells[:6]))
    return None


def self_check(checks):
    """The comparison must see what a wrong engine would get wrong: on results that matched, two rows
    swapped in an ordered result, one number off by 1e-9 relative, and one row missing are reported."""
    problems = []
    if not checks:
        return ["self-check: no ordered result with two rows to check the comparison on"]
    with_fractions = [c for c in checks if any("." in (v or "") and as_number(v) for row in c[2] for v in row)]
    name, sql, want, got, clock = (with_fractions or checks)[len(with_fractions or checks) // 2]
    swapped = [want[1], want[0]] + want[2:]
    cells = [(r, c) for r, row in enumerate(want) for c, v in enumerate(row)
             if as_number(v) not in (None, 0.0) and "." in v and c not in ignored_cells(name, sql)(row)]
    nudged = [list(row) for row in want]
    if cells:
        r, c = cells[0]
        nudged[r][c] = repr(float(want[r][c]) * (1 + 1e-9))
    for label, wrong in [("two rows swapped", swapped), ("a number off by 1e-9", nudged if cells else None),
                         ("a row missing", want[:-1])]:
        if wrong is None:
            problems.append("self-check: no fractional number to change in %s" % sql[:200])
        elif compare_results(name, sql, wrong, got, clock) is None:
            problems.append("self-check: %s went unnoticed in %s" % (label, sql[:200]))
    if not problems:
        print("self-check on a %s result: two rows swapped, a number off by 1e-9 and a missing row are each "
              "reported" % name)
    return problems


def ignored_cells(kind, sql):
    """Cells of a result row that legitimately differ between engines: row -> set of column indexes."""
    if kind == "partitions":
        return lambda row: {3}  # sum(bytes_on_disk): each engine's own storage format
    return lambda row: set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ypa", required=True)
    ap.add_argument("--venv", required=True, help="virtual environment for chdb-core (created when missing)")
    ap.add_argument("--keep", help="keep the statement log in this file")
    args = ap.parse_args()
    if "CLICKHOUSE_PORT" not in os.environ:
        sys.exit('CLICKHOUSE_PORT is not set: run eval "$(ypa stack env)" first')
    python = ensure_venv(args.venv)
    work = tempfile.mkdtemp(prefix="ypa-compat-")
    try:
        sc = Scenario(os.path.abspath(args.ypa), work)
        sc.setup()
        t0 = time.time()
        try:
            sc.run_all()
        finally:
            t1 = time.time()
            sc.drop()
        if args.keep:
            shutil.copy(sc.log, args.keep)
        print("scenario: %d ypa commands, %d API requests, %d test statements, %.1f s" %
              (sc.commands, sc.requests, sc.test_statements, t1 - t0))
        r = subprocess.run([python, os.path.abspath(__file__), "--replay", sc.log, "--database", sc.name,
                            "--clock", "%d,%d" % (int(t0) - 1, int(t1) + 1), "--dir", os.path.join(work, "chdb")])
        sys.exit(r.returncode)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ensure_venv(venv):
    python = os.path.join(venv, "bin", "python")
    probe = [python, "-c", "import importlib.metadata as m; print(m.version('chdb-core'))"]
    if os.path.exists(python):
        r = subprocess.run(probe, capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip() == CHDB_VERSION:
            return python
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run(["/usr/bin/python3", "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "chdb-core==" + CHDB_VERSION], check=True)
    r = subprocess.run(probe, capture_output=True, text=True, check=True)
    if r.stdout.strip() != CHDB_VERSION:
        sys.exit("chdb-core %s expected in %s, found %s" % (CHDB_VERSION, venv, r.stdout.strip()))
    return python


def replay(log, database, clock_window, directory):
    from chdb import session as chs

    t0, t1 = (int(x) for x in clock_window.split(","))
    s = chs.Session(directory)
    s.query("SET date_time_output_format = 'unix_timestamp'")
    r0 = int(time.time()) - 1
    statements = read_log(log)
    problems, unknown, seen, checks = [], {}, {}, []
    replayed = compared = rows_compared = 0
    for st in statements:
        sql = st["sql"]
        tmpl = template(sql, database)
        if st["cmd"] == "compat_test":
            name, policy = "test statement", "replay"
        else:
            name, policy = kind_of(tmpl)
            if name is None:
                unknown.setdefault(tmpl, st["cmd"])
                continue
            seen[name] = seen.get(name, 0) + 1
        if policy != "replay":
            continue
        where = "%s [%s] %s" % (name, st["cmd"], sql[:300].replace("\n", " "))
        if sql.endswith(" VALUES") and st["names"] is not None:
            data = "".join("\t".join(tsv_escape(v) for v in row) + "\n" for row in st["insert"])
            text = sql[: -len(" VALUES")] + " FORMAT TSV\n" + data
            want = None
        elif sql.endswith(" VALUES"):
            continue  # an INSERT that sent no rows (the server refused it before)
        else:
            text, want = sql, st["result"]
        try:
            res = s.query(text, "TabSeparatedWithNamesAndTypes").bytes().decode()
        except Exception as e:  # chdb raises ChdbError with the server's message
            if st["error"] is not None:
                replayed += 1  # refused by both
                continue
            problems.append("%s\n    chdb refused it: %s" % (where, str(e).splitlines()[0][:400]))
            continue
        replayed += 1
        if st["error"] is not None:
            problems.append("%s\n    18.16 refused it (code %d), chdb ran it" % (where, st["error"]))
            continue
        if want is None or not res:
            if want:
                problems.append("%s\n    18.16 returned %d rows, chdb none" % (where, len(want)))
            continue
        lines = res.split("\n")[:-1]
        got = [[tsv_unescape(c) for c in line.split("\t")] for line in lines[2:]]
        now = int(time.time()) + 1

        def clock(x, y):
            return t0 <= x <= t1 and r0 <= y <= now

        compared += 1
        diff = compare_results(name, sql, want, got, clock)
        if st["cmd"] != "compat_test" and not st["server"].startswith("18.16."):
            diff = "the log names server %s, expected 18.16 (the version from the Hello)" % st["server"]
        if not diff and len(want) >= 2 and top_level_order_by(sql) and want[0] != want[1]:
            checks.append((name, sql, want, got, clock))
        if diff:
            problems.append("%s\n    %s" % (where, diff))
        else:
            rows_compared += len(want)
    problems += self_check(checks)
    for name, pattern, policy in KINDS:
        if policy == "replay" and not seen.get(name):
            problems.append("kind %s (%s) never occurred: the scenario no longer covers it" % (name, pattern))
    for tmpl, cmd in unknown.items():
        problems.append("statement of no known kind (add it to KINDS, replayed or with its reason) [%s]: %s" %
                        (cmd, tmpl[:400]))
    not_replayed = {n: c for n, c in seen.items() if dict((k[0], k[2]) for k in KINDS)[n] != "replay"}
    print("replayed %d of %d statements on chdb-core %s; compared %d results (%d rows) with ClickHouse 18.16" %
          (replayed, len(statements), CHDB_VERSION, compared, rows_compared))
    print("statement kinds seen: %s" % ", ".join("%s=%d" % kv for kv in sorted(seen.items())))
    if not_replayed:
        print("not replayed (need a real server): %s" % not_replayed)
    for p in problems:
        print("FAIL " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    if "--replay" in sys.argv:
        ap = argparse.ArgumentParser()
        ap.add_argument("--replay")
        ap.add_argument("--database")
        ap.add_argument("--clock")
        ap.add_argument("--dir")
        a = ap.parse_args()
        sys.exit(replay(a.replay, a.database, a.clock, a.dir))
    main()
