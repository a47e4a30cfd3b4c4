#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh: what `make kunit` runs. Builds the debug kernel (cached; see
# debug-kernel.sh), ctls.ko and ctls_kunit.ko against it in build/debug/,
# boots it in QEMU with ctls_kunit.ko loaded (its suites run at insmod and
# print KTAP on the console), and turns that KTAP into TAP lines ending in
# "N passed, N failed, N skipped". Fails on a failed case, on incomplete
# KTAP, and on a splat (KASAN, lockdep, kmemleak...) or timeout in the guest.
# The console is kept in build/debug/kunit-console.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

t0=$SECONDS
obj=$(bash "$CTLS_TOP/qemu/debug-kernel.sh")
rel=$(cat "$obj/include/config/kernel.release")
t1=$SECONDS

out=$CTLS_TOP/build/debug
ko=$(CTLS_BUILD=$out CTLS_KVER_6_12=$rel bash "$CTLS_TOP/qemu/build-module.sh" 6.12)
kunit_ko=$(dirname "$ko")/ctls_kunit.ko
[ -f "$kunit_ko" ] || die "no $kunit_ko (is CONFIG_KUNIT set in $rel?)"
t2=$SECONDS

# Everything the tests use is built in: no crypto module to preload.
log=$out/kunit-console.log
rc=0
CTLS_PRELOAD='' bash "$CTLS_TOP/qemu/run.sh" -k "$rel" -q -t "${CTLS_KUNIT_TIMEOUT:-300}" \
	-l "$log" -m "$kunit_ko" -- true || rc=$?
t3=$SECONDS

prc=0
python3 "$CTLS_TOP/qemu/ktap.py" "$log" || prc=$?
note "$rel: kernel $((t1 - t0)) s, modules $((t2 - t1)) s, guest $((t3 - t2)) s"
if [ "$rc" != 0 ]; then
	note "the guest failed (status $rc); console log: $log"
	exit 1
fi
exit "$prc"
