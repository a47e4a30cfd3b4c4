#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh [SECONDS]: fuzz the record layer (module/record.c, built in
# userspace) with libFuzzer, ASan and UBSan for SECONDS (default 180), one
# process. Seeds come from fuzz/seeds.py; the corpus and any crash stay in
# build/fuzz/. Prints one TAP line: the number of executions, or the
# reproducer of a crash.
set -uo pipefail
. "$(dirname "$0")/../qemu/common.sh"
cd "$CTLS_TOP" || exit 1

secs=${1:-180}
out=build/fuzz
name="fuzz record layer"
# Debian's clang ships libFuzzer and the sanitizers' runtimes apart.
need_pkgs clang libclang-rt-14-dev python3

fail() {
	echo "not ok 1 - $name: $1"
	echo "1..1"
	exit 1
}

mkdir -p "$out/crashes"
clang -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -Iinclude -o "$out/record_fuzz" \
	fuzz/record_fuzz.c module/record.c 2>&1 | sed 's/^/# /'
[ "${PIPESTATUS[0]}" = 0 ] || fail "build failed"
python3 fuzz/seeds.py "$out/corpus" | sed 's/^/# /'
[ "${PIPESTATUS[0]}" = 0 ] || fail "seeds.py failed"

# -max_len leaves room for two records of the largest size.
start=$SECONDS
"$out/record_fuzz" -max_total_time="$secs" -max_len=33000 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$out/crashes/" \
	"$out/corpus" >"$out/fuzz.log" 2>&1
rc=$?
took=$((SECONDS - start))

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
if [ "$rc" != 0 ]; then
	grep -E 'ERROR|SUMMARY|runtime error|==ABORTING' "$out/fuzz.log" |
		head -n 20 | sed 's/^/# /'
	crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$out/fuzz.log" |
		tail -n 1)
	[ -n "$crash" ] || fail "status $rc, no reproducer (see $out/fuzz.log)"
	echo "# reproducer (first 512 bytes, hex):" \
		"$(head -c 512 "$crash" | od -An -v -tx1 | tr -d ' \n')"
	fail "crash after ${execs:-?} executions, reproducer $crash"
fi
[ -n "$execs" ] || fail "no final stats in $out/fuzz.log"
echo "ok 1 - $name: $execs executions in $took s, no crash"
echo "1..1"
