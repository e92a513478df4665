package translate

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/faasight/faasight/ingest"
)

// resource is what a resource says about every span under it, read once
// per resource rather than once per span.
type resource struct {
	tenant, service, function, version, instance       string
	provider, platform, region, account, runtime, arch string
	memoryMB                                           uint32
	faas                                               bool // faas.name or a function platform
	attrs                                              ingest.Attributes

	// inv holds per-invocation attributes set on the resource, the
	// fallback for spans that do not carry them.
	inv invocationAttrs
}

func (b *batch) describeResource(m pcommon.Map, defaultTenant string) resource {
	var (
		r                           resource
		faasName, faasVersion       string
		serviceVersion              string
		runtimeName, runtimeVersion string
		maxMemory                   optNum
	)
	r.attrs = b.flatten(m, func(k string, v pcommon.Value, s string) {
		switch k {
		case "faasight.tenant":
			r.tenant = strings.TrimSpace(s)
		case "service.name":
			r.service = s
		case "service.version":
			serviceVersion = s
		case "faas.name":
			faasName = s
		case "faas.version":
			faasVersion = s
		case "faas.instance":
			r.instance = s
		case "faas.max_memory":
			maxMemory = number(v)
		case "cloud.provider":
			r.provider = s
		case "cloud.platform":
			r.platform = s
		case "cloud.region":
			r.region = s
		case "cloud.account.id":
			r.account = s
		case "process.runtime.name":
			runtimeName = s
		case "process.runtime.version":
			runtimeVersion = s
		case "host.arch":
			r.arch = s
		default:
			r.inv.read(k, v, s)
		}
	})
	if r.tenant == "" {
		r.tenant = defaultTenant
	}
	r.function = firstNonEmpty(faasName, r.service, "unknown_service")
	r.version = firstNonEmpty(faasVersion, serviceVersion)
	r.runtime = joinRuntime(runtimeName, runtimeVersion)
	r.arch = NormalizeArch(r.arch)
	if maxMemory.ok {
		r.memoryMB = memoryMB(maxMemory.v)
	}
	var isFaaSPlatform bool
	r.platform, isFaaSPlatform = platform(r.platform)
	r.faas = faasName != "" || isFaaSPlatform
	return r
}

// invocationAttrs are the attributes that describe one invocation. They
// belong on the span; a resource may carry them too, as a fallback.
type invocationAttrs struct {
	trigger, invocationID, execution string
	coldStart                        optBool
	initMs, billedMs, memUsedMB      optNum
}

type optBool struct{ v, ok bool }

type optNum struct {
	v  float64
	ok bool
}

// read takes k if it is a per-invocation attribute, and reports whether k
// marks its span as an invocation: faas.trigger, faas.invocation_id or
// faas.execution, whatever their value.
func (a *invocationAttrs) read(k string, v pcommon.Value, s string) (marks bool) {
	switch k {
	case "faas.trigger":
		a.trigger = s
		return true
	case "faas.invocation_id":
		a.invocationID = s
		return true
	case "faas.execution": // the name before semconv 1.20
		a.execution = s
		return true
	case "faas.coldstart":
		a.coldStart = boolean(v)
	case "faasight.init_duration_ms":
		a.initMs = number(v)
	case "faasight.billed_duration_ms":
		a.billedMs = number(v)
	case "faasight.max_memory_used_mb":
		a.memUsedMB = number(v)
	}
	return false
}

// fallBackTo fills what the span did not say (or said unreadably) from the
// resource.
func (a *invocationAttrs) fallBackTo(res *invocationAttrs) {
	if a.trigger == "" {
		a.trigger = res.trigger
	}
	if a.invocationID == "" {
		a.invocationID = res.invocationID
	}
	if a.execution == "" {
		a.execution = res.execution
	}
	if !a.coldStart.ok {
		a.coldStart = res.coldStart
	}
	if !a.initMs.ok {
		a.initMs = res.initMs
	}
	if !a.billedMs.ok {
		a.billedMs = res.billedMs
	}
	if !a.memUsedMB.ok {
		a.memUsedMB = res.memUsedMB
	}
}

// boolean reads a bool, the ints 0 and 1, or a string strconv.ParseBool
// accepts ("true", "1", "F", ...); anything else is not an answer.
func boolean(v pcommon.Value) optBool {
	switch v.Type() {
	case pcommon.ValueTypeBool:
		return optBool{v.Bool(), true}
	case pcommon.ValueTypeInt:
		if i := v.Int(); i == 0 || i == 1 {
			return optBool{i == 1, true}
		}
	case pcommon.ValueTypeDouble:
		if f := v.Double(); f == 0 || f == 1 {
			return optBool{f == 1, true}
		}
	case pcommon.ValueTypeStr:
		if b, err := strconv.ParseBool(strings.TrimSpace(v.Str())); err == nil {
			return optBool{b, true}
		}
	}
	return optBool{}
}

// number reads an int, a double or a numeric string. NaN, infinities and
// negative numbers are no answer: none of the quantities read is negative,
// and "not reported" is safer than a wrong figure.
func number(v pcommon.Value) optNum {
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeStr:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(v.Str()), 64); err != nil {
			return optNum{}
		}
	default:
		return optNum{}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return optNum{}
	}
	return optNum{f, true}
}

// memoryMB converts faas.max_memory to MB, rounding to the nearest. The
// convention says bytes, but older conventions said MiB and the
// OpenTelemetry AWS Lambda resource detectors long sent 128 for 128 MB. No
// function has less than 64 KiB of memory and none has 64 GiB (65536 MB),
// so a value below 65536 can only be MB.
func memoryMB(v float64) uint32 {
	if v >= 65536 {
		v /= 1 << 20
	}
	return toUint32(math.Round(v))
}

// toUint64 and toUint32 convert non-negative whole floats. A value beyond
// the field's range is garbage, not a measurement: it reads as 0, "not
// reported" (and Go leaves its conversion undefined). The 64-bit bound is
// MaxInt64 so that readers using signed integers agree.
func toUint64(f float64) uint64 {
	if f >= math.MaxInt64 {
		return 0
	}
	return uint64(f)
}

func toUint32(f float64) uint32 {
	if f > math.MaxUint32 {
		return 0
	}
	return uint32(f)
}

// platform reports whether a cloud.platform value is a function platform,
// and returns the value to store. The list is the semantic conventions'
// serverless function and serverless container platforms:
//
//	aws_lambda, gcp_cloud_functions, gcp_cloud_run, azure_functions,
//	azure_container_apps, alibaba_cloud_fc, tencent_cloud_scf
//
// Semconv 1.36 renamed the Azure values (azure_functions became
// azure.functions); SDKs send both spellings, and one platform should be one
// value in ClickHouse, so azure.* is stored as azure_*, the shape of every
// other provider's values. aws_app_runner is left out: it bills provisioned
// instances, not invocations.
func platform(p string) (string, bool) {
	if rest, ok := strings.CutPrefix(p, "azure."); ok {
		switch rest {
		case "functions":
			return "azure_functions", true
		case "container_apps":
			return "azure_container_apps", true
		}
		return "azure_" + rest, false
	}
	switch p {
	case "aws_lambda", "gcp_cloud_functions", "gcp_cloud_run",
		"azure_functions", "azure_container_apps",
		"alibaba_cloud_fc", "tencent_cloud_scf":
		return p, true
	}
	return p, false
}

// joinRuntime makes the runtime from process.runtime.name and
// process.runtime.version, joined without a space ("python" and "3.12" give
// "python3.12"). The Go SDK reports name "go" and version "go1.26.8"; a
// version that already starts with the name is used alone. Either part
// alone is used as it is.
func joinRuntime(name, version string) string {
	switch {
	case name == "":
		return version
	case version == "":
		return name
	case len(version) >= len(name) && strings.EqualFold(version[:len(name)], name):
		return version
	}
	return name + version
}

// NormalizeArch maps host.arch spellings onto the names faasight stores:
// x86_64 (amd64, x64, x86-64) and arm64 (aarch64); 32-bit ARM (arm,
// armv7, armv7l) is arm32, the semconv name, so it is never priced as
// arm64. Other values are kept, lowercased; "" stays "".
func NormalizeArch(a string) string {
	switch a = strings.ToLower(strings.TrimSpace(a)); a {
	case "amd64", "x86_64", "x64", "x86-64":
		return "x86_64"
	case "arm64", "aarch64", "arm64v8":
		return "arm64"
	case "arm", "arm32", "armv7", "armv7l", "armhf":
		return "arm32"
	}
	return a
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
