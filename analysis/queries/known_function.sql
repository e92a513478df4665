-- Whether the tenant ever had an invocation of the function.
SELECT count() FROM (
    SELECT 1 FROM {{.DB}}.invocations
    WHERE tenant = ? AND function = ?
    LIMIT 1
)
