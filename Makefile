# threadlab: a thin front door over CMake. `make help` lists the targets.
#
#   make test                 build and run every test (CTest)
#   make bench                build, run every benchmark, plot, write the report
#   make bench QUICK=1            ... a rough run in a minute (results/<machine>-quick/)
#   make bench MACHINE=name       ... name the results folder (default: from the CPU)
#   make bench RUNS=N             ... N independent runs of every bench (default 8)
#   make bench REPLACE=1          ... replace results/<machine>/ even if another machine made it
#   make plan                 what make bench would run here, and how long, measuring nothing
#   make plots | report       redraw the charts | rewrite the report of results/<machine>/
#   make compare A=results/x B=results/y    overlay two machines, with ratios
#   make examples             build and run every lesson, checking what each prints
#   make test-loop N=50       rerun the unit and stress tests until one fails, N times
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

.PHONY: help deps configure build test test-loop examples bench plan plots report compare \
        results-index readme-tables clean install

help:
	@sed -n '3,17p' Makefile | sed 's/^# \{0,1\}//'
	@echo "  make deps | build | install PREFIX=dir | results-index | readme-tables | clean"

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

# Shakes out races (as liburing's runtests-loop does): the unit and stress
# tests, again and again, until a run fails or N runs have passed. Each run
# is one ctest; the failing one's output is shown and the loop stops there.
N ?= 10
LOOP_LABELS ?= unit|stress
test-loop: deps
	@$(MAKE) --no-print-directory build
	@i=1; while [ $$i -le $(N) ]; do \
	  echo "==> test-loop: run $$i of $(N)"; \
	  $(RUN_TESTS) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) \
	    -L '$(LOOP_LABELS)' --no-tests=error || { echo "test-loop: run $$i failed" >&2; exit 1; }; \
	  i=$$((i + 1)); \
	done; echo "test-loop: $(N) runs passed"

examples: deps
	@$(MAKE) --no-print-directory build
	$(RUN_TESTS) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L lesson
	@echo "Each lesson runs on its own too, e.g. $(BUILD)/examples/01_spawn_join;"
	@echo "examples/README.md says what to look for in each."

# ---- benchmarks and results (the logic is in scripts/; see each --help) -----------
QUICK   ?=
QUICK_FLAG := $(if $(filter 1 ON on yes,$(QUICK)),--quick)
RUNS    ?=
REPLACE ?=
BENCH_FLAGS = $(QUICK_FLAG) $(if $(RUNS),--runs $(RUNS)) \
              $(if $(filter 1 ON on yes,$(REPLACE)),--replace)
# The results folder plots and report work on: RESULTS=dir, else
# results/<machine>[-quick] as make bench names it.
RESULTS ?=
RESULTS_DIR = $(or $(RESULTS),results/$$(scripts/machine_name.sh --build $(BUILD))$(if $(QUICK_FLAG),-quick))

bench: deps
	@if [ -n "$(SANITIZE)" ]; then \
	  echo "make bench: not under a sanitizer: it would measure the sanitizer" >&2; exit 2; fi
	@$(MAKE) --no-print-directory build
	@MACHINE="$(MACHINE)" scripts/bench.sh --build $(BUILD) $(BENCH_FLAGS)

plan: deps
	@$(MAKE) --no-print-directory build
	@MACHINE="$(MACHINE)" scripts/bench.sh --plan --build $(BUILD) $(BENCH_FLAGS)

# The scripts ask these benches to describe results folders written before
# the benches wrote their descriptions (<bench>.schema.json) beside the CSVs.
export TL_BUILD := $(BUILD)

plots:
	@dir=$(RESULTS_DIR) && python3 scripts/plot.py "$$dir"

report:
	@dir=$(RESULTS_DIR) && python3 scripts/report.py "$$dir" && echo "The report: $$dir/README.md"

compare:
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then \
	  echo "make compare: give two results folders: make compare A=results/x B=results/y" >&2; exit 2; fi
	@scripts/compare.sh "$(A)" "$(B)"

# benches/README.md's column tables, from the built benches' descriptions.
readme-tables: build
	@python3 scripts/readme_tables.py --write benches/README.md \
	  $$(sed 's|^|$(BUILD)/benches/|' $(BUILD)/benches/benches.txt)

results-index:
	@python3 scripts/results_index.py results

PREFIX ?= /usr/local
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf build
