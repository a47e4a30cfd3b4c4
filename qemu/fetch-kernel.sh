#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh SERIES
#
# Make sure the newest stock Debian kernel of SERIES (6.1, 6.12 or 7) is in
# the cache: image, modules, headers (with their -common and kbuild packages)
# and the parts of the matching linux-source that the project uses
# (upstream's TLS selftest with its harness, net/tls for reference,
# checkpatch). Nothing is installed on the host and nothing is booted here.
# Prints the kernel release.
#
# 6.1 and 6.12 come from the host's bookworm sources. Series 7 is Debian's
# newest 7.x amd64 kernel (trixie-backports, read through common.sh's
# private apt configuration, apt7), whose image is split in three:
# linux-binary-unsigned-<release> (usr/lib/modules/<release>/vmlinuz.unsigned),
# linux-modules-<release> and linux-base-<release> (System.map, config,
# modules.builtin*, modules.order). Debian 13 keeps modules in
# /usr/lib/modules: lib is made a link to usr/lib, as on a merged-/usr
# system, so the cache has the same layout for every kernel
# (root/boot/vmlinuz-<release>, root/lib/modules/<release>,
# root/usr/src/linux-headers-<release>).
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${1:?usage: fetch-kernel.sh 6.1|6.12|7}
kver=$(resolve_kver "$series")
dir=$(kdir_of "$kver")
apt=()
image=linux-image-$kver-unsigned
srcpkg=linux-source-$series
if [ "$series" = 7 ]; then
	apt=(apt7)
	image=linux-binary-unsigned-$kver
	srcpkg=linux-source-$(echo "$kver" | cut -d. -f1,2)
fi

fetch_debs() {
	local tmp=$dir.tmp pkgs kbuild common
	rm -rf "$tmp"
	mkdir -p "$tmp/debs"
	common=$("${apt[@]}" apt-cache depends "linux-headers-$kver" |
		sed -n 's/^ *Depends: \(linux-headers-.*-common\)$/\1/p' | head -n 1)
	kbuild=$("${apt[@]}" apt-cache depends "linux-headers-$kver" |
		sed -n 's/^ *Depends: \(linux-kbuild-.*\)$/\1/p' | head -n 1)
	pkgs="$image linux-headers-$kver $common $kbuild"
	[ "$series" = 7 ] && pkgs+=" linux-modules-$kver linux-base-$kver"
	note "downloading $pkgs"
	# shellcheck disable=SC2086
	(cd "$tmp/debs" && "${apt[@]}" apt-get download -qq -o APT::Sandbox::User=root \
		$pkgs >/dev/null) || die "apt-get download failed for $kver"
	for deb in "$tmp"/debs/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	dpkg-deb -f "$tmp/debs/${image}_"*.deb Version >"$tmp/version"
	rm -rf "$tmp/debs"
	if [ "$series" = 7 ]; then
		[ -e "$tmp/root/lib" ] || ln -s usr/lib "$tmp/root/lib"
		mkdir -p "$tmp/root/boot"
		mv "$tmp/root/usr/lib/modules/$kver/vmlinuz.unsigned" \
			"$tmp/root/boot/vmlinuz-$kver"
	fi
	# The headers' Makefile includes its -common half by absolute path.
	sed -i "s|/usr/src/|$dir/root/usr/src/|" \
		"$tmp/root/usr/src/linux-headers-$kver/Makefile"
	mv "$tmp" "$dir"
}

# Pieces of linux-source-X.Y at the same Debian version as the image.
fetch_source() {
	local ver tmp=$dir/src.tmp tarball extra=()
	ver=$(cat "$dir/version")
	rm -rf "$tmp"
	mkdir -p "$tmp"
	note "downloading $srcpkg=$ver"
	(cd "$tmp" && "${apt[@]}" apt-get download -qq -o APT::Sandbox::User=root \
		"$srcpkg=$ver" >/dev/null) || die "apt-get download $srcpkg=$ver failed"
	dpkg-deb -x "$tmp"/linux-source-*.deb "$tmp/pkg"
	tarball=$(ls "$tmp"/pkg/usr/src/linux-source-*.tar.*)
	# 7.x's kbuild runs it before sparse (6.1 and 6.12 have none).
	[ "$series" = 7 ] && extra=('*/scripts/checker-valid.sh')
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
		'*/scripts/const_structs.checkpatch' "${extra[@]}" \
		'*/Documentation/networking/tls.rst'
	mv "$tmp/tree" "$dir/src"
	rm -rf "$tmp"
}

# Debian's linux-kbuild-7.* lacks scripts/checker-valid.sh, without which
# kbuild turns C=1/C=2 (sparse) off with a mere note: put the source's in.
add_checker_valid() {
	local kb
	kb=$(readlink -f "$dir/root/usr/src/linux-headers-$kver/scripts")
	[ -e "$kb/checker-valid.sh" ] || [ ! -e "$dir/src/scripts/checker-valid.sh" ] ||
		install -m 0755 "$dir/src/scripts/checker-valid.sh" "$kb/"
}

[ -d "$dir" ] || fetch_debs
[ -d "$dir/src" ] || fetch_source
add_checker_valid
echo "$kver"
