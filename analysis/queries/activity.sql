-- Every invocation as an execution on its instance, for catalogs that bill
-- instance activity periods (pricing.Catalog.ActivityBilledMs): at
-- cost_rows.sql's grain, in start order per instance. A cold start's INIT
-- phase runs on the instance before the invocation starts. Placeholders:
-- the window, then the function (empty: every function) twice.
SELECT
    account, intDiv(start_ns, 86400000000000) AS day,
    provider, region, architecture, memory_mb, runtime, function, version, trigger, instance,
    toUInt64(start_ns - if(cold_start = 1, least(init_duration_ns, start_ns), 0)) AS s,
    start_ns + duration_ns
FROM {{.DB}}.invocations FINAL
WHERE {{template "window"}} AND (length(?) = 0 OR function = ?)
ORDER BY account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger, instance, s
