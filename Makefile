# The front door: make run, make test. `make help` lists the rest.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
ADDR ?= $(or $(CRM_ADDR),:8080)

.PHONY: help run test test-short generate generate-check lint bench bench-go build clean db-stop

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

build: ## build bin/crm
	$(GO) build -o bin/crm ./cmd/crm

run: build ## the CRM with demo data on http://localhost:8080
	@url=$$(DB_URL_OVERRIDE="$(DATABASE_URL)" scripts/db.sh url crm) || exit 1; \
	export DATABASE_URL="$$url"; \
	bin/crm migrate || exit 1; \
	bin/crm seed-demo || exit 1; \
	addr="$(ADDR)"; if [[ $$addr == :* ]]; then addr="localhost$$addr"; fi; \
	echo "CRM on http://$$addr  (Ctrl-C stops it)"; \
	exec bin/crm serve --addr "$(ADDR)"

test: generate-check lint ## lint, then unit, integration (real Postgres) and browser tests
	@url=$$(DB_URL_OVERRIDE="$(TEST_DATABASE_URL)" scripts/db.sh url postgres) || exit 1; \
	TEST_DATABASE_URL="$$url" $(GO) test -count=1 -timeout 15m ./...

test-short: ## tests that need neither Postgres nor Chromium
	$(GO) test -short ./...

generate: ## regenerate templ views
	$(GO) tool templ generate -path .

generate-check: ## fail when the committed *_templ.go differ from what templ generates
	@$(GO) tool templ generate -path . >/dev/null 2>&1 || { echo "templ generate failed"; exit 1; }
	@if git rev-parse --git-dir >/dev/null 2>&1 && [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "generated templ files are stale or uncommitted:"; git status --porcelain -- '*_templ.go'; exit 1; fi

lint: ## gofmt, go vet, go mod tidy -diff and staticcheck (make test runs it first)
	@files=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$files" || { echo "not gofmt-ed:"; echo "$$files"; exit 1; }
	$(GO) vet ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }
	$(GO) tool staticcheck ./...

BENCH_CUSTOMERS ?= 1000000
BENCH_ADDR ?= 127.0.0.1:8099

bench: build ## page benchmark: generates BENCH_CUSTOMERS customers into crm_bench once, serves it, drives every main page, writes docs/performance.md
	@url=$$(DB_URL_OVERRIDE="$(BENCH_DATABASE_URL)" scripts/db.sh url crm_bench) || exit 1; \
	export DATABASE_URL="$$url"; \
	bin/crm gen --customers $(BENCH_CUSTOMERS) --if-empty || exit 1; \
	$(GO) build -o bin/crmbench ./cmd/crmbench || exit 1; \
	bin/crm serve --addr $(BENCH_ADDR) 2>/dev/null & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null' EXIT; \
	bin/crmbench -base http://$(BENCH_ADDR) -pid $$pid -doc docs/performance.md -explain rep_small,rep_big,management $(BENCH_FLAGS)

bench-go: ## Go benchmarks against a real Postgres
	@url=$$(DB_URL_OVERRIDE="$(TEST_DATABASE_URL)" scripts/db.sh url postgres) || exit 1; \
	TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -bench . -benchmem ./...

bench-import: ## import 100 000 generated customers next to a plain COPY of them (docs/performance.md)
	@url=$$(DB_URL_OVERRIDE="$(TEST_DATABASE_URL)" scripts/db.sh url postgres) || exit 1; \
	echo "$$(date -u +%Y-%m-%dT%H:%MZ) · $$(nproc) CPUs · $$(free -g | awk '/^Mem:/ {print $$2}') GiB RAM · load $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	TEST_DATABASE_URL="$$url" $(GO) test -run '^$$' -bench '^BenchmarkImport100k$$' -benchtime 1x -timeout 30m ./internal/xlsx/

db-stop: ## stop the private Postgres cluster under .data/ (if one was started)
	scripts/db.sh stop

clean: ## remove build output and screenshots
	rm -rf bin screenshots
