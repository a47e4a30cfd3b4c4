# SPDX-License-Identifier: GPL-2.0
#
# TAP for the guest-side shell suites (foundation, stacks, consumers),
# sourced from /payload. check DESC CMD...: one TAP line; on failure the
# last lines of each file named in $logs follow as comments.
n=0
fail=0
logs=

check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
		return 0
	fi
	echo "not ok $n - $desc"
	fail=$((fail + 1))
	for l in $logs; do
		[ -s "$l" ] && tail -n 12 "$l" | sed "s|^|# ${l##*/}: |"
	done
	return 1
}

# The value of counter $2 in a copy of /proc/net/<ulp>_stat, file $1.
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
