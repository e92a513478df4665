#!/usr/bin/env bash
# `make run`: start faasight (private ClickHouse under ./.faasight), fill it
# with sample invocations sent over OTLP, print queries to paste, and keep
# serving until Ctrl-C.
set -euo pipefail
bin=${1:-bin/faasight}
api=${FAASIGHT_API_ADDR:-127.0.0.1:8080}
otlp=${FAASIGHT_OTLP_GRPC_ADDR:-127.0.0.1:4317}

"$bin" serve --api-addr "$api" --otlp-grpc-addr "$otlp" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

echo "waiting for faasight at http://$api ..."
for _ in $(seq 1 120); do
  if ! kill -0 $pid 2>/dev/null; then echo "faasight exited; see the log above" >&2; exit 1; fi
  if curl -fsS "http://$api/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fsS "http://$api/readyz" >/dev/null || { echo "faasight did not become ready" >&2; kill $pid; exit 1; }

echo "sending sample invocations over OTLP/gRPC to $otlp ..."
"$bin" sample --endpoint "$otlp" --count 3000 --window 1h --seed 42

echo "running the reference functions for 20 s (loadgen/scenarios/demo.yaml) ..."
"$bin" loadgen run loadgen/scenarios/demo.yaml --validate --otlp "${FAASIGHT_OTLP_HTTP_ADDR:-127.0.0.1:4318}" \
  --api "http://$api" --ledger .faasight/demo-ledger.jsonl
cat <<TXT

faasight is running (pid $pid). Try:

  curl -s 'http://$api/api/v1/functions' | python3 -m json.tool
  curl -s 'http://$api/api/v1/functions/checkout-api/coldstarts?step=10m' | python3 -m json.tool
  curl -s 'http://$api/api/v1/functions/image-resize/latency?step=10m' | python3 -m json.tool
  curl -s 'http://$api/api/v1/reports/cost' | python3 -m json.tool
  curl -s 'http://$api/api/v1/reports/cost?format=csv'
  curl -s 'http://$api/api/v1/openapi.json' | head -c 400

Send more:  $bin sample --count 10000
Load test:  $bin loadgen run loadgen/scenarios/ci-60s.yaml --validate
Point your functions' OTLP exporter at $otlp (gRPC) or http://${FAASIGHT_OTLP_HTTP_ADDR:-127.0.0.1:4318} (HTTP).
Ctrl-C stops faasight (data stays in ./.faasight).
TXT
wait $pid
