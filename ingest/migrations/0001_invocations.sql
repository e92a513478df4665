-- One row per function invocation (ingest.Invocation).
-- ReplacingMergeTree on the invocation's identity: a batch inserted twice
-- (a retried export, a queue replayed after a restart) collapses to one row,
-- and readers use FINAL so a duplicate never counts before a merge.
-- Plain String instead of LowCardinality: LowCardinality is experimental on
-- ClickHouse 18.16, the oldest release faasight supports.
CREATE TABLE IF NOT EXISTS {{.DB}}.invocations (
    tenant             String,
    date               Date,
    time               DateTime,
    start_ns           UInt64,
    duration_ns        UInt64,
    cold_start         UInt8,
    error              UInt8,
    function           String,
    version            String,
    instance           String,
    provider           String,
    platform           String,
    region             String,
    account            String,
    runtime            String,
    architecture       String,
    memory_mb          UInt32,
    trigger            String,
    trace_id           String,
    span_id            String,
    invocation_id      String,
    init_duration_ns   UInt64,
    billed_duration_ms UInt64,
    max_memory_used_mb UInt32
) ENGINE = ReplacingMergeTree
PARTITION BY date
ORDER BY (tenant, function, start_ns, trace_id, span_id);
