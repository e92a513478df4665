#!/usr/bin/env bash
# `make loadtest`: a private faasight (its own ClickHouse, in a temporary
# directory, on ports apart from the defaults), the load generator's CI
# scenario against it, and validation of every number faasight reports
# against the run's ledger. Exits non-zero on any mismatch.
set -euo pipefail
bin=${1:-bin/faasight}
scenario=${2:-loadgen/scenarios/ci-60s.yaml}
dir=$(mktemp -d /tmp/faasight-loadtest-XXXXXX)
api=127.0.0.1:18480 grpc=127.0.0.1:14480 http=127.0.0.1:14481

"$bin" serve --data-dir "$dir" --clickhouse-port 19480 --api-addr "$api" \
  --otlp-grpc-addr "$grpc" --otlp-http-addr "$http" --metrics-addr "" --log-level warn &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

for _ in $(seq 1 120); do
  kill -0 "$pid" 2>/dev/null || { echo "faasight exited during start-up" >&2; exit 1; }
  curl -fsS "http://$api/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "http://$api/readyz" >/dev/null

"$bin" loadgen run "$scenario" --validate --otlp "$http" --api "http://$api" \
  --functions-dir bin/functions --ledger "$dir/ledger.jsonl" --report "$dir/report.json"
