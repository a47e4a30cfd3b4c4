#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh KDIR [OUT]
#
# Build the installable ctls.ko (with the stock module's five exports,
# CTLS_EXPORTS=y) against the kernel headers in KDIR, e.g.
# /lib/modules/<release>/build: `make KDIR=...`, `make install` and DKMS
# (dkms.conf) all come here. OUT (default build/install/<release>) gets a
# tree of links to the sources and the objects; OUT "." builds in place,
# as DKMS does in its own copy. Then packaging/check-crcs.sh: a kernel whose
# stock tls.ko's exports ctls cannot match is refused.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
die() {
	echo "ctls: $*" >&2
	exit 1
}

kdir=${1:?usage: kbuild.sh KDIR [OUT]}
[ -f "$kdir/Makefile" ] ||
	die "no kernel headers in $kdir: install them (on Debian: apt install linux-headers-\$(uname -r), or linux-headers-<release> for another kernel)"
# UTS_RELEASE is uname -r (Debian's 6.1 headers' kernel.release is not).
rel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' \
	"$kdir/include/generated/utsrelease.h" 2>/dev/null)
[ -n "$rel" ] || die "cannot tell which kernel the headers in $kdir are for"

# ctls supports 6.1 and newer (module/compat.h).
major=${rel%%.*}
minor=${rel#*.}
minor=${minor%%[!0-9]*}
case $major$minor in
*[!0-9]* | "") die "cannot read the kernel version of $rel" ;;
esac
if [ "$major" -lt 6 ] || { [ "$major" = 6 ] && [ "$minor" -lt 1 ]; }; then
	die "kernel $rel is older than ctls supports (6.1 and newer)"
fi

out=${2:-$top/build/install/$rel}
if [ "$out" != . ] && [ "$out" != "$top" ]; then
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	for d in module include kunit; do
		mkdir -p "$out/$d"
		find "$out/$d" -maxdepth 1 -type l -delete
		for f in "$top/$d"/*.c "$top/$d"/*.h; do
			[ -e "$f" ] && ln -sf "$f" "$out/$d/"
		done
	done
	ln -sf "$top/Kbuild" "$out/Kbuild"
else
	out=$top
fi
echo "ctls: building $(sh "$top/packaging/version.sh") for $rel in $out" >&2
# DKMS runs MAKE[0] as written, without its own -j.
make -j"$(nproc 2>/dev/null || echo 1)" -C "$kdir" M="$out" CTLS_EXPORTS=y modules
sh "$top/packaging/check-crcs.sh" "$kdir/Module.symvers" "$out/Module.symvers" ||
	die "not taking over \"tls\" on $rel: see above"
echo "$out/ctls.ko"
