# threadlab: a thin front door over CMake. `make help` lists the targets.
#
#   make test                 build and run every test (CTest)
#   make bench                build, run every benchmark (BENCH_FLAGS=--quick: fast)
#   make examples             build and run every lesson, checking what each prints
#   make test SANITIZE=thread     ... under ThreadSanitizer (or =address: ASan+UBSan)
#   make test CC=clang            ... with another compiler (its own build dir)
#   make test WERROR=1            warnings are errors (CI)

SANITIZE   ?=
WERROR     ?= 0
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)

# One build directory per compiler and sanitizer, so they never mix.
ifeq ($(origin CC),default)
  CC_NAME  := default
  CC_FLAG  :=
  DEPS_CC  :=
else
  CC_NAME  := $(notdir $(CC))
  CC_FLAG  := -DCMAKE_C_COMPILER=$(CC)
  DEPS_CC  := --cc $(CC)
endif
BUILD ?= build/$(CC_NAME)$(if $(SANITIZE),-$(SANITIZE))
WERROR_FLAG := $(if $(filter 1 ON on yes,$(WERROR)),ON,OFF)
# ThreadSanitizer cannot map its shadow memory when the kernel randomises
# addresses with more bits than it expects (vm.mmap_rnd_bits > 28): run its
# tests with address randomisation off for those processes only.
RUN_TESTS := $(if $(filter thread,$(SANITIZE)),setarch $(shell uname -m) -R)

.PHONY: help deps configure build test examples bench clean install

help:
	@sed -n '3,9p' Makefile | sed 's/^# \{0,1\}//'
	@echo "  make deps | build | install PREFIX=dir | clean"

deps:
	@scripts/deps.sh $(DEPS_CC)

configure:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CC_FLAG) \
	  -DTL_SANITIZE=$(SANITIZE) -DTL_WERROR=$(WERROR_FLAG)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	@$(MAKE) --no-print-directory build
	$(RUN_TESTS) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

examples: deps
	@$(MAKE) --no-print-directory build
	$(RUN_TESTS) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L lesson
	@echo "Each lesson runs on its own too, e.g. $(BUILD)/examples/01_spawn_join;"
	@echo "examples/README.md says what to look for in each."

# Every bench the build lists (benches.txt) but the harness's selftest, one
# after the other, each into results/<machine>/; BENCH_FLAGS go to each
# (e.g. BENCH_FLAGS=--quick for a rough run in seconds).
BENCH_FLAGS ?=
bench: deps
	@$(MAKE) --no-print-directory build
	@set -e; for b in $$(grep -vx harness_selftest $(BUILD)/benches/benches.txt); do \
	  echo "make bench: $$b $(BENCH_FLAGS)" >&2; \
	  $(BUILD)/benches/$$b $(BENCH_FLAGS); \
	done

PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build
