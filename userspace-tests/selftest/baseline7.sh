#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# baseline7.sh [--print-path]
#
# Stock tls.ko's per-case results of upstream's newest selftest (the 7.x
# tls.c of fetch7.sh) on Debian's newest 7.x kernel, SM4 and ARIA variants
# aside: the yardstick every kernel's ctls is held to (suite selftest7).
# Data, committed as userspace-tests/selftest/baseline/7x-KEY.txt, KEY a
# hash of what decides it: the 7.x kernel's net/tls sources and
# include/net/tls.h, the selftest's four files and fetch7.sh. With
# --print-path, the path of the file for today's
# kernel and selftest (empty when there is none); otherwise it is computed
# (one guest per variant, on 7.x).
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

here=$CTLS_TOP/userspace-tests/selftest
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" 7)
bin7=$(bash "$here/fetch7.sh")
ver7=$(bash "$here/fetch7.sh" --version)
src7=$CTLS_CACHE/selftest7/$ver7
key=$( (cd "$(kdir_of "$kver")/src" && cat net/tls/*.[ch] include/net/tls.h) |
	cat - "$src7/tools/testing/selftests/net/tls.c" \
		"$src7/tools/testing/selftests/kselftest_harness.h" \
		"$src7/tools/testing/selftests/kselftest.h" \
		"$src7/include/uapi/linux/tls.h" "$here/fetch7.sh" |
	sha256sum | cut -c1-12)
file=$here/baseline/7x-$key.txt

if [ "${1:-}" = --print-path ]; then
	[ -f "$file" ] && echo "$file"
	exit 0
fi
work=${CTLS_BUILD:-$CTLS_TOP/build}/baseline7
mkdir -p "$work"
bash "$here/selftest7.sh" 7 stock "$work/stock" || true
[ -s "$work/stock.results" ] || die "no results from stock tls.ko on $kver"
cp "$work/stock.results" "$file"
note "stock tls.ko on $kver, selftest $ver7 ($bin7): results in $file: commit it"
