#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [-c] [-r]
#
# Build (once, cached) the debug kernel: Debian's linux-source-6.12 at the
# Debian version of the cached stock 6.12 kernel, `make tinyconfig` plus
# qemu/debug.config (KUnit, KASAN, lockdep, kmemleak, fault injection, TLS
# and every cipher of the TLS UAPI). Objects go to
# $CTLS_CACHE/debug-kernel/<hash of the fragment and the source version>/;
# the result is then laid out like a fetched stock kernel, in
# $CTLS_CACHE/kernels/<release>/, so that the harness takes it unchanged:
#
#   qemu/run.sh -k <release> ...                         boots it
#   CTLS_KVER_6_12=<release> qemu/build-module.sh 6.12   builds against it
#
# (root/boot/vmlinuz-<release>, root/lib/modules/<release> from
# modules_install, root/usr/src/linux-headers-<release> a link to the build
# directory, src a link to the full source tree, version.) The release is
# 6.12.N-ctlsdbg-<hash>, so kernels from different fragments sit side by
# side. Prints the build directory, in seconds when it is already built.
#
#   -c   stop after making and checking .config (compile nothing)
#   -r   print the kernel release instead of the build directory
#
# CTLS_JOBS (default 2) is make's -j.
set -euo pipefail
. "$(dirname "$0")/common.sh"

config_only=0
print_release=0
while getopts "cr" opt; do
	case $opt in
	c) config_only=1 ;;
	r) print_release=1 ;;
	*) die "see the header of $0 for usage" ;;
	esac
done

frag=$CTLS_TOP/qemu/debug.config
stock=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" 6.12)
ver=$(cat "$(kdir_of "$stock")/version")
top=$CTLS_CACHE/debug-kernel
src=$top/linux-source-$ver
hash=$({ echo "linux-source-6.12=$ver"; cat "$frag"; } | sha256sum | cut -c1-12)
obj=$top/$hash

# ARCH=x86_64, not the host's default x86: tinyconfig would then start
# from a 32-bit kernel, and switching it to 64 bits afterwards keeps 32-bit
# defaults (FRAME_WARN=1024, which fails -Werror module builds under KASAN).
kmake() {
	make -s -C "$src" O="$obj" ARCH=x86_64 "$@"
}

release() {
	if [ -f "$obj/include/config/kernel.release" ]; then
		cat "$obj/include/config/kernel.release"
	else
		kmake kernelrelease
	fi
}

report() {
	if [ "$print_release" = 1 ]; then release; else echo "$obj"; fi
	exit 0
}

# The whole linux-source tree, extracted once per Debian version.
fetch_source() {
	local tmp=$src.tmp
	[ -f "$src/.ctls-complete" ] && return
	rm -rf "$tmp" "$src"
	mkdir -p "$tmp/deb" "$tmp/tree"
	note "downloading linux-source-6.12=$ver"
	(cd "$tmp/deb" && apt-get download -qq -o APT::Sandbox::User=root \
		"linux-source-6.12=$ver" >/dev/null) ||
		die "apt-get download linux-source-6.12=$ver failed"
	note "extracting it into $src"
	dpkg-deb --fsys-tarfile "$tmp"/deb/*.deb |
		tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
		tar -xJ -C "$tmp/tree" --strip-components=1
	mv "$tmp/tree" "$src"
	rm -rf "$tmp"
	touch "$src/.ctls-complete"
}

# Every line of the fragment must be in .config as written: kconfig drops
# what a dependency does not allow, without a word.
check_config() {
	local line sym want missing=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$obj/.config" && continue
			sym=${line%%=*}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#"# "}
			sym=${sym%% *}
			grep -q "^$sym=" "$obj/.config" || continue
			;;
		*) continue ;;
		esac
		want=$line
		note "wanted '$want', got '$(grep -E "^($sym=|# $sym is not set)" "$obj/.config" || echo "$sym absent")'"
		missing=$((missing + 1))
	done <"$frag"
	[ "$missing" = 0 ] || die "$missing option(s) of $frag did not stick"
}

configure() {
	rm -rf "$obj"
	mkdir -p "$obj"
	kmake tinyconfig >/dev/null
	{
		cat "$frag"
		echo "CONFIG_LOCALVERSION=\"-ctlsdbg-$hash\""
		echo "# CONFIG_LOCALVERSION_AUTO is not set"
	} >"$obj/ctls-debug.config"
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "$obj/ctls-debug.config" >"$obj/merge.log" 2>&1 ||
		{ cat "$obj/merge.log" >&2; die "merge_config.sh failed"; }
	kmake olddefconfig >/dev/null
	# include/config/auto.conf, which the kernel release is read from
	kmake syncconfig >/dev/null
	check_config
	touch "$obj/.ctls-configured"
}

build() {
	local t0=$SECONDS
	note "building $(release) in $obj (make -j${CTLS_JOBS:-2}; a few minutes)"
	if ! kmake -j"${CTLS_JOBS:-2}" all >"$obj/build.log" 2>&1; then
		tail -n 40 "$obj/build.log" >&2
		die "debug kernel build failed; log: $obj/build.log"
	fi
	note "built in $((SECONDS - t0)) s"
	touch "$obj/.ctls-built"
}

# The layout of a fetched stock kernel (see fetch-kernel.sh), so that
# run.sh, initramfs.sh and build-module.sh need no change.
install_layout() {
	local rel kd
	rel=$(release)
	[ -n "$rel" ] || die "no kernel release in $obj"
	kd=$(kdir_of "$rel")
	rm -rf "$kd"
	mkdir -p "$kd/root/boot" "$kd/root/usr/src"
	kmake INSTALL_MOD_PATH="$kd/root" modules_install >/dev/null
	cp "$obj/arch/x86/boot/bzImage" "$kd/root/boot/vmlinuz-$rel"
	cp "$obj/.config" "$kd/root/boot/config-$rel"
	cp "$obj/System.map" "$kd/root/boot/System.map-$rel"
	ln -s "$obj" "$kd/root/usr/src/linux-headers-$rel"
	ln -s "$src" "$kd/src"
	echo "$ver" >"$kd/version"
	touch "$obj/.ctls-installed"
}

installed() {
	[ -f "$obj/.ctls-installed" ] &&
		[ -f "$(kdir_of "$(release)")/root/boot/vmlinuz-$(release)" ]
}

installed && report
# One build at a time (check's suites, make stress and make kunit may all
# ask at once): the others wait here and find it built.
mkdir -p "$top"
exec 9>"$top/.lock"
flock 9
installed && report
need_pkgs xz-utils make gcc bc bison flex libelf-dev libssl-dev kmod
fetch_source
[ -f "$obj/.ctls-configured" ] || configure
[ "$config_only" = 1 ] && report
[ -f "$obj/.ctls-built" ] || build
install_layout
report
