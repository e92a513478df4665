// Package translate turns OTLP traces into faasight's canonical records
// (ingest.Invocation and ingest.Span). It is pure: no I/O, no clocks.
//
// # Which spans are invocations
//
// A span is an invocation when it carries faas.trigger, faas.invocation_id
// or the legacy faas.execution, or when it is a SERVER span whose resource
// has faas.name or a FaaS cloud.platform (aws_lambda, gcp_cloud_functions,
// gcp_cloud_run, azure_functions, azure_container_apps, alibaba_cloud_fc,
// tencent_cloud_scf, ibm_cloud_code_engine). Every span, invocation or not,
// also becomes an ingest.Span.
//
// # Attributes read
//
// Resource (span attributes of the same name take precedence for the
// per-invocation ones):
//
//	faasight.tenant          tenant (else the exporter's default)
//	faas.name                function (else service.name, else "unknown_service")
//	faas.version             version (else service.version)
//	faas.instance            execution environment
//	faas.max_memory          configured memory in bytes → MB (values below
//	                         65536 are taken as MB: older AWS Lambda resource
//	                         detectors reported MB)
//	cloud.provider, cloud.platform, cloud.region, cloud.account.id
//	process.runtime.name + process.runtime.version → runtime ("go1.26")
//	host.arch                amd64/x86_64/x64 → x86_64; arm64/aarch64 → arm64
//
// Span:
//
//	faas.trigger             trigger
//	faas.coldstart           cold start (bool; "true"/"1" strings accepted)
//	faas.invocation_id       invocation id (else faas.execution)
//	faasight.init_duration_ms    INIT phase of a cold start, ms (float)
//	faasight.billed_duration_ms  duration the provider billed, ms
//	faasight.max_memory_used_mb  peak memory of the invocation, MB
//
// Values of the wrong type are parsed where unambiguous (a number sent as a
// string); anything else is ignored, never an error: one bad attribute
// must not cost the rest of a batch.
package translate
