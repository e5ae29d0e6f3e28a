# Complaint lifecycle — the commands a developer and CI need.
SHELL := /bin/bash
GO    ?= go
# Every module of go.work: patterns like ./services/... do not cross module
# boundaries, so each module's packages are named one by one.
MODULES := $(shell sed -n 's|^[[:space:]]*\./\([^[:space:]]*\)$$|\1|p' go.work)
PKGS    := $(addprefix ./,$(addsuffix /...,$(MODULES)))
# make test runs the deployment checks (module deploy) in their short form:
# the full form builds the helm command and the six binaries (make test-deploy).
TEST_PKGS := $(filter-out ./deploy/...,$(PKGS))

# The race detector needs cgo and a C compiler; without them the tests run
# without it rather than not at all.
RACE := $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v gcc >/dev/null && echo -race)

# Pinned code-generation tools (make proto).
BUF_VERSION           := v1.75.0
STATICCHECK_VERSION   := v0.8.2
PROTOC_GEN_GO_VERSION := v1.36.12
TOOLS_BIN             := $(CURDIR)/.bin

SERVICES := intake resolution compensation followup prevention

.PHONY: run test test-deploy deps vet lint fmt-check build proto bench loadgen fuzz clean

## run: start the whole system in one process on the embedded event log (data in ./data),
## with the payment simulator and the fast demonstration policies (surveys at once)
run:
	CONFIG_DIR=$${CONFIG_DIR:-deploy/policies/fast} $(GO) run ./services/system/cmd/complaints

## deps: what the tests need beyond Go: headless Chromium for the report page test (Debian package)
deps:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
		{ SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; }

## test: formatting, vet, staticcheck, and every test (unit, contract suite, end-to-end;
## the deployment checks without helm and the binaries' start: make test-deploy runs those)
test: deps fmt-check vet lint
	@[ -n "$(RACE)" ] || echo "NOTE: cgo or gcc missing: the tests run WITHOUT the race detector"
	$(GO) test $(RACE) -count=1 -timeout 9m $(TEST_PKGS)
	$(GO) test -short -count=1 -timeout 2m ./deploy/...

## test-deploy: every deployment check: compose and the units parsed, helm lint and
## helm template on the chart (builds the helm command once into ~/.cache/complaintflow,
## minutes the first time), each binary started as its unit says
test-deploy:
	$(GO) test -count=1 -timeout 20m ./deploy/...

vet:
	$(GO) vet $(PKGS)

## lint: staticcheck (pinned, installed into .bin) over every module
lint:
	GOBIN=$(TOOLS_BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(TOOLS_BIN)/staticcheck $(PKGS)

fmt-check:
	@out=$$(gofmt -l proto services tools deploy); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## build: the five service binaries, the all-in-one binary and the tools, into ./bin
build:
	@mkdir -p bin
	@for s in $(SERVICES); do $(GO) build -o bin/$$s ./services/$$s/cmd/$$s || exit 1; done
	$(GO) build -o bin/complaints ./services/system/cmd/complaints
	$(GO) build -o bin/complaintctl ./tools/cmd/complaintctl
	$(GO) build -o bin/loadgen ./tools/cmd/loadgen

## proto: regenerate the Go code of the event catalogue with pinned tools
proto:
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	GOBIN=$(TOOLS_BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	cd proto && PATH=$(TOOLS_BIN):$$PATH buf lint && PATH=$(TOOLS_BIN):$$PATH buf generate

## bench: event-log benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./services/platform/eventlog/...

## fuzz: run every fuzz target of every module for FUZZTIME each: a duration (e.g.
## make fuzz FUZZTIME=10s) or a count of inputs (FUZZTIME=5000x). CI uses a count: with a
## duration, Go 1.26's fuzz coordinator can fail a target with "context deadline
## exceeded" at the deadline on a busy machine, with no failing input (Go issue 75804)
FUZZTIME ?= 10s
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## loadgen: push complaints through a running system (HTTP_RATE_STAFF=-1 make run in another
## shell: its fast policies send the survey at once, so complaints reach closed, and its one
## agent token works every case, far past one person's rate limit, ADR 0038)
loadgen:
	$(GO) run ./tools/cmd/loadgen -n 2000 -c 64

## bench-compare: the lifecycle of BASE (a git revision, default the walking skeleton
## d60923f) and of the work tree side by side, ROUNDS rounds of N complaints with C in
## flight, each on a fresh server: medians and the ratio HEAD/BASE
## (e.g. make bench-compare BASE=d60923f ROUNDS=1 N=300 C=32; WATCH=events to learn
## closures from the events on NATS; BENCHFLAGS=-v for every run and stream)
BASE       ?= d60923f
ROUNDS     ?= 3
N          ?= 2000
C          ?= 64
WATCH      ?= poll
BENCHFLAGS ?=
.PHONY: bench-compare
bench-compare:
	$(GO) run ./tools/cmd/benchcompare -base $(BASE) -rounds $(ROUNDS) -n $(N) -c $(C) -watch $(WATCH) $(BENCHFLAGS)

clean:
	rm -rf bin .bin

## simulate: a simulated year of a mid-sized company (noise only) and an outage storm with six
## faults, driven through the services on a simulated clock; the system's own reports scored
## against the truth: a table here, truth.json, score.json and score.html in data/simulate
.PHONY: simulate
simulate:
	$(GO) run ./tools/cmd/companysim run -scenario deploy/scenarios/quiet-year.yaml -seed 1 -out data/simulate/quiet-year
	$(GO) run ./tools/cmd/companysim run -scenario deploy/scenarios/outage-storm.yaml -seed 1 -out data/simulate/outage-storm

## chaos: the chaos test in its long form, on a 3-node cluster on loopback with two instances of
## each service as processes of their own: throughput and CPU per complaint with one and with two
## instances, then under load an instance killed (SIGKILL) and the stream leader's node killed (SIGKILL);
## a table of what was acknowledged, closed, lost, duplicated, out of order, and the recovery times
## (make test runs its short form)
.PHONY: chaos
chaos:
	CHAOS=long $(GO) test -count=1 -timeout 30m -run 'TestChaos' -v ./services/system/
