-- Cold-start totals of one function: durations of cold and warm
-- invocations apart, and the INIT phase of the cold ones that report it.
SELECT
    n, cold,
    {{pct "cd" 500}}, {{pct "cd" 900}}, {{pct "cd" 950}}, {{pct "cd" 990}}, cd[-1],
    {{pct "wd" 500}}, {{pct "wd" 900}}, {{pct "wd" 950}}, {{pct "wd" 990}}, wd[-1],
    {{pct "id" 500}}, {{pct "id" 900}}, {{pct "id" 950}}, {{pct "id" 990}}, id[-1]
FROM (
    SELECT
        count() AS n,
        countIf(cold_start = 1) AS cold,
        arraySort(groupArrayIf(duration_ns, cold_start = 1)) AS cd,
        arraySort(groupArrayIf(duration_ns, cold_start = 0)) AS wd,
        arraySort(groupArrayIf(init_duration_ns, cold_start = 1 AND init_duration_ns > 0)) AS id
    FROM {{.DB}}.invocations FINAL
    WHERE {{template "window"}} AND function = ?
)
