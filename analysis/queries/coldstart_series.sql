-- Invocations and cold starts per step; bucket i covers
-- [from + i*step, from + (i+1)*step). The WHERE clause keeps start_ns >=
-- from, so the difference is never negative; toUInt64 pins the type, which
-- differs between ClickHouse releases.
SELECT
    toUInt64(intDiv(start_ns - ?, ?)) AS bucket,
    count(),
    countIf(cold_start = 1)
FROM {{.DB}}.invocations FINAL
WHERE {{template "window"}} AND function = ?
GROUP BY bucket
ORDER BY bucket
