# SPDX-License-Identifier: MIT
#
# ringcp: build, test and install what is missing.
#
#   make            build the gcc variant (build/ringcp is the command)
#   make check      deps, build with gcc and clang (-Werror), run the tests,
#                   then run them again built with -fsanitize=address,undefined
#   make deps       install the Debian packages the project needs
#   make clean      remove build/
#
# Variants live in build/<variant>/: gcc, clang, asan (clang + ASan/UBSan).
# build/ringcp is a link to the gcc variant's production binary.

VARIANT ?= gcc
BUILD := build/$(VARIANT)

ifeq ($(VARIANT),gcc)
CC := gcc
else
CC := clang
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS_BASE := -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -Iengine
ifeq ($(VARIANT),asan)
CFLAGS_BASE += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=undefined
LDFLAGS_SAN := -fsanitize=address,undefined
endif
CFLAGS ?=
LDLIBS := -luring -lpthread

# make V=1 shows the full commands
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-5s %s\n'
endif

ENGINE_SRCS := engine/rc_ring.c engine/rc_op.c engine/rc_buf.c \
	engine/rc_ptrset.c engine/rc_copy.c engine/rc_copy_file.c
ENGINE_HDRS := $(wildcard engine/*.h)
HARNESS_SRCS := $(wildcard harness/*.c)
HARNESS_HDRS := $(wildcard harness/*.h)
TEST_SRCS := $(wildcard tests/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))

LIB := $(BUILD)/libringcp.a
LIB_TRACE := $(BUILD)/libringcp-trace.a
LIB_HARNESS := $(BUILD)/libharness.a

.PHONY: all variant check deps clean test-variant

all: deps-quiet
	@$(MAKE) --no-print-directory variant VARIANT=gcc
	@ln -sfn gcc/ringcp build/ringcp

variant: $(BUILD)/ringcp $(TEST_BINS)

$(BUILD)/prod/%.o: engine/%.c $(ENGINE_HDRS) | $(BUILD)/prod
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -c -o $@ $<

$(BUILD)/trace/%.o: engine/%.c $(ENGINE_HDRS) | $(BUILD)/trace
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -DRC_TRACE -c -o $@ $<

$(LIB): $(patsubst engine/%.c,$(BUILD)/prod/%.o,$(ENGINE_SRCS))
	$(Q)ar rcs $@ $^

$(LIB_TRACE): $(patsubst engine/%.c,$(BUILD)/trace/%.o,$(ENGINE_SRCS))
	$(Q)ar rcs $@ $^

$(BUILD)/harness/%.o: harness/%.c $(HARNESS_HDRS) $(ENGINE_HDRS) | $(BUILD)/harness
	$(quiet) CC $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -DRC_TRACE -Iharness -c -o $@ $<

$(LIB_HARNESS): $(patsubst harness/%.c,$(BUILD)/harness/%.o,$(HARNESS_SRCS))
	$(Q)ar rcs $@ $^

$(BUILD)/ringcp: engine/ringcp.c $(LIB) $(ENGINE_HDRS)
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS_SAN) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(wildcard tests/*.h) $(LIB_HARNESS) $(LIB_TRACE) \
		| $(BUILD)/tests
	$(quiet) LD $@
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) -DRC_TRACE -Itests -Iharness -o $@ $< \
		$(LIB_HARNESS) $(LIB_TRACE) $(LDFLAGS_SAN) $(LDLIBS)

$(BUILD)/prod $(BUILD)/trace $(BUILD)/tests $(BUILD)/harness:
	$(Q)mkdir -p $@

# Run the tests of one variant; results go to build/<variant>/results.txt
test-variant: variant
	@tests/run.sh $(BUILD)

check: deps
	@$(MAKE) --no-print-directory variant VARIANT=gcc
	@ln -sfn gcc/ringcp build/ringcp
	@$(MAKE) --no-print-directory variant VARIANT=clang
	@$(MAKE) --no-print-directory variant VARIANT=asan
	@tests/run.sh build/gcc build/asan

deps:
	@scripts/deps.sh

deps-quiet:
	@scripts/deps.sh --build-only --quiet

clean:
	rm -rf build
