#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stacks.sh [-l LOG] [-D] SERIES [GROUP...]
#
# Real TLS stacks on ctls: boot the stock Debian kernel of SERIES (6.1, 6.12
# or 7) with the host's userspace (qemu/run.sh -r), ctls loaded as "tls" and
# the stock tls.ko out of reach, and run userspace-tests/stacks.sh there:
# OpenSSL 3.0 with kTLS, GnuTLS 3.7 as a peer without it, nginx 1.22 with
# kTLS sendfile, curl, ss. Prints its TAP while it runs and exits with its
# status (120 on a kernel splat, 124 on a timeout).
#
#   -l LOG   console log (default build/stacks-SERIES.log, with -D
#            build/stacks13-SERIES.log)
#   -D       Debian 13's stacks instead (suite stacks13): the root of
#            qemu/debian-root.sh as the guest's userspace (qemu/run.sh -R),
#            OpenSSL 3.5 (TLS 1.3 kTLS RX too, and the keyupdate group),
#            GnuTLS 3.8, nginx 1.26, curl 8, in the shorter matrix of
#            STACKS_QUICK=1 (userspace-tests/stacks.sh)
#   -d       only install the host packages the guest uses, then exit
#            (make check does this once before booting both kernels at once;
#            with -D, build the Debian 13 root if it is not cached)
#   GROUP    only these groups of tests: openssl gnutls nginx ss keyupdate
#            (default all; keyupdate where OpenSSL has TLS 1.3 kTLS RX)
set -euo pipefail
. "$(dirname "$0")/common.sh"

log=
deps_only=0
deb13=0
while getopts "dDl:" opt; do
	case $opt in
	d) deps_only=1 ;;
	D) deb13=1 ;;
	l) log=$OPTARG ;;
	*) die "see the header of $0 for usage" ;;
	esac
done
shift $((OPTIND - 1))
root=()
env=
name=stacks
if [ "$deb13" = 1 ]; then
	# Built once (about 3 minutes), cached; the consumers suite uses it too.
	root=(-R "$(bash "$CTLS_TOP/qemu/debian-root.sh" trixie)")
	env="STACKS_QUICK=1 "
	name=stacks13
else
	# nginx must not start on the host: it runs in the guest only.
	need_pkgs_nostart openssl gnutls-bin nginx curl iproute2
	root=(-r)
fi
[ "$deps_only" = 0 ] || exit 0
series=${1:?usage: stacks.sh [-l LOG] [-D] 6.1|6.12|7 [GROUP...]}
shift
case " $* " in
*[!a-z\ ]*) die "groups are words: openssl gnutls nginx ss keyupdate" ;;
esac
[ -n "$log" ] || log=$CTLS_TOP/build/$name-$series.log

ko=$(bash "$CTLS_TOP/qemu/build-module.sh" "$series")
pay=$(mktemp -d)
trap 'rm -rf "$pay"' EXIT
cp "$CTLS_TOP/userspace-tests/stacks.sh" "$CTLS_TOP/userspace-tests/tap.sh" \
	"$CTLS_TOP/userspace-tests/nginx.sh" "$pay/"
mkdir -p "$(dirname "$log")"

start=$(date +%s)
set +e
bash "$CTLS_TOP/qemu/run.sh" "${root[@]}" -k "$series" -m "$ko" -p "$pay" -t 1800 \
	-l "$log" -- "${env}sh ./stacks.sh $*" |
	grep --line-buffered -aE '^(not )?ok [0-9]|^#|^1\.\.'
rc=${PIPESTATUS[0]}
set -e
note "$name on $series: status $rc in $(($(date +%s) - start)) s (console: $log)"
exit "$rc"
