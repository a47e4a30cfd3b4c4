#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# consumers.sh [-l LOG] SERIES [GROUP...]
#
# The kernel's own kTLS users on ctls: boot the stock Debian kernel of
# SERIES (6.12; 6.1 has no net/handshake) with a Debian 13 userspace
# (qemu/debian-root.sh, through qemu/run.sh -R), ctls loaded as "tls" and
# the stock tls.ko out of reach, and run userspace-tests/consumers.sh
# there: NVMe/TCP and NFS over TLS with tlshd. Prints its TAP while it runs and
# exits with its status (120 on a kernel splat, 124 on a timeout).
#
#   -l LOG   console log (default build/consumers-SERIES.log)
#   GROUP    only these groups: nvme nfs (default all)
set -euo pipefail
. "$(dirname "$0")/common.sh"

log=
while getopts "l:" opt; do
	case $opt in
	l) log=$OPTARG ;;
	*) die "see the header of $0 for usage" ;;
	esac
done
shift $((OPTIND - 1))
series=${1:?usage: consumers.sh [-l LOG] 6.12 [GROUP...]}
shift
case " $* " in
*[!a-z\ ]*) die "groups are words: nvme nfs" ;;
esac
[ -n "$log" ] || log=$CTLS_TOP/build/consumers-$series.log

root=$(bash "$CTLS_TOP/qemu/debian-root.sh" trixie)
ko=$(bash "$CTLS_TOP/qemu/build-module.sh" "$series")
pay=$(mktemp -d)
trap 'rm -rf "$pay"' EXIT
cp "$CTLS_TOP/userspace-tests/consumers.sh" "$CTLS_TOP/userspace-tests/tap.sh" "$pay/"
mkdir -p "$(dirname "$log")"

start=$(date +%s)
set +e
bash "$CTLS_TOP/qemu/run.sh" -R "$root" -k "$series" -m "$ko" -p "$pay" \
	-t 1200 -l "$log" -- "sh ./consumers.sh $*" |
	grep --line-buffered -aE '^(not )?ok [0-9]|^#|^1\.\.'
rc=${PIPESTATUS[0]}
set -e
note "consumers on $series: status $rc in $(($(date +%s) - start)) s (console: $log)"
exit "$rc"
