#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh KVER
#
# Build (once, cached) the base initramfs of the test guest for kernel
# release KVER: static busybox, /init, and the stock modules the tests need
# (crypto, tls, 9p, virtio, overlayfs, and the TCP sock_diag that ss uses),
# decompressed, with modules.dep made by depmod -b on the host (a file
# operation; nothing is loaded here). Prints its path.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kver=${1:?usage: initramfs.sh KVER}
kdir=$(kdir_of "$kver")
stamp=$(cat "$CTLS_TOP/qemu/init.sh" "$CTLS_TOP/qemu/initramfs.sh" | sha256sum | cut -c1-16)
# One file per version of these scripts, written whole and renamed: guests
# started in parallel (and other checkouts sharing the cache) never see a
# half-written or foreign image.
out=$kdir/initramfs-$stamp.cpio

if [ -f "$out" ]; then
	echo "$out"
	exit 0
fi

need_pkgs busybox-static cpio kmod xz-utils zstd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$out.$$"' EXIT
mkdir -p "$tmp"/{bin,sbin,etc,proc,sys,dev,tmp,payload,lib/modules}
cp /bin/busybox "$tmp/bin/busybox"
install -m 0755 "$CTLS_TOP/qemu/init.sh" "$tmp/init"
echo "root:x:0:0:root:/root:/bin/sh" >"$tmp/etc/passwd"
echo "root:x:0:" >"$tmp/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$tmp/etc/hosts"

src=$kdir/root/lib/modules/$kver
dst=$tmp/lib/modules/$kver
mkdir -p "$dst"
cp "$src"/modules.builtin* "$src"/modules.order "$dst/"
for d in crypto arch/x86/crypto lib net/tls net/9p fs/9p fs/netfs \
	fs/fscache fs/overlayfs drivers/virtio drivers/char/hw_random; do
	[ -d "$src/kernel/$d" ] || continue
	mkdir -p "$dst/kernel/$d"
	cp -r "$src/kernel/$d/." "$dst/kernel/$d/"
done
mkdir -p "$dst/kernel/net/ipv4"
for f in "$src"/kernel/net/ipv4/inet_diag.ko* "$src"/kernel/net/ipv4/tcp_diag.ko*; do
	[ -f "$f" ] && cp "$f" "$dst/kernel/net/ipv4/"
done
# Debian's modules are .ko.xz (6.1, 6.12, 7.3); .ko.zst too, should that
# change.
find "$dst" -name '*.ko.xz' -exec xz -d {} +
find "$dst" -name '*.ko.zst' -exec zstd -q -d --rm {} +
depmod -b "$tmp" "$kver"

(cd "$tmp" && find . | cpio -o -H newc --quiet) >"$out.$$"
mv "$out.$$" "$out"
echo "$out"
