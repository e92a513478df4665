-- Every invocation as an execution on its instance, for catalogs that bill
-- instance activity periods (pricing.Catalog.ActivityBilledMs): in start
-- order per (function, provider, region, architecture, memory, instance).
-- A cold start's INIT phase runs on the instance before the invocation
-- starts. Placeholders: the window, then the function (empty: every
-- function) twice.
SELECT
    function, provider, region, architecture, memory_mb, instance,
    toUInt64(start_ns - if(cold_start = 1, least(init_duration_ns, start_ns), 0)) AS s,
    start_ns + duration_ns
FROM {{.DB}}.invocations FINAL
WHERE {{template "window"}} AND (length(?) = 0 OR function = ?)
ORDER BY function, provider, region, architecture, memory_mb, instance, s
