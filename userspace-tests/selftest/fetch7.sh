#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch7.sh [--version]
#
# Build upstream's newest TLS selftest, the tools/testing/selftests/net/tls.c
# of Debian's linux-source-7.* in trixie-backports, as a static binary, and
# print its path (with --version: the Debian version it comes from). Unlike
# build.sh, nothing is adjusted: the file is built as it is, against its own
# kselftest_harness.h, kselftest.h and include/uapi/linux/tls.h.
#
# The version is the newest in trixie-backports, or CTLS_SELFTEST7 (a Debian
# version, e.g. 7.3.4-1~bpo13+1) when set (CTLS_SELFTEST7_SUITE names
# another suite). trixie-backports is read through the private apt
# configuration of qemu/common.sh (apt7, under $CTLS_CACHE/apt-<suite>; the
# host's apt sources are not touched); its lists are refreshed when a day
# old, and without them the newest version cached is used.
# The package (about 170 MB) is downloaded once; only the four files are
# kept, in $CTLS_CACHE/selftest7/<version>/. The binary is rebuilt only
# when those files or this script change (a stamp, as build.sh does).
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

suite=${CTLS_SELFTEST7_SUITE:-trixie-backports}
apt7_suite=$suite
top=$CTLS_CACHE/selftest7
files=(tools/testing/selftests/net/tls.c
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	include/uapi/linux/tls.h)

# The newest version cached, for a machine that cannot reach the archive.
newest_cached() {
	local d
	for d in "$top"/*/version; do
		[ -f "$d" ] && cat "$d"
	done | sort -V | tail -n 1
}

resolve_version() {
	local pkg ver
	if [ -n "${CTLS_SELFTEST7:-}" ]; then
		echo "$CTLS_SELFTEST7"
		return
	fi
	if apt7_refresh; then
		pkg=$(apt7 apt-cache pkgnames linux-source-7. |
			grep -E '^linux-source-7\.[0-9]+$' | sort -V | tail -n 1 || true)
	fi
	if [ -n "${pkg:-}" ]; then
		ver=$(apt7 apt-cache madison "$pkg" | awk '{ print $3 }' | sort -V | tail -n 1)
	fi
	if [ -z "${ver:-}" ]; then
		ver=$(newest_cached)
		[ -n "$ver" ] || die "no linux-source-7.* found in $suite"
		note "no linux-source-7.* found in $suite: using the cached $ver"
	fi
	echo "$ver"
}

# Download linux-source-X.Y=VER (once) and keep the four files.
fetch_source() {
	local ver=$1 dir=$2 tmp=$2.tmp pkg deb wild=() f
	pkg=linux-source-$(echo "$ver" | cut -d. -f1,2)
	mkdir -p "$tmp"
	deb=$(ls "$tmp"/"$pkg"_*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ] || ! dpkg-deb -I "$deb" >/dev/null 2>&1; then
		rm -f "$tmp"/*.deb
		apt7_refresh || die "cannot read $suite's package lists"
		note "downloading $pkg=$ver"
		(cd "$tmp" && apt7 apt-get download -qq "$pkg=$ver" >/dev/null) ||
			die "apt-get download $pkg=$ver failed (not in $suite any more? unset CTLS_SELFTEST7)"
		deb=$(ls "$tmp"/"$pkg"_*.deb)
	fi
	for f in "${files[@]}"; do
		wild+=("*/$f")
	done
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree"
	note "extracting ${files[*]}"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -C "$tmp/tree" --strip-components=1 -xJ --wildcards \
		--no-wildcards-match-slash "${wild[@]}"
	for f in "${files[@]}"; do
		[ -f "$tmp/tree/$f" ] || die "$f is not in $deb"
	done
	echo "$ver" >"$tmp/tree/version"
	rm -rf "$dir"
	mv "$tmp/tree" "$dir"
	rm -rf "$tmp"
}

need_pkgs gcc libc6-dev xz-utils
ver=$(resolve_version)
if [ "${1:-}" = --version ]; then
	echo "$ver"
	exit 0
fi
src=$top/$ver
[ -f "$src/version" ] || fetch_source "$ver" "$src"

sel=$src/tools/testing/selftests
out=${CTLS_BUILD:-$CTLS_TOP/build}/selftest7/$ver
bin=$out/tls
stamp=$(cd "$src" && cat "${files[@]}" "$CTLS_TOP/userspace-tests/selftest/fetch7.sh" |
	sha256sum | cut -c1-16)
if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$out"
gcc -O2 -static -Wall -Wno-unused-result -I"$src/include/uapi" -I"$sel" \
	-o "$bin" "$sel/net/tls.c" -lpthread >&2
echo "$stamp" >"$bin.stamp"
echo "$bin"
