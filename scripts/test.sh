#!/usr/bin/env bash
# README command 2: install what is missing, build, start the embedded stack and run every test suite
# (unit, integration, ...) through CTest. `scripts/test.sh -L unit` runs only the fast suite, without servers.
# Extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh
scripts/build.sh >/tmp/ypa-build.log 2>&1 || { tail -60 /tmp/ypa-build.log; exit 1; }

# The unit and package suites need no servers; the docs suite brings up its own
# (tests/docs/docs_blocks_test.py).
needs_servers=1
for arg in "$@"; do
  if [ "$arg" = "unit" ] || [ "$arg" = "docs" ] || [ "$arg" = "package" ]; then needs_servers=0; fi
done

started=0
if [ "$needs_servers" -eq 1 ]; then
  # Tests get their own stack folder so they never touch the demo data of README command 1.
  . scripts/lib.sh
  export YPA_STACK_DIR=${YPA_TEST_STACK_DIR:-$(stack_dir test-stack)}
  if ! build/ypa stack status >/dev/null 2>&1; then started=1; fi
  build/ypa stack up --pg-port "${YPA_TEST_PG_PORT:-25442}" --ch-port "${YPA_TEST_CH_PORT:-29400}"
  eval "$(build/ypa stack env)"
  # Stop the servers this script started, keeping ctest's exit status.
  if [ "$started" -eq 1 ]; then trap 'status=$?; "$root/build/ypa" stack down; exit $status' EXIT; fi
fi

cd build
ctest --output-on-failure -j2 "$@"
