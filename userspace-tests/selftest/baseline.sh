#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# baseline.sh SERIES [--print-path]
#
# Stock tls.ko's per-test results of upstream's selftest are data,
# committed under userspace-tests/selftest/baseline/ as SERIES-KEY.txt. KEY
# is a hash of what decides them: the kernel's net/tls sources and
# include/net/tls.h, and the selftest as build.sh builds it (its tls.c, the
# harness, build.sh itself). A new Debian revision that leaves those alone
# (most of them) keeps its baseline. This prints the path of the file for
# the cached kernel of SERIES with --print-path (empty when there is none),
# and otherwise recomputes it (about 10 minutes of guest time per kernel).
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

series=${1:?usage: baseline.sh SERIES [--print-path]}
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series")
harness_kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" 6.12)
src=$(kdir_of "$kver")/src
key=$( (cd "$src" && cat net/tls/*.[ch] include/net/tls.h \
	tools/testing/selftests/net/tls.c) |
	cat - "$(kdir_of "$harness_kver")/src/tools/testing/selftests/kselftest_harness.h" \
		"$CTLS_TOP/userspace-tests/selftest/build.sh" |
	sha256sum | cut -c1-12)
file=$CTLS_TOP/userspace-tests/selftest/baseline/$series-$key.txt

if [ "${2:-}" = --print-path ]; then
	[ -f "$file" ] && echo "$file"
	exit 0
fi
mkdir -p "$(dirname "$file")"
bash "$CTLS_TOP/userspace-tests/selftest/run.sh" "$series" stock "$file.new"
mv "$file.new" "$file"
note "stock results for $kver ($(cat "$(kdir_of "$kver")/version")) written to $file: commit it"
