# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the ctls host scripts. Sourced, never run.

CTLS_CACHE=${CTLS_CACHE:-$HOME/.cache/ctls}
CTLS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CTLS_CACHE CTLS_TOP

die() {
	echo "ctls: $*" >&2
	exit 1
}

note() {
	echo "ctls: $*" >&2
}

# Install the Debian packages named, only those missing. apt-get update runs
# once per call, and only when something has to be installed.
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	note "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
}

# need_pkgs for packages whose maintainer scripts start a service (nginx):
# while they go in, a policy-rc.d answers 101, "action forbidden", to
# invoke-rc.d and deb-systemd-invoke, so nothing starts on the host. A
# policy-rc.d already there is put back afterwards.
need_pkgs_nostart() {
	local policy=/usr/sbin/policy-rc.d saved=/usr/sbin/policy-rc.d.ctls-saved rc=0 p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || rc=1
	done
	[ "$rc" = 1 ] || return 0
	rc=0
	[ -e "$policy" ] && mv "$policy" "$saved"
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	(need_pkgs "$@") || rc=$?
	rm -f "$policy"
	[ -e "$saved" ] && mv "$saved" "$policy"
	[ "$rc" = 0 ] || exit "$rc"
}

host_tools() {
	need_pkgs make gcc libc6-dev bc bison flex libelf-dev libssl-dev kmod \
		cpio xz-utils zstd qemu-system-x86 busybox-static dwarves sparse \
		pmccabe perl python3 ca-certificates
}

# Map a series ("6.1" or "6.12") to the newest stock amd64 kernel release
# Debian offers, e.g. 6.1.0-56-amd64. CTLS_KVER_6_1 / CTLS_KVER_6_12 pin it.
resolve_kver() {
	local series=$1 pin re
	pin=CTLS_KVER_${series//./_}
	if [ -n "${!pin:-}" ]; then
		echo "${!pin}"
		return
	fi
	case $series in
	6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
	6.12) re='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64-unsigned$' ;;
	*) die "unknown kernel series '$series' (use 6.1 or 6.12)" ;;
	esac
	local pkg
	pkg=$(apt-cache pkgnames linux-image-"$series" 2>/dev/null | grep -E "$re" | sort -V | tail -n 1)
	if [ -z "$pkg" ]; then
		apt-get update -qq >/dev/null 2>&1
		pkg=$(apt-cache pkgnames linux-image-"$series" | grep -E "$re" | sort -V | tail -n 1)
	fi
	[ -n "$pkg" ] || die "no Debian kernel package found for $series"
	pkg=${pkg#linux-image-}
	echo "${pkg%-unsigned}"
}

kdir_of() {
	echo "$CTLS_CACHE/kernels/$1"
}
