#!/usr/bin/env bash
# `make bench`: end-to-end ingest throughput beside clickhouse-client's
# Native insert rate on the same machine, then the hot-path Go benchmarks.
set -euo pipefail
bin=${1:-bin/faasight}
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "== end to end: OTLP client -> queryable rows"
"$bin" bench --spans "${BENCH_SPANS:-500000}"
echo
echo "== hot paths (go test -bench)"
go test -run '^$' -bench . -benchmem -benchtime "${BENCH_TIME:-1s}" ./collector/translate/ ./analysis/ ./loadgen/lambdaruntime/
