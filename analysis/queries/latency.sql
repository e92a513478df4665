-- Duration percentiles of one function over the window.
SELECT
    n,
    {{pct "d" 500}}, {{pct "d" 900}}, {{pct "d" 950}}, {{pct "d" 990}}, d[-1]
FROM (
    SELECT count() AS n, arraySort(groupArray(duration_ns)) AS d
    FROM {{.DB}}.invocations FINAL
    WHERE {{template "window"}} AND function = ?
)
