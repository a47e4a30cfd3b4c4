#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-deb.sh [OUTDIR]
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
# and the maintainer scripts of packaging/debian/. Prints the .deb's path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build}
ver=$(sh "$top/packaging/version.sh")
cd "$top"
# Reproducible: every date is the last commit's.
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
export SOURCE_DATE_EPOCH
maint=$(git log -1 --format='%an <%ae>' 2>/dev/null || echo 'ctls <ctls@localhost>')

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
src=$stage/usr/src/ctls-$ver
doc=$stage/usr/share/doc/ctls-dkms
mkdir -p "$src/packaging" "$doc" "$stage/usr/lib/modprobe.d" "$stage/DEBIAN"
for d in module include kunit; do
	mkdir -p "$src/$d"
	cp -p "$d"/*.[ch] "$src/$d/"
done
cp -p Kbuild "$src/"
cp -p packaging/kbuild.sh packaging/check-crcs.sh packaging/version.sh "$src/packaging/"
echo "$ver" >"$src/VERSION"
sed "s/@VERSION@/$ver/" dkms.conf >"$src/dkms.conf"
install -m 0644 packaging/modprobe.conf "$stage/usr/lib/modprobe.d/ctls.conf"

# The changelog: this version, with the subjects of the last 30 commits.
{
	echo "ctls-dkms ($ver) unstable; urgency=medium"
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
sed -e "s/@VERSION@/$ver/" -e "s/@MAINTAINER@/$maint/" -e "s/@SIZE@/$size/" \
	packaging/debian/control.in >"$stage/DEBIAN/control"
for f in postinst prerm; do
	sed "s/@VERSION@/$ver/" "packaging/debian/$f" >"$stage/DEBIAN/$f"
	chmod 0755 "$stage/DEBIAN/$f"
done
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
chmod -R u=rwX,go=rX "$stage/usr"
chmod 0755 "$stage" "$stage/DEBIAN"
mkdir -p "$out"
deb=$out/ctls-dkms_${ver}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
