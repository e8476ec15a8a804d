# rebound: the two commands a newcomer needs.
#
#   make run    install what is missing, build, start a local PostgreSQL 15
#               kept in .pgdata/, migrate, and serve on 127.0.0.1:8080
#   make test   install, build, and run the whole suite (unit + integration
#               against a throwaway cluster from pg_virtualenv)
#
# Other targets: build, deps, db-start, db-stop, db-psql, clean, fuzz, bench,
# dashboard (the bundle CMake embeds), browser (the dashboard's browser test),
# reliability (the minutes-long outage and crash cases `make test` skips).

BUILD_DIR   ?= build
BUILD_TYPE  ?= RelWithDebInfo
JOBS        ?= 2
LISTEN      ?= 127.0.0.1:8080
PGDATA_DIR  := $(CURDIR)/.pgdata
DEV_DB_URL  := postgresql://postgres@/rebound?host=$(PGDATA_DIR)/socket&port=5432

.PHONY: all run test build deps configure db-start db-stop db-psql clean unit integration statement-costs \
        reliability fuzz fuzz-smoke loadtest bench dashboard browser-deps browser

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: $(BUILD_DIR)/Makefile

build: deps dashboard configure
	cmake --build $(BUILD_DIR) -j$(JOBS)
	@echo "built $(BUILD_DIR)/rebound"

# The dashboard bundle (dashboard/dist), which CMake embeds into the binary.
# npm ci only when the lockfile changed; the Vite build only when a source did.
DASHBOARD_SOURCES := $(wildcard dashboard/src/* dashboard/public/*) dashboard/index.html \
                     dashboard/vite.config.ts dashboard/tsconfig.json dashboard/package.json

dashboard: dashboard/dist/index.html

dashboard/node_modules/.package-lock.json: dashboard/package-lock.json | deps
	cd dashboard && npm ci --no-audit --no-fund

dashboard/dist/index.html: dashboard/node_modules/.package-lock.json $(DASHBOARD_SOURCES)
	cd dashboard && npm run build

# playwright-core for the browser test (it drives Debian's chromium).
browser-deps: tests/browser/node_modules/.package-lock.json

tests/browser/node_modules/.package-lock.json: tests/browser/package-lock.json | deps
	cd tests/browser && npm ci --no-audit --no-fund

db-start: deps
	@scripts/devdb.sh start "$(PGDATA_DIR)"

db-stop:
	@scripts/devdb.sh stop "$(PGDATA_DIR)"

db-psql: db-start
	psql "$(DEV_DB_URL)"

run: build db-start
	REBOUND_DATABASE_URL='$(DEV_DB_URL)' REBOUND_LISTEN=$(LISTEN) REBOUND_SPOOL_DIR=$(CURDIR)/.run/spool $(BUILD_DIR)/rebound serve

test: build browser-deps
	pg_virtualenv -t -v 15 ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS)
	$(MAKE) fuzz-smoke

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j$(JOBS) -L unit

integration: build
	pg_virtualenv -t -v 15 ctest --test-dir $(BUILD_DIR) --output-on-failure -L integration

# The hidden [.reliability] cases (a PostgreSQL outage of over a minute under
# load, kill -9 during an outage): a few minutes, bounded, on 127.0.0.1.
# The cluster gets a port of its own: while it is stopped, another
# pg_virtualenv starting on this machine would otherwise take the default one.
RELIABILITY_PGPORT ?= 54915
reliability: build
	PGPORT=$(RELIABILITY_PGPORT) pg_virtualenv -t -v 15 $(BUILD_DIR)/tests/rebound_integration_tests "[reliability]"

browser: build browser-deps
	pg_virtualenv -t -v 15 ctest --test-dir $(BUILD_DIR) --output-on-failure -L browser

# libFuzzer targets under ASan+UBSan (clang), in their own build directory.
# `fuzz` runs each target for FUZZ_SECONDS; `fuzz-smoke` briefly, as CI does.
FUZZ_SECONDS ?= 60
fuzz: deps
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: deps
	tests/fuzz/run.sh 10

# Load test against a local rebound and the PostgreSQL ceiling, both on
# loopback, bounded in time (see docs/performance.md).
loadtest: build
	BUILD_DIR=$(BUILD_DIR) loadtest/run.sh

# What each of the writer's statements costs PostgreSQL (pg_stat_statements
# over rebound_ceiling, in a throwaway cluster; see docs/performance.md).
STATEMENT_COSTS_PGPORT ?= 54916
statement-costs: build
	PGPORT=$(STATEMENT_COSTS_PGPORT) BUILD_DIR=$(BUILD_DIR) pg_virtualenv -t -v 15 loadtest/statement_costs.sh

# CPU micro-benchmarks on one thread: SendGrid parse + normalise + classify
# per event, and classification of the labelled diagnostics when ../shared
# is there (docs/performance.md, docs/classification.md).
bench: build
	$(BUILD_DIR)/loadtest/rebound_bench_ingest_cpu --seconds 3
	@if [ -f ../shared/datasets/bounce-diagnostics.dev.jsonl ]; then \
	  $(BUILD_DIR)/loadtest/rebound_bench_classify ../shared/datasets/bounce-diagnostics.dev.jsonl 3; \
	else echo "SKIP rebound_bench_classify: ../shared/datasets/bounce-diagnostics.dev.jsonl not found"; fi

clean:
	rm -rf $(BUILD_DIR) build-fuzz dashboard/dist
