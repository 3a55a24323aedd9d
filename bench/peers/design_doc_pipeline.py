#!/usr/bin/python3
"""The design document's pipeline (§6.2-6.3), written in Python the way the document describes it.

  design_doc_pipeline.py --run-id R --from D --to D [--warmup-days 10] [--insert numpy|tuples]

Connections come from libpq's PG* variables and CLICKHOUSE_HOST/PORT/DB/USER/PASSWORD. Steps, as in §6.2:
pandas `read_sql` over psycopg2; `recorded_at.dt.floor('15min')`, sort, one row per (bucket, shop, iPhone);
clickhouse-driver insert of price_aligned; a (iPhone, shop, bucket) float64 tensor; the cross-shop
aggregate in PyTorch; the §6.3 features (EMA loop over time, SMA by conv1d, Bollinger by unfold); cohorts;
clickhouse-driver insert of features_wide. `--insert numpy` uses clickhouse-driver's columnar numpy
inserts (the fastest it offers); `--insert tuples` the list of row tuples most code passes to `execute`.

Where this departs from the sketch, it is to write what ypa writes (SPEC §3.1 floor mode and §4), so
that the two can be compared row for row:
  * the range is SPEC's (whole days, both inclusive, plus the warm-up before --from), not BETWEEN dates;
  * invalid records (price_new NULL or <= 0) are dropped and grade prices <= 0 become NULL;
  * ties on recorded_at go to the larger id, and all prices come from the one latest record
    (`groupby().last()` would take each column's last non-null value and mix scrapes);
  * the aggregate applies the mean-band outlier filter of §6.1, and its median is the mean of the two
    middle values (torch.nanmedian returns the lower one).
The features follow the design document (§6.3), not SPEC §5, on the mean series forward-filled over
missing buckets (the sketch's EMA loop would otherwise turn NaN for good after the first gap).

Prints one JSON line on stdout: seconds per step and row counts. Progress ("step: NAME") goes to stderr.
"""
import argparse
import datetime as dt
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
import psycopg2
import torch
import torch.nn.functional as F
from clickhouse_driver import Client

TZ = os.environ.get("PIPELINE_TZ", "Asia/Tokyo")
INTERVAL = "15min"
INTERVAL_S = 900
WINDOWS_MIN = [120, 900, 1800]
BAND = 0.25
BOLL_K = 2.0
RECORDS = '"AppleStockChecker_purchasingshoppricerecord"'


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


# ---------------------------------------------------------------------------------------------- step 1
def read_records(pg, lo, hi):
    """§6.2 step 1: pd.read_sql of the price records in [lo, hi)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy; the sketch passes pg_conn
        df = pd.read_sql(
            "SELECT id, shop_id, iphone_id, price_new, price_grade_a, price_grade_b, recorded_at "
            f"FROM {RECORDS} WHERE recorded_at >= %s AND recorded_at < %s",
            pg, params=[lo, hi])  # recorded_at arrives as datetime64[ns, UTC]
    return df


# ---------------------------------------------------------------------------------------------- step 2
def align(df):
    """§6.2 step 2: floor to 15 minutes, sort, the latest record per (bucket, shop, iPhone)."""
    df = df[df["price_new"].notna() & (df["price_new"] > 0)].copy()
    for c in ("price_grade_a", "price_grade_b"):
        df.loc[~(df[c] > 0), c] = np.nan
    df["recorded_at"] = df["recorded_at"].dt.tz_convert(TZ)
    df["bucket"] = df["recorded_at"].dt.floor(INTERVAL)
    # nth(-1) keeps the whole last row; the sketch's last() would mix NULL grade prices across records.
    aligned = (df.sort_values(["recorded_at", "id"])
                 .groupby(["bucket", "shop_id", "iphone_id"])
                 .nth(-1)
                 .reset_index())
    aligned["record_time"] = aligned["recorded_at"].dt.floor("s")
    aligned["alignment_diff_sec"] = (aligned["record_time"] - aligned["bucket"]).dt.total_seconds().astype("int32")
    return aligned


# ------------------------------------------------------------------------------------------ inserts
INTEGRAL = {"price_a", "price_b"}
PA_COLUMNS = ["run_id", "bucket", "shop_id", "iphone_id", "price_new", "price_a", "price_b", "alignment_diff_sec",
              "record_time"]


def nan_to_none(values):
    """NaN -> None in a float array: clickhouse-driver's numpy float columns write NaN as NaN, not NULL."""
    if values.dtype.kind != "f":
        return values
    missing = np.isnan(values)
    if not missing.any():
        return values
    out = values.astype(object)
    out[missing] = None
    return out


def insert(ch, table, frame, columns, mode):
    """clickhouse-driver INSERT of frame's columns: numpy columnar, or a list of row tuples."""
    query = f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
    if mode == "numpy":
        data = []
        for c in columns:
            s = frame[c]
            if pd.api.types.is_datetime64_any_dtype(s):
                # Naive wall-clock times of the columns' zone, which clickhouse-driver localizes vectorised;
                # a tz-aware index would go through one Timestamp object per row (ten times slower).
                s = s.dt.tz_convert(TZ).dt.tz_localize(None)
            data.append(nan_to_none(s.to_numpy()))
        ch.execute(query, data, columnar=True)
    else:
        # What most code does: objects, NaN -> None, one tuple per row (integers kept integral for UInt32).
        frame = frame[columns].copy()
        for c in frame.columns:
            if c in INTEGRAL and frame[c].dtype.kind == "f":
                frame[c] = frame[c].astype("Int64")
        rows = frame.astype(object).where(frame.notna(), None)
        ch.execute(query, list(rows.itertuples(index=False, name=None)))
    return len(frame)


def write_aligned(ch, aligned, first, run_id, mode):
    """§6.2 step 3: price_aligned for the run's buckets (the warm-up is read, not written)."""
    out = aligned[aligned["bucket"] >= first].rename(columns={"price_grade_a": "price_a", "price_grade_b": "price_b"})
    out = out.assign(run_id=run_id)
    for c in ("shop_id", "iphone_id", "price_new"):
        out[c] = out[c].astype("uint32")
    return insert(ch, "price_aligned", out, PA_COLUMNS, mode)


# ---------------------------------------------------------------------------------------------- step 4-5
class PriceTensor:
    """§6.2 step 4: price_new as a (n_iphones, n_shops, n_buckets) float64 tensor, NaN where missing."""

    def __init__(self, aligned, t0, n_buckets):
        self.iphone_ids, iphone_index = np.unique(aligned["iphone_id"].to_numpy(), return_inverse=True)
        self.shop_ids, shop_index = np.unique(aligned["shop_id"].to_numpy(), return_inverse=True)
        bucket_index = ((aligned["bucket"] - t0).dt.total_seconds().to_numpy() // INTERVAL_S).astype(np.int64)
        self.t0, self.n_buckets = t0, n_buckets
        self.data = torch.full((len(self.iphone_ids), len(self.shop_ids), n_buckets), float("nan"),
                               dtype=torch.float64)
        self.data[torch.from_numpy(iphone_index), torch.from_numpy(shop_index), torch.from_numpy(bucket_index)] = \
            torch.from_numpy(aligned["price_new"].to_numpy(dtype=np.float64))


def nan_median(x, dim):
    """Median over dim ignoring NaN, numpy's (mean of the two middle values); NaN where nothing is present."""
    count = (~torch.isnan(x)).sum(dim, keepdim=True)
    ordered, _ = torch.sort(x, dim=dim)  # NaN sorts last
    lower = ordered.gather(dim, ((count - 1).clamp(min=0)) // 2)
    upper = ordered.gather(dim, (count // 2).clamp(max=x.shape[dim] - 1))
    return ((lower + upper) / 2).squeeze(dim)


def nan_stats(x, dim):
    """Mean, median, sample std (ddof 1) and count over dim, ignoring NaN."""
    present = ~torch.isnan(x)
    count = present.sum(dim)
    total = torch.where(present, x, torch.zeros_like(x)).sum(dim)
    mean = total / count
    dev = torch.where(present, x - mean.unsqueeze(dim), torch.zeros_like(x))
    std = torch.sqrt((dev * dev).sum(dim) / (count - 1))
    std[count < 2] = float("nan")
    return mean, nan_median(x, dim), std, count


def aggregate_cross_shop(prices):
    """§6.2 step 5 with §6.1's outlier filter: mean band around the mean of all shops when 3 or more report."""
    x = prices.data
    present = ~torch.isnan(x)
    n_all = present.sum(1, keepdim=True)
    m0 = torch.where(present, x, torch.zeros_like(x)).sum(1, keepdim=True) / n_all
    within = present & ((x - m0).abs() <= BAND * m0)
    any_within = within.any(1, keepdim=True)
    keep = present & ((n_all < 3) | within | ~any_within)
    kept = torch.where(keep, x, torch.full_like(x, float("nan")))
    mean, median, std, count = nan_stats(kept, 1)
    return {"kept": kept, "mean": mean, "median": median, "std": std, "shop_count": count}


# ---------------------------------------------------------------------------------------------- step 6
def forward_fill(series):
    """Carry the last present value over NaN buckets, along time, for every row at once."""
    n = series.shape[1]
    idx = torch.arange(n).expand_as(series)
    idx = torch.where(torch.isnan(series), torch.zeros_like(idx), idx)
    idx = torch.cummax(idx, dim=1).values
    return series.gather(1, idx)


def compute_ema_batch(series, window):
    """§6.3: serial in time, parallel over iPhones."""
    alpha = 2.0 / (window + 1.0)
    ema = torch.zeros_like(series)
    ema[:, 0] = series[:, 0]
    for t in range(1, series.shape[1]):
        ema[:, t] = alpha * series[:, t] + (1 - alpha) * ema[:, t - 1]
    return ema


def compute_sma_batch(series, window):
    """§6.3: conv1d with a flat kernel, replicate padding at the front."""
    kernel = torch.ones(1, 1, window, dtype=series.dtype) / window
    padded = F.pad(series.unsqueeze(1), (window - 1, 0), mode="replicate")
    return F.conv1d(padded, kernel).squeeze(1)


def compute_wma_batch(series, window):
    """Phase 2.2: linearly increasing weights, newest heaviest, as a conv1d like the SMA."""
    weights = torch.arange(1, window + 1, dtype=series.dtype)
    kernel = (weights / weights.sum()).view(1, 1, window)
    padded = F.pad(series.unsqueeze(1), (window - 1, 0), mode="replicate")
    return F.conv1d(padded, kernel).squeeze(1)


def compute_bollinger_batch(series, window, k=BOLL_K):
    """§6.3: SMA for the middle, rolling std by unfold, NaN until a full window."""
    mid = compute_sma_batch(series, window)
    std = series.unfold(dimension=1, size=window, step=1).std(dim=-1)
    std = F.pad(std, (window - 1, 0), value=float("nan"))
    return {"mid": mid, "up": mid + k * std, "low": mid - k * std, "width": 2 * k * std}


def compute_all_features(mean):
    series = forward_fill(mean)
    features = {}
    for window_min in WINDOWS_MIN:
        w = window_min * 60 // INTERVAL_S
        features[f"ema_{window_min}"] = compute_ema_batch(series, w)
        features[f"sma_{window_min}"] = compute_sma_batch(series, w)
        features[f"wma_{window_min}"] = compute_wma_batch(series, w)
        for name, value in compute_bollinger_batch(series, w).items():
            features[f"boll_{name}_{window_min}"] = value
    return features


# ---------------------------------------------------------------------------------------------- step 7
def load_cohorts(pg):
    """Cohorts with their members and, where a cohort has one, its shop weight profile."""
    q = lambda sql: pd.read_sql(sql, pg)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cohorts = q('SELECT id, slug, shop_weight_profile_id FROM "AppleStockChecker_cohort" ORDER BY id')
        members = q('SELECT cohort_id, iphone_id, weight FROM "AppleStockChecker_cohortmember"')
        items = q('SELECT profile_id, shop_id, weight FROM "AppleStockChecker_shopweightitem"')
    return cohorts, members, items


def compute_cohorts(agg, prices, configs):
    """SPEC §6: member prices (shop-weighted when the cohort has a profile), then the weighted cohort mean."""
    cohorts, members, items = configs
    row_of = {int(i): r for r, i in enumerate(prices.iphone_ids)}
    out = {}
    for _, c in cohorts.iterrows():
        m = members[members["cohort_id"] == c["id"]]
        m = m[m["iphone_id"].isin(row_of)]
        if m.empty:
            continue
        rows = torch.tensor([row_of[int(i)] for i in m["iphone_id"]])
        weight = torch.tensor(m["weight"].to_numpy(dtype=np.float64)).unsqueeze(1)
        if pd.notna(c["shop_weight_profile_id"]):
            w = items[items["profile_id"] == c["shop_weight_profile_id"]].set_index("shop_id")["weight"]
            shop_w = torch.tensor([float(w.get(s, 1.0)) for s in prices.shop_ids], dtype=torch.float64).view(1, -1, 1)
            kept = agg["kept"][rows]
            use = ~torch.isnan(kept) & (shop_w > 0)
            num = torch.where(use, kept * shop_w, torch.zeros_like(kept)).sum(1)
            den = torch.where(use, shop_w.expand_as(kept), torch.zeros_like(kept)).sum(1)
            p = num / den  # NaN where no shop of weight > 0 reported
        else:
            p = agg["mean"][rows]
        present = ~torch.isnan(p)
        wp = torch.where(present, weight * p, torch.zeros_like(p)).sum(0)
        wsum = torch.where(present, weight.expand_as(p), torch.zeros_like(p)).sum(0)
        _, median, std, n_models = nan_stats(p, 0)
        shop_count = torch.where(present, agg["shop_count"][rows], torch.zeros_like(agg["shop_count"][rows])).sum(0)
        out["cohort:" + c["slug"]] = {"mean": wp / wsum, "median": median, "std": std, "shop_count": shop_count,
                                      "n_models": n_models}
    return out


# ---------------------------------------------------------------------------------------------- step 8
FEATURE_NAMES = [f"{k}_{w}" for w in WINDOWS_MIN for k in ("ema", "sma", "wma", "boll_mid", "boll_up", "boll_low",
                                                            "boll_width")]
FW_COLUMNS = ["run_id", "bucket", "scope", "mean", "median", "std", "shop_count", "dispersion"] + FEATURE_NAMES + \
             ["n_models"]


def feature_frame(scopes, stats, features, prices, first_index, n_models=None):
    """One row per (scope, bucket) with an aggregate, inside the run's range."""
    keep = stats["shop_count"][:, first_index:] > 0
    rows, cols = torch.nonzero(keep, as_tuple=True)
    cols_abs = cols + first_index
    frame = {"scope": np.asarray(scopes, dtype=object)[rows.numpy()],
             "bucket": prices.t0 + pd.to_timedelta(cols_abs.numpy() * INTERVAL_S, unit="s")}
    for name in ("mean", "median", "std"):
        frame[name] = stats[name][rows, cols_abs].numpy()
    frame["shop_count"] = stats["shop_count"][rows, cols_abs].numpy().astype(np.uint16)
    frame["dispersion"] = frame["std"] / frame["mean"]
    for name in FEATURE_NAMES:
        frame[name] = features[name][rows, cols_abs].numpy()
    frame["n_models"] = (n_models[rows, cols_abs].numpy() if n_models is not None
                         else np.ones(len(rows))).astype(np.uint16)
    return pd.DataFrame(frame)


def write_features(ch, agg, features, cohort_stats, cohort_features, prices, first_index, run_id, mode):
    frames = [feature_frame([f"iphone:{i}" for i in prices.iphone_ids], agg, features, prices, first_index)]
    if cohort_stats:
        scopes = list(cohort_stats)
        stacked = {k: torch.stack([cohort_stats[s][k] for s in scopes]) for k in cohort_stats[scopes[0]]}
        frames.append(feature_frame(scopes, stacked, cohort_features, prices, first_index, stacked["n_models"]))
    out = pd.concat(frames, ignore_index=True).assign(run_id=run_id)
    return insert(ch, "features_wide", out, FW_COLUMNS, mode)


# ------------------------------------------------------------------------------------------------ main
def run(args):
    first = pd.Timestamp(args.from_, tz=TZ)
    lo = first - pd.Timedelta(days=args.warmup_days)
    hi = pd.Timestamp(args.to, tz=TZ) + pd.Timedelta(days=1)
    n_buckets = int((hi - lo).total_seconds()) // INTERVAL_S
    first_index = int((first - lo).total_seconds()) // INTERVAL_S
    pg = psycopg2.connect("")  # libpq reads PG* from the environment
    ch = Client(host=os.environ.get("CLICKHOUSE_HOST", "localhost"), port=int(os.environ.get("CLICKHOUSE_PORT", 9000)),
                database=os.environ.get("CLICKHOUSE_DB", "yamagoti"), user=os.environ.get("CLICKHOUSE_USER", "default"),
                password=os.environ.get("CLICKHOUSE_PASSWORD", ""), settings={"use_numpy": args.insert == "numpy"})
    steps = Steps()
    started = time.perf_counter()
    df = steps.run("read", read_records, pg, lo.to_pydatetime(), hi.to_pydatetime())
    rows_read = len(df)
    aligned = steps.run("align", align, df)
    del df
    rows_pa = steps.run("write_price_aligned", write_aligned, ch, aligned, first, args.run_id, args.insert)
    prices = steps.run("build_tensor", PriceTensor, aligned, lo, n_buckets)
    del aligned
    agg = steps.run("aggregate", aggregate_cross_shop, prices)
    features = steps.run("features", compute_all_features, agg["mean"])
    configs = steps.run("read_cohorts", load_cohorts, pg)
    cohort_stats = steps.run("cohorts", compute_cohorts, agg, prices, configs)
    cohort_features = steps.run("cohort_features", lambda: compute_all_features(
        torch.stack([s["mean"] for s in cohort_stats.values()])) if cohort_stats else {})
    rows_fw = steps.run("write_features_wide", write_features, ch, agg, features, cohort_stats, cohort_features,
                        prices, first_index, args.run_id, args.insert)
    total = time.perf_counter() - started
    print(json.dumps({"steps": steps.seconds, "total": round(total, 3), "rows_read": rows_read,
                      "rows_price_aligned": rows_pa, "rows_features_wide": rows_fw}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--from", dest="from_", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--to", required=True, type=dt.date.fromisoformat)
    parser.add_argument("--warmup-days", type=int, default=10)
    parser.add_argument("--insert", choices=["numpy", "tuples"], default="numpy")
    args = parser.parse_args()
    args.from_, args.to = str(args.from_), str(args.to)
    torch.set_num_threads(os.cpu_count() or 1)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
