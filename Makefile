# The front door. Every target first makes sure the Debian packages it needs
# are installed (scripts/deps.sh, a no-op when they are).

PREFIX ?= /usr/local
BUILD := build
ASAN_BUILD := build-asan

.PHONY: all deps build asan demo check check-vm check-unit check-integration check-conformance bench install fuzz format clean

all: build

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	@scripts/deps.sh
	meson setup $(BUILD) --prefix=$(PREFIX)

build: deps $(BUILD)/build.ninja
	@ninja -C $(BUILD)

# The test build: the same code under AddressSanitizer and UBSan.
$(ASAN_BUILD)/build.ninja:
	@scripts/deps.sh
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

asan: deps $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD)

demo: build
	@scripts/demo.sh

check: build asan
	@scripts/check.sh

# Only the pure cgroup v2 guest (tests/vm), TAP on stdout.
check-vm: build
	@tests/vm/run.sh $(BUILD)/cellrt

bench: build
	@bench/run.sh

install: build
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD)

# libFuzzer targets (tests/fuzz) under ASan+UBSan, each run for FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	@ninja -C build-fuzz
	@for f in build-fuzz/tests/fuzz/fuzz_*; do \
		[ -f "$$f" ] && [ -x "$$f" ] || continue; n=$$(basename $$f); echo "== $$n"; \
		mkdir -p tests/.cache/fuzz/$$n tests/fuzz/corpus/$$n; \
		$$f -max_total_time=$(FUZZ_SECONDS) tests/.cache/fuzz/$$n tests/fuzz/corpus/$$n || exit 1; \
	done

format:
	@find src tests -name '*.[ch]' -not -path 'tests/.cache/*' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) tests/.cache
