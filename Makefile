# SPDX-License-Identifier: GPL-2.0
#
# ctls: entry points. Everything else is in qemu/, scripts/ and
# userspace-tests/. Kernels, sources and the guest images are cached in
# $(CTLS_CACHE) (default ~/.cache/ctls); module builds go to build/.
#
#   make          ctls.ko for every target kernel (W=1, -Werror)
#   make demo     boot 6.12 in QEMU, load ctls, show it working
#   make check    every test layer on SERIES (6.1 6.12 7); ends "N passed, N failed, N skipped"
#   make stacks   OpenSSL, GnuTLS, nginx, curl and ss on ctls in QEMU, every kernel (TAP)
#   make lint     checkpatch --strict, backward gotos, sparse
#   make kunit    KUnit suites (ctls_kunit.ko) in the debug kernel, as TAP
#   make fuzz     libFuzzer on the record layer for FUZZ_SECONDS (180), as TAP
#   make baseline recompute stock tls.ko's selftest results for 6.1 and 6.12
#                 (7.x's: userspace-tests/selftest/baseline7.sh)
#   make selftest7 upstream's newest selftest (7.x tls.c), whole (SM4/ARIA
#                 too), on ctls, each kernel: pass/fail counts by kind
#   make stress   the concurrency stress, stock tls.ko then ctls, STRESS_MINUTES
#                 (10) each, on every kernel of STRESS_KERNEL (SERIES, or debug)
#   make bench    ctls against stock tls.ko, TCP and OpenSSL on 6.12, in QEMU
#                 (about 20 min; CTLS_BENCH_QUICK=1 for a 1-minute smoke run)
#   make clean
#
# On your own machine (README, "Install on your machine"):
#   make KDIR=/lib/modules/<release>/build   ctls.ko for that kernel, from its
#                 headers, in build/install/<release>/ (with the stock
#                 module's exports: packaging/kbuild.sh)
#   make install  that (KDIR default: the running kernel's) into
#                 /lib/modules/<release>/updates/, depmod, and the modprobe
#                 configuration that makes "tls" ctls; make uninstall undoes it
#   make deb      build/ctls-dkms_<version>_all.deb (DKMS; dpkg-deb only)
#   make deb-modules  build/ctls-modules-<release>_<version>_<arch>.deb:
#                 ctls prebuilt for one kernel (KDIR, default the running
#                 kernel's headers), for machines without compilers

# The target kernels: Debian 12's 6.1 and 6.12, and Debian's newest 7.x
# (trixie-backports; built in the Debian 13 root of qemu/debian-root.sh
# with its gcc-14). One kernel, one suite: SERIES=7 CTLS_SUITES=uapi make check.
SERIES ?= 6.1 6.12 7
FUZZ_SECONDS ?= 180
STRESS_MINUTES ?= 10
STRESS_STOCK_MINUTES ?= $(STRESS_MINUTES)
STRESS_KERNEL ?= $(SERIES)
TESTS := $(patsubst userspace-tests/%.c,build/tests/%,$(wildcard userspace-tests/*.c))

.PHONY: all modules tests demo check stacks lint kunit fuzz baseline selftest7 stress bench clean host-tools
.PHONY: kdir-module install uninstall deb deb-modules

# With KDIR, make builds for that kernel's headers only (nothing is
# downloaded); without, for the cached target kernels.
ifdef KDIR
all: kdir-module
else
all: modules
endif

INSTALL_KDIR = $(or $(KDIR),/lib/modules/$(shell uname -r)/build)
INSTALL_REL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	$(INSTALL_KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODPROBE_CONF ?= /usr/lib/modprobe.d/ctls.conf

kdir-module:
	@sh packaging/kbuild.sh "$(KDIR)" >/dev/null

install:
	@sh packaging/kbuild.sh "$(INSTALL_KDIR)" >/dev/null
	install -D -m 0644 build/install/$(INSTALL_REL)/ctls.ko \
		$(DESTDIR)/lib/modules/$(INSTALL_REL)/updates/ctls.ko
	install -D -m 0644 packaging/modprobe.conf $(DESTDIR)$(MODPROBE_CONF)
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(INSTALL_REL)

uninstall:
	rm -f $(DESTDIR)/lib/modules/$(INSTALL_REL)/updates/ctls.ko $(DESTDIR)$(MODPROBE_CONF)
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(INSTALL_REL)

deb:
	@bash packaging/build-deb.sh

deb-modules:
	@bash packaging/build-deb.sh --modules "$(INSTALL_KDIR)"

host-tools:
	@bash -c '. qemu/common.sh && host_tools'

modules: host-tools
	@for s in $(SERIES); do bash qemu/build-module.sh $$s || exit 1; done

# Static, so the guest needs no libraries. libcrypto (ossl.c) makes ld warn
# about glibc's NSS functions in static programs, which none of them calls.
# bench.c also runs libssl's own record layer as a baseline.
build/tests/bench: TEST_LIBS := -lssl -lm
build/tests/%: userspace-tests/%.c userspace-tests/tap.h userspace-tests/net.h \
		userspace-tests/ktls.h userspace-tests/tlsrec.h
	@mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -pthread -o $@ $< $(TEST_LIBS) -lcrypto -Wl,--no-warnings

tests: host-tools $(TESTS)

# Only what the demo boots: its kernel's module (demo.sh builds it) and
# two test programs, so that a fresh machine does not fetch every target.
demo: host-tools build/tests/ulp build/tests/xtls
	@bash qemu/demo.sh

check: modules tests
	@bash scripts/check.sh

stacks: modules
	@for s in $(SERIES); do bash qemu/stacks.sh $$s || exit 1; done

lint: host-tools
	@bash scripts/lint.sh

# Builds the debug kernel the first time (a few minutes; cached after).
kunit: host-tools
	@bash qemu/kunit.sh

# Userspace only: record.c with ASan and UBSan, no kernel and no QEMU.
fuzz:
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

baseline: host-tools
	@for s in $(SERIES); do bash userspace-tests/selftest/baseline.sh $$s || exit 1; done

# Every case of the 7.x file on ctls, SM4/ARIA included (check runs the rest
# against stock 7.x's results); results and consoles in build/selftest7/.
selftest7: host-tools
	@rc=0; for s in $(SERIES); do \
		bash userspace-tests/selftest/selftest7.sh $$s all build/selftest7/all-$$s || rc=1; \
	done; exit $$rc

# scripts/stress.sh per kernel: build/stress/<kernel>.log; STRESS_SEED
# repeats a run's random choices.
stress: modules tests
	@rc=0; for k in $(STRESS_KERNEL); do \
		bash scripts/stress.sh -k $$k -t $$(($(STRESS_MINUTES) * 60)) \
			-b $$(($(STRESS_STOCK_MINUTES) * 60)) || rc=1; \
	done; exit $$rc

# Writes docs/benchmarks.md and docs/benchmarks.png (see qemu/bench.sh).
bench: host-tools
	@bash qemu/bench.sh

clean:
	rm -rf build
