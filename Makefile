# A thin wrapper over meson. The README's two commands are `make run` and `make test`.
BUILD ?= build
MESON_OPTS ?= -Dwerror=true

.PHONY: all deps test-deps setup build run test clean

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

test: test-deps
	@$(MAKE) --no-print-directory build
	cd tests/schema && npm ci --no-audit --no-fund --loglevel=error
	sh scripts/test.sh $(BUILD)

clean:
	rm -rf $(BUILD)
