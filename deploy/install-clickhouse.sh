#!/usr/bin/env bash
# Installs ClickHouse (Debian/Ubuntu packages) unless a ClickHouse server
# binary is already present. Idempotent; used by `make run`, `make test` and
# the integration tests' helper.
set -euo pipefail

for b in clickhouse-server clickhouse; do
  for p in "$(command -v "$b" 2>/dev/null || true)" "/usr/sbin/$b" "/usr/bin/$b" "/usr/local/bin/$b"; do
    if [ -n "$p" ] && [ -x "$p" ]; then
      echo "ClickHouse found: $p"
      exit 0
    fi
  done
done

pkgs="clickhouse-server clickhouse-client"
command -v curl >/dev/null 2>&1 || pkgs="$pkgs curl"   # make run's readiness check
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ClickHouse is not installed and this is not a Debian/Ubuntu system." >&2
  echo "Install ClickHouse (https://clickhouse.com/docs/install) and retry." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "ClickHouse is not installed. Run as root: apt-get install -y $pkgs" >&2
    exit 1
  fi
fi
echo "Installing $pkgs ..."
# The package's post-install may be refused permission to start a system
# service (policy-rc.d); faasight never uses that service, so that is fine.
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $pkgs
