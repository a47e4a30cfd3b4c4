#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftest7.sh SERIES check|all|stock OUT
#
# Run upstream's newest TLS selftest (fetch7.sh's build of the 7.x file)
# on kernel SERIES in QEMU (run.sh) and write its per-case results to OUT:
#
#   check  every case but the SM4 and ARIA variants (no Debian kernel has
#          that crypto) and the "norun" gaps of SERIES, on ctls, one guest
#          per variant (selftest7.py variants), CTLS_JOBS at a time
#          (scripts/check.sh's suite selftest7 compares them with stock
#          7.x's, baseline7.sh);
#   stock  the same cases on stock tls.ko (baseline7.sh, on 7.x);
#   all    every case of the file on ctls, one guest per variant as run.sh
#          shards, then a table of pass and fail counts by kind of case
#          (make selftest7).
#
# CTLS_JOBS (default 2) guests run at a time. Kept next to OUT: both
# binaries' "-l" listings (OUT.list7, OUT.listown), the path of the 7.x
# binary (OUT.bin) and the guest consoles.
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

usage="usage: selftest7.sh SERIES check|all|stock OUT"
series=${1:?$usage}
mode=${2:?$usage}
out=${3:?$usage}
here=$CTLS_TOP/userspace-tests/selftest
case $mode in
check | all | stock) ;;
*) die "unknown mode '$mode' ($usage)" ;;
esac

bin7=$(bash "$here/fetch7.sh")
mkdir -p "$(dirname "$out")"
rm -f "$out.results" "$out.results.console."*
echo "$bin7" >"$out.bin"
# The harness lists on stderr and exits with KSFT_SKIP.
"$bin7" -l 2>"$out.list7" >/dev/null || true
impl=ctls
export CTLS_JOBS=${CTLS_JOBS:-2} CTLS_SELFTEST_BIN=$bin7
if [ "$mode" = all ]; then
	own=$(bash "$here/build.sh" "$series")
	"$own" -l 2>"$out.listown" >/dev/null || true
else
	[ "$mode" = stock ] && impl=stock
	python3 "$here/selftest7.py" variants "$series" "$out.list7" \
		"$here/known-gaps-7" >"$out.shards"
	export CTLS_SELFTEST_SHARDS=$out.shards
fi
note "selftest7 $series ($mode, $impl): $bin7"
start=$(date +%s)
rc=0
bash "$here/run.sh" "$series" "$impl" "$out.results" || rc=$?
[ "$mode" = all ] || exit "$rc"
python3 "$here/selftest7.py" kinds "$series" "$out.list7" "$out.listown" \
	"$out.results" "$here/known-gaps-7" "$out.results.console."*
echo "($series: $(($(date +%s) - start)) s in guests, run.sh status $rc; results in $out)"
exit "$rc"
