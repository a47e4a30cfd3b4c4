#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh: the style gates, as TAP. checkpatch.pl --strict (taken from the
# cached linux-source), no backward goto in module/, and W=1 + sparse (C=1)
# builds with no warnings against every target kernel.
set -uo pipefail
. "$(dirname "$0")/../qemu/common.sh"
cd "$CTLS_TOP" || exit 1

n=0
fail=0
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=$((fail + 1))
	fi
}

need_pkgs sparse perl python3
kver=$(bash qemu/fetch-kernel.sh 6.12)
cp=$(kdir_of "$kver")/src/scripts/checkpatch.pl
srcs=$(ls module/*.[ch] include/*.h kunit/*.[ch] inkernel/*.c 2>/dev/null |
	grep -v '^module/compat.h$\|^module/ulp.c$')

# Two documented exceptions. An out-of-tree module has to test the kernel
# version: compat.h is the one file allowed to. ulp.c builds its proto_ops
# tables at run time from the socket's own ops (inet6's may live in a
# module), so they cannot be const, as upstream's tls_main.c.
# shellcheck disable=SC2086
out=$(perl "$cp" --strict --no-tree --terse --show-types -f $srcs 2>&1;
      perl "$cp" --strict --no-tree --terse --show-types \
	--ignore LINUX_VERSION_CODE -f module/compat.h 2>&1;
      perl "$cp" --strict --no-tree --terse --show-types \
	--ignore CONST_STRUCT -f module/ulp.c 2>&1)
rc=$?
echo "$out" | grep -qE 'ERROR|WARNING|CHECK' && rc=1
[ $rc = 0 ] || echo "$out" | grep -E 'ERROR|WARNING|CHECK' | sed 's/^/# /'
tap $rc "checkpatch --strict"

# shellcheck disable=SC2086
out=$(python3 scripts/backward-gotos.py module/*.c)
rc=$?
echo "$out" | sed 's/^/# /'
tap $rc "no backward goto in module/"

# CTLS_EXPORTS=y: with module/exports*.c, as make install and DKMS build it.
for s in 6.1 6.12 7; do
	out=$(CTLS_BUILD=$CTLS_TOP/build/lint bash qemu/build-module.sh "$s" C=2 CTLS_EXPORTS=y 2>&1)
	rc=$?
	warn=$(echo "$out" | grep -E 'warning|error' | grep -v 'Skipping BTF')
	[ -n "$warn" ] && { echo "$warn" | sed 's/^/# /'; rc=1; }
	tap $rc "$s: W=1 and sparse build without warnings"
	out=$(CTLS_BUILD=$CTLS_TOP/build/lint bash inkernel/build.sh "$s" C=2 2>&1)
	rc=$?
	warn=$(echo "$out" | grep -E 'warning|error')
	[ -n "$warn" ] && { echo "$warn" | sed 's/^/# /'; rc=1; }
	tap $rc "$s: inkernel/ W=1 and sparse build without warnings"
done
echo "1..$n"
[ $fail = 0 ]
