-- cost_rows.sql with up to four attributes of each invocation's span as
-- further columns. An attribute is the span's own when it has the key, else
-- the resource's, else ''. Each slot binds its key three times; an unused
-- slot binds '' and yields ''. Keys are values here, never SQL: analysis
-- validates them and binds them. The spans side is filtered by the same
-- window (the invocation span starts when the invocation does).
-- Placeholders: the rounding rule (as cost_rows.sql), the window, the four
-- slots (3 each), the window again.
SELECT
    account, intDiv(start_ns, 86400000000000) AS day,
    provider, region, architecture, memory_mb, runtime, function, version, trigger,
    count(),
    toUInt64(sum({{template "billed"}})),
    toUInt64(sum(if(billed_duration_ms = 0 AND cold_start = 1, intDiv(init_duration_ns + 999999, 1000000), 0))),
    a1, a2, a3, a4
FROM (
    SELECT tenant, trace_id, span_id, start_ns, account, provider, region, architecture, memory_mb,
        runtime, function, version, trigger, duration_ns, cold_start, init_duration_ns, billed_duration_ms
    FROM {{.DB}}.invocations FINAL
    WHERE {{template "window"}}
) ANY LEFT JOIN (
    SELECT tenant, trace_id, span_id,
        if(length(?) = 0, '', arrayConcat(
            arrayFilter((x, y) -> y = ?, attr_values, attr_keys),
            arrayFilter((x, y) -> y = ?, resource_values, resource_keys), [''])[1]) AS a1,
        if(length(?) = 0, '', arrayConcat(
            arrayFilter((x, y) -> y = ?, attr_values, attr_keys),
            arrayFilter((x, y) -> y = ?, resource_values, resource_keys), [''])[1]) AS a2,
        if(length(?) = 0, '', arrayConcat(
            arrayFilter((x, y) -> y = ?, attr_values, attr_keys),
            arrayFilter((x, y) -> y = ?, resource_values, resource_keys), [''])[1]) AS a3,
        if(length(?) = 0, '', arrayConcat(
            arrayFilter((x, y) -> y = ?, attr_values, attr_keys),
            arrayFilter((x, y) -> y = ?, resource_values, resource_keys), [''])[1]) AS a4
    FROM {{.DB}}.spans FINAL
    WHERE {{template "window"}}
) USING (tenant, trace_id, span_id)
GROUP BY account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger, a1, a2, a3, a4
ORDER BY account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger, a1, a2, a3, a4
