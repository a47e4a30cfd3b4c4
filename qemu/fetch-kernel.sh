#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh SERIES
#
# Make sure the newest stock Debian kernel of SERIES (6.1 or 6.12) is in the
# cache: image, modules, headers (with their -common and kbuild packages) and
# the parts of the matching linux-source that the project uses (upstream's TLS
# selftest with its harness, net/tls for reference, checkpatch). Nothing is
# installed on the host and nothing is booted here. Prints the kernel release.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${1:?usage: fetch-kernel.sh 6.1|6.12}
kver=$(resolve_kver "$series")
dir=$(kdir_of "$kver")

fetch_debs() {
	local tmp=$dir.tmp pkgs kbuild common
	rm -rf "$tmp"
	mkdir -p "$tmp/debs"
	common=$(apt-cache depends "linux-headers-$kver" |
		sed -n 's/^ *Depends: \(linux-headers-.*-common\)$/\1/p' | head -n 1)
	kbuild=$(apt-cache depends "linux-headers-$kver" |
		sed -n 's/^ *Depends: \(linux-kbuild-.*\)$/\1/p' | head -n 1)
	pkgs="linux-image-$kver-unsigned linux-headers-$kver $common $kbuild"
	note "downloading $pkgs"
	(cd "$tmp/debs" && apt-get download -qq -o APT::Sandbox::User=root $pkgs >/dev/null) ||
		die "apt-get download failed for $kver"
	for deb in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	dpkg-deb -f "$tmp"/debs/linux-image-*.deb Version >"$tmp/version"
	rm -rf "$tmp/debs"
	# The headers' Makefile includes its -common half by absolute path.
	sed -i "s|/usr/src/|$dir/root/usr/src/|" \
		"$tmp/root/usr/src/linux-headers-$kver/Makefile"
	mv "$tmp" "$dir"
}

# Pieces of linux-source-SERIES at the same Debian version as the image.
fetch_source() {
	local ver tmp=$dir/src.tmp tarball
	ver=$(cat "$dir/version")
	rm -rf "$tmp"
	mkdir -p "$tmp"
	note "downloading linux-source-$series=$ver"
	(cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "linux-source-$series=$ver" >/dev/null) ||
		die "apt-get download linux-source-$series=$ver failed"
	dpkg-deb -x "$tmp"/linux-source-*.deb "$tmp/pkg"
	tarball=$(ls "$tmp"/pkg/usr/src/linux-source-*.tar.*)
	mkdir -p "$tmp/tree"
	tar -C "$tmp/tree" --strip-components=1 --wildcards -xf "$tarball" \
		'*/tools/testing/selftests/net/tls.c' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/net/tls/*' '*/include/net/tls.h' \
		'*/net/core/sock_map.c' '*/net/core/skmsg.c' '*/net/ipv4/tcp_bpf.c' \
		'*/net/core/filter.c' '*/net/ipv4/tcp_ulp.c' '*/net/ipv4/tcp.c' \
		'*/include/uapi/linux/tls.h' '*/net/ipv4/inet_diag.c' \
		'*/net/ipv4/tcp_diag.c' '*/include/uapi/linux/inet_diag.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' \
		'*/Documentation/networking/tls.rst'
	mv "$tmp/tree" "$dir/src"
	rm -rf "$tmp"
}

[ -d "$dir" ] || fetch_debs
[ -d "$dir/src" ] || fetch_source
echo "$kver"
