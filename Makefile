# A thin wrapper over meson. The README's two commands are `make run` and `make test`.
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
COV_BUILD ?= build-cov
FUZZ_BUILD ?= build-fuzz
MESON_OPTS ?= -Dwerror=true

.PHONY: all deps test-deps setup build run test coverage bench clean pictures

all: build

deps:
	@sh scripts/deps.sh run

test-deps:
	@sh scripts/deps.sh test

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

setup: $(BUILD)/build.ninja

build: setup
	meson compile -C $(BUILD)

run: deps
	@$(MAKE) --no-print-directory build
	./$(BUILD)/lockstep

# The README's screenshots, from real runs in tmux (needs tmux, aha and chromium).
pictures: build
	sh scripts/pictures.sh ./$(BUILD)/lockstep

# The suite runs three times: on the normal build, with AddressSanitizer + UBSan, and with
# ThreadSanitizer. When clang is there, each fuzz harness then runs for 30 s on a fuzz build
# (the whole library instrumented), counted as one more test each.
test: test-deps
	@$(MAKE) --no-print-directory build
	@[ -f $(ASAN_BUILD)/build.ninja ] || meson setup $(ASAN_BUILD) $(MESON_OPTS) \
		-Db_sanitize=address,undefined -Dbuildtype=debug
	meson compile -C $(ASAN_BUILD)
	@[ -f $(TSAN_BUILD)/build.ninja ] || meson setup $(TSAN_BUILD) $(MESON_OPTS) \
		-Db_sanitize=thread -Dbuildtype=debug
	meson compile -C $(TSAN_BUILD)
	@if command -v clang >/dev/null 2>&1; then \
		[ -f $(FUZZ_BUILD)/build.ninja ] || CC=clang meson setup $(FUZZ_BUILD) $(MESON_OPTS) \
			-Dfuzz=true; \
		meson compile -C $(FUZZ_BUILD); \
	fi
	cd tests/schema && npm ci --no-audit --no-fund --loglevel=error
	FUZZ_BUILD=$$(command -v clang >/dev/null 2>&1 && echo $(FUZZ_BUILD)) \
		sh scripts/test.sh $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# Line coverage (gcov) of the engine and the session after the unit and end-to-end tests, in a
# build of its own; fails when src/engine is below 90% (docs/testing.md).
coverage: test-deps
	@[ -f $(COV_BUILD)/build.ninja ] || meson setup $(COV_BUILD) $(MESON_OPTS) \
		-Db_coverage=true -Dbuildtype=debug
	meson compile -C $(COV_BUILD)
	find $(COV_BUILD) -name '*.gcda' -delete
	meson test -C $(COV_BUILD) --suite unit --suite e2e --print-errorlogs
	sh scripts/coverage.sh $(COV_BUILD) src/engine:90 src/session:90

# End to end: lockstep, CPython and raw C on each workload of bench/scenarios, alternating,
# BENCH_RUNS runs each; a table of medians, ratios, peak memory and instructions per event
# (docs/performance.md). BENCH_ARGS go to bench/compare.sh: -p PYTHON_DIR (default
# ../shared/bench/python), -n N, -I, workload names. Never part of `make test`.
BENCH_RUNS ?= 5
BENCH_ARGS ?=
bench: build
	sh bench/compare.sh -b $(BUILD) -r $(BENCH_RUNS) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(COV_BUILD) $(FUZZ_BUILD)
