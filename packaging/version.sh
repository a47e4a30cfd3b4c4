#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# version.sh: ctls's version, as modinfo, the package and DKMS show it.
# The package's copy of the sources (/usr/src/ctls-<version>) has no git:
# it carries the version in a VERSION file, read first. Otherwise, from
# git describe: a tag vX.Y gives X.Y, or X.Y+gitN.gHASH N commits after
# it; with no tag, 0+gitN.gHASH, N the number of commits (so that each
# commit's package is newer than the last). ".dirty" marks uncommitted
# changes. A Debian version and a DKMS one: digits first, no hyphen.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$top/VERSION" ]; then
	cat "$top/VERSION"
	exit 0
fi
cd "$top" || exit 1
d=$(git describe --tags --match 'v[0-9]*' --dirty=.dirty 2>/dev/null)
if [ -n "$d" ]; then
	# v1.2 / v1.2-3-gabcdef0 / v1.2-3-gabcdef0.dirty
	echo "$d" | sed -e 's/^v//' -e 's/-\([0-9]*\)-g/+git\1.g/'
	exit 0
fi
# No git (a build root without it): a version, but none to rely on.
n=$(git rev-list --count HEAD 2>/dev/null) || { echo 0+unknown; exit 0; }
h=$(git describe --always --abbrev=7 --dirty=.dirty)
echo "0+git$n.g$h"
