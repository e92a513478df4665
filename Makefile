# faasight — the two commands: `make run` and `make test`.
GO      ?= go
BIN     := bin/faasight
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Packages whose tests need a real ClickHouse run one at a time: they start
# servers and load both cores.
TEST_FLAGS ?= -count=1 -p 1 -timeout 25m

FUNCTIONS := sleep dynamic-html thumbnailer compression graph-bfs crud

.PHONY: all build functions run test unit vet clickhouse bench loadtest clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/faasight

# The load generator's reference functions, one binary each.
functions:
	@mkdir -p bin/functions
	@for f in $(FUNCTIONS); do $(GO) build -o bin/functions/$$f ./loadgen/functions/$$f || exit 1; done

# Installs Debian's clickhouse-server if no ClickHouse binary is present.
clickhouse:
	@deploy/install-clickhouse.sh

# Starts faasight with a private ClickHouse under ./.faasight, sends a burst
# of sample invocations and prints queries to try. Ctrl-C stops it.
run: clickhouse build functions
	@deploy/run-demo.sh $(BIN)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "not gofmt-ed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: clickhouse vet
	$(GO) test $(TEST_FLAGS) ./...
	$(MAKE) loadtest

# The load generator's 60-second CI scenario against a private faasight,
# every reported number validated against the run's ledger.
loadtest: build functions
	@deploy/loadtest.sh $(BIN)

# Fast tests only (no ClickHouse needed).
unit:
	$(GO) test -count=1 -short ./...

bench: clickhouse build
	@deploy/bench.sh $(BIN)

clean:
	rm -rf bin .faasight
