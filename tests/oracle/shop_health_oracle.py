#!/usr/bin/python3
"""Independent oracle for shop_health (docs/shop-health.md), written with pandas from the definitions alone.

  shop_health_oracle.py check --run-id R --from D --to D [--align lookback|floor]
      recomputes every (shop, hour) row of R from the PostgreSQL source rows (PG* env) and compares it
      with what ypa wrote to ClickHouse (CLICKHOUSE_* env): counts and times exactly, the median price
      ratio to 1e-12 relative, NULLs in the same places, the same set of keys.

Exit status 0 when everything matches, 1 with a report of the first differences otherwise. The source
data (the edge-case set) is loaded with pipeline_oracle.py load-edge-cases;

  shop_health_oracle.py inject-failures
      then breaks some of its scrapers (see inject_failures) so that every column has something to count.
"""
import argparse
import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd

TABLE_RECORD = os.environ.get("YPA_TABLE_PRICE_RECORD", "AppleStockChecker_purchasingshoppricerecord")
TABLE_SHOP = os.environ.get("YPA_TABLE_SHOP", "AppleStockChecker_secondhandshop")
TZ = os.environ.get("PIPELINE_TZ", "Asia/Tokyo")
INTERVAL_MIN = int(os.environ.get("PIPELINE_INTERVAL_MIN", "15"))
LOOKBACK_MIN = int(os.environ.get("PIPELINE_LOOKBACK_MIN", "15"))
BAND = float(os.environ.get("OUTLIER_BAND", "0.25"))
RATIO_TOLERANCE = 1e-12
STEP = pd.Timedelta(minutes=INTERVAL_MIN)


def psql_csv(sql):
    out = subprocess.run(["psql", "-XAtq", "-c", f"\\copy ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"],
                         check=True, capture_output=True, text=True).stdout
    return pd.read_csv(io.StringIO(out))


def clickhouse_tsv(sql):
    cmd = ["clickhouse-client", "--host", os.environ.get("CLICKHOUSE_HOST", "localhost"),
           "--port", os.environ.get("CLICKHOUSE_PORT", "9000"), "--query", sql + " FORMAT TSVWithNames"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return pd.read_csv(io.StringIO(out), sep="\t", na_values=["\\N"], keep_default_na=False)


def q(name):
    return '"' + name.replace('"', '""') + '"'


def bucket_range(text, end):
    if len(text) == 10:
        day = pd.Timestamp(text, tz=TZ)
        return day + pd.Timedelta(days=1) - STEP if end else day
    return pd.Timestamp(text.replace("T", " "), tz=TZ)


def epoch(series):
    return series.map(lambda t: int(t.timestamp()))


def read_records(lo, hi):
    """Every source record (valid or not) with lo <= recorded_at < hi, in the zone."""
    df = psql_csv(f"SELECT id, shop_id, iphone_id, price_new, recorded_at FROM {q(TABLE_RECORD)} "
                  f"WHERE recorded_at >= '{lo.tz_convert('UTC')}' AND recorded_at < '{hi.tz_convert('UTC')}'")
    df["recorded_at"] = pd.to_datetime(df["recorded_at"], utc=True).dt.tz_convert(TZ)
    return df


def aligned_cells(src, begin, end, mode):
    """price_aligned of [begin, end] (SPEC §3.1) from the valid records."""
    valid = src[src["price_new"].notna() & (src["price_new"] > 0)].drop(columns=["bucket"])
    valid = valid.sort_values(["recorded_at", "id"], kind="stable")
    if mode == "floor":
        df = valid.assign(bucket=valid["recorded_at"].dt.floor(f"{INTERVAL_MIN}min"))
        one = df.groupby(["bucket", "shop_id", "iphone_id"]).tail(1)
        return one[(one["bucket"] >= begin) & (one["bucket"] <= end)][["bucket", "shop_id", "iphone_id", "price_new"]]
    grid = pd.date_range(begin, end, freq=f"{INTERVAL_MIN}min")
    pairs = valid[["shop_id", "iphone_id"]].drop_duplicates()
    left = pairs.merge(pd.DataFrame({"bucket": grid}), how="cross").sort_values("bucket", kind="stable")
    merged = pd.merge_asof(left, valid, left_on="bucket", right_on="recorded_at", by=["shop_id", "iphone_id"],
                           direction="backward",
                           tolerance=pd.Timedelta(minutes=LOOKBACK_MIN) - pd.Timedelta(microseconds=1))
    return merged[merged["id"].notna()][["bucket", "shop_id", "iphone_id", "price_new"]]


def expected_rows(begin, end, mode):
    if mode == "floor":
        src = read_records(begin, end + STEP)
        src["bucket"] = src["recorded_at"].dt.floor(f"{INTERVAL_MIN}min")
    else:
        lookback = pd.Timedelta(minutes=max(LOOKBACK_MIN, INTERVAL_MIN))
        src = read_records(begin - lookback, end + pd.Timedelta(microseconds=1))
        src["bucket"] = src["recorded_at"].dt.ceil(f"{INTERVAL_MIN}min")
    # Alignment reads back `lookback` before the first bucket; the records that count are the run's own.
    cells = aligned_cells(src, begin, end, mode)
    own = src[(src["bucket"] >= begin) & (src["bucket"] <= end)].copy()
    if mode == "lookback":
        # Records the engine never reads (older than the lookback before their own bucket) do not count.
        own = own[own["recorded_at"] > own["bucket"] - pd.Timedelta(minutes=LOOKBACK_MIN)]
    own["hour"] = own["bucket"].dt.floor("h")
    own["valid"] = own["price_new"].notna() & (own["price_new"] > 0)
    g = own.groupby(["shop_id", "hour"])
    records = pd.DataFrame({
        "records_read": g.size(),
        "invalid_prices": g["valid"].apply(lambda v: int((~v).sum())),
        "iphones": own[own["valid"]].groupby(["shop_id", "hour"])["iphone_id"].nunique(),
        "last_recorded_at": g["recorded_at"].max().dt.floor("s"),
    })

    # The cross-shop filter and mean of SPEC §4, per (iPhone, bucket).
    by = cells.groupby(["iphone_id", "bucket"])["price_new"]
    cells = cells.assign(n=by.transform("size"), m0=by.transform("mean"))
    within = (cells["price_new"] - cells["m0"]).abs() <= BAND * cells["m0"]
    any_within = within.groupby([cells["iphone_id"], cells["bucket"]]).transform("any")
    cells["kept"] = True if BAND <= 0 else ((cells["n"] < 3) | within | ~any_within)
    kept_mean = cells[cells["kept"]].groupby(["iphone_id", "bucket"])["price_new"].mean().rename("mean")
    cells = cells.merge(kept_mean.reset_index(), on=["iphone_id", "bucket"])
    cells["ratio"] = cells["price_new"] / cells["mean"]
    cells["above"] = ~cells["kept"] & (cells["price_new"] > cells["m0"])
    cells["below"] = ~cells["kept"] & (cells["price_new"] < cells["m0"])
    cells["hour"] = cells["bucket"].dt.floor("h")
    c = cells.groupby(["shop_id", "hour"])
    cell_stats = pd.DataFrame({"cells": c.size(), "above_band": c["above"].sum(), "below_band": c["below"].sum(),
                               "price_ratio_median": c["ratio"].median()})

    # One row per shop of the catalogue and hour that begins inside the run.
    grid = pd.Series(pd.date_range(begin, end, freq=f"{INTERVAL_MIN}min"))
    buckets = grid.groupby(grid.dt.floor("h")).size().rename("buckets")
    buckets = buckets[buckets.index >= begin]
    shops = psql_csv(f"SELECT id AS shop_id FROM {q(TABLE_SHOP)}")
    frame = shops.merge(pd.DataFrame({"hour": buckets.index, "buckets": buckets.to_numpy()}), how="cross")
    frame = frame.merge(records.reset_index(), on=["shop_id", "hour"], how="left")
    frame = frame.merge(cell_stats.reset_index(), on=["shop_id", "hour"], how="left")
    for col in ["records_read", "invalid_prices", "iphones", "cells", "above_band", "below_band"]:
        frame[col] = frame[col].fillna(0).astype("int64")
    frame["b"] = epoch(frame["hour"])
    frame["last"] = frame["last_recorded_at"].map(lambda t: np.nan if pd.isna(t) else float(int(t.timestamp())))
    return frame


def inject_failures():
    """Scraper failures on top of pipeline_oracle.py's edge-case set (Tokyo times):
    shop 5 reports iPhone 1 at twice its price 2025-01-31 10:00-14:00 (above the band), shop 4 at half
    2025-02-01 03:00-06:00 (below), shop 3 is silent 2025-01-31 18:10-21:30, shop 2 drops iPhone 3 on
    2025-02-01."""
    def tokyo(text):
        return f"'{text}'::timestamp AT TIME ZONE '{TZ}'"
    rec = q(TABLE_RECORD)
    subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1",
                    "-c", f"UPDATE {rec} SET price_new = price_new * 2 WHERE shop_id = 5 AND iphone_id = 1 AND "
                          f"recorded_at >= {tokyo('2025-01-31 10:00')} AND recorded_at < {tokyo('2025-01-31 14:00')}",
                    "-c", f"UPDATE {rec} SET price_new = price_new / 2 WHERE shop_id = 4 AND iphone_id = 1 AND "
                          f"recorded_at >= {tokyo('2025-02-01 03:00')} AND recorded_at < {tokyo('2025-02-01 06:00')}",
                    "-c", f"DELETE FROM {rec} WHERE shop_id = 3 AND "
                          f"recorded_at >= {tokyo('2025-01-31 18:10')} AND recorded_at < {tokyo('2025-01-31 21:30')}",
                    "-c", f"DELETE FROM {rec} WHERE shop_id = 2 AND iphone_id = 3 AND "
                          f"recorded_at >= {tokyo('2025-02-01 00:00')} AND recorded_at < {tokyo('2025-02-02 00:00')}"],
                   check=True, capture_output=True, text=True)
    print("injected: x2 prices, /2 prices, a silent shop, a dropped iPhone")


def check(args):
    begin = bucket_range(args.from_, False)
    end = bucket_range(args.to, True)
    want = expected_rows(begin, end, args.align)
    db = os.environ.get("CLICKHOUSE_DB", "yamagoti")
    got = clickhouse_tsv(
        f"SELECT shop_id, toUInt32(bucket) AS b, buckets, records_read, invalid_prices, cells, above_band, below_band, "
        f"iphones, toUInt32(last_recorded_at) AS last, price_ratio_median FROM {db}.shop_health FINAL "
        f"WHERE run_id = '{args.run_id}'")
    key = ["shop_id", "b"]
    m = want.merge(got, on=key, how="outer", suffixes=("_want", "_got"), indicator=True)
    failures = 0

    def report(name, bad, cols):
        nonlocal failures
        if bad.any():
            print(f"{name}: {int(bad.sum())} rows differ, e.g.\n{m[bad][key + cols].head(5).to_string()}")
            failures += 1

    report("shop_health keys", m["_merge"] != "both", ["_merge"])
    both = m["_merge"] == "both"
    for c in ["buckets", "records_read", "invalid_prices", "cells", "above_band", "below_band", "iphones", "last"]:
        a, b = m[c + "_want"], m[c + "_got"]
        report(f"shop_health.{c}", both & ~((a.isna() & b.isna()) | (a == b)), [c + "_want", c + "_got"])
    a, b = m["price_ratio_median_want"], m["price_ratio_median_got"]
    close = (a - b).abs() <= RATIO_TOLERANCE * a.abs()
    report("shop_health.price_ratio_median", both & ~((a.isna() & b.isna()) | close),
           ["price_ratio_median_want", "price_ratio_median_got"])
    filtered = int(want["above_band"].sum() + want["below_band"].sum())
    print(f"shop_health: {len(got)} rows written, {len(want)} expected ({int(want['records_read'].sum())} records, "
          f"{int(want['invalid_prices'].sum())} invalid, {filtered} cells outside the band, "
          f"{int((want['records_read'] == 0).sum())} silent shop-hours)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("inject-failures")
    c = sub.add_parser("check")
    c.add_argument("--run-id", required=True)
    c.add_argument("--from", dest="from_", required=True)
    c.add_argument("--to", required=True)
    c.add_argument("--align", default="lookback", choices=["lookback", "floor"])
    args = parser.parse_args()
    if args.command == "inject-failures":
        inject_failures()
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
