-- Every span received, invocation or not (ingest.Span); outbound calls of
-- functions are read from here. Attributes are parallel key/value arrays
-- because Map needs ClickHouse 21.x: look one up with
-- attr_values[indexOf(attr_keys, 'rpc.system')].
CREATE TABLE IF NOT EXISTS {{.DB}}.spans (
    tenant          String,
    date            Date,
    time            DateTime,
    start_ns        UInt64,
    duration_ns     UInt64,
    trace_id        String,
    span_id         String,
    parent_span_id  String,
    name            String,
    kind            String,
    status_code     String,
    status_message  String,
    service         String,
    function        String,
    resource_keys   Array(String),
    resource_values Array(String),
    attr_keys       Array(String),
    attr_values     Array(String)
) ENGINE = ReplacingMergeTree
PARTITION BY date
ORDER BY (tenant, function, start_ns, trace_id, span_id);
