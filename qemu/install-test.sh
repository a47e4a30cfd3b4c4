#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-test.sh [-l LOG] [-d DEB | -M] SERIES
#
# The ctls-dkms package (or, -M, the prebuilt ctls-modules-<release>
# one) on a real Debian userspace in a guest of the stock
# kernel of SERIES, as an administrator would use it: the host's root
# (Debian 12) for 6.1 and 6.12, the Debian 13 root of qemu/debian-root.sh
# for 7.x, both with the kernel's whole module tree writable and the
# stock tls.ko in it (qemu/run.sh -w), and no module given to insmod.
# userspace-tests/install.sh runs there (TAP): the kernel's headers and
# dkms go in with dpkg, then the package, whose DKMS build is timed;
# nginx with kTLS sendfile serves curl on ctls, loaded by the kernel's own
# request_module; bonding loads against ctls's exports, before and after;
# dpkg -r brings the stock tls.ko back.
#
#   -l LOG   console log (default build/install-SERIES.log)
#   -d DEB   the package (default: packaging/build-deb.sh builds one)
#   -M       ctls-modules-<release>, built here (packaging/build-deb.sh
#            --modules with the cached headers of SERIES: 6.1 and 6.12, whose
#            compiler is the host's), instead of ctls-dkms: nothing is
#            compiled in the guest, and it needs no headers
#   -f       only download what the guest installs (below), then exit
#
# What the guest installs comes from Debian's archive, downloaded once into
# $CTLS_CACHE/install/<release>/: the headers of the kernel (with their
# -common, kbuild and compiler packages) and what dkms needs that the
# guest's root lacks (ctls-dkms only); nothing of it goes on the host,
# which gets only the programs the guest runs from its root (nginx, curl).
set -euo pipefail
. "$(dirname "$0")/common.sh"

log=
deb=
fetch_only=0
prebuilt=0
while getopts "l:d:fM" opt; do
	case $opt in
	f) fetch_only=1 ;;
	M) prebuilt=1 ;;
	l) log=$OPTARG ;;
	d) deb=$OPTARG ;;
	*) die "see the header of $0 for usage" ;;
	esac
done
shift $((OPTIND - 1))
series=${1:?usage: install-test.sh [-l LOG] [-d DEB | -M] 6.1|6.12|7}
[ -n "$log" ] || log=$CTLS_TOP/build/install-$series.log
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series")
kdir=$(kdir_of "$kver")
root=/
[ "$series" = 7 ] && root=$(bash "$CTLS_TOP/qemu/debian-root.sh" trixie)
# What the guest runs from the host's root (nginx must not start on the
# host: it runs in the guest only).
[ "$root" != / ] || need_pkgs_nostart openssl nginx curl iproute2

# The packages of the list in $1 that apt would newly install on a system
# whose dpkg status is the guest root's (upgrades left out: the guest only
# needs what is missing). TOOL... (apt-get, or apt7 apt-get) follows.
missing() {
	local pkgs=$1
	shift
	# shellcheck disable=SC2086
	"$@" install -s --no-install-recommends \
		-o Dir::State::status="$root/var/lib/dpkg/status" $pkgs 2>/dev/null |
		awk '$1 == "Inst" && $3 !~ /^\[/ { print $2 }'
}

# A package with no files that stands for the running kernel's image,
# which 6.12's headers depend on: the guest boots that kernel, but its
# image package is not in the root's dpkg database.
dummy_image() {
	local name=$1 ver=$2 d
	d=$(mktemp -d)
	mkdir -p "$d/DEBIAN"
	cat >"$d/DEBIAN/control" <<-CTL
		Package: $name
		Version: $ver
		Architecture: amd64
		Maintainer: ctls tests <ctls@localhost>
		Description: the running kernel (ctls install test)
		 Stands for the image of the kernel that the guest boots.
	CTL
	dpkg-deb --root-owner-group --build "$d" "$3/${name}_${ver}_amd64.deb" >/dev/null
	rm -rf "$d"
}

guest_debs() {
	local dir=$CTLS_CACHE/install/$kver tmp common kbuild extra apt=(apt-get) base=()
	if [ -f "$dir/.complete" ]; then
		echo "$dir"
		return
	fi
	tmp=$dir.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if [ "$series" = 7 ]; then
		apt=(apt7 apt-get)
		apt7_refresh || die "cannot read $apt7_suite"
		base=("linux-base-$kver")
	fi
	common=$("${apt[@]/apt-get/apt-cache}" depends "linux-headers-$kver" |
		sed -n 's/^ *Depends: \(linux-headers-.*-common\)$/\1/p' | head -n 1)
	kbuild=$("${apt[@]/apt-get/apt-cache}" depends "linux-headers-$kver" |
		sed -n 's/^ *Depends: \(linux-kbuild-.*\)$/\1/p' | head -n 1)
	note "downloading linux-headers-$kver $common $kbuild ${base[*]} for the guest"
	(cd "$tmp" && "${apt[@]}" download -qq -o APT::Sandbox::User=root \
		"linux-headers-$kver" "$common" "$kbuild" "${base[@]}" >/dev/null) ||
		die "apt-get download of $kver's headers failed"
	case $series in
	6.1) extra=$(missing "dkms linux-compiler-gcc-12-x86" apt-get) ;;
	6.12) extra=$(missing "dkms linux-base gcc-12" apt-get)
	      dummy_image "linux-image-$kver-unsigned" "$(cat "$kdir/version")" "$tmp" ;;
	7) extra=$(apt7_suite=trixie
	      apt7_refresh || die "cannot read trixie"
	      missing "dkms gcc-14-for-host linux-base" apt7 apt-get) ;;
	esac
	if [ -n "$extra" ]; then
		note "downloading $(echo $extra) for the guest"
		# shellcheck disable=SC2086
		(cd "$tmp" && if [ "$series" = 7 ]; then apt7_suite=trixie apt7 apt-get \
			download -qq $extra; else apt-get download -qq \
			-o APT::Sandbox::User=root $extra; fi >/dev/null) ||
			die "apt-get download $extra failed"
	fi
	touch "$tmp/.complete"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	echo "$dir"
}

pay=$(mktemp -d)
trap 'rm -rf "$pay"' EXIT
mkdir -p "$pay/debs"
if [ "$prebuilt" = 1 ]; then
	[ "$series" != 7 ] || die "-M: 7.x's headers want gcc-14, which the host has not"
	[ "$fetch_only" = 0 ] || exit 0
	deb=$(bash "$CTLS_TOP/packaging/build-deb.sh" --modules \
		"$kdir/root/usr/src/linux-headers-$kver" "$CTLS_TOP/build/install") ||
		die "cannot build ctls-modules-$kver"
else
	debs=$(guest_debs)
	[ "$fetch_only" = 0 ] || exit 0
	[ -n "$deb" ] || deb=$(bash "$CTLS_TOP/packaging/build-deb.sh" "$CTLS_TOP/build")
	cp "$debs"/*.deb "$pay/debs/"
fi
cp "$deb" "$pay/"
cp "$CTLS_TOP/userspace-tests/install.sh" "$CTLS_TOP/userspace-tests/tap.sh" \
	"$CTLS_TOP/userspace-tests/nginx.sh" "$pay/"
mkdir -p "$(dirname "$log")"
rootopt=(-r)
[ "$root" = / ] || rootopt=(-R "$root")

start=$(date +%s)
set +e
bash "$CTLS_TOP/qemu/run.sh" "${rootopt[@]}" -w -k "$series" -p "$pay" -t 2400 \
	-l "$log" -q -- "sh ./install.sh"
rc=$?
set -e
grep -aE '^(not )?ok [0-9]|^#|^1\.\.' "$log"
note "install on $series: status $rc in $(($(date +%s) - start)) s (console: $log)"
exit "$rc"
