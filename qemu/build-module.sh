#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh SERIES [make args...]
#
# Build ctls.ko against the cached headers of the newest Debian kernel of
# SERIES, in build/<kernel release>/ (a tree of links to the sources, so that
# several kernels can be built side by side). W=1 and -Werror always.
# Prints the path of the module.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${1:?usage: build-module.sh 6.1|6.12|7 [make args]}
shift
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series")
kdir=$(kdir_of "$kver")/root/usr/src/linux-headers-$kver
out=${CTLS_BUILD:-$CTLS_TOP/build}/$kver

# Mirror the sources as links; objects land in $out, never in the tree.
# One build at a time in $out: suites that run guests side by side (the
# debug suite's two lanes) may ask for the same kernel's module at once.
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
for d in module include kunit; do
	[ -d "$CTLS_TOP/$d" ] || continue
	mkdir -p "$out/$d"
	find "$out/$d" -maxdepth 1 -type l -delete
	for f in "$CTLS_TOP/$d"/*; do
		case $f in *.c | *.h) ln -sf "$f" "$out/$d/" ;; esac
	done
done
ln -sf "$CTLS_TOP/Kbuild" "$out/Kbuild"

# 6.1's headers have no vmlinux, so kbuild says it skips BTF: not news.
if ! kbuild_make "$kver" -s -C "$kdir" M="$out" W=1 "$@" modules 2>&1 |
	{ grep -v "^Skipping BTF generation" >&2 || true; }; then
	die "build against $kver failed"
fi
exec 9>&-
echo "$out/ctls.ko"
