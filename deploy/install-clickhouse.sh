#!/usr/bin/env bash
# Installs ClickHouse (the Debian/Ubuntu packages) unless a ClickHouse server
# binary is already present. Idempotent; used by `make clickhouse`, `make run`,
# `make test` and the integration tests' helper (internal/chtest).
#
# faasight never uses the system service these packages bring: it runs its
# own server (deploy/localch) on ports 19000/18123 with its data under
# --data-dir. So a post-install that is not allowed to start that service
# (policy-rc.d in containers, no init system) is fine.
set -euo pipefail

pkgs="clickhouse-server clickhouse-client"

# Where localch looks, in the same order: PATH, then directories a non-root
# PATH often lacks.
find_clickhouse() {
  local b p
  for b in clickhouse-server clickhouse; do
    for p in "$(command -v "$b" 2>/dev/null || true)" "/usr/sbin/$b" "/usr/bin/$b" "/usr/local/bin/$b"; do
      if [ -n "$p" ] && [ -f "$p" ] && [ -x "$p" ]; then
        echo "$p"
        return 0
      fi
    done
  done
  return 1
}

if p=$(find_clickhouse); then
  echo "ClickHouse found: $p"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ClickHouse is not installed and this is not a Debian/Ubuntu system (no apt-get)." >&2
  echo "Install ClickHouse (https://clickhouse.com/docs/install), put clickhouse-server or clickhouse on PATH, and retry." >&2
  exit 1
fi

# make run's readiness check uses curl; install it along if it is missing.
command -v curl >/dev/null 2>&1 || pkgs="$pkgs curl"

# As root: apt-get directly. Otherwise sudo; without a terminal (go test)
# sudo must not wait for a password nobody can type, so it runs with -n and
# fails at once if it needs one.
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  if [ -t 0 ]; then as_root=(sudo); else as_root=(sudo -n); fi
else
  echo "ClickHouse is not installed, and installing it needs root. Run:" >&2
  echo "  apt-get update && apt-get install -y $pkgs   (as root)" >&2
  echo "  sudo apt-get install -y clickhouse-server clickhouse-client" >&2
  exit 1
fi

echo "Installing $pkgs ..."
# env passes DEBIAN_FRONTEND through sudo, which resets the environment:
# without it debconf may stop and ask questions.
# ${as_root[@]+...}: an empty array is "unbound" to set -u before bash 4.4.
if ! ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq; then
  echo "apt-get update failed. Install ClickHouse by hand:" >&2
  echo "  sudo apt-get install -y clickhouse-server clickhouse-client" >&2
  exit 1
fi
rc=0
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs || rc=$?

if p=$(find_clickhouse); then
  if [ "$rc" -ne 0 ]; then
    # Typically the package's post-install failing to start the system
    # service; the binary is in place, which is all faasight needs.
    echo "apt-get exited with status $rc, but ClickHouse is installed; faasight does not use the system service." >&2
  fi
  echo "ClickHouse installed: $p"
  exit 0
fi
echo "Installing ClickHouse failed (apt-get status $rc). Install it by hand:" >&2
echo "  sudo apt-get install -y clickhouse-server clickhouse-client" >&2
exit 1
