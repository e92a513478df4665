-- Billed usage per (account, UTC day, configuration, function, version,
-- trigger): the finest grain any cost report groups by; analysis sums the
-- rows into the groups asked for and prices them. The day is the number of
-- whole UTC days since the epoch, so the server's time zone plays no part.
-- Billed duration as in cost.sql, under the catalog's rounding rule; the
-- INIT part of it (in whole ms) is only known when faasight computed the
-- duration itself (a provider's reported figure is taken whole).
-- Placeholders: the rule, then the window.
SELECT
    account, intDiv(start_ns, 86400000000000) AS day,
    provider, region, architecture, memory_mb, runtime, function, version, trigger,
    count(),
    toUInt64(sum({{template "billed"}})),
    toUInt64(sum(if(billed_duration_ms = 0 AND cold_start = 1, intDiv(init_duration_ns + 999999, 1000000), 0)))
FROM {{.DB}}.invocations FINAL
WHERE {{template "window"}}
GROUP BY account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger
ORDER BY account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger
