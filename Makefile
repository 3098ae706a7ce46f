# torgate: `make` builds ./torgate, `make check` runs every test.
# Packages come from scripts/install-deps, lwIP from Debian's source package
# (scripts/fetch-lwip); nothing third-party lives in this tree.

CC       ?= cc
PKGS     := libevent_core libnl-3.0 libnl-route-3.0 libcares libseccomp
HARDEN   := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -fstack-clash-protection
WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-format-nonliteral
OPT      ?= -O2 -g
BASE_CFLAGS = -std=c11 $(OPT) $(HARDEN)
LDHARDEN := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
# The product build also takes CPPFLAGS, CFLAGS and LDFLAGS (empty unless you
# set them; debian/rules passes dpkg-buildflags'), after torgate's own flags
# but before its warnings, so that -Wformat=2 and -Werror stay.

.DEFAULT_GOAL := all
include netstack/lwip.mk

# Every source under gateway/, netstack/, dns/ and pulse/ is part of torgate: a new
# file in a folder needs no line here.
GATEWAY_SRCS := $(sort $(wildcard gateway/*.c gateway/*/*.c))
NETSTACK_SRCS := $(sort $(wildcard netstack/*.c netstack/arch/*.c))
DNS_SRCS := $(sort $(wildcard dns/*.c))
PULSE_SRCS := $(sort $(wildcard pulse/*.c))
OWN_SRCS := $(GATEWAY_SRCS) $(NETSTACK_SRCS) $(DNS_SRCS) $(PULSE_SRCS)
OWN_INC  := -I gateway -I . $(LWIP_CFLAGS)

DEPS_STAMP := build/.deps-ok
TEST_DEPS_STAMP := build/.test-deps-ok

# Two builds of the same sources: the product, and ASan+UBSan for tests.
OBJ_DIR  := build/obj
ASAN_DIR := build/asan
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

own_objs  = $(patsubst %.c,$(1)/%.o,$(OWN_SRCS))
lwip_objs = $(patsubst $(LWIP_DIR)/%.c,$(1)/lwip/%.o,$(LWIP_SRCS))

.PHONY: install uninstall deb all deps check check-debian13 check-layout check-unit check-integration check-e2e check-leak leak-selfcheck demo clean distclean asan unit fuzz faults bench bench-tools
all: torgate

# Checked once (dpkg-query, no apt unless something is missing), then the
# stamps say so; the test packages include the build's.
$(DEPS_STAMP): scripts/install-deps
	@./scripts/install-deps --quiet
	@mkdir -p build && touch $@
$(TEST_DEPS_STAMP): scripts/install-deps
	@./scripts/install-deps --tests --quiet
	@mkdir -p build && touch $@ && { [ -e $(DEPS_STAMP) ] || touch $(DEPS_STAMP); }
deps: $(DEPS_STAMP)

pkgcflags = $(shell pkg-config --cflags $(PKGS))
pkglibs   = $(shell pkg-config --libs $(PKGS))

# ---- product build ---------------------------------------------------------
$(OBJ_DIR)/%.o: %.c $(DEPS_STAMP) $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(WARN) $(OWN_INC) $(pkgcflags) -MMD -MP -c $< -o $@

$(OBJ_DIR)/lwip/%.o: $(LWIP_DIR)/%.c $(LWIP_STAMP) netstack/lwipopts.h netstack/arch/cc.h netstack/netstack_hooks.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) $(CFLAGS) -w $(LWIP_CFLAGS) -c $< -o $@

torgate: $(call own_objs,$(OBJ_DIR)) $(call lwip_objs,$(OBJ_DIR))
	$(CC) $(LDHARDEN) $(LDFLAGS) -o $@ $^ $(pkglibs)

# ---- sanitizer build -------------------------------------------------------
$(ASAN_DIR)/%.o: %.c $(DEPS_STAMP) $(LWIP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 $(SAN) $(WARN) $(OWN_INC) $(pkgcflags) -MMD -MP -c $< -o $@

$(ASAN_DIR)/lwip/%.o: $(LWIP_DIR)/%.c $(LWIP_STAMP) netstack/lwipopts.h netstack/arch/cc.h netstack/netstack_hooks.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -O1 $(SAN) -w $(LWIP_CFLAGS) -c $< -o $@

$(ASAN_DIR)/torgate: $(call own_objs,$(ASAN_DIR)) $(call lwip_objs,$(ASAN_DIR))
	$(CC) $(SAN) $(LDHARDEN) -o $@ $^ $(pkglibs)
asan: $(ASAN_DIR)/torgate

# ---- unit tests (cmocka, always under ASan+UBSan) --------------------------
UNIT_DIR := build/unit
UNIT_CFLAGS = $(BASE_CFLAGS) -O1 $(SAN) $(WARN) -I gateway -I .

# $(1) test (tests/unit/$(1).c), $(2) the sources it tests and its helpers,
# $(3) libraries. One line a test.
define UNIT_RULE
UNIT_TESTS += $(UNIT_DIR)/$(1)
$(UNIT_DIR)/$(1): tests/unit/$(1).c $(2) $(TEST_DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$(CC) $(UNIT_CFLAGS) -o $$@ $$(filter %.c,$$^) $(3) -lcmocka
endef
CONFIG_SRCS := $(wildcard gateway/config/*.c) gateway/base/log.c
PACKET_SRCS := netstack/packet.c tests/unit/packet_util.h
DNS_WIRE := dns/wire.c tests/unit/dns_msg.h
UNIT_TESTS :=
$(eval $(call UNIT_RULE,test_socks5,gateway/tor/socks5.c tests/unit/socks5_caller.c tests/unit/socks5_caller.h))
$(eval $(call UNIT_RULE,test_cli,$(CONFIG_SRCS)))
$(eval $(call UNIT_RULE,test_conffile,$(CONFIG_SRCS)))
$(eval $(call UNIT_RULE,test_profile,$(CONFIG_SRCS)))
$(eval $(call UNIT_RULE,test_seccomp_policy,gateway/sandbox/seccomp_policy.c,-lseccomp))
$(eval $(call UNIT_RULE,test_seccomp_filter,gateway/sandbox/seccomp_app.c gateway/sandbox/seccomp_policy.c,-lseccomp))
$(eval $(call UNIT_RULE,test_singleton,gateway/sandbox/singleton_parse.c))
$(eval $(call UNIT_RULE,test_log,gateway/base/log.c))
$(eval $(call UNIT_RULE,test_torctl,gateway/tor/torctl_parse.c))
$(eval $(call UNIT_RULE,test_sandbox_exec,gateway/sandbox/sandbox_exec.c))
$(eval $(call UNIT_RULE,test_onion_parse,gateway/tor/onion_parse.c))
$(eval $(call UNIT_RULE,test_info_reply,gateway/control/info_reply.c))
$(eval $(call UNIT_RULE,test_circuits_view,gateway/control/circuits_view.c gateway/control/info_reply.c gateway/tor/torctl_parse.c gateway/serve/relay_dest.c dns/vmap.c))
$(eval $(call UNIT_RULE,test_packet,$(PACKET_SRCS)))
$(eval $(call UNIT_RULE,test_packet_syn,$(PACKET_SRCS)))
$(eval $(call UNIT_RULE,test_packet_icmp,$(PACKET_SRCS)))
$(eval $(call UNIT_RULE,test_csum,$(PACKET_SRCS)))
$(eval $(call UNIT_RULE,test_offload,$(PACKET_SRCS) netstack/netstack_offload.c netstack/netstack_offload.h))
$(eval $(call UNIT_RULE,test_dns_wire,$(DNS_WIRE),-lcares))
$(eval $(call UNIT_RULE,test_dns_build,$(DNS_WIRE),-lcares))
$(eval $(call UNIT_RULE,test_dns_vmap,dns/vmap.c))
$(eval $(call UNIT_RULE,test_dns_stub,dns/stub.c dns/wire.c dns/vmap.c dns/rcache.c,-lcares))
$(eval $(call UNIT_RULE,test_pulse_wire,pulse/wire.c))
$(eval $(call UNIT_RULE,test_pulse_stream,pulse/stream.c pulse/wire.c))
$(eval $(call UNIT_RULE,test_relay_dest,gateway/serve/relay_dest.c dns/vmap.c))
$(eval $(call UNIT_RULE,test_upload,gateway/serve/upload.c,-levent_core))
unit: $(UNIT_TESTS)

# ---- fuzzing (libFuzzer; clang from Debian) --------------------------------
# `make check` runs each fuzzer briefly; `make fuzz` runs each for
# FUZZ_SECONDS and reports its figures, with the line coverage of our own
# sources reached by its corpus (a second build with clang's source-based
# coverage, run once over the corpus). Our sources and lwIP are compiled for
# the fuzzers with clang, ASan+UBSan and libFuzzer's coverage feedback;
# LWIP_TESTMODE lets fuzz_netstack empty lwIP's timers between inputs.
FUZZ_DIR := build/fuzz
FUZZ_COV_DIR := $(FUZZ_DIR)/cov
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 15
FUZZ_NAMES := fuzz_dns_query fuzz_socks_reply fuzz_packet fuzz_netstack fuzz_seccomp_policy fuzz_conffile fuzz_pulse
FUZZERS := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))
FUZZ_COVERAGE := $(addprefix $(FUZZ_COV_DIR)/,$(FUZZ_NAMES))
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_COV := -fprofile-instr-generate -fcoverage-mapping
FUZZ_CC  := clang -std=c11 -g -O1 -DLWIP_TESTMODE=1
FUZZ_INC := -I gateway -I . -I tests/fuzz $(LWIP_CFLAGS)

$(FUZZ_DIR)/obj/lwip/%.o: $(LWIP_DIR)/%.c $(LWIP_STAMP) netstack/lwipopts.h netstack/arch/cc.h netstack/netstack_hooks.h $(TEST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -w $(LWIP_CFLAGS) -c $< -o $@
$(FUZZ_DIR)/obj/%.o: %.c $(LWIP_STAMP) $(TEST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(WARN) $(FUZZ_INC) -MMD -MP -c $< -o $@
$(FUZZ_COV_DIR)/obj/%.o: %.c $(LWIP_STAMP) $(TEST_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(FUZZ_COV) $(WARN) $(FUZZ_INC) -MMD -MP -c $< -o $@

# $(1) fuzzer, $(2) our sources it tests, $(3) further objects, $(4) libraries.
# lwIP is left out of the coverage mapping: the report is about our code.
define FUZZER_RULES
$(FUZZ_DIR)/$(1): tests/fuzz/$(1).c $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(2)) $(3) $(TEST_DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $(WARN) $(FUZZ_INC) -o $$@ $$(filter %.c %.o,$$^) $(4)
$(FUZZ_COV_DIR)/$(1): tests/fuzz/$(1).c $(patsubst %.c,$(FUZZ_COV_DIR)/obj/%.o,$(2)) $(3) $(TEST_DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $(FUZZ_COV) $(WARN) $(FUZZ_INC) -o $$@ $$(filter %.c %.o,$$^) $(4)
endef
$(eval $(call FUZZER_RULES,fuzz_dns_query,dns/stub.c dns/wire.c dns/vmap.c dns/rcache.c,,-lcares))
$(eval $(call FUZZER_RULES,fuzz_socks_reply,gateway/tor/socks5.c))
$(eval $(call FUZZER_RULES,fuzz_packet,netstack/packet.c))
$(eval $(call FUZZER_RULES,fuzz_netstack,$(filter-out netstack/arch/%,$(NETSTACK_SRCS)),\
    tests/fuzz/fuzz_wire.c tests/fuzz/fuzz_wire.h tests/fuzz/fuzz_vnet.c tests/fuzz/fuzz_vnet.h \
    tests/fuzz/fuzz_track.c tests/fuzz/fuzz_track.h \
    $(call lwip_objs,$(FUZZ_DIR)/obj)))
$(eval $(call FUZZER_RULES,fuzz_seccomp_policy,gateway/sandbox/seccomp_policy.c,,-lseccomp))
$(eval $(call FUZZER_RULES,fuzz_conffile,$(CONFIG_SRCS)))
$(eval $(call FUZZER_RULES,fuzz_pulse,pulse/stream.c pulse/wire.c))

fuzz: $(FUZZERS) $(FUZZ_COVERAGE)
	./tests/run-fuzz --coverage $(FUZZ_SECONDS)

# ---- leak suite's static probe (raw syscalls, no library code for the network) ----
LEAK_PROBE := build/leak/probe_static
$(LEAK_PROBE): tests/leak/probe_static.c $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(WARN) -static-pie -o $@ $<

# ---- bench tools (make bench; the smoke in make check) ---------------------
# Built like the product (same warnings and hardening, -O2): they must not be
# what limits the figures.
BENCH_DIR := build/bench
BENCH_TOOLS := $(BENCH_DIR)/bench_socks $(BENCH_DIR)/bench_server $(BENCH_DIR)/bench_client
$(BENCH_DIR)/%: tests/bench/%.c tests/bench/bench_common.c tests/bench/bench_common.h $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(WARN) $(LDHARDEN) -o $@ $(filter %.c,$^)
bench-tools: $(BENCH_TOOLS)

# The full run (several minutes): table on stdout, see docs/PERFORMANCE.md.
bench: torgate $(BENCH_TOOLS)
	./scripts/bench $(if $(HEV),--hev $(HEV)) $(BENCH_ARGS)

# ---- checks ----------------------------------------------------------------
check: $(TEST_DEPS_STAMP) torgate $(ASAN_DIR)/torgate $(UNIT_TESTS) $(FUZZERS) $(LEAK_PROBE) $(BENCH_TOOLS)
	FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) ./tests/run-all

check-unit: $(UNIT_TESTS) torgate
	./tests/run-all unit

# The folders' READMEs say what each may use; this holds the code to them.
check-layout: torgate
	./scripts/check-layout --objects $(OBJ_DIR)

check-integration: $(TEST_DEPS_STAMP) torgate
	./tests/run-all integration

check-e2e: $(TEST_DEPS_STAMP) torgate $(ASAN_DIR)/torgate
	./tests/run-all e2e

# Every probe inside torgate (as root, as nobody), then the self-check.
check-leak: $(TEST_DEPS_STAMP) torgate $(LEAK_PROBE)
	./tests/run-all leak

# Each probe with its protection removed must get through: the leak tests can fail.
leak-selfcheck: $(TEST_DEPS_STAMP) torgate $(LEAK_PROBE)
	./tests/run-all leak-selfcheck

# The fault-injection tests with their longer matrix (make check runs the
# short one), against both builds.
faults: $(TEST_DEPS_STAMP) torgate $(ASAN_DIR)/torgate
	TORGATE_FAULTS=long TORGATE=$(CURDIR)/torgate \
	    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration/test_faults.py
	TORGATE_FAULTS=long TORGATE=$(CURDIR)/$(ASAN_DIR)/torgate \
	    ASAN_OPTIONS=abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration/test_faults.py

# See it work without a system Tor: a private Tor network on 127.0.0.1,
# curl through it by hostname and to an onion service, a leak refused.
demo: $(TEST_DEPS_STAMP) torgate
	./scripts/demo

# Build and test on Debian 13 (trixie) in a chroot under build/debian13/ (as
# root; not part of make check): the build with -Werror, the unit and
# integration suites, apparmor_parser on the AppArmor profile; one summary
# line. See scripts/check-debian13.
check-debian13:
	./scripts/check-debian13

# ---- install -----------------------------------------------------------------
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNIT := torgate-netns@.service

# Config and profiles live where torgate looks for them, whatever PREFIX.
CONFDIR := /etc/torgate
APPARMORDIR ?= /etc/apparmor.d
# The AppArmor profile needs AppArmor 4 (abi/4.0, the userns rule): an older
# parser fails on it, and apparmor.service with it at boot. auto: installed
# into a DESTDIR (the packager decides), and onto this system only where
# AppArmor 4 is. yes or no: always or never.
APPARMOR ?= auto
PROFILES := $(wildcard profiles/*.conf profiles/*.user.js)

install: torgate
	install -D -m 0755 torgate $(DESTDIR)$(BINDIR)/torgate
	install -D -m 0644 docs/torgate.1 $(DESTDIR)$(MANDIR)/man1/torgate.1
	install -D -m 0644 dist/bash-completion/torgate $(DESTDIR)$(COMPLETIONDIR)/torgate
	install -d $(DESTDIR)$(SYSTEMDDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' dist/systemd/$(UNIT).in > $(DESTDIR)$(SYSTEMDDIR)/$(UNIT)
	chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$(UNIT)
	install -d -m 0755 $(DESTDIR)$(CONFDIR)/profiles
	install -m 0644 $(PROFILES) $(DESTDIR)$(CONFDIR)/profiles/
	@# The administrator's settings are never overwritten.
	@if [ -e $(DESTDIR)$(CONFDIR)/torgate.conf ]; then \
	    echo "install: keeping $(DESTDIR)$(CONFDIR)/torgate.conf; the shipped one is dist/torgate.conf"; \
	else install -m 0644 dist/torgate.conf $(DESTDIR)$(CONFDIR)/torgate.conf; fi
	@if [ "$(APPARMOR)" = no ] || { [ "$(APPARMOR)" = auto ] && [ -z "$(DESTDIR)" ] && \
	    [ ! -e $(APPARMORDIR)/abi/4.0 ]; }; then \
	    echo "install: no AppArmor profile: it needs AppArmor 4, which restricts user namespaces; older ones do not"; \
	else \
	    install -d $(DESTDIR)$(APPARMORDIR) && \
	    sed 's|@BINDIR@|$(BINDIR)|g' dist/apparmor/torgate.in > $(DESTDIR)$(APPARMORDIR)/torgate && \
	    chmod 0644 $(DESTDIR)$(APPARMORDIR)/torgate; fi
	@if [ -z "$(DESTDIR)" ] && [ -e $(APPARMORDIR)/torgate ] && \
	    [ "$$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ]; then \
	    echo "install: loading the AppArmor profile (user namespaces are restricted here)"; \
	    apparmor_parser -r $(APPARMORDIR)/torgate; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/torgate $(DESTDIR)$(MANDIR)/man1/torgate.1 \
	      $(DESTDIR)$(COMPLETIONDIR)/torgate $(DESTDIR)$(SYSTEMDDIR)/$(UNIT) \
	      $(DESTDIR)$(APPARMORDIR)/torgate
	rm -f $(addprefix $(DESTDIR)$(CONFDIR)/,$(PROFILES))
	@# torgate.conf goes only if nobody changed it.
	@if cmp -s dist/torgate.conf $(DESTDIR)$(CONFDIR)/torgate.conf; then rm -f $(DESTDIR)$(CONFDIR)/torgate.conf; \
	elif [ -e $(DESTDIR)$(CONFDIR)/torgate.conf ]; then echo "uninstall: keeping the changed $(DESTDIR)$(CONFDIR)/torgate.conf"; fi
	-rmdir $(DESTDIR)$(CONFDIR)/profiles $(DESTDIR)$(CONFDIR) 2>/dev/null

# ---- Debian package ----------------------------------------------------------
# Into build/deb/: the source package (torgate's orig tarball made by git
# archive from HEAD, so uncommitted changes are not in it; lwIP as the
# orig-lwip component, Debian's own lwip source tarball unchanged; debian/)
# and the binary package, by dpkg-buildpackage, then lintian. See
# scripts/build-deb.
deb:
	@./scripts/install-deps --deb --quiet
	./scripts/build-deb

clean:
	rm -rf build/obj build/asan build/unit build/fuzz build/leak build/bench torgate

distclean:
	rm -rf build torgate

-include $(shell find build/obj build/asan build/fuzz -name '*.d' 2>/dev/null)
