# Thin wrapper over CMake. Everything real lives in CMakeLists.txt; this file
# only names the usual entry points:
#   make / make build   build/sluice (-O2 -g)
#   make asan           build-asan/ with AddressSanitizer + UBSan
#   make deps           Debian packages and the test venv (scripts/install-deps.sh)
#   make test           deps, both builds, ctest in both, fuzzers (30 s each), pytest
#   make demo           deps, build, then scripts/demo.sh
#   make fuzz           libFuzzer targets built with clang-14, FUZZ_SECONDS each
# Every target can be run again; CMake and pip only redo what changed.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
PYTEST_ARGS ?=
VENV := .venv
CMAKE_FLAGS ?=

# Sanitizer settings for everything that runs an ASan binary.
SAN_ENV := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# One libFuzzer target per fuzz/fuzz_<name>.c; its seed corpus is fuzz/corpus/<name>.
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))

.PHONY: all build asan deps test unit unit-asan integration demo fuzz clean

all: build

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g" $(CMAKE_FLAGS)
	cmake --build build -j $(JOBS)

asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON \
	    -DCMAKE_C_FLAGS_DEBUG="-O1 -g" $(CMAKE_FLAGS)
	cmake --build build-asan -j $(JOBS)

deps:
	bash scripts/install-deps.sh

# Unit tests and corpus replays (ctest) of one build.
unit:
	ctest --test-dir build --output-on-failure -j $(JOBS)

unit-asan:
	$(SAN_ENV) ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# Integration tests against private PostgreSQL clusters, with the ASan binary.
integration:
	SLUICE_BIN=$(CURDIR)/build-asan/sluice SLUICE_BUILD_DIR=$(CURDIR)/build-asan $(SAN_ENV) \
	    $(VENV)/bin/python -m pytest tests/integration -q -ra $(PYTEST_ARGS)

# Runs the steps in order even under make -j.
test:
	$(MAKE) deps
	$(MAKE) build
	$(MAKE) asan
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) fuzz FUZZ_SECONDS=30
	$(MAKE) integration

demo:
	$(MAKE) deps
	$(MAKE) build
	bash scripts/demo.sh

# Fuzzers run over copies of the committed corpora (build-fuzz/corpus/<name>),
# so new inputs and crash artifacts never land in fuzz/.
fuzz:
	@test -n "$(FUZZ_NAMES)" || { echo "no fuzz/fuzz_*.c targets"; exit 1; }
	cmake -S . -B build-fuzz -DSLUICE_FUZZ=ON -DCMAKE_C_COMPILER=clang-14 \
	    -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" $(CMAKE_FLAGS)
	cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_NAMES))
	for name in $(FUZZ_NAMES); do \
	    corpus=build-fuzz/corpus/$$name; artifacts=build-fuzz/artifacts/$$name; \
	    rm -rf "$$corpus"; mkdir -p "$$corpus" "$$artifacts"; \
	    if [ -d fuzz/corpus/$$name ]; then cp -a fuzz/corpus/$$name/. "$$corpus"/; fi; \
	    echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	    $(SAN_ENV) build-fuzz/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$$artifacts/" \
	        "$$corpus" 2>build-fuzz/fuzz_$$name.log \
	        || { tail -n 60 build-fuzz/fuzz_$$name.log; echo "fuzz: $$name FAILED (log build-fuzz/fuzz_$$name.log, artifacts in $$artifacts)"; exit 1; }; \
	    grep -E '^(stat::number_of_executed_units|Done)' build-fuzz/fuzz_$$name.log || true; \
	done

clean:
	rm -rf build build-asan build-fuzz
