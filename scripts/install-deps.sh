#!/usr/bin/env bash
# Installs the Debian 12 packages ypa-engine builds, tests and runs with; does nothing when all are
# present (so a second run is quick). Needs root or sudo for apt-get.
set -euo pipefail

packages=(
  cmake g++ make pkg-config git
  libpq-dev postgresql-15 postgresql-client-15
  libcli11-dev libfmt-dev libspdlog-dev nlohmann-json3-dev libcpp-httplib-dev
  libhowardhinnant-date-dev liblz4-dev zlib1g-dev tzdata
  libgtest-dev libgmock-dev libbenchmark-dev
  clickhouse-server clickhouse-client zookeeper
  clang libclang-rt-14-dev
  python3 python3-pandas python3-numpy
  libssl-dev openssl curl wrk faketime python3-djangorestframework python3-django-filters python3-djangorestframework-simplejwt python3-clickhouse-driver python3-psycopg2 python3-jwt
  python3-django python3-celery python3-pip python3-setuptools python3-wheel
  help2man dpkg-dev file binutils man-db groff-base systemd lintian
  python3-venv python3-matplotlib
  libjs-dygraphs chromium chromium-driver python3-selenium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
# The postgresql and clickhouse-server packages may try to start system services; the project never
# uses those (it runs its own servers through `ypa stack`), so tell invoke-rc.d not to start them.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod +x "$policy"
  created_policy=1
fi
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "$created_policy" -eq 1 ]; then "${sudo_cmd[@]}" rm -f "$policy"; fi
echo "install-deps: done"
