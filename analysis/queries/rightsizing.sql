-- Memory use and billed duration per (function, provider, region,
-- architecture, memory). Memory: the nearest-rank p99 and the maximum of
-- max_memory_used_mb over the invocations that report it (0 = unknown).
-- Billed duration twice: as cost.sql bills it (the provider's figure, else
-- duration + INIT rounded up to 1 ms: the Lambda rule), and under one bound
-- rounding rule (step in ns twice, step in ms, minimum in ms; 100 ms on Google)
-- applied per invocation. Placeholders: the rule, then the window.
SELECT
    function, provider, region, architecture, memory_mb,
    n, mem_n, {{pct "m" 990}}, m[-1], billed, stepped
FROM (
    SELECT
        function, provider, region, architecture, memory_mb,
        count() AS n,
        countIf(max_memory_used_mb > 0) AS mem_n,
        arraySort(groupArrayIf(max_memory_used_mb, max_memory_used_mb > 0)) AS m,
        toUInt64(sum(if(billed_duration_ms > 0, billed_duration_ms, intDiv(d + 999999, 1000000)))) AS billed,
        toUInt64(sum({{template "rounded" "d"}})) AS stepped
    FROM (
        SELECT
            function, provider, region, architecture, memory_mb, max_memory_used_mb, billed_duration_ms,
            duration_ns + if(cold_start = 1, init_duration_ns, 0) AS d
        FROM {{.DB}}.invocations FINAL
        WHERE {{template "window"}}
    )
    GROUP BY function, provider, region, architecture, memory_mb
)
ORDER BY function, architecture, memory_mb, provider, region
