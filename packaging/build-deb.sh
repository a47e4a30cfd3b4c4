#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-deb.sh [--modules KDIR] [OUTDIR]
#
# make deb: ctls-dkms_<version>_all.deb in OUTDIR (default build/), with
# dpkg-deb alone (no debhelper). The version is packaging/version.sh's
# (git describe); the changelog is made from git log. Contents:
#
#   /usr/src/ctls-<version>/          the sources DKMS builds (Kbuild,
#                                     module/, include/, kunit/, dkms.conf,
#                                     VERSION, packaging/*.sh)
#   /usr/lib/modprobe.d/ctls.conf     "tls" is ctls (packaging/modprobe.conf)
#   /usr/share/doc/ctls-dkms/         changelog, copyright, README
#
# and the maintainer scripts of packaging/debian/.
#
# make deb-modules, --modules KDIR: ctls-modules-<release>_<version>_<arch>.deb
# instead, ctls prebuilt (packaging/kbuild.sh) for the kernel whose headers
# are in KDIR, for machines without compilers or headers (what DKMS's
# mkbmdeb makes of a DKMS package):
#
#   /lib/modules/<release>/updates/ctls.ko
#   /usr/lib/modprobe.d/ctls-<release>.conf   (packaging/modprobe.conf; one
#                                     per kernel, so that packages for
#                                     several kernels install side by side)
#   /usr/share/doc/ctls-modules-<release>/
#
# and the maintainer scripts packaging/debian/modules.*. Prints the .deb's
# path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=
if [ "${1:-}" = --modules ]; then
	kdir=${2:?usage: build-deb.sh [--modules KDIR] [OUTDIR]}
	shift 2
fi
out=${1:-$top/build}
ver=$(sh "$top/packaging/version.sh")
cd "$top"
# Reproducible: every date is the last commit's.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
maint=$(git log -1 --format='%an <%ae>' 2>/dev/null || echo 'ctls <ctls@localhost>')

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/usr/lib/modprobe.d" "$stage/DEBIAN"
if [ -z "$kdir" ]; then
	pkg=ctls-dkms rel= arch=all scripts="postinst prerm"
	src=$stage/usr/src/ctls-$ver
	mkdir -p "$src/packaging"
	for d in module include kunit; do
		mkdir -p "$src/$d"
		cp -p "$d"/*.[ch] "$src/$d/"
	done
	cp -p Kbuild "$src/"
	cp -p packaging/kbuild.sh packaging/check-crcs.sh packaging/version.sh "$src/packaging/"
	echo "$ver" >"$src/VERSION"
	sed "s/@VERSION@/$ver/" dkms.conf >"$src/dkms.conf"
	install -m 0644 packaging/modprobe.conf "$stage/usr/lib/modprobe.d/ctls.conf"
	control=packaging/debian/control.in
else
	ko=$(sh packaging/kbuild.sh "$kdir" | tail -n 1)
	rel=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
	pkg=ctls-modules-$rel scripts="postinst prerm postrm"
	arch=$(dpkg --print-architecture)
	install -D -m 0644 "$ko" "$stage/lib/modules/$rel/updates/ctls.ko"
	# As DKMS (STRIP) and the kernel's own modules_install: no debug info.
	strip --strip-debug "$stage/lib/modules/$rel/updates/ctls.ko"
	install -m 0644 packaging/modprobe.conf "$stage/usr/lib/modprobe.d/ctls-$rel.conf"
	control=packaging/debian/modules.control.in
fi
doc=$stage/usr/share/doc/$pkg
mkdir -p "$doc"

# The changelog: this version, with the subjects of the last 30 commits.
{
	echo "$pkg ($ver) unstable; urgency=medium"
	echo
	git log -30 --format='%s' 2>/dev/null | sed 's/^/  * /' | fold -s -w 76 |
		sed -e 's/^\([^ ]\)/    \1/' -e 's/ *$//'
	echo
	echo " -- $maint  $(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$doc/changelog.gz"
cp README.md "$doc/README.md"
cat >"$doc/copyright" <<-COPY
	Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
	Upstream-Name: ctls

	Files: *
	Copyright: the ctls authors
	License: GPL-2.0
	 On Debian systems, the full text of the GNU General Public License
	 version 2 is in /usr/share/common-licenses/GPL-2.
COPY

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
subst=(-e "s/@VERSION@/$ver/g" -e "s/@RELEASE@/$rel/g" -e "s/@ARCH@/$arch/"
	-e "s/@MAINTAINER@/$maint/" -e "s/@SIZE@/$size/")
sed "${subst[@]}" "$control" >"$stage/DEBIAN/control"
for f in $scripts; do
	in=packaging/debian/$f
	[ -z "$kdir" ] || in=packaging/debian/modules.$f
	sed -e '/^#@LOADED@$/{r packaging/debian/loaded.sh' -e 'd}' "$in" |
		sed "${subst[@]}" >"$stage/DEBIAN/$f"
	chmod 0755 "$stage/DEBIAN/$f"
done
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
chmod -R u=rwX,go=rX "$stage/usr"
[ -z "$kdir" ] || chmod -R u=rwX,go=rX "$stage/lib"
chmod 0755 "$stage" "$stage/DEBIAN"
mkdir -p "$out"
deb=$out/${pkg}_${ver}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
