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

# apt-get / apt-cache (TOOL) with one suite of Debian's archive as the only
# source: $apt7_suite, default trixie-backports, where Debian's 7.x kernels
# and linux-source-7.* are. The configuration, lists and cache are private,
# under $CTLS_CACHE/apt-<suite>/: the host's apt sources are never touched.
apt7_suite=${apt7_suite:-trixie-backports}

apt7_dir() {
	echo "$CTLS_CACHE/apt-$apt7_suite"
}

apt7() {
	local tool=$1 d
	shift
	d=$(apt7_dir)
	"$tool" -o Dir::Etc::sourcelist="$d/sources.list" \
		-o Dir::Etc::sourceparts=/dev/null \
		-o Dir::State::Lists="$d/lists" \
		-o Dir::Cache="$d/cache" \
		-o APT::Sandbox::User=root "$@"
}

# Read the suite's package lists, unless they are less than a day old.
# Fails (status 1) when the archive cannot be read.
apt7_refresh() {
	local d
	d=$(apt7_dir)
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	# Written whole and renamed: builds side by side read it meanwhile.
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
		"http://deb.debian.org/debian $apt7_suite main" >"$d/sources.list.$$"
	mv -f "$d/sources.list.$$" "$d/sources.list"
	if [ -n "$(find "$d" -maxdepth 1 -name updated -mmin -1440)" ]; then
		return 0
	fi
	note "reading $apt7_suite's package lists"
	apt7 apt-get update -qq >/dev/null 2>&1 || return 1
	touch "$d/updated"
}

# The newest Debian 7.x amd64 kernel release in trixie-backports, e.g.
# 7.3.4+deb13-amd64 (its image is linux-binary-unsigned-<release>); without
# the archive, the newest one cached.
resolve_kver7() {
	local pkg=
	if apt7_refresh; then
		pkg=$(apt7 apt-cache pkgnames linux-binary-unsigned-7. |
			grep -E '^linux-binary-unsigned-7\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64$' |
			sort -V | tail -n 1 || true)
	fi
	if [ -n "$pkg" ]; then
		echo "${pkg#linux-binary-unsigned-}"
		return
	fi
	pkg=$(cd "$CTLS_CACHE/kernels" 2>/dev/null && ls -d 7.*-amd64 | sort -V | tail -n 1)
	[ -n "$pkg" ] || die "no Debian 7.x kernel found in $apt7_suite"
	note "cannot read $apt7_suite: using the cached $pkg"
	echo "$pkg"
}

# Map a series ("6.1", "6.12" or "7") to the newest stock amd64 kernel
# release Debian offers, e.g. 6.1.0-56-amd64, 6.12.117+deb12-amd64 or
# 7.3.4+deb13-amd64. CTLS_KVER_6_1 / CTLS_KVER_6_12 / CTLS_KVER_7 pin it.
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
	7) resolve_kver7; return ;;
	*) die "unknown kernel series '$series' (use 6.1, 6.12 or 7)" ;;
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

# The path of a sparse for 7.x's kbuild, which first checks that sparse
# knows __typeof_unqual__ (scripts/checker-valid.sh) and otherwise skips
# it: bookworm's and trixie's sparse 0.6.4 do not; Debian forky's (0.6.5~rc1
# today) does, and runs in the Debian 13 root (it needs glibc 2.38 and
# nothing else). The binary alone is taken from forky's package (through
# apt7), once per version, into $CTLS_CACHE/sparse/<version>/; without the
# archive, the newest one cached.
sparse7_path() {
	local top=$CTLS_CACHE/sparse ver tmp
	ver=$(apt7_suite=forky
		apt7_refresh && apt7 apt-cache madison sparse |
			awk '{ print $3 }' | sort -V | tail -n 1) || true
	[ -n "$ver" ] || ver=$(ls "$top" 2>/dev/null | sort -V | tail -n 1)
	[ -n "$ver" ] || die "no sparse found in Debian forky"
	if [ ! -x "$top/$ver/sparse" ]; then
		tmp=$top/$ver.tmp
		rm -rf "$tmp"
		mkdir -p "$tmp"
		note "downloading sparse=$ver (forky)"
		(cd "$tmp" && apt7_suite=forky apt7 apt-get download -qq "sparse=$ver" \
			>/dev/null) || die "apt-get download sparse=$ver failed"
		dpkg-deb --fsys-tarfile "$tmp"/sparse_*.deb |
			tar -C "$tmp" -x ./usr/bin/sparse
		mkdir -p "$top/$ver"
		mv "$tmp/usr/bin/sparse" "$top/$ver/sparse"
		rm -rf "$tmp"
	fi
	echo "$top/$ver/sparse"
}

# kbuild_make KVER MAKE-ARGS...: make against the cached headers of KVER.
# 7.x's headers want gcc-14 (-fmin-function-alignment=16), which bookworm
# does not have: for them make runs in the Debian 13 root of
# qemu/debian-root.sh (gcc-14, built once), chrooted in a private mount
# namespace in which the tree, the kernel's cache directory and
# $CTLS_BUILD are bind-mounted at their own paths (empty directories in the
# root are the mount points), /proc (objtool reads it), and sparse7_path's
# sparse at /run/ctls/sparse, on a tmpfs, for C=1 and C=2. Nothing else of
# the root changes, and nothing of the host.
kbuild_make() {
	local kver=$1 root sparse
	shift
	case $kver in
	7.*) ;;
	*) make "$@"; return ;;
	esac
	root=$(bash "$CTLS_TOP/qemu/debian-root.sh" trixie) || return 1
	sparse=$(sparse7_path) || return 1
	unshare --mount --fork /bin/bash -euc '
		root=$1 top=$2 kdir=$3 build=$4 sparse=$5
		shift 5
		for d in "$top" "$kdir" "$build"; do
			case $d in "" | "$top"/*) continue ;; esac
			mkdir -p "$root$d" "$d"
			mount --bind "$d" "$root$d"
		done
		mount -t proc proc "$root/proc"
		mount -t tmpfs tmpfs "$root/run"
		mkdir "$root/run/ctls"
		touch "$root/run/ctls/sparse"
		mount --bind "$sparse" "$root/run/ctls/sparse"
		exec chroot "$root" make CHECK=/run/ctls/sparse "$@"' \
		kbuild_make "$root" "$CTLS_TOP" "$(kdir_of "$kver")" \
		"${CTLS_BUILD:-}" "$sparse" "$@"
}
