#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh SERIES [make args...]
#
# Build the in-kernel test module (ctls_rstest.ko) against the cached
# headers of SERIES, in build/<kernel release>/inkernel/ (W=1, -Werror),
# and the userspace programs of this folder, static, in build/inkernel/.
# Prints the module's path. Extra make args (C=1 for sparse) go to kbuild.
set -euo pipefail
. "$(dirname "$0")/../qemu/common.sh"

series=${1:?usage: build.sh 6.1|6.12|7 [make args]}
shift
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series")
kdir=$(kdir_of "$kver")/root/usr/src/linux-headers-$kver
out=${CTLS_BUILD:-$CTLS_TOP/build}/$kver/inkernel

mkdir -p "$out"
find "$out" -maxdepth 1 -type l -delete
ln -sf "$CTLS_TOP/inkernel/ctls_rstest.c" "$CTLS_TOP/inkernel/Kbuild" \
	"$CTLS_TOP/module/compat.h" "$out/"
if ! kbuild_make "$kver" -s -C "$kdir" M="$out" W=1 "$@" modules 2>&1 |
	{ grep -v "^Skipping BTF generation" >&2 || true; }; then
	die "ctls_rstest against $kver failed"
fi

bin=$CTLS_TOP/build/inkernel
mkdir -p "$bin"
if [ ! "$bin/protos" -nt "$CTLS_TOP/inkernel/protos.c" ]; then
	# Both kernels' builds may run at once: one of them wins the rename.
	gcc -static -O2 -Wall -Wextra -pthread \
		-o "$bin/protos.$$" "$CTLS_TOP/inkernel/protos.c"
	mv -f "$bin/protos.$$" "$bin/protos"
fi
echo "$out/ctls_rstest.ko"
