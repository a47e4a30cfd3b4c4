#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# selftest7.sh SERIES new|all OUT
#
# Run upstream's newest TLS selftest (fetch7.sh's build of the 7.x file)
# against ctls on kernel SERIES in QEMU (run.sh) and write its per-case
# results to OUT:
#
#   new  the cases of the 7.x file that the kernel's own tls.c does not
#        have, SM4 and ARIA variants aside, listed in OUT.cases, dealt into
#        CTLS_JOBS guests (scripts/check.sh's suite selftest7);
#   all  every case of the file, one guest per variant as run.sh shards,
#        then a table of pass and fail counts by kind of case (make
#        selftest7).
#
# CTLS_JOBS (default 2) guests run at a time. Kept next to OUT: both
# binaries' "-l" listings (OUT.list7, OUT.listown), the path of the 7.x
# binary (OUT.bin) and the guest consoles.
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

series=${1:?usage: selftest7.sh SERIES new|all OUT}
mode=${2:?usage: selftest7.sh SERIES new|all OUT}
out=${3:?usage: selftest7.sh SERIES new|all OUT}
here=$CTLS_TOP/userspace-tests/selftest
case $mode in
new | all) ;;
*) die "unknown mode '$mode' (new or all)" ;;
esac

bin7=$(bash "$here/fetch7.sh")
own=$(bash "$here/build.sh" "$series")
mkdir -p "$(dirname "$out")"
rm -f "$out.results" "$out.results.console."*
echo "$bin7" >"$out.bin"
# The harness lists on stderr and exits with KSFT_SKIP.
"$bin7" -l 2>"$out.list7" >/dev/null || true
"$own" -l 2>"$out.listown" >/dev/null || true
python3 "$here/selftest7.py" select "$out.list7" "$out.listown" "$mode" \
	"$series" "$here/known-gaps-7" >"$out.cases"
note "selftest7 $series: $(wc -l <"$out.cases") cases of $bin7"

export CTLS_JOBS=${CTLS_JOBS:-2} CTLS_SELFTEST_BIN=$bin7
if [ "$mode" = new ]; then
	python3 "$here/selftest7.py" shards "$CTLS_JOBS" <"$out.cases" >"$out.shards"
	export CTLS_SELFTEST_SHARDS=$out.shards
fi
start=$(date +%s)
rc=0
bash "$here/run.sh" "$series" ctls "$out.results" || rc=$?
[ "$mode" = all ] || exit "$rc"
python3 "$here/selftest7.py" kinds "$series" "$out.list7" "$out.listown" \
	"$out.results" "$here/known-gaps-7" "$out.results.console."*
echo "($series: $(($(date +%s) - start)) s in guests, run.sh status $rc; results in $out)"
exit "$rc"
