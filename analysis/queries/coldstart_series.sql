-- Invocations and cold starts per step; bucket i covers
-- [from + i*step, from + (i+1)*step).
SELECT
    intDiv(start_ns - ?, ?) AS bucket,
    count(),
    countIf(cold_start = 1)
FROM {{.DB}}.invocations FINAL
WHERE {{window}} AND function = ?
GROUP BY bucket
ORDER BY bucket
