# SPDX-License-Identifier: MIT
#
# ringcp: build, test and install what is missing.
#
#   make            build the gcc variant (build/ringcp is the command)
#   make check      deps, build with gcc and clang (-Werror), the layer
#                   check, run the tests, then run them again built with
#                   -fsanitize=address,undefined
#   make bench      deps, build, datasets, benchmarks, plots and REPORT.md
#                   (quick; FULL=1 for the published numbers; docs/bench.md)
#   make report     REPORT.md and the plots again from results/ only
#   make gate       the regression gate: counters, timings side by side with
#                   the baseline's commit, safety verdict (after make check)
#   make baseline   record results/baseline.json on purpose (docs/gate.md)
#   make safety-check  the scenarios under ASan/UBSan, mutants, valgrind,
#                   a short run of the lifecycle fuzzer, the model check and
#                   the traces' conformance to the model
#   make fuzz       the lifecycle fuzzer [FUZZ_S=60 seconds]: corpus merged,
#                   coverage, results/fuzz.json (docs/fuzz.md); make
#                   fuzz-mutants: each mutant's time to be found
#   make model-check   the protocol model (model/): every property proven
#                   exhaustively within its bounds, every model mutant's
#                   counterexample in model/trails/ (docs/model.md)
#   make layers     check that each layer uses only the ones below it
#   make deps       install the Debian packages the project needs
#   make install    the command and its man page under PREFIX (/usr/local;
#                   DESTDIR for staging)
#   make clean      remove build/
#
# Variants live in build/<variant>/: gcc, clang, asan (clang + ASan/UBSan).
# build/ringcp is a link to the gcc variant's production binary.
#
# Layers, each seeing only what is below it (make layers checks it):
#   cmd/ scenarios/ tests/ tools/   use include/ringcp/ (and harness/)
#   harness/                        uses include/ringcp/
#   engine/tree -> engine/copy -> engine/core   (include/ringcp/ public)
# Only engine code is compiled with -Iengine: nobody else can include
# the engine's private headers (engine/core/core.h, engine/tree/tree_int.h,
# engine/mutant.h).

VARIANT ?= gcc
BUILD := build/$(VARIANT)

ifeq ($(VARIANT),gcc)
CC := gcc
else
CC := clang
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_BASE := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Iinclude
ifeq ($(VARIANT),asan)
CFLAGS_BASE += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined
endif
CFLAGS ?=
LDLIBS := -luring -lpthread
# the harness: libtracefs for the witness, every close() through the fd
# ledger (harness/harness.c, __wrap_close)
HARNESS_CFLAGS := $(shell pkg-config --cflags libtracefs fuse3 2>/dev/null)
HARNESS_LDLIBS := -Wl,--wrap=close -Wl,-u,__wrap_close \
	$(shell pkg-config --libs libtracefs fuse3 2>/dev/null)

# make V=1 shows the full commands
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-5s %s\n'
endif

# engine/<layer>/<file>.c; objects keep the layer in their path
ENGINE_LAYERS := core copy tree
ENGINE_SRCS := $(foreach l,$(ENGINE_LAYERS),$(wildcard engine/$(l)/*.c))
ENGINE_OBJS = $(patsubst engine/%.c,$(1)/%.o,$(ENGINE_SRCS))
ENGINE_HDRS := $(wildcard include/ringcp/*.h engine/*.h engine/*/*.h)
PUBLIC_HDRS := $(wildcard include/ringcp/*.h)
CMD_SRCS := $(wildcard cmd/*.c)
HARNESS_SRCS := $(wildcard harness/*.c)
HARNESS_HDRS := $(wildcard harness/*.h)
TEST_SRCS := $(wildcard tests/*.c)
SCENARIO_SRCS := $(wildcard scenarios/*.c)
SCENARIO_BINS := $(patsubst scenarios/%.c,$(BUILD)/scenarios/%,$(SCENARIO_SRCS))

# Negative controls: one engine build per switch of engine/mutant.h, linked
# into the scenarios scenarios/mutants.list runs it with (and the tour).
# Never part of the production ringcp.
MUTANT_LIST := scenarios/mutants.list
MUTANTS := $(shell awk '!/^\#/ && NF { print $$1 }' $(MUTANT_LIST) | sort -u)
mutant_scenarios = protocol_tour $(shell awk -v m=$(1) \
	'!/^\#/ && $$1 == m { print $$4 }' $(MUTANT_LIST) | sort -u)
MUTANT_BINS := $(sort $(foreach m,$(MUTANTS),$(foreach s,\
	$(call mutant_scenarios,$(m)),$(BUILD)/mutants/$(m)/$(s))))

TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

# ringcheck's test programs and the ringcp mutants it runs (see below)
RK_TEST_SRCS := $(wildcard tests/ringcheck/*.c)
RK_TEST_BINS := $(patsubst tests/ringcheck/%.c,$(BUILD)/ringcheck/tests/%,\
	$(RK_TEST_SRCS))
RK_MUTANTS := free_on_cancel cancel_trusted fd_close_early
# (gcc variant only: tests/ringcheck.sh runs there, and each costs an
# engine build)
RK_MUTANT_BINS := $(if $(filter gcc,$(VARIANT)),$(foreach m,$(RK_MUTANTS),\
	$(BUILD)/ringcheck/mutants/$(m)/ringcp))

LIB := $(BUILD)/libringcp.a
LIB_TRACE := $(BUILD)/libringcp-trace.a
LIB_HARNESS := $(BUILD)/libharness.a

.PHONY: all variant check deps clean test-variant safety-check bench report install \
	gate baseline layers model-check

all: deps-quiet
	@$(MAKE) --no-print-directory variant VARIANT=gcc
	@ln -sfn gcc/ringcp build/ringcp

variant: $(BUILD)/ringcp $(BUILD)/tools/bufcopy $(BUILD)/tools/floor $(TEST_BINS) $(SCENARIO_BINS) \
	$(BUILD)/ringcheck/ringcheck $(RK_TEST_BINS) $(RK_MUTANT_BINS) \
	$(MUTANT_BINS) $(BUILD)/tests-fuse/faultfs

# the engine: production objects, and trace (harness) objects
$(BUILD)/prod/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -Iengine -c -o $@ $<

$(BUILD)/trace/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -Iengine -DRC_TRACE -c -o $@ $<

$(LIB): $(call ENGINE_OBJS,$(BUILD)/prod)
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIB_TRACE): $(call ENGINE_OBJS,$(BUILD)/trace)
	$(Q)rm -f $@ && ar rcs $@ $^

# everything else sees include/ringcp/ only
$(BUILD)/harness/%.o: harness/%.c $(HARNESS_HDRS) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -DRC_TRACE -Iharness \
		$(HARNESS_CFLAGS) -c -o $@ $<

$(LIB_HARNESS): $(patsubst harness/%.c,$(BUILD)/harness/%.o,$(HARNESS_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/cmd/%.o: cmd/%.c $(wildcard cmd/*.h) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -c -o $@ $<

$(BUILD)/ringcp: $(patsubst cmd/%.c,$(BUILD)/cmd/%.o,$(CMD_SRCS)) $(LIB)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -o $@ $^ $(LDFLAGS_SAN) $(LDLIBS)

# tests/cli_faults.sh's FUSE filesystem that injects EIO, ENOSPC and stalls
# (test infrastructure: no sanitizer, no engine)
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null || echo -I/usr/include/fuse3)
FUSE_LIBS := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3 -lpthread)
$(BUILD)/tests-fuse/faultfs: tests/fuse/faultfs.c
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE $(FUSE_CFLAGS) -o $@ $< \
		$(FUSE_LIBS)

# the measurement driver of the buffer-strategy sweep (production library)
$(BUILD)/tools/bufcopy: tools/bufcopy.c $(LIB) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS_SAN) $(LDLIBS)

# the bench's floor: the kernel work of a copy alone (no engine, no
# sanitizer: a yardstick, docs/bench.md)
$(BUILD)/tools/floor: tools/floor.c
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -o $@ $< -lpthread

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(LIB_HARNESS) $(LIB_TRACE) \
		$(HARNESS_HDRS) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -DRC_TRACE -Itests -Iharness -o $@ $< \
		$(HARNESS_LDLIBS) $(LIB_HARNESS) $(LIB_TRACE) $(LDFLAGS_SAN) \
		$(LDLIBS) $(HARNESS_LDLIBS)

$(BUILD)/scenarios/%: scenarios/%.c $(LIB_HARNESS) $(LIB_TRACE) $(HARNESS_HDRS) \
		$(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -DRC_TRACE -Iharness -o $@ $< \
		$(HARNESS_LDLIBS) $(LIB_HARNESS) $(LIB_TRACE) $(LDFLAGS_SAN) \
		$(LDLIBS) $(HARNESS_LDLIBS)

# A mutant's engine: its switch compiled into the files that name it, the
# trace objects for all the others (they are the same code).
upper = $(shell echo $(1) | tr a-z A-Z)
define MUTANT_RULES
MUTANT_SRCS_$(1) := $(shell grep -lw RC_MUTANT_$(call upper,$(1)) $(ENGINE_SRCS))

$(BUILD)/mutants/$(1)/obj/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $$(@D)
	$$(quiet) CC $$@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -Iengine -DRC_TRACE \
		-DRC_MUTANT_$(call upper,$(1)) -c -o $$@ $$<

$(BUILD)/mutants/$(1)/libringcp-trace.a: \
		$$(patsubst engine/%.c,$(BUILD)/mutants/$(1)/obj/%.o,$$(MUTANT_SRCS_$(1))) \
		$$(patsubst engine/%.c,$(BUILD)/trace/%.o,$$(filter-out \
			$$(MUTANT_SRCS_$(1)),$(ENGINE_SRCS)))
	$(Q)rm -f $$@ && ar rcs $$@ $$^

$(BUILD)/mutants/$(1)/%: scenarios/%.c $(LIB_HARNESS) $(HARNESS_HDRS) \
		$(BUILD)/mutants/$(1)/libringcp-trace.a
	$$(quiet) LD $$@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -DRC_TRACE -Iharness -o $$@ $$< \
		$(HARNESS_LDLIBS) $(LIB_HARNESS) \
		$(BUILD)/mutants/$(1)/libringcp-trace.a $(LDFLAGS_SAN) \
		$(LDLIBS) $(HARNESS_LDLIBS)
endef
$(foreach m,$(MUTANTS),$(eval $(call MUTANT_RULES,$(m))))

# The lifecycle fuzzer (docs/fuzz.md): libFuzzer over the engine and the
# harness, built apart from the variants (clang only).  build/fuzz/ has the
# fuzz target and one per mutant; build/fuzz-cov/ a coverage build that
# replays the corpus for llvm-cov.
FUZZ := build/fuzz
FUZZ_COV := build/fuzz-cov
FUZZ_SRCS := $(wildcard fuzz/*.c)
FUZZ_HDRS := $(wildcard fuzz/*.h)
FUZZ_CFLAGS := -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE -Iinclude -DRC_TRACE \
	-fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
FUZZ_COV_CFLAGS := -std=gnu11 -O1 -g $(WARN) -D_GNU_SOURCE -Iinclude \
	-DRC_TRACE -fprofile-instr-generate -fcoverage-mapping
FUZZ_S ?= 60

$(FUZZ)/engine/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iengine -c -o $@ $<

$(FUZZ)/harness/%.o: harness/%.c $(HARNESS_HDRS) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)clang $(FUZZ_CFLAGS) -Iharness $(HARNESS_CFLAGS) -c -o $@ $<

$(FUZZ)/libharness.a: $(patsubst harness/%.c,$(FUZZ)/harness/%.o,$(HARNESS_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ)/libringcp-trace.a: $(patsubst engine/%.c,$(FUZZ)/engine/%.o,$(ENGINE_SRCS))
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ)/lifecycle: $(FUZZ_SRCS) $(FUZZ_HDRS) $(FUZZ)/libharness.a \
		$(FUZZ)/libringcp-trace.a
	$(quiet) LD $@
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iharness -Ifuzz -o $@ \
		$(FUZZ_SRCS) $(HARNESS_LDLIBS) $(FUZZ)/libharness.a \
		$(FUZZ)/libringcp-trace.a $(LDLIBS) $(HARNESS_LDLIBS)

# a mutant's fuzz target: its switch compiled into the files that name it
define FUZZ_MUTANT_RULES
$(FUZZ)/mutants/$(1)/obj/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $$(@D)
	$$(quiet) CC $$@
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iengine \
		-DRC_MUTANT_$(call upper,$(1)) -c -o $$@ $$<

$(FUZZ)/mutants/$(1)/lifecycle: $(FUZZ_SRCS) $(FUZZ_HDRS) $(FUZZ)/libharness.a \
		$$(patsubst engine/%.c,$(FUZZ)/mutants/$(1)/obj/%.o,$$(MUTANT_SRCS_$(1))) \
		$$(patsubst engine/%.c,$(FUZZ)/engine/%.o,$$(filter-out \
			$$(MUTANT_SRCS_$(1)),$(ENGINE_SRCS)))
	$$(quiet) LD $$@
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iharness -Ifuzz -o $$@ \
		$(FUZZ_SRCS) $(HARNESS_LDLIBS) $(FUZZ)/libharness.a \
		$$(filter %.o,$$^) $(LDLIBS) $(HARNESS_LDLIBS)
endef
$(foreach m,$(MUTANTS),$(eval $(call FUZZ_MUTANT_RULES,$(m))))

# the coverage build: no sanitizer, libFuzzer only to replay the corpus
$(FUZZ_COV)/engine/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)clang $(FUZZ_COV_CFLAGS) -Iengine -c -o $@ $<

$(FUZZ_COV)/harness/%.o: harness/%.c $(HARNESS_HDRS) $(PUBLIC_HDRS)
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)clang $(FUZZ_COV_CFLAGS) -Iharness $(HARNESS_CFLAGS) -c -o $@ $<

$(FUZZ_COV)/lifecycle: $(FUZZ_SRCS) $(FUZZ_HDRS) \
		$(patsubst harness/%.c,$(FUZZ_COV)/harness/%.o,$(HARNESS_SRCS)) \
		$(patsubst engine/%.c,$(FUZZ_COV)/engine/%.o,$(ENGINE_SRCS))
	$(quiet) LD $@
	$(Q)clang $(FUZZ_COV_CFLAGS) -fsanitize=fuzzer -Iharness -Ifuzz -o $@ \
		$(FUZZ_SRCS) $(HARNESS_LDLIBS) $(filter %.o,$^) $(LDLIBS) \
		$(HARNESS_LDLIBS)

.PHONY: fuzz fuzz-build fuzz-mutants fuzz-ci
fuzz-build: $(FUZZ)/lifecycle $(FUZZ_COV)/lifecycle

# make fuzz [FUZZ_S=60]: fuzz from fuzz/corpus/, merge what is new into it,
# coverage of the merged corpus; results/fuzz.json
fuzz: deps fuzz-build
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.fuzz run \
		--seconds $(FUZZ_S) --json results/fuzz.json --merge

# make fuzz-mutants [FUZZ_S=120]: time to the first crash per mutant;
# results/fuzz-mutants.json
fuzz-mutants: deps $(FUZZ)/lifecycle \
		$(foreach m,$(MUTANTS),$(FUZZ)/mutants/$(m)/lifecycle)
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.fuzz mutants \
		--seconds $(FUZZ_S) --json results/fuzz-mutants.json

# the short run of make safety-check: no merge, record in build/
fuzz-ci: $(FUZZ)/lifecycle
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.fuzz run \
		--seconds $(FUZZ_S) --json build/fuzz-ci.json --no-coverage

# Run the tests of one variant; results go to build/<variant>/results.txt
test-variant: variant
	@tests/run.sh $(BUILD)

# The layering, checked on the gcc build's objects (ringcp_tools.layers)
layers:
	@$(MAKE) --no-print-directory variant VARIANT=gcc
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.layers build/gcc

check: deps
	@$(MAKE) --no-print-directory variant VARIANT=gcc
	@ln -sfn gcc/ringcp build/ringcp
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.layers build/gcc
	@$(MAKE) --no-print-directory variant VARIANT=clang
	@$(MAKE) --no-print-directory variant VARIANT=asan
	@SAFETY_JSON=build/safety.json tests/run.sh build/gcc build/asan

# make safety-check [FULL=1]: scenarios under ASan/UBSan, mutants, valgrind;
# the verdict goes to results/safety.json
safety-check: deps
	@scripts/safety-check.sh

# make model-check: SPIN on model/ringcp.pml in every configuration, the model
# mutants' trails, results/model.json; skipped when the model did not change
# since the last passing run (build/model/stamp.json; FORCE=1 runs anyway)
model-check: deps
	@/usr/bin/python3 model/check.py $(if $(FORCE),--force)

# make bench [FULL=1 | SMOKE=1]: the filesystem matrix, results/bench/*.json,
# plots, REPORT.md (SMOKE=1: tiny, into results-smoke/; docs/bench.md)
bench:
	@FULL=$(FULL) SMOKE=$(SMOKE) scripts/bench.sh

# make report: plots and REPORT.md from results/ only (no measurement)
report:
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.plots results
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.report results REPORT.md

# The regression gate (ringcp_tools.gate; docs/gate.md).
# The allocation counter is preloaded into the ringcp under test and into
# the baseline's, so neither needs a counter of its own.
GATE_SO := build/gate/malloc_count.so

$(GATE_SO): scripts/gate/malloc_count.c
	@mkdir -p $(@D)
	$(quiet) CC $@
	$(Q)gcc -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -shared -fPIC -o $@ $<

# make gate: exit 1 on any FAIL; the record goes to build/gate.json
gate: all $(GATE_SO)
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.gate run

# make baseline: results/baseline.json from the committed HEAD
baseline: all $(GATE_SO)
	@PYTHONPATH=scripts /usr/bin/python3 -m ringcp_tools.gate baseline

deps:
	@scripts/deps.sh

deps-quiet:
	@scripts/deps.sh --build-only --quiet

# the command (the gcc build) and its man page
PREFIX ?= /usr/local
install: all
	install -D -m 755 build/gcc/ringcp $(DESTDIR)$(PREFIX)/bin/ringcp
	install -D -m 644 man/ringcp.1 $(DESTDIR)$(PREFIX)/share/man/man1/ringcp.1

clean:
	rm -rf build

# ringcheck (docs/ringcheck.md): the launcher and its preloaded library,
# built without sanitizers in every variant (a preloaded library cannot
# come before ASan's runtime), with one copy of the SQE decoder
# (harness/sqe_refs.c) and of the hash table (engine/core/hmap.c)
RK_CFLAGS := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Iinclude -Iharness \
	-Iringcheck
RK_LIB_SRCS := $(wildcard ringcheck/rk_*.c) harness/sqe_refs.c \
	engine/core/hmap.c
RK_HDRS := $(wildcard ringcheck/*.h) harness/sqe_refs.h include/ringcp/hmap.h

$(BUILD)/ringcheck/libringcheck.so: $(RK_LIB_SRCS) $(RK_HDRS)
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) $(RK_CFLAGS) -shared -fPIC -fvisibility=default -o $@ \
		$(RK_LIB_SRCS) -ldl -lpthread

# the launcher: the harness's witness recorder (harness/witness.c) to
# answer orphan reports as root
$(BUILD)/ringcheck/ringcheck: ringcheck/ringcheck.c ringcheck/verdict.c \
		ringcheck/verdict.h ringcheck/rk_shared.h harness/witness.c \
		harness/witness.h $(LIB) $(BUILD)/ringcheck/libringcheck.so
	$(quiet) LD $@
	$(Q)$(CC) $(RK_CFLAGS) $(HARNESS_CFLAGS) -o $@ ringcheck/ringcheck.c \
		ringcheck/verdict.c harness/witness.c $(LIB) $(LDFLAGS_SAN) \
		$(shell pkg-config --libs libtracefs 2>/dev/null) $(LDLIBS)

# ringcheck's test programs (tests/ringcheck/: one bug shape each, and the
# same program done right), plain builds: no harness, no sanitizer

$(BUILD)/ringcheck/tests/%: tests/ringcheck/%.c tests/ringcheck/rkt.h tests/ringcheck/rkt_hold.h \
		harness/fusehold.c harness/fusehold.h harness/death.c harness/death.h
	@mkdir -p $(@D)
	$(quiet) LD $@
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Iharness \
		$(FUSE_CFLAGS) -o $@ $< $(if $(filter cancel_free teardown_free,$*),\
		harness/fusehold.c harness/death.c $(FUSE_LIBS)) -luring

# ringcp's mutants that a plain copy (or a copy interrupted during a
# stalled read) reaches, built as production commands: no harness, no
# trace, nothing ringcheck could lean on
define RK_MUTANT_RULES
$(BUILD)/ringcheck/mutants/$(1)/obj/%.o: engine/%.c $(ENGINE_HDRS)
	@mkdir -p $$(@D)
	$$(quiet) CC $$@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -Iengine -DRC_MUTANT_RINGCHECK \
		-DRC_MUTANT_$(call upper,$(1)) -c -o $$@ $$<

$(BUILD)/ringcheck/mutants/$(1)/ringcp: \
		$(patsubst cmd/%.c,$(BUILD)/cmd/%.o,$(CMD_SRCS)) \
		$$(patsubst engine/%.c,$(BUILD)/ringcheck/mutants/$(1)/obj/%.o,\
			$(ENGINE_SRCS))
	$$(quiet) LD $$@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -o $$@ $$^ $(LDFLAGS_SAN) $(LDLIBS)
endef
$(foreach m,$(RK_MUTANTS),$(eval $(call RK_MUTANT_RULES,$(m))))
