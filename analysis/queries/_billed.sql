{{/* Billed duration of one invocation under a provider's rounding rule,
bound as four placeholders: the step in ns (twice), the step in ms, the
minimum in ms (analysis: roundingRule.args). "rounded" rounds the ns
expression it is given up to the step, at least the minimum: 260 ms on a
100 ms step bills 300 ms, 30 ms with a 100 ms minimum bills 100 ms; with
the Lambda rule (1 ms, no minimum) it is the duration rounded up to the
next millisecond. "billed" is the provider's own figure when the telemetry
carries one (faasight.billed_duration_ms), else the duration plus, on a cold
start, the INIT phase, rounded (pricing.BilledMs is the Lambda rule in
Go). */}}
{{- define "rounded" -}}
toUInt64(greatest(intDiv({{.}} + ? - 1, ?) * ?, ?))
{{- end}}
{{- define "billed" -}}
if(billed_duration_ms > 0, billed_duration_ms, {{template "rounded" "duration_ns + if(cold_start = 1, init_duration_ns, 0)"}})
{{- end}}
