#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-root.sh [SUITE]
#
# A Debian root filesystem of SUITE (default trixie, Debian 13), built once
# from Debian's archive into $CTLS_CACHE/roots/<suite>-<hash>/ (the hash is
# of the package list below and of this script: change either and a new
# root is built beside the old one). Prints its directory. Two uses:
#
#   - the guest's userspace (qemu/run.sh -R DIR, over virtio 9p under an
#     overlay, as -r does with the host's): Debian 13's TLS stacks
#     (OpenSSL 3.5, GnuTLS 3.8, nginx 1.26, curl 8) and the tools of the
#     kernel's own kTLS users: tlshd (ktls-utils), nvme-cli, the NFS
#     server and client;
#   - a build root on the host (chroot), with the gcc that newer kernels'
#     headers want.
#
# debootstrap (minbase) lays down the base; the rest goes in with apt in a
# chroot, in a private mount namespace (its /proc goes away with it), with
# a policy-rc.d that forbids starting services: nothing runs on the host.
# The root's own sources.list is the only apt configuration it reads; the
# host's is not touched. About 5 minutes and 700 MB, once.
set -euo pipefail
. "$(dirname "$0")/common.sh"

suite=${1:-trixie}
pkgs="ca-certificates openssl gnutls-bin nginx curl iproute2 procps kmod
	util-linux e2fsprogs keyutils ktls-utils nvme-cli nfs-kernel-server
	nfs-common gcc-14 make libc6-dev bc bison flex libelf-dev libssl-dev
	dwarves"
top=$CTLS_CACHE/roots
hash=$({ echo "$suite"; echo $pkgs; cat "$0"; } | sha256sum | cut -c1-12)
root=$top/$suite-$hash

if [ -f "$root/.ctls-complete" ]; then
	echo "$root"
	exit 0
fi
need_pkgs debootstrap debian-archive-keyring
mkdir -p "$top"
exec 9>"$top/.lock"
flock 9
if [ ! -f "$root/.ctls-complete" ]; then
	tmp=$root.tmp
	rm -rf "$tmp"
	t0=$SECONDS
	note "debootstrap $suite into $tmp (once; a few minutes)"
	debootstrap --variant=minbase \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$tmp" http://deb.debian.org/debian >"$top/$suite.log" 2>&1 ||
		{ tail -n 20 "$top/$suite.log" >&2; die "debootstrap $suite failed"; }
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$tmp/usr/sbin/policy-rc.d"
	note "installing $(echo $pkgs) into it"
	# shellcheck disable=SC2086
	unshare --mount --fork chroot "$tmp" /bin/sh -c "
		mount -t proc proc /proc &&
		export DEBIAN_FRONTEND=noninteractive &&
		apt-get update -qq &&
		apt-get install -y -qq --no-install-recommends $(echo $pkgs)
		rc=\$?; umount /proc; apt-get clean; exit \$rc" \
		>>"$top/$suite.log" 2>&1 ||
		{ tail -n 20 "$top/$suite.log" >&2; die "apt-get install in $suite failed"; }
	rm -rf "$root"
	mv "$tmp" "$root"
	touch "$root/.ctls-complete"
	note "$suite root ready in $((SECONDS - t0)) s: $root ($(du -sh "$root" | cut -f1))"
fi
echo "$root"
