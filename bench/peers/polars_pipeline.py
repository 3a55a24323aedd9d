#!/usr/bin/env python3
"""The same pipeline as a data person would write it today: Polars instead of pandas + PyTorch.

  polars_pipeline.py --run-id R --from D --to D [--warmup-days 10]

Runs in the benchmark's virtual environment (polars, connectorx, pyarrow from PyPI; clickhouse-driver, numpy
and pandas from Debian, see bench/README.md). Connections come from libpq's PG* variables and
CLICKHOUSE_HOST/PORT/DB/USER/PASSWORD. Steps: `pl.read_database_uri` (connectorx) of the source rows;
SPEC §3.1 floor alignment (truncate to 15 minutes, the latest record per bucket, shop and iPhone, ties to
the larger id); SPEC §4 aggregate (mean-band outlier filter, mean, median, std, shop count) with window
expressions and a group-by; SPEC §6 cohorts with joins; SPEC §5 features with Polars' own rolling and EWM
expressions over each scope's dense bucket grid; clickhouse-driver numpy columnar inserts.

Prints one JSON line on stdout: seconds per step and row counts. Progress ("step: NAME") goes to stderr.
"""
import argparse
import datetime as dt
import json
import os
import sys
import time
import zoneinfo

import numpy as np
import polars as pl
from clickhouse_driver import Client

TZ = os.environ.get("PIPELINE_TZ", "Asia/Tokyo")
INTERVAL_S = 900
WINDOWS_MIN = [120, 900, 1800]
BAND = 0.25
BOLL_K = 2.0
RECORDS = '"AppleStockChecker_purchasingshoppricerecord"'
KEY = ["bucket", "shop_id", "iphone_id"]


class Steps:
    """Wall time per step, announced on stderr so that a supervisor that kills us knows where we were."""

    def __init__(self):
        self.seconds = {}

    def run(self, name, fn, *args):
        print(f"step: {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = fn(*args)
        self.seconds[name] = round(time.perf_counter() - started, 3)
        return result


def postgres_uri():
    env = os.environ
    password = f":{env['PGPASSWORD']}" if env.get("PGPASSWORD") else ""
    return (f"postgresql://{env.get('PGUSER', 'postgres')}{password}@{env.get('PGHOST', 'localhost')}:"
            f"{env.get('PGPORT', '5432')}/{env.get('PGDATABASE', 'postgres')}")


def read_records(lo, hi):
    sql = (f"SELECT id, shop_id, iphone_id, price_new, price_grade_a, price_grade_b, recorded_at FROM {RECORDS} "
           f"WHERE recorded_at >= '{lo.isoformat()}' AND recorded_at < '{hi.isoformat()}'")
    return pl.read_database_uri(sql, postgres_uri(), engine="connectorx")


def align(df):
    """SPEC §3.1 floor mode: valid records, truncated to the bucket, the latest (then largest id) wins."""
    positive = lambda c: pl.when(pl.col(c) > 0).then(pl.col(c)).otherwise(None)  # noqa: E731
    df = (df.lazy()
          .filter(pl.col("price_new") > 0)
          .with_columns(positive("price_grade_a"), positive("price_grade_b"),
                        pl.col("recorded_at").dt.convert_time_zone(TZ))
          .with_columns(pl.col("recorded_at").dt.truncate("15m").alias("bucket"))
          .sort(["recorded_at", "id"])
          .unique(subset=KEY, keep="last")
          .with_columns(pl.col("recorded_at").dt.truncate("1s").alias("record_time"))
          .with_columns(((pl.col("record_time") - pl.col("bucket")).dt.total_seconds())
                        .cast(pl.Int32).alias("alignment_diff_sec")))
    return df.collect()


def client():
    env = os.environ
    return Client(host=env.get("CLICKHOUSE_HOST", "localhost"), port=int(env.get("CLICKHOUSE_PORT", 9000)),
                  database=env.get("CLICKHOUSE_DB", "yamagoti"), user=env.get("CLICKHOUSE_USER", "default"),
                  password=env.get("CLICKHOUSE_PASSWORD", ""), settings={"use_numpy": True})


def insert(ch, table, frame):
    """Columnar numpy insert; datetimes as epoch seconds, which clickhouse-driver writes as they are."""
    data = []
    for name, dtype in frame.schema.items():
        col = frame[name]
        if isinstance(dtype, pl.Datetime):
            col = col.dt.epoch("s").cast(pl.UInt32)
        values = col.to_numpy()
        if values.dtype.kind == "f" and (col.null_count() or col.is_nan().any()):
            # clickhouse-driver's numpy float columns write NaN as NaN; only None becomes NULL.
            missing = np.isnan(values)
            values = values.astype(object)
            values[missing] = None
        data.append(values)
    ch.execute(f"INSERT INTO {table} ({', '.join(frame.columns)}) VALUES", data, columnar=True)
    return frame.height


def write_aligned(ch, aligned, first, run_id):
    out = aligned.filter(pl.col("bucket") >= first).select(
        pl.lit(run_id).alias("run_id"), "bucket", pl.col("shop_id").cast(pl.UInt32),
        pl.col("iphone_id").cast(pl.UInt32), pl.col("price_new").cast(pl.UInt32),
        pl.col("price_grade_a").cast(pl.Float64).alias("price_a"),
        pl.col("price_grade_b").cast(pl.Float64).alias("price_b"), "alignment_diff_sec", "record_time")
    return insert(ch, "price_aligned", out)


def aggregate(aligned):
    """SPEC §4: mean-band filter when 3 or more shops report, then stats over the kept prices."""
    by = ["iphone_id", "bucket"]
    price = pl.col("price_new").cast(pl.Float64)
    m0 = price.mean().over(by)
    within = (price - m0).abs() <= BAND * m0
    kept = (aligned.lazy()
            .with_columns(within.alias("within"), pl.len().over(by).alias("n_all"))
            .filter((pl.col("n_all") < 3) | pl.col("within") | ~pl.col("within").any().over(by))
            .select(by + ["shop_id", price.alias("price")])).collect()
    stats = kept.group_by(by).agg(pl.col("price").mean().alias("mean"), pl.col("price").median().alias("median"),
                                  pl.col("price").std(ddof=1).alias("std"), pl.len().alias("shop_count"))
    return kept, stats


def read_cohorts():
    uri = postgres_uri()
    q = lambda sql: pl.read_database_uri(sql, uri, engine="connectorx")  # noqa: E731
    return (q('SELECT id AS cohort_id, slug, shop_weight_profile_id FROM "AppleStockChecker_cohort"'),
            q('SELECT cohort_id, iphone_id, weight FROM "AppleStockChecker_cohortmember"'),
            q('SELECT profile_id, shop_id, weight AS shop_weight FROM "AppleStockChecker_shopweightitem"'))


def cohorts(kept, stats, configs):
    """SPEC §6: member prices (shop-weighted with a profile, else the member's mean), then per cohort."""
    cohort, members, items = configs
    members = members.join(cohort, on="cohort_id")
    weighted = (members.filter(pl.col("shop_weight_profile_id").is_not_null())
                .join(kept, on="iphone_id")
                .join(items, left_on=["shop_weight_profile_id", "shop_id"], right_on=["profile_id", "shop_id"],
                      how="left")
                .with_columns(pl.col("shop_weight").fill_null(1.0))
                .filter(pl.col("shop_weight") > 0)
                .group_by(["slug", "iphone_id", "bucket"])
                .agg(((pl.col("shop_weight") * pl.col("price")).sum() / pl.col("shop_weight").sum()).alias("p")))
    plain = (members.filter(pl.col("shop_weight_profile_id").is_null())
             .join(stats, on="iphone_id").select("slug", "iphone_id", "bucket", pl.col("mean").alias("p")))
    member_prices = (pl.concat([weighted, plain])
                     .join(stats.select("iphone_id", "bucket", "shop_count"), on=["iphone_id", "bucket"])
                     .join(members.select("slug", "iphone_id", "weight"), on=["slug", "iphone_id"]))
    return (member_prices.group_by(["slug", "bucket"])
            .agg(((pl.col("weight") * pl.col("p")).sum() / pl.col("weight").sum()).alias("mean"),
                 pl.col("p").median().alias("median"), pl.col("p").std(ddof=1).alias("std"),
                 pl.col("shop_count").sum().alias("shop_count"), pl.len().alias("n_models"))
            .select((pl.lit("cohort:") + pl.col("slug")).alias("scope"), pl.exclude("slug")))


def features(scoped, lo, hi):
    """SPEC §5 per scope over the dense grid [lo, hi): rolling mean/std, WMA from rolling sums, EWM."""
    grid = pl.datetime_range(lo, hi, interval="15m", closed="left", time_zone=TZ, eager=True).alias("bucket")
    dense = (scoped.select("scope").unique().join(grid.to_frame(), how="cross")
             .join(scoped, on=["scope", "bucket"], how="left")
             .sort(["scope", "bucket"])
             .with_columns(pl.int_range(pl.len()).over("scope").cast(pl.Float64).alias("t")))
    x = pl.col("mean")
    x0 = x.fill_null(0.0)
    present = x.is_not_null().cast(pl.Float64)
    cols = []
    for window_min in WINDOWS_MIN:
        w = window_min * 60 // INTERVAL_S
        sma = x.rolling_mean(w, min_samples=1).over("scope")
        sd = x.rolling_std(w, min_samples=2).over("scope")
        # sum_i (w - (t - i)) x_i over the window = sum i x_i + (w - t) sum x_i, present values only.
        shift = w - pl.col("t")
        num = (pl.col("t") * x0).rolling_sum(w, min_samples=1).over("scope") + \
            shift * x0.rolling_sum(w, min_samples=1).over("scope")
        den = (pl.col("t") * present).rolling_sum(w, min_samples=1).over("scope") + \
            shift * present.rolling_sum(w, min_samples=1).over("scope")
        cols += [x.ewm_mean(span=w, adjust=False, ignore_nulls=True).over("scope").alias(f"ema_{window_min}"),
                 sma.alias(f"sma_{window_min}"),
                 pl.when(den > 0).then(num / den).otherwise(None).alias(f"wma_{window_min}"),
                 sma.alias(f"boll_mid_{window_min}"),
                 (sma + BOLL_K * sd).alias(f"boll_up_{window_min}"),
                 (sma - BOLL_K * sd).alias(f"boll_low_{window_min}"),
                 (2 * BOLL_K * sd).alias(f"boll_width_{window_min}")]
    return dense.lazy().with_columns(cols).filter(pl.col("shop_count").is_not_null()).collect()


FEATURE_NAMES = [f"{k}_{w}" for w in WINDOWS_MIN for k in ("ema", "sma", "wma", "boll_mid", "boll_up", "boll_low",
                                                            "boll_width")]


def write_features(ch, wide, first, run_id):
    out = wide.filter(pl.col("bucket") >= first).select(
        pl.lit(run_id).alias("run_id"), "bucket", "scope", "mean", "median", "std",
        pl.col("shop_count").cast(pl.UInt16), (pl.col("std") / pl.col("mean")).alias("dispersion"),
        *FEATURE_NAMES, pl.col("n_models").cast(pl.UInt16))
    return insert(ch, "features_wide", out)


def run(args):
    zone = zoneinfo.ZoneInfo(TZ)
    first = dt.datetime.fromisoformat(args.from_).replace(tzinfo=zone)
    lo = first - dt.timedelta(days=args.warmup_days)
    hi = dt.datetime.fromisoformat(args.to).replace(tzinfo=zone) + dt.timedelta(days=1)
    ch = client()
    steps = Steps()
    started = time.perf_counter()
    df = steps.run("read", read_records, lo, hi)
    rows_read = df.height
    aligned = steps.run("align", align, df)
    del df
    rows_pa = steps.run("write_price_aligned", write_aligned, ch, aligned, first, args.run_id)
    kept, stats = steps.run("aggregate", aggregate, aligned)
    del aligned
    configs = steps.run("read_cohorts", read_cohorts)
    cohort_stats = steps.run("cohorts", cohorts, kept, stats, configs)
    del kept
    scoped = pl.concat([
        stats.select((pl.lit("iphone:") + pl.col("iphone_id").cast(pl.Utf8)).alias("scope"), "bucket", "mean",
                     "median", "std", pl.col("shop_count").cast(pl.UInt32), pl.lit(1, pl.UInt32).alias("n_models")),
        cohort_stats.select("scope", "bucket", "mean", "median", "std", pl.col("shop_count").cast(pl.UInt32),
                            pl.col("n_models").cast(pl.UInt32))])
    wide = steps.run("features", features, scoped, lo, hi)
    rows_fw = steps.run("write_features_wide", write_features, ch, wide, first, args.run_id)
    total = time.perf_counter() - started
    print(json.dumps({"steps": steps.seconds, "total": round(total, 3), "rows_read": rows_read,
                      "rows_price_aligned": rows_pa, "rows_features_wide": rows_fw}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--from", dest="from_", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--to", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--warmup-days", type=int, default=10)
    args = parser.parse_args()
    args.from_, args.to = str(args.from_), str(args.to)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
