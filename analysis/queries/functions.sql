-- One row per function with an invocation in the window.
-- Configuration columns describe the most recent invocation (argMax by
-- start time). Aliases never reuse a column's name: ClickHouse resolves
-- aliases before columns, and argMax(provider, ...) AS provider would
-- refer to itself on some releases.
SELECT
    function,
    last_provider, last_region, last_runtime, last_architecture, last_memory_mb,
    n, errors, cold,
    {{pct "d" 500}}, {{pct "d" 900}}, {{pct "d" 950}}, {{pct "d" 990}}, d[-1]
FROM (
    SELECT
        function,
        argMax(provider, start_ns) AS last_provider,
        argMax(region, start_ns) AS last_region,
        argMax(runtime, start_ns) AS last_runtime,
        argMax(architecture, start_ns) AS last_architecture,
        argMax(memory_mb, start_ns) AS last_memory_mb,
        count() AS n,
        countIf(error = 1) AS errors,
        countIf(cold_start = 1) AS cold,
        arraySort(groupArray(duration_ns)) AS d
    FROM {{.DB}}.invocations FINAL
    WHERE {{template "window"}}
    GROUP BY function
)
ORDER BY function
