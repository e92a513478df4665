-- Billed usage per (function, provider, region, architecture, memory).
-- Billed duration per invocation as _billed.sql's "billed", under the
-- catalog's rounding rule. Placeholders: the rule, then the window.
SELECT
    function, provider, region, architecture, memory_mb,
    count(),
    toUInt64(sum({{template "billed"}}))
FROM {{.DB}}.invocations FINAL
WHERE {{template "window"}}
GROUP BY function, provider, region, architecture, memory_mb
ORDER BY function, architecture, memory_mb, provider, region
