#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# baseline.sh SERIES [--print-path]
#
# Stock tls.ko's per-test results of upstream's selftest are data, keyed by
# the exact kernel release and Debian package version, committed under
# userspace-tests/selftest/baseline/. This prints the path of the file for
# the cached kernel of SERIES with --print-path (empty when there is none),
# and otherwise recomputes it (about 10 minutes of guest time per kernel).
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

series=${1:?usage: baseline.sh SERIES [--print-path]}
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series")
file=$CTLS_TOP/userspace-tests/selftest/baseline/${kver}_$(cat "$(kdir_of "$kver")/version").txt

if [ "${2:-}" = --print-path ]; then
	[ -f "$file" ] && echo "$file"
	exit 0
fi
mkdir -p "$(dirname "$file")"
bash "$CTLS_TOP/userspace-tests/selftest/run.sh" "$series" stock "$file.new"
mv "$file.new" "$file"
note "stock results for $kver written to $file: commit it"
