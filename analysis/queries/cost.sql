-- Billed usage per (function, provider, region, architecture, memory).
-- Billed duration per invocation: the provider's figure when the telemetry
-- carries it, else duration plus the INIT phase of a cold start, rounded up
-- to the next millisecond (pricing.BilledMs is the same rule in Go).
SELECT
    function, provider, region, architecture, memory_mb,
    count(),
    toUInt64(sum(if(billed_duration_ms > 0, billed_duration_ms,
        intDiv(duration_ns + if(cold_start = 1, init_duration_ns, 0) + 999999, 1000000))))
FROM {{.DB}}.invocations FINAL
WHERE {{template "window"}}
GROUP BY function, provider, region, architecture, memory_mb
ORDER BY function, architecture, memory_mb, provider, region
