#!/usr/bin/env bash
# The GPU check, one command for the lent GPU machine (the `device` tool's run, from the repository root):
#   scripts/gpu-check.sh
# Builds the compute code with nvcc (tests/gpu/standalone: needs only CUDA, CMake and g++, none of the
# project's -dev packages), then
#   1. gpu_check: every CPU-vs-CUDA check of tests/gpu/checks.cpp (sizes 0..35 040 buckets, 1..65 shops,
#      all-missing series, single-shop buckets, outliers, cohorts, sliced features with carry), 1e-9;
#   2. gpu_bench: our kernels on the one-year frame, a device-to-device copy (the bandwidth floor), the
#      backend through its host interface and the CPU backend;
#   3. bench/gpu/design_doc_torch.py: the design document's PyTorch code on the same frame, and the table
#      for docs/BENCHMARKS.md with the two targets (within 4x the floor; >= 1000x on the EMA step).
# Results go to $OUT (the device tool's folder; ./gpu-check-out elsewhere): machine.txt, build.log,
# gpu_check.txt, gpu_bench.json, torch_bench.json, report.md. Exit 0 only when every check passes and
# both targets are met. About 3-4 minutes on an H100.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$PWD/gpu-check-out}
build=${YPA_GPU_BUILD_DIR:-/tmp/ypa-gpu-check}
frame=${YPA_GPU_FRAME:-/tmp/ypa-year-frame.bin}
mkdir -p "$out"
started=$(date +%s)
step() { echo "== $(($(date +%s) - started))s: $*"; }
status=0

step "machine"
{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv 2>&1
  command -v nvcc >/dev/null && nvcc --version | tail -2 || /usr/local/cuda/bin/nvcc --version | tail -2
  cmake --version | head -1
  g++ --version | head -1
  python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name(0))' 2>&1
} | tee "$out/machine.txt"

step "build (tests/gpu/standalone -> $build)"
generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
if ! { cmake -S tests/gpu/standalone -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release &&
       cmake --build "$build" -j "$(nproc)"; } >"$out/build.log" 2>&1; then
  tail -40 "$out/build.log"
  echo "gpu-check: build failed (see build.log)"
  exit 2
fi

step "gpu_check: CUDA vs CPU"
"$build/gpu_check" 2>&1 | tee "$out/gpu_check.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

step "gpu_bench: one year on the GPU"
if ! "$build/gpu_bench" --frame "$frame" --json "$out/gpu_bench.json" --cpu; then
  echo "gpu-check: gpu_bench failed"
  exit 2
fi

step "design document's PyTorch code on the same frame"
PYTHONUNBUFFERED=1 python3 bench/gpu/design_doc_torch.py "$frame" --ours "$out/gpu_bench.json" \
  --json "$out/torch_bench.json" --report "$out/report.md" || status=1
rm -f "$frame"

step "done: $([ $status -eq 0 ] && echo 'all checks passed, targets met' || echo 'FAILURES above')"
exit $status
