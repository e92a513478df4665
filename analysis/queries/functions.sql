-- One row per function with an invocation in the window.
-- Configuration columns describe the most recent invocation.
SELECT
    function,
    provider, region, runtime, architecture, memory_mb,
    n, errors, cold,
    {{pct "d" 500}} AS p50, {{pct "d" 900}} AS p90, {{pct "d" 950}} AS p95, {{pct "d" 990}} AS p99,
    d[length(d)] AS max
FROM (
    SELECT
        function,
        argMax(provider, start_ns) AS provider,
        argMax(region, start_ns) AS region,
        argMax(runtime, start_ns) AS runtime,
        argMax(architecture, start_ns) AS architecture,
        argMax(memory_mb, start_ns) AS memory_mb,
        count() AS n,
        countIf(error = 1) AS errors,
        countIf(cold_start = 1) AS cold,
        arraySort(groupArray(duration_ns)) AS d
    FROM {{.DB}}.invocations FINAL
    WHERE {{window}}
    GROUP BY function
)
ORDER BY function
