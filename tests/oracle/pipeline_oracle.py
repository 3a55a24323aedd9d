#!/usr/bin/python3
"""Independent oracle for run_pipeline (SPEC §3-6), written with pandas from the specification alone.

  pipeline_oracle.py load-edge-cases          loads a small source dataset full of edge cases (PG* env)
  pipeline_oracle.py check --run-id R --from D --to D [--align lookback|floor]
                                               recomputes SPEC §3-6 from the PostgreSQL rows and compares
                                               every row ypa wrote to ClickHouse (CLICKHOUSE_* env)

Exit status 0 when everything matches (price_aligned exactly, features_wide within 1e-9 relative with
NULLs in the same places), 1 with a report of the first differences otherwise.
"""
import argparse
import io
import os
import subprocess
import sys

import numpy as np
import pandas as pd

TABLE_RECORD = os.environ.get("YPA_TABLE_PRICE_RECORD", "AppleStockChecker_purchasingshoppricerecord")
TZ = os.environ.get("PIPELINE_TZ", "Asia/Tokyo")
INTERVAL_MIN = int(os.environ.get("PIPELINE_INTERVAL_MIN", "15"))
LOOKBACK_MIN = int(os.environ.get("PIPELINE_LOOKBACK_MIN", "15"))
WINDOWS_MIN = [int(w) for w in os.environ.get("FEATURE_WINDOWS_MIN", "120,900,1800").split(",")]
BAND = float(os.environ.get("OUTLIER_BAND", "0.25"))
BOLL_K = float(os.environ.get("BOLL_K", "2"))
TOLERANCE = 1e-9


# ---------------------------------------------------------------------------------------------- I/O
def psql_csv(sql):
    out = subprocess.run(["psql", "-XAtq", "-c", f"\\copy ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)"],
                         check=True, capture_output=True, text=True).stdout
    return pd.read_csv(io.StringIO(out))


def psql(sql, stdin=None):
    subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, input=stdin, text=True,
                   capture_output=True)


def clickhouse_tsv(sql):
    cmd = ["clickhouse-client", "--host", os.environ.get("CLICKHOUSE_HOST", "localhost"),
           "--port", os.environ.get("CLICKHOUSE_PORT", "9000"), "--query", sql + " FORMAT TSVWithNames"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return pd.read_csv(io.StringIO(out), sep="\t", na_values=["\\N"], keep_default_na=False)


def q(name):
    return '"' + name.replace('"', '""') + '"'


# ------------------------------------------------------------------------------------ edge cases
def load_edge_cases():
    """Six iPhones x five shops around the Tokyo month boundary 2025-02-01, each iPhone one edge case."""
    rng = np.random.default_rng(20250201)
    shops = pd.DataFrame({"id": [1, 2, 3, 4, 5], "name": [f"shop {i}" for i in range(1, 6)]})
    iphones = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "part_number": [f"EDGE{i}J/A" for i in range(1, 7)],
                            "model_name": "iPhone 15", "capacity_gb": 128, "color": "Black"})
    start = pd.Timestamp("2025-01-20 00:00", tz=TZ)
    end = pd.Timestamp("2025-02-02 06:00", tz=TZ)
    rows = []
    next_id = [1]

    def add(shop, iphone, at, price, a=None, b=None):
        rows.append((next_id[0], shop, iphone, price, a, b, at))
        next_id[0] += 1

    # Scrape times: every 15 minutes per shop with a per-shop offset and jitter; some exactly on the grid.
    for shop in range(1, 6):
        t = start + pd.Timedelta(seconds=int(shop * 97))
        level = {i: 100000 + 5000 * i + 700 * shop for i in range(1, 7)}
        while t < end:
            for iphone in range(1, 7):
                if iphone == 2 and shop != 1:
                    continue  # a shop reporting alone
                if iphone == 3 and shop > 2:
                    continue  # two shops
                if iphone == 4 and shop > 3:
                    continue  # three shops, one an outlier now and then
                if iphone == 5 and pd.Timestamp("2025-01-24", tz=TZ) <= t < pd.Timestamp("2025-01-30", tz=TZ):
                    continue  # a gap of days
                if iphone == 6 and t >= pd.Timestamp("2025-01-26", tz=TZ):
                    continue  # data only inside the warm-up
                level[iphone] += int(rng.integers(-300, 301))
                price = level[iphone]
                if iphone == 4 and shop == 3 and rng.random() < 0.3:
                    price *= 10
                a = int(price * 0.9) if rng.random() < 0.7 else None
                b = int(price * 0.8) if rng.random() < 0.5 else (0 if rng.random() < 0.1 else None)
                roll = rng.random()
                if roll < 0.01:
                    add(shop, iphone, t, 0, a, b)  # invalid: zero
                elif roll < 0.02:
                    add(shop, iphone, t, None, a, b)  # invalid: NULL
                else:
                    add(shop, iphone, t, price, a, b)
                if roll > 0.985:
                    add(shop, iphone, t, price + 111, None, b)  # a tie on recorded_at: the larger id wins
            step = pd.Timedelta(seconds=int(900 + rng.integers(-40, 41)))
            t = t + step
            if rng.random() < 0.05:
                t = t.floor("15min") + pd.Timedelta(minutes=15)  # exactly on a bucket boundary
            if rng.random() < 0.03:
                t = t + pd.Timedelta(minutes=15)  # a missed scrape
    records = pd.DataFrame(rows, columns=["id", "shop_id", "iphone_id", "price_new", "price_grade_a", "price_grade_b",
                                          "recorded_at"])
    records["recorded_at"] = records["recorded_at"] + pd.to_timedelta(rng.integers(0, 1_000_000, len(records)),
                                                                       unit="us")
    on_grid = records["recorded_at"].dt.floor("min") == records["recorded_at"].dt.floor("15min")
    records.loc[on_grid & (rng.random(len(records)) < 0.5), "recorded_at"] = \
        records.loc[on_grid, "recorded_at"].dt.floor("15min")

    def copy(table, frame):
        buf = frame.to_csv(index=False, header=False, na_rep="")
        psql(f"\\copy {q(table)} ({','.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", stdin=buf)

    copy("AppleStockChecker_secondhandshop", shops)
    copy("AppleStockChecker_iphone", iphones)
    out = records.copy()
    out["recorded_at"] = out["recorded_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S.%f+00")
    for c in ["price_new", "price_grade_a", "price_grade_b"]:
        out[c] = out[c].astype("Int64")
    copy(TABLE_RECORD, out)
    copy("AppleStockChecker_shopweightprofile", pd.DataFrame({"id": [1], "slug": ["no_shop2"]}))
    copy("AppleStockChecker_shopweightitem",
         pd.DataFrame({"id": [1, 2], "profile_id": [1, 1], "shop_id": [2, 3], "weight": [0.0, 2.0]}))
    copy("AppleStockChecker_cohort", pd.DataFrame({"id": [1, 2], "slug": ["weighted", "plain"],
                                                    "title": ["Weighted", "Plain"],
                                                    "shop_weight_profile_id": pd.array([1, None], dtype="Int64")}))
    copy("AppleStockChecker_cohortmember",
         pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "cohort_id": [1, 1, 1, 2, 2, 2], "iphone_id": [1, 3, 6, 2, 4, 5],
                       "weight": [2.0, 1.0, 1.0, 1.0, 3.0, 0.5]}))
    print(f"loaded {len(records)} edge-case records")


# ---------------------------------------------------------------------------------- computation
def bucket_range(text, end):
    if len(text) == 10:
        day = pd.Timestamp(text, tz=TZ)
        return day + pd.Timedelta(days=1) - pd.Timedelta(minutes=INTERVAL_MIN) if end else day
    return pd.Timestamp(text.replace("T", " "), tz=TZ)


def read_source(begin, end):
    lo = (begin - pd.Timedelta(minutes=max(LOOKBACK_MIN, INTERVAL_MIN) + 1)).tz_convert("UTC")
    hi = (end + pd.Timedelta(minutes=INTERVAL_MIN + 1)).tz_convert("UTC")
    df = psql_csv(f"SELECT id, shop_id, iphone_id, price_new, price_grade_a, price_grade_b, recorded_at "
                  f"FROM {q(TABLE_RECORD)} WHERE recorded_at >= '{lo}' AND recorded_at < '{hi}'")
    df["recorded_at"] = pd.to_datetime(df["recorded_at"], utc=True).dt.tz_convert(TZ)
    df = df[df["price_new"].notna() & (df["price_new"] > 0)].copy()
    for c in ["price_grade_a", "price_grade_b"]:
        df.loc[~(df[c] > 0), c] = np.nan
    return df.sort_values(["recorded_at", "id"], kind="stable")


def align_lookback(src, begin, end):
    grid = pd.date_range(begin, end, freq=f"{INTERVAL_MIN}min")
    pairs = src[["shop_id", "iphone_id"]].drop_duplicates()
    left = pairs.merge(pd.DataFrame({"bucket": grid}), how="cross").sort_values("bucket", kind="stable")
    right = src.sort_values("recorded_at", kind="stable")
    merged = pd.merge_asof(left, right, left_on="bucket", right_on="recorded_at", by=["shop_id", "iphone_id"],
                           direction="backward",
                           tolerance=pd.Timedelta(minutes=LOOKBACK_MIN) - pd.Timedelta(microseconds=1))
    return merged[merged["id"].notna()].copy()


def align_floor(src, begin, end):
    """The design document's sketch: floor, sort by time, latest per (bucket, shop, iPhone)."""
    df = src.copy()
    df["bucket"] = df["recorded_at"].dt.floor(f"{INTERVAL_MIN}min")
    df = df.sort_values(["recorded_at", "id"], kind="stable")
    last = df.groupby(["bucket", "shop_id", "iphone_id"]).last().reset_index()  # the sketch's groupby().last()
    one = df.groupby(["bucket", "shop_id", "iphone_id"]).tail(1)  # SPEC: all prices from one record
    merged = one.merge(last[["bucket", "shop_id", "iphone_id", "price_new", "recorded_at"]],
                       on=["bucket", "shop_id", "iphone_id"], suffixes=("", "_sketch"))
    assert (merged["price_new"] == merged["price_new_sketch"]).all()
    assert (merged["recorded_at"] == merged["recorded_at_sketch"]).all()
    return merged[(merged["bucket"] >= begin) & (merged["bucket"] <= end)].copy()


def finish_aligned(al):
    al["record_time"] = al["recorded_at"].dt.floor("s")
    al["alignment_diff_sec"] = ((al["record_time"] - al["bucket"]).dt.total_seconds()).astype("int64")
    return al


def aggregate(al):
    """SPEC §4 per (iPhone, bucket), vectorised: mean band filter, then stats over the kept prices."""
    g = al.groupby(["iphone_id", "bucket"])["price_new"]
    al = al.assign(n_all=g.transform("size"), m0=g.transform("mean"))
    within = (al["price_new"] - al["m0"]).abs() <= BAND * al["m0"]
    if BAND > 0:
        any_within = within.groupby([al["iphone_id"], al["bucket"]]).transform("any")
        al["kept"] = (al["n_all"] < 3) | within | ~any_within
    else:
        al["kept"] = True
    kept = al[al["kept"]]
    k = kept.groupby(["iphone_id", "bucket"])["price_new"]
    agg = pd.DataFrame({"mean": k.mean(), "median": k.median(), "std": k.std(ddof=1), "shop_count": k.size()})
    agg["dispersion"] = agg["std"] / agg["mean"]
    return agg.reset_index(), kept


def cohorts(agg, kept):
    members = psql_csv('SELECT cohort_id, iphone_id, weight FROM "AppleStockChecker_cohortmember"')
    cohort = psql_csv('SELECT id, slug, shop_weight_profile_id FROM "AppleStockChecker_cohort"')
    items = psql_csv('SELECT profile_id, shop_id, weight FROM "AppleStockChecker_shopweightitem"')
    out = []
    for _, c in cohort.iterrows():
        m = members[members["cohort_id"] == c["id"]]
        if pd.notna(c["shop_weight_profile_id"]):
            w = items[items["profile_id"] == c["shop_weight_profile_id"]].set_index("shop_id")["weight"]
            kk = kept[kept["iphone_id"].isin(m["iphone_id"])].copy()
            kk["w"] = kk["shop_id"].map(w).fillna(1.0)
            kk = kk[kk["w"] > 0]
            kk["wp"] = kk["w"] * kk["price_new"]
            s = kk.groupby(["iphone_id", "bucket"])[["wp", "w"]].sum()
            price = (s["wp"] / s["w"]).rename("p").reset_index()
        else:
            price = agg[agg["iphone_id"].isin(m["iphone_id"])][["iphone_id", "bucket", "mean"]].rename(
                columns={"mean": "p"})
        price = price.merge(agg[["iphone_id", "bucket", "shop_count"]], on=["iphone_id", "bucket"])
        price = price.merge(m[["iphone_id", "weight"]], on="iphone_id")
        price["wp"] = price["weight"] * price["p"]
        g = price.groupby("bucket")
        res = pd.DataFrame({"mean": g["wp"].sum() / g["weight"].sum(), "median": g["p"].median(),
                            "std": g["p"].std(ddof=1), "shop_count": g["shop_count"].sum(), "n_models": g.size()})
        res["dispersion"] = res["std"] / res["mean"]
        res["scope"] = "cohort:" + c["slug"]
        out.append(res.reset_index())
    return pd.concat(out) if out else pd.DataFrame()


def rolling_std(x, w):
    """x.rolling(w, min_periods=2).std(), computed two-pass per window: pandas' online add/remove update
    loses ~1e-9 relative on series with large jumps (an outlier-dominated bucket), more than the tolerance."""
    values = np.concatenate([np.full(w - 1, np.nan), x.to_numpy(dtype=float)])
    windows = np.lib.stride_tricks.sliding_window_view(values, w)
    count = np.sum(~np.isnan(windows), axis=1)
    with np.errstate(all="ignore"):
        mean = np.nansum(windows, axis=1) / count
        ss = np.nansum((windows - mean[:, None]) ** 2, axis=1)
        sd = np.sqrt(ss / (count - 1))
    sd[count < 2] = np.nan
    return pd.Series(sd, index=x.index)


def features(stats, begin, end):
    """SPEC §5 on each scope's mean over the full grid (warm-up included), pandas conventions."""
    grid = pd.date_range(begin, end, freq=f"{INTERVAL_MIN}min")
    frames = []
    for scope, part in stats.groupby("scope"):
        x = part.set_index("bucket")["mean"].reindex(grid)
        cols = {}
        for wm in WINDOWS_MIN:
            w = wm // INTERVAL_MIN
            sma = x.rolling(w, min_periods=1).mean()
            sd = rolling_std(x, w)
            weights = np.arange(1, w + 1, dtype=float)  # oldest 1 .. newest w
            present = x.notna().to_numpy(dtype=float)
            values = x.fillna(0).to_numpy()
            num = np.convolve(values, weights[::-1])[: len(x)]
            den = np.convolve(present, weights[::-1])[: len(x)]
            cols[f"ema_{wm}"] = x.ewm(span=w, adjust=False, ignore_na=True).mean()
            cols[f"sma_{wm}"] = sma
            cols[f"wma_{wm}"] = pd.Series(np.where(den > 0, num / np.where(den > 0, den, 1), np.nan), index=grid)
            cols[f"boll_mid_{wm}"] = sma
            cols[f"boll_up_{wm}"] = sma + BOLL_K * sd
            cols[f"boll_low_{wm}"] = sma - BOLL_K * sd
            cols[f"boll_width_{wm}"] = cols[f"boll_up_{wm}"] - cols[f"boll_low_{wm}"]
        f = pd.DataFrame(cols)
        f["bucket"] = grid
        f["scope"] = scope
        frames.append(f)
    feats = pd.concat(frames)
    return stats.merge(feats, on=["scope", "bucket"], how="left")


# ---------------------------------------------------------------------------------- comparison
def close(a, b):
    a = pd.to_numeric(a, errors="coerce")
    b = pd.to_numeric(b, errors="coerce")
    both_null = a.isna() & b.isna()
    ok = (a - b).abs() <= TOLERANCE * np.maximum(1.0, a.abs())
    return both_null | (ok & a.notna() & b.notna())


def report(name, bad, frame):
    if bad.any():
        print(f"{name}: {int(bad.sum())} rows differ, e.g.\n{frame[bad].head(5).to_string()}")
        return 1
    return 0


def check(args):
    begin = bucket_range(args.from_, False)
    end = bucket_range(args.to, True)
    largest = max(WINDOWS_MIN) // INTERVAL_MIN
    warm = begin - pd.Timedelta(minutes=8 * largest * INTERVAL_MIN)
    src = read_source(warm, end)
    al = align_floor(src, warm, end) if args.align == "floor" else align_lookback(src, warm, end)
    al = finish_aligned(al)
    failures = 0

    db = os.environ.get("CLICKHOUSE_DB", "yamagoti")
    run = args.run_id
    got = clickhouse_tsv(
        f"SELECT shop_id, iphone_id, toUInt32(bucket) AS b, price_new, price_a, price_b, alignment_diff_sec, "
        f"toUInt32(record_time) AS rt FROM {db}.price_aligned FINAL WHERE run_id = '{run}'")
    want = al[(al["bucket"] >= begin) & (al["bucket"] <= end)].copy()
    want["b"] = want["bucket"].map(lambda t: int(t.timestamp()))
    want["rt"] = want["record_time"].map(lambda t: int(t.timestamp()))
    want = want.rename(columns={"price_grade_a": "price_a", "price_grade_b": "price_b"})
    key = ["shop_id", "iphone_id", "b"]
    m = want.merge(got, on=key, how="outer", suffixes=("_want", "_got"), indicator=True)
    only = m["_merge"] != "both"
    failures += report("price_aligned keys", only, m[key + ["_merge"]])
    both = m[~only]
    for c in ["price_new", "price_a", "price_b", "alignment_diff_sec", "rt"]:
        a, b = both[c + "_want"], both[c + "_got"]
        bad = ~((a.isna() & b.isna()) | (a == b))
        failures += report(f"price_aligned.{c}", bad, both[key + [c + "_want", c + "_got"]])
    print(f"price_aligned: {len(got)} rows written, {len(want)} expected")

    agg, kept = aggregate(al)
    stats = agg.assign(scope="iphone:" + agg["iphone_id"].astype(str), n_models=1)
    coh = cohorts(agg, kept)
    if len(coh):
        stats = pd.concat([stats, coh])
    expected = features(stats.drop(columns=["iphone_id"], errors="ignore"), warm, end)
    expected = expected[(expected["bucket"] >= begin) & (expected["bucket"] <= end)].copy()
    expected["b"] = expected["bucket"].map(lambda t: int(t.timestamp()))
    got = clickhouse_tsv(f"SELECT *, toUInt32(bucket) AS b FROM {db}.features_wide FINAL WHERE run_id = '{run}'")
    key = ["scope", "b"]
    m = expected.merge(got, on=key, how="outer", suffixes=("_want", "_got"), indicator=True)
    only = m["_merge"] != "both"
    failures += report("features_wide keys", only, m[key + ["_merge"]])
    both = m[~only]
    value_cols = ["mean", "median", "std", "dispersion", "shop_count", "n_models"] + [
        f"{k}_{w}" for w in WINDOWS_MIN for k in ["ema", "sma", "wma", "boll_mid", "boll_up", "boll_low", "boll_width"]]
    for c in value_cols:
        bad = ~close(both[c + "_want"], both[c + "_got"])
        failures += report(f"features_wide.{c}", bad, both[key + [c + "_want", c + "_got"]])
    print(f"features_wide: {len(got)} rows written, {len(expected)} expected "
          f"({expected['scope'].str.startswith('cohort:').sum()} cohort rows)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("load-edge-cases")
    c = sub.add_parser("check")
    c.add_argument("--run-id", required=True)
    c.add_argument("--from", dest="from_", required=True)
    c.add_argument("--to", required=True)
    c.add_argument("--align", default="lookback", choices=["lookback", "floor"])
    args = parser.parse_args()
    if args.command == "load-edge-cases":
        load_edge_cases()
        return 0
    return check(args)


if __name__ == "__main__":
    sys.exit(main())
