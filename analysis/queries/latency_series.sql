-- Duration percentiles of one function per step.
SELECT
    bucket, n,
    {{pct "d" 500}}, {{pct "d" 900}}, {{pct "d" 950}}, {{pct "d" 990}}, d[length(d)]
FROM (
    SELECT
        intDiv(start_ns - ?, ?) AS bucket,
        count() AS n,
        arraySort(groupArray(duration_ns)) AS d
    FROM {{.DB}}.invocations FINAL
    WHERE {{window}} AND function = ?
    GROUP BY bucket
)
ORDER BY bucket
