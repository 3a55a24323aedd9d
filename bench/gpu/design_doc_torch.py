#!/usr/bin/env python3
"""The design document's PyTorch engine (its §6.3 code and the §Phase-2 aggregate) timed on the GPU on the
frame that bench/gpu/gpu_bench writes, then compared with gpu_bench's numbers (--ours) against the issue's
targets: our whole computation within 4x the bandwidth floor, and at least 1000x faster than the design
document's EMA step.

The design document's code is kept as written, with one change: its conv1d kernels are created in the
series' dtype (the document builds them as float32, which conv1d refuses next to float64 series).

usage: design_doc_torch.py FRAME [--ours gpu_bench.json] [--json OUT] [--report OUT.md]
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


# ---- the design document, §6.3 (EMA, SMA, Bollinger) and Phase 2 (aggregate, WMA) ----------------------

def compute_ema_batch(series: torch.Tensor, window: int) -> torch.Tensor:
    """series: (n_iphones, n_buckets)"""
    alpha = 2.0 / (window + 1.0)
    ema = torch.zeros_like(series)
    ema[:, 0] = series[:, 0]
    for t in range(1, series.shape[1]):
        ema[:, t] = alpha * series[:, t] + (1 - alpha) * ema[:, t - 1]
    return ema


def compute_sma_batch(series: torch.Tensor, window: int) -> torch.Tensor:
    kernel = torch.ones(1, 1, window, device=series.device, dtype=series.dtype) / window
    padded = F.pad(series.unsqueeze(1), (window - 1, 0), mode='replicate')
    return F.conv1d(padded, kernel).squeeze(1)


def compute_wma_batch(series: torch.Tensor, window: int) -> torch.Tensor:
    """linearly increasing weights, newest = window (Phase 2.2: "线性递增权重")"""
    weights = torch.arange(1, window + 1, device=series.device, dtype=series.dtype)
    kernel = (weights / weights.sum()).view(1, 1, window)
    padded = F.pad(series.unsqueeze(1), (window - 1, 0), mode='replicate')
    return F.conv1d(padded, kernel).squeeze(1)


def compute_bollinger_batch(series, window, k=2.0):
    mid = compute_sma_batch(series, window)
    unfolded = series.unfold(dimension=1, size=window, step=1)
    std = unfolded.std(dim=-1)
    std = F.pad(std, (window - 1, 0), value=float('nan'))
    return mid, mid + k * std, mid - k * std, 2 * k * std


def aggregate_cross_shop(data: torch.Tensor):
    """data: (n_iphones, n_shops, n_buckets), NaN = missing: nanmean, nanmedian, nanstd, shop_count, dispersion"""
    present = ~torch.isnan(data)
    shop_count = present.sum(dim=1)
    mean = torch.nanmean(data, dim=1)
    median = torch.nanmedian(data, dim=1).values
    centered = torch.where(present, data - mean.unsqueeze(1), torch.zeros_like(data))
    std = torch.sqrt((centered * centered).sum(dim=1) / (shop_count - 1).clamp(min=1))
    std = torch.where(shop_count >= 2, std, torch.full_like(std, float('nan')))
    return mean, median, std, shop_count, std / mean


# ---- timing -------------------------------------------------------------------------------------------

def timed(fn, reps):
    times = []
    for _ in range(reps):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('frame')
    ap.add_argument('--ours')
    ap.add_argument('--json')
    ap.add_argument('--report')
    args = ap.parse_args()

    with open(args.frame, 'rb') as f:
        if f.read(8) != b'YPAFRAME':
            sys.exit('not a gpu_bench frame: ' + args.frame)
        series, buckets, shops = np.frombuffer(f.read(24), dtype='<u8')
        cube = np.fromfile(f, dtype='<f8').reshape(int(series), int(buckets), int(shops))
    device = torch.device('cuda:0')
    # The document's layout (n_iphones, n_shops, n_buckets), on the GPU before any timing.
    data = torch.from_numpy(cube).to(device).permute(0, 2, 1).contiguous()
    windows = [8, 60, 120]

    aggregate_s = timed(lambda: aggregate_cross_shop(data), 5)
    mean = aggregate_cross_shop(data)[0]

    def rolling():
        for w in windows:
            compute_sma_batch(mean, w)
            compute_wma_batch(mean, w)
            compute_bollinger_batch(mean, w)
    rolling_s = timed(rolling, 5)
    compute_ema_batch(mean[:, :200], 8)  # warm-up of the loop's kernels
    ema_s = timed(lambda: [compute_ema_batch(mean, w) for w in windows], 1)

    result = {'device': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'series': int(series),
              'buckets': int(buckets), 'shops': int(shops), 'aggregate_ms': aggregate_s * 1e3,
              'sma_wma_boll_ms': rolling_s * 1e3, 'ema_3_windows_s': ema_s}
    print(json.dumps(result))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    if not args.ours:
        return 0

    with open(args.ours) as f:
        ours = json.load(f)
    features_ms = ours['features_ms']  # all 7 kinds x 3 windows; an upper bound of our EMA step
    ema_speedup = ema_s * 1e3 / features_ms
    floor_ratio = ours['whole_over_floor']
    lines = [
        f"Card: {ours['device']} (torch {torch.__version__}); frame {int(series)} iPhones x {int(buckets)} buckets x "
        f"{int(shops)} shops, float64; {ours['profiles']} shop profiles, {ours['cohorts']} cohorts, windows 8/60/120.",
        '',
        '| step | design document (PyTorch) | ypa CUDA kernels | ratio |',
        '|---|---:|---:|---:|',
        f"| cross-shop aggregate | {aggregate_s * 1e3:.2f} ms | {ours['aggregate_ms']:.3f} ms | "
        f"{aggregate_s * 1e3 / ours['aggregate_ms']:.0f}x |",
        f"| SMA + WMA + Bollinger, 3 windows | {rolling_s * 1e3:.2f} ms | (in features) | |",
        f"| EMA, 3 windows | {ema_s * 1e3:.0f} ms | {features_ms:.3f} ms (all 21 feature columns) | "
        f"{ema_speedup:.0f}x |",
        f"| cohorts + their features | - | {ours['cohorts_ms'] + ours['cohort_features_ms']:.3f} ms | |",
        f"| whole: aggregate + features + cohorts | {aggregate_s * 1e3 + rolling_s * 1e3 + ema_s * 1e3:.0f} ms | "
        f"{ours['whole_ms']:.3f} ms | |",
        '',
        f"Bandwidth floor: device-to-device copy {ours['bandwidth_gbs']:.0f} GB/s (read + write); the computation "
        f"moves at least {ours['min_bytes'] / 1e9:.2f} GB, floor {ours['floor_ms']:.3f} ms; ours is "
        f"{floor_ratio:.2f}x the floor.",
        f"Through the backend interface (pinned staging, transfers both ways): {ours['host_interface_s']:.3f} s; "
        f"CPU backend on the same frame: {ours['cpu_backend_s']:.3f} s.",
        '',
        f"Target 1, whole within 4x the floor: {'MET' if floor_ratio <= 4 else 'NOT MET'} ({floor_ratio:.2f}x).",
        f"Target 2, at least 1000x the design document's EMA step: {'MET' if ema_speedup >= 1000 else 'NOT MET'} "
        f"({ema_speedup:.0f}x).",
    ]
    report = '\n'.join(lines)
    print(report)
    if args.report:
        with open(args.report, 'w') as f:
            f.write(report + '\n')
    return 0 if floor_ratio <= 4 and ema_speedup >= 1000 else 1


if __name__ == '__main__':
    sys.exit(main())
