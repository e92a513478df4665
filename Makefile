# faasight — the two commands: `make run` and `make test`.
GO      ?= go
BIN     := bin/faasight
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Packages whose tests need a real ClickHouse run one at a time: they start
# servers and load both cores.
TEST_FLAGS ?= -count=1 -p 1 -timeout 25m

.PHONY: all build run test unit vet clickhouse bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/faasight

# Installs Debian's clickhouse-server if no ClickHouse binary is present.
clickhouse:
	@deploy/install-clickhouse.sh

# Starts faasight with a private ClickHouse under ./.faasight, sends a burst
# of sample invocations and prints queries to try. Ctrl-C stops it.
run: clickhouse build
	@deploy/run-demo.sh $(BIN)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "not gofmt-ed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: clickhouse vet
	$(GO) test $(TEST_FLAGS) ./...

# Fast tests only (no ClickHouse needed).
unit:
	$(GO) test -count=1 -short ./...

bench: clickhouse build
	@deploy/bench.sh $(BIN)

clean:
	rm -rf bin .faasight
