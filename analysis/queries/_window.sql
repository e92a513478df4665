{{/* The filter every report query applies: the tenant's invocations in
[from, to). The date bounds only prune partitions; they are a day wider
than needed because the server's time zone decides which day a row's date
is. Placeholders: tenant, from_ns, to_ns, from_date, to_date. */}}
{{- define "window" -}}
tenant = ? AND start_ns >= ? AND start_ns < ? AND date >= toDate(?) - 1 AND date <= toDate(?) + 1
{{- end}}
