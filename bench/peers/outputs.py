"""What a run wrote to ClickHouse, reduced to what two systems must agree on.

price_aligned must be identical: a row count and an order-independent fingerprint (the sum, modulo 2^64, of
a hash of every row's key and values) are computed by the server, so that comparing a year of rows moves
two numbers. The aggregate columns of features_wide (mean, median, std, shop_count, dispersion, n_models
of every scope and bucket) are fetched and compared within a relative tolerance: float sums in another
order differ in the last bits. The feature columns are not compared for the design document's pipeline,
whose feature definitions (§6.3) differ from SPEC §5 on purpose; see docs/BENCHMARKS.md.
"""
import io
import subprocess

import numpy as np
import pandas as pd

AGGREGATE_COLUMNS = ["mean", "median", "std", "shop_count", "dispersion", "n_models"]
FEATURE_COLUMNS = [f"{k}_{w}" for w in (120, 900, 1800)
                   for k in ("ema", "sma", "wma", "boll_mid", "boll_up", "boll_low", "boll_width")]
TOLERANCE = 1e-9


def _query(env, sql, fmt="TSV"):
    return subprocess.run(["clickhouse-client", "--host", env["CLICKHOUSE_HOST"], "--port", env["CLICKHOUSE_PORT"],
                           "--query", f"{sql} FORMAT {fmt}"], check=True, capture_output=True, text=True).stdout


def price_aligned_fingerprint(env, db, run_id):
    """(rows, fingerprint) of one run's price_aligned rows."""
    row_hash = ("cityHash64(shop_id, iphone_id, toUInt32(bucket), price_new, ifNull(price_a, 0), isNull(price_a), "
                "ifNull(price_b, 0), isNull(price_b), alignment_diff_sec, toUInt32(record_time))")
    count, total = _query(env, f"SELECT count(), sum({row_hash}) FROM {db}.price_aligned "
                               f"WHERE run_id = '{run_id}'").split()
    return int(count), int(total)


def aggregates(env, db, run_id, columns=AGGREGATE_COLUMNS, every=1):
    """One run's features_wide columns, indexed by (scope, bucket as epoch seconds), sorted.

    every > 1 keeps the scopes whose hash is a multiple of it: a year of every scope would take gigabytes
    in this process while the peers need the memory."""
    sample = f" AND cityHash64(scope) % {every} = 0" if every > 1 else ""
    text = _query(env, f"SELECT scope, toUInt32(bucket) AS b, {', '.join(columns)} FROM {db}.features_wide "
                       f"WHERE run_id = '{run_id}'{sample}", "TSVWithNames")
    # "\\N" is NULL; "nan" and "inf" stay text here, so that NULL and NaN can be told apart below.
    frame = pd.read_csv(io.StringIO(text), sep="\t", na_values=["\\N"], keep_default_na=False, low_memory=False)
    return frame.set_index(["scope", "b"]).sort_index()


def compare_aggregates(want, got, tolerance=TOLERANCE):
    """Differences between two aggregate frames, as a list of readable lines (empty when they agree)."""
    problems = []
    only_want = want.index.difference(got.index)
    only_got = got.index.difference(want.index)
    if len(only_want) or len(only_got):
        problems.append(f"{len(only_want)} (scope, bucket) rows missing, {len(only_got)} extra"
                        f"{', e.g. missing ' + str(only_want[0]) if len(only_want) else ''}"
                        f"{', e.g. extra ' + str(only_got[0]) if len(only_got) else ''}")
    both = want.index.intersection(got.index)
    a, b = want.loc[both], got.loc[both]
    for c in want.columns:
        null_a, null_b = a[c].isna().to_numpy(), b[c].isna().to_numpy()
        x, y = _numbers(a[c]), _numbers(b[c])
        with np.errstate(invalid="ignore"):
            close = (x == y) | (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= tolerance * np.maximum(1.0, np.abs(x)))
        bad = (null_a != null_b) | (~null_a & ~close)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            show = lambda v, null: "NULL" if null else repr(v)  # noqa: E731
            problems.append(f"{c}: {int(bad.sum())} rows differ, e.g. {both[i]}: {show(x[i], null_a[i])} vs "
                            f"{show(y[i], null_b[i])}")
    return problems


def _numbers(column):
    """Floats of a fetched column: NULL and "nan" both become NaN (nulls are told apart by isna first)."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def max_relative_difference(want, got, columns):
    """Largest |a - b| / max(1, |a|) over the given columns where both are present (for the report)."""
    both = want.index.intersection(got.index)
    worst = 0.0
    for c in columns:
        x, y = _numbers(want.loc[both, c]), _numbers(got.loc[both, c])
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.abs(x[ok])))))
    return worst
