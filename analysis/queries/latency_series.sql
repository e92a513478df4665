-- Duration percentiles of one function per step (bucket as in
-- coldstart_series.sql).
SELECT
    bucket, n,
    {{pct "d" 500}}, {{pct "d" 900}}, {{pct "d" 950}}, {{pct "d" 990}}, d[-1]
FROM (
    SELECT
        toUInt64(intDiv(start_ns - ?, ?)) AS bucket,
        count() AS n,
        arraySort(groupArray(duration_ns)) AS d
    FROM {{.DB}}.invocations FINAL
    WHERE {{template "window"}} AND function = ?
    GROUP BY bucket
)
ORDER BY bucket
