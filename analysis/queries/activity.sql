-- Every invocation as an execution on its instance, for catalogs that bill
-- instance activity periods (pricing.Catalog.ActivityBilledMs): one row
-- per cost_rows.sql grain and instance, its executions' starts and ends
-- in start order. Invocations without an instance id come as one row per
-- grain, each execution an instance of its own. A cold start's INIT phase
-- runs on the instance before the invocation starts. Placeholders: the
-- window, then the function (empty: every function) twice.
SELECT
    account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger, instance,
    arrayMap(t -> tupleElement(t, 1), x), arrayMap(t -> tupleElement(t, 2), x)
FROM (
    SELECT
        account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger, instance,
        arraySort(t -> tupleElement(t, 1), groupArray((s, e))) AS x
    FROM (
        SELECT
            account, intDiv(start_ns, 86400000000000) AS day,
            provider, region, architecture, memory_mb, runtime, function, version, trigger, instance,
            toUInt64(start_ns - if(cold_start = 1, least(init_duration_ns, start_ns), 0)) AS s,
            start_ns + duration_ns AS e
        FROM {{.DB}}.invocations FINAL
        WHERE {{template "window"}} AND (length(?) = 0 OR function = ?)
    )
    GROUP BY account, day, provider, region, architecture, memory_mb, runtime, function, version, trigger, instance
)
