#!/usr/bin/env bash
# Configures (once) and builds ypa-engine into build/ with two jobs. CI=true turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${YPA_BUILD_DIR:-build}
werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYPA_WERROR="$werror" >/dev/null
fi
cmake --build "$build_dir" -j"${YPA_JOBS:-2}"
