// Package translate owns the mapping from OTLP traces (pdata ptrace.Traces)
// to faasight's canonical records, ingest.Invocation and ingest.Span. It
// decides which spans are function invocations and which attribute feeds
// which field. It is pure: no I/O, no clocks, no configuration beyond the
// default tenant, so every front door that receives OTLP translates alike.
//
// # Which spans are invocations
//
// Every span becomes an ingest.Span. A span is also an ingest.Invocation when
//
//   - it carries faas.trigger, faas.invocation_id or the legacy
//     faas.execution (whatever their value), or
//   - it is a SERVER span and its resource has faas.name or a function
//     cloud.platform: aws_lambda, gcp_cloud_functions, gcp_cloud_run,
//     azure_functions, azure_container_apps, alibaba_cloud_fc,
//     tencent_cloud_scf (the semantic conventions' serverless platforms;
//     azure.functions and azure.container_apps, the spellings since semconv
//     1.36, count too) — unless its span flags say its parent is in the
//     same process: an HTTP framework's SERVER span inside the handler is
//     not a second invocation.
//
// A plain web service's SERVER spans (no faas.* attribute, no function
// platform) are therefore not invocations, nor are a function's CLIENT
// spans (a DynamoDB call, say).
//
// # Attributes read
//
// Resource attributes:
//
//	faasight.tenant          tenant; when absent or blank, the default tenant
//	                         given, else ingest.DefaultTenant
//	faas.name                function; else service.name, else "unknown_service"
//	service.name             Span.Service; the function's fallback name
//	faas.version             version; else service.version
//	faas.instance            instance (the execution environment)
//	faas.max_memory          configured memory, bytes → MB rounded to the
//	                         nearest. A value below 65536 is taken to be MB
//	                         already: the OpenTelemetry AWS Lambda resource
//	                         detectors long sent 128 for 128 MB (older
//	                         conventions said MiB), and no function has
//	                         less than 64 KiB
//	cloud.provider           provider
//	cloud.platform           platform; azure.* is stored as azure_* so that
//	                         one platform is one value
//	cloud.region             region
//	cloud.account.id         account
//	process.runtime.name     runtime: name and version joined without a space
//	process.runtime.version  ("python" + "3.12" → "python3.12"); a version that
//	                         already starts with the name is used alone (the
//	                         Go SDK's "go" + "go1.26.8" → "go1.26.8")
//	host.arch                architecture: amd64, x86_64, x64, x86-64 →
//	                         x86_64; arm64, aarch64 → arm64; arm, armv7 →
//	                         arm32; anything else lowercased as given
//
// Span attributes (per invocation; when a span lacks one, or its value is
// unreadable, the resource's attribute of the same name is used):
//
//	faas.trigger             trigger (http, pubsub, datasource, timer, other)
//	faas.invocation_id       invocation id; else faas.execution (legacy)
//	faas.coldstart           cold start
//
// faasight's own span attributes, for what the conventions do not cover
// (an extension, layer or log parser that knows them sets them):
//
//	faasight.init_duration_ms    INIT phase of a cold start, milliseconds
//	                             (fractions kept to the nanosecond)
//	faasight.billed_duration_ms  duration the provider billed, milliseconds;
//	                             a fraction is rounded up, as providers bill
//	faasight.max_memory_used_mb  peak memory of the invocation, MB
//
// Other fields come from the span itself: start time, duration (end − start,
// 0 when the end is before the start), error (status ERROR), trace and span
// ids as lowercase hex ("" for the invalid all-zero id), name, kind, parent
// span id, status code and message. All attributes of the span and of its
// resource are kept on the ingest.Span as strings (pcommon.Value.AsString:
// maps and slices as JSON, bytes as base64).
//
// # Malformed input
//
// A value of the wrong type is read where its meaning is unambiguous: a
// number sent as a string ("134217728") or a double, a bool sent as "true",
// "1", 0 or 1. Anything else — "abc", negative numbers, NaN — counts as not
// reported and leaves the field zero. Translation never fails and never
// panics: one bad attribute must not cost the rest of a batch.
package translate
