#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh [-k 6.1|6.12|debug] [-t SECONDS] [-b SECONDS] [-s SEED]
#           [-l LOG] [-x 'STRESS ARGS']
#
# The concurrency stress (userspace-tests/stress.c) in one guest of kernel
# -k (default 6.12; "debug": the debug kernel of qemu/debug-kernel.sh, with
# KASAN, lockdep and kmemleak): first against stock tls.ko for -b seconds
# (the baseline; default as long as ctls; 0 skips it), then stock unloaded
# and ctls loaded as "tls" for -t seconds (default 600), both with the same
# seed (-s; default $STRESS_SEED, else random; printed). Stock goes first
# so that its result is there even when ctls takes the guest down. Prints
# both TAP streams, labelled "stock tls.ko: " and "ctls: ", and a summary;
# after a kernel splat or a guest timeout, the console around the first
# splat. Exit status 0 when both passed, else the guest's status (1 a
# failed check, 3 the hang detector, 120 a splat, 124 a timeout).
#
#   -l   console log (default build/stress/<kernel>.log)
#   -x   more arguments for both runs of the program (e.g. "-o single")
set -uo pipefail
. "$(dirname "$0")/../qemu/common.sh"
cd "$CTLS_TOP" || exit 1

kernel=6.12
secs=600
base=
seed=${STRESS_SEED:-}
log=
extra=
while getopts "k:t:b:s:l:x:" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	t) secs=$OPTARG ;;
	b) base=$OPTARG ;;
	s) seed=$OPTARG ;;
	l) log=$OPTARG ;;
	x) extra=$OPTARG ;;
	*) die "see the header of $0 for usage" ;;
	esac
done
base=${base:-$secs}
[ -n "$seed" ] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
series=$kernel
if [ "$kernel" = debug ]; then
	rel=$(bash qemu/debug-kernel.sh -r) || die "no debug kernel"
	export CTLS_KVER_6_12=$rel CTLS_BUILD=$CTLS_TOP/build/debug CTLS_PRELOAD=
	series=6.12
fi
# The debug kernel (here or from check.sh's suite_debug) runs everything
# several times slower: a longer hang detector and guest timeout.
slow=1
case ${CTLS_KVER_6_12:-} in *ctlsdbg*) [ "$series" = 6.12 ] && slow=3 ;; esac
mkdir -p build/stress
log=${log:-build/stress/$kernel.log}
ko=$(bash qemu/build-module.sh "$series") || die "ctls build failed"
# Built by make tests (make check and make stress do); not here, where two
# kernels' runs side by side would both rebuild it.
[ -x build/tests/stress ] || die "no build/tests/stress: run make tests"
pay=$(mktemp -d)
trap 'rm -rf "$pay"' EXIT
cp build/tests/stress "$pay/"
cp "$ko" "$pay/ctls.ko"

# In the guest (busybox sh). rmmod waits for the last socket's context:
# orphaned sockets may hold stock tls.ko a little while. -Z: splice()
# returns 0 at an empty record on stock, and on ctls as on stock (rxedge
# holds ctls to stock's transcript there); counted, reported as SKIP.
cat >"$pay/stress.sh" <<'EOF'
base=$1 secs=$2
shift 2
r=0
if [ "$base" != 0 ]; then
	echo "# stress: stock tls.ko, $base s"
	modprobe tls && ./stress -u tls -Z -L 'stock tls.ko: ' -t "$base" "$@"
	r=$?
	i=0
	while ! rmmod tls 2>/dev/null && [ $i -lt 60 ]; do
		sleep 1
		i=$((i + 1))
	done
fi
echo "# stress: ctls as \"tls\", $secs s"
insmod ./ctls.ko || exit 125
./stress -u tls -Z -L 'ctls: ' -t "$secs" "$@"
c=$?
[ $r = 0 ] || exit $r
exit $c
EOF

note "stress on $kernel: stock tls.ko ${base} s, then ctls ${secs} s, seed $seed; console in $log"
start=$(date +%s)
# shellcheck disable=SC2086
bash qemu/run.sh -q -k "$series" -p "$pay" -t $(((base + secs) * slow + 600)) -l "$log" \
	-- "sh ./stress.sh $base $secs -s $seed -w $((60 * slow)) $extra"
rc=$?
grep -aE '^(not )?ok [0-9]|^# (stress|seed|totals|operations|HANG|  )|^# conn|^1\.\.' "$log" |
	grep -av 'bytes sent were not read'
# Each part that ran must have said so (and ended with its plan).
parts=$(grep -ac '^# stress: seed' "$log")
plans=$(grep -ac '^1\.\.' "$log")
want=2
[ "$base" = 0 ] && want=1
if [ "$rc" = 0 ] && { [ "$parts" != $want ] || [ "$plans" != $want ]; }; then
	echo "not ok - stress $kernel: $parts of $want runs started, $plans ended"
	rc=1
fi
echo "# stress on $kernel took $(($(date +%s) - start)) s, seed $seed, exit status $rc"
if [ "$rc" -ge 120 ]; then
	echo "not ok - stress $kernel: the guest failed (status $rc: a splat or a timeout; console $log)"
	grep -aE -m 1 -B 2 -A 40 'BUG:|WARNING:|Oops|KASAN|UBSAN|Kernel panic|general protection|stack-protector|rcu: INFO|rcu_sched detected|blocked for more than|soft lockup|unreferenced object|possible circular|refcount_t:' "$log" |
		sed 's/^/# /'
fi
exit "$rc"
