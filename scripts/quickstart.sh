#!/usr/bin/env bash
# README command 1: install what is missing, build, start the embedded stack, create the schemas, load
# a demo dataset (7 days, 24 shops x 160 iPhones), compute run 'demo' and print a summary. A second run
# changes nothing.
#
# scripts/quickstart.sh --env prints, and changes nothing, the lines that point a shell at that stack
# (`eval "$(scripts/quickstart.sh --env)"`): its folder is not always ./.ypa/stack (see scripts/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export YPA_STACK_DIR=${YPA_STACK_DIR:-$(stack_dir stack)}

if [ "${1:-}" = "--env" ]; then
  printf 'export YPA_STACK_DIR=%q\n' "$YPA_STACK_DIR"
  [ -x build/ypa ] || { echo "scripts/quickstart.sh --env: no build/ypa yet; run scripts/quickstart.sh first" >&2; exit 2; }
  exec build/ypa stack env
elif [ $# -gt 0 ]; then
  echo "usage: scripts/quickstart.sh [--env]" >&2
  exit 2
fi

step() { printf '\n==> %s\n' "$*"; }

step "packages";           scripts/install-deps.sh
step "build";              scripts/build.sh >/tmp/ypa-build.log 2>&1 || { tail -40 /tmp/ypa-build.log; exit 1; }
echo "built build/ypa (log: /tmp/ypa-build.log)"
step "local stack";        build/ypa stack up
eval "$(build/ypa stack env)"
step "schemas";            build/ypa init --source-schema && build/ypa init

# The demo account of the dashboard's login (a Django auth_user row, pbkdf2_sha256) and the secret the
# API signs its tokens with: made once, kept in the stack's folder (mode 600), reused by later runs.
step "demo account"
demo_password_file=$YPA_STACK_DIR/demo-password
jwt_secret_file=$YPA_STACK_DIR/jwt-secret
(
  umask 077
  [ -s "$demo_password_file" ] || head -c 12 /dev/urandom | base64 | tr -d '/+=\n' >"$demo_password_file"
  [ -s "$jwt_secret_file" ] || head -c 48 /dev/urandom | base64 | tr -d '/+=\n' >"$jwt_secret_file"
)
build/ypa init --source-schema --demo-user demo <"$demo_password_file"

demo_from=${YPA_DEMO_FROM:-2025-01-01}
demo_to=${YPA_DEMO_TO:-2025-01-07}
records=$(psql -XAtqc 'SELECT count(*) FROM "AppleStockChecker_purchasingshoppricerecord"')
if [ "$records" -eq 0 ]; then
  step "demo data ($demo_from .. $demo_to)"
  build/ypa datagen --shops 24 --iphones 160 --from "$demo_from" --to "$demo_to" --seed 1
else
  step "demo data: already loaded ($records price records), left as is"
fi

step "summary"
psql -XAtq -F ' ' <<'SQL'
SELECT 'shops', count(*)::text FROM "AppleStockChecker_secondhandshop"
UNION ALL SELECT 'iphones', count(*)::text FROM "AppleStockChecker_iphone"
UNION ALL SELECT 'cohorts', count(*)::text FROM "AppleStockChecker_cohort"
UNION ALL SELECT 'price records', count(*)::text FROM "AppleStockChecker_purchasingshoppricerecord"
UNION ALL SELECT 'first record', min(recorded_at)::text FROM "AppleStockChecker_purchasingshoppricerecord"
UNION ALL SELECT 'last record', max(recorded_at)::text FROM "AppleStockChecker_purchasingshoppricerecord";
SQL
demo_rows=$(clickhouse-client --host "$CLICKHOUSE_HOST" --port "$CLICKHOUSE_PORT" \
  --query "SELECT count() FROM $CLICKHOUSE_DB.features_wide WHERE run_id = 'demo'")
if [ "$demo_rows" -eq 0 ]; then
  step "run_pipeline: run 'demo' over the demo days"
  build/ypa run_pipeline --run-id demo --from "$demo_from" --to "$demo_to"
else
  step "run 'demo' already computed ($demo_rows features_wide rows), left as is"
fi
clickhouse-client --host "$CLICKHOUSE_HOST" --port "$CLICKHOUSE_PORT" --query "
  SELECT scope, bucket, round(mean) AS mean, shop_count, round(ema_120) AS ema_120, round(boll_width_1800) AS boll_width_1800
  FROM $CLICKHOUSE_DB.features_wide FINAL WHERE run_id = 'demo' AND scope IN ('iphone:1', 'cohort:top')
  ORDER BY bucket DESC, scope LIMIT 4 FORMAT PrettyCompactNoEscapes"
cat <<EOF2

Ready. The stack is in $YPA_STACK_DIR. Point your shell at it with:
  eval "\$(scripts/quickstart.sh --env)"
Then e.g.: build/ypa --help, build/ypa list_runs, build/ypa stack status, build/ypa stack down

Dashboard: start the API (it runs until Ctrl-C) with
  API_JWT_SECRET="\$(cat $jwt_secret_file)" build/ypa serve --listen 127.0.0.1:8000
then open http://127.0.0.1:8000/ and log in as user demo, password $(cat "$demo_password_file")
(POST /api/token/ takes the same account: docs/api.md#login-post-apitoken).
EOF2
