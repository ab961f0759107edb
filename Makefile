# The front door. Every target first makes sure the Debian packages it needs
# are installed (scripts/deps.sh, a no-op when they are).

PREFIX ?= /usr/local
BUILD := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz
# Seconds each fuzz target runs in make fuzz-run (make check gives each a few).
FUZZ_TIME ?= 60

.PHONY: all deps build asan image demo check check-vm bench install fuzz fuzz-run format clean

all: build image

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

# The libFuzzer targets (tests/fuzz/fuzz_*.c), built by clang with ASan and
# UBSan; `make fuzz-run` runs each for FUZZ_TIME seconds on its corpus.
$(FUZZ_BUILD)/build.ninja:
	@scripts/deps.sh
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized -Dc_args=-fsanitize=fuzzer-no-link

fuzz: deps $(FUZZ_BUILD)/build.ninja
	@ninja -C $(FUZZ_BUILD) fuzz

fuzz-run: fuzz
	@scripts/fuzz.sh $(FUZZ_TIME)

# The built-in default image, localhost/busybox:latest, in the default store
# (CELL_ROOT=DIR for another), made from busybox-static: no registry.
image: build
	@scripts/default-image.sh

demo: build image
	@scripts/demo.sh

check: build asan fuzz
	@scripts/check.sh

# Only the pure cgroup v2 guest (tests/vm), TAP on stdout.
check-vm: build
	@tests/vm/run.sh $(BUILD)/cellrt

bench: build
	@bench/run.sh

install: build image
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD)

format:
	@find src tests -name '*.[ch]' -not -path 'tests/.cache/*' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) tests/.cache
