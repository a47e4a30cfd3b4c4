#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stacks.sh [-l LOG] SERIES [GROUP...]
#
# Real TLS stacks on ctls: boot the stock Debian kernel of SERIES (6.1 or
# 6.12) with the host's userspace (qemu/run.sh -r), ctls loaded as "tls" and
# the stock tls.ko out of reach, and run userspace-tests/stacks.sh there:
# OpenSSL 3.0 with kTLS, GnuTLS 3.7 as a peer without it, nginx 1.22 with
# kTLS sendfile, curl, ss. Prints its TAP while it runs and exits with its
# status (120 on a kernel splat, 124 on a timeout).
#
#   -l LOG   console log (default build/stacks-SERIES.log)
#   -d       only install the host packages the guest uses, then exit
#            (make check does this once before booting both kernels at once)
#   GROUP    only these groups of tests: openssl gnutls nginx ss (default all)
set -euo pipefail
. "$(dirname "$0")/common.sh"

log=
deps_only=0
while getopts "dl:" opt; do
	case $opt in
	d) deps_only=1 ;;
	l) log=$OPTARG ;;
	*) die "see the header of $0 for usage" ;;
	esac
done
shift $((OPTIND - 1))
# nginx must not start on the host: it runs in the guest only.
need_pkgs_nostart openssl gnutls-bin nginx curl iproute2
[ "$deps_only" = 0 ] || exit 0
series=${1:?usage: stacks.sh [-l LOG] 6.1|6.12 [GROUP...]}
shift
case " $* " in
*[!a-z\ ]*) die "groups are words: openssl gnutls nginx ss" ;;
esac
[ -n "$log" ] || log=$CTLS_TOP/build/stacks-$series.log

ko=$(bash "$CTLS_TOP/qemu/build-module.sh" "$series")
pay=$(mktemp -d)
trap 'rm -rf "$pay"' EXIT
cp "$CTLS_TOP/userspace-tests/stacks.sh" "$CTLS_TOP/userspace-tests/tap.sh" "$pay/"
mkdir -p "$(dirname "$log")"

start=$(date +%s)
set +e
bash "$CTLS_TOP/qemu/run.sh" -r -k "$series" -m "$ko" -p "$pay" -t 1800 \
	-l "$log" -- "sh ./stacks.sh $*" |
	grep --line-buffered -aE '^(not )?ok [0-9]|^#|^1\.\.'
rc=${PIPESTATUS[0]}
set -e
note "stacks on $series: status $rc in $(($(date +%s) - start)) s (console: $log)"
exit "$rc"
