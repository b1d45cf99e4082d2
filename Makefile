# gsmbox: `make` lists the targets.
export CGO_ENABLED := 0
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
GO ?= go
DEMO_DATA ?= $(CURDIR)/var/demo
DEMO_LISTEN ?= 127.0.0.1:8080
FUZZTIME ?= 1m

.PHONY: help build run test bench fuzz cross check clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## build bin/gsmbox for this machine
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/gsmbox ./cmd/gsmbox

run: build ## demo: the box on virtual modems (no hardware), data in var/demo
	@mkdir -p $(DEMO_DATA)
	./bin/gsmbox serve --simulate=2 --data $(DEMO_DATA) --listen $(DEMO_LISTEN)

test: ## every test (what CI runs)
	scripts/test.sh

bench: ## benchmarks (SPEC 12 targets)
	scripts/bench.sh

fuzz: ## run every fuzz target for FUZZTIME each
	scripts/fuzz.sh $(FUZZTIME)

cross: ## static binaries for linux/arm (GOARM=7) and linux/arm64
	scripts/cross-build.sh $(VERSION)

check: ## vet (also 32-bit arm), gofmt
	$(GO) vet ./...
	GOARCH=arm GOARM=7 $(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

clean: ## remove build outputs and demo data
	rm -rf bin dist var
