#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh SERIES stock|ctls OUT
#
# Run upstream's TLS selftest of SERIES in QEMU guests, against the stock
# tls module or against ctls (registered as "tls", stock not loaded), and
# write one line per test case to OUT: "<fixture.variant.test> PASS|FAIL|SKIP".
# Guest consoles are kept next to OUT (OUT.console.N).
#
# The run is sharded by variant (one guest per shard, CTLS_JOBS guests at a
# time, default 3): most of a run's wall time is tests waiting out the
# harness's 30 s timeout, which overlaps well.
#
# CTLS_SELFTEST_BIN=PATH runs that selftest binary instead of the kernel's
# own (fetch7.sh's build of the newest upstream file, for instance).
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

series=${1:?usage: run.sh SERIES stock|ctls OUT}
impl=${2:?usage: run.sh SERIES stock|ctls OUT}
out=${3:?usage: run.sh SERIES stock|ctls OUT}
jobs=${CTLS_JOBS:-3}

bin=${CTLS_SELFTEST_BIN:-$(bash "$CTLS_TOP/userspace-tests/selftest/build.sh" "$series")}
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series")
mods=()
case $impl in
stock) load='modprobe tls || exit 99;' ;;
ctls)
	load=
	mods=(-m "$(bash "$CTLS_TOP/qemu/build-module.sh" "$series")") ;;
*) die "unknown implementation '$impl'" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/payload"
cp "$bin" "$work/payload/tls"

# Shards: the fixtures without variants, then one per variant name.
# The listing goes to stderr, variants in columns 22-47.
"$bin" -l >"$work/list" 2>&1 || true
awk '!/^#/ && !/^---/' "$work/list" | cut -c22-47 | tr -d ' ' | grep . |
	sort -u >"$work/variants"
# CTLS_SELFTEST_ONLY="fixture.variant.test ..." runs just those cases, in
# one guest (the retry of cases that failed under load).
# CTLS_SELFTEST_ARGS="harness filters" runs one guest with those filters.
# CTLS_SELFTEST_SHARDS=FILE runs one guest per line of FILE, the line its
# harness arguments.
if [ -n "${CTLS_SELFTEST_ARGS:-}" ]; then
	echo "$CTLS_SELFTEST_ARGS" >"$work/shards"
elif [ -n "${CTLS_SELFTEST_SHARDS:-}" ]; then
	grep . "$CTLS_SELFTEST_SHARDS" >"$work/shards"
elif [ -n "${CTLS_SELFTEST_ONLY:-}" ]; then
	printf -- '-r %s ' $CTLS_SELFTEST_ONLY >"$work/shards"
	echo >>"$work/shards"
else
	{
		echo "-f global -f tls_basic"
		sed 's/^/-v /' "$work/variants"
	} >"$work/shards"
fi

run_shard() {
	local i=$1 args=$2
	local rc=0

	bash "$CTLS_TOP/qemu/run.sh" -q -k "$kver" "${mods[@]}" -p "$work/payload" \
		-t "${CTLS_GUEST_TIMEOUT:-1500}" -l "$work/console.$i" -- "$load ./tls $args" \
		>/dev/null 2>&1 || rc=$?
	echo "$rc" >"$work/rc.$i"
}

i=0
while read -r args; do
	i=$((i + 1))
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n || true
	done
	run_shard "$i" "$args" &
done <"$work/shards"
wait

status=0
: >"$work/results"
for ((j = 1; j <= i; j++)); do
	rc=$(cat "$work/rc.$j")
	# The harness exits 1 when a test fails; anything else is the guest's.
	mkdir -p "$(dirname "$out")"
	cp "$work/console.$j" "$out.console.$j"
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		note "shard $j ($(sed -n "${j}p" "$work/shards")) ended with status $rc (console: $out.console.$j)"
		status=1
	fi
	sed -n -E 's/^(not )?ok [0-9]+ ([^ ]+)( # SKIP.*)?$/\1|\2|\3/p' "$work/console.$j" |
		awk -F'|' '{ r = $3 != "" ? "SKIP" : ($1 != "" ? "FAIL" : "PASS"); print $2, r }' \
			>>"$work/results"
done
sort "$work/results" >"$out"
exit $status
