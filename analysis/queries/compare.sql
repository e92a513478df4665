-- The observed workload per (function, provider, region, architecture,
-- memory), with its duration billed under each of four rounding rules.
-- A rule is bound as (step in ns, step in ns, step in ms, minimum in ms);
-- one invocation bills greatest(ceil(d / step) · step, minimum) ms, where
-- d is its duration plus, on a cold start, the INIT phase. Rounding must
-- happen per invocation: the sum of rounded durations is not the rounded
-- sum (ten 1 ms runs bill 1000 ms on a 100 ms step, not 100 ms). Unused
-- rules are bound as (1000000, 1000000, 1, 0), plain milliseconds.
-- Then: the window, and the function (empty: every function) twice.
SELECT
    function, provider, region, architecture, memory_mb,
    count(),
    max(max_memory_used_mb),
    toUInt64(sum({{template "rounded" "d"}})),
    toUInt64(sum({{template "rounded" "d"}})),
    toUInt64(sum({{template "rounded" "d"}})),
    toUInt64(sum({{template "rounded" "d"}}))
FROM (
    SELECT
        function, provider, region, architecture, memory_mb, max_memory_used_mb,
        duration_ns + if(cold_start = 1, init_duration_ns, 0) AS d
    FROM {{.DB}}.invocations FINAL
    WHERE {{template "window"}} AND (length(?) = 0 OR function = ?)
)
GROUP BY function, provider, region, architecture, memory_mb
ORDER BY function, architecture, memory_mb, provider, region
