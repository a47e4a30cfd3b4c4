#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build.sh SERIES
#
# Build upstream's TLS selftest (tools/testing/selftests/net/tls.c) of the
# cached kernel of SERIES as a static binary, from that kernel's Debian
# linux-source. Prints its path. Two things are adjusted, at build time only
# (the source is never committed):
#
#  - every kernel uses the 6.12 kselftest_harness.h: it has the -f/-v/-t
#    filters that let the runner shard a run across guests (6.1's has none),
#    and __test_passed(), which Debian's backported 6.1 tests already call;
#  - Debian backported upstream's rekey tests, which call
#    tls_crypto_info_init() with a fourth argument (the "key generation"
#    byte the key material is filled with) that the file's own definition
#    lacks. The definition gains that argument, filling the keys with it as
#    upstream's later definition does; calls with three arguments pass 0,
#    which keeps their keys what they were (all zero);
#  - the mutliproc_* cases (several processes moving megabytes through one
#    socket pair) get a 120 s harness timeout instead of 30 s: under TCG they
#    take 6-11 s on an idle machine and came close to 30 s with three guests
#    on two cores, where stock and ctls alike then failed at random.
# No test's body changes.
set -euo pipefail
. "$(dirname "$0")/../../qemu/common.sh"

series=${1:?usage: build.sh 6.1|6.12}
kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series")
harness_kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" 6.12)
src=$(kdir_of "$kver")/src/tools/testing/selftests
hsrc=$(kdir_of "$harness_kver")/src/tools/testing/selftests
out=${CTLS_BUILD:-$CTLS_TOP/build}/$kver/selftest
bin=$out/tls
stamp=$(cat "$src/net/tls.c" "$hsrc/kselftest_harness.h" "$0" | sha256sum | cut -c1-16)

if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$bin"
	exit 0
fi
need_pkgs gcc libc6-dev python3
mkdir -p "$out/net"
cp "$hsrc/kselftest_harness.h" "$hsrc/kselftest.h" "$out/"
python3 - "$src/net/tls.c" "$out/net/tls.c" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
old = ("static void tls_crypto_info_init(uint16_t tls_version, uint16_t cipher_type,\n"
       "\t\t\t\t struct tls_crypto_info_keys *tls12)\n{\n"
       "\tmemset(tls12, 0, sizeof(*tls12));\n")
new = ("static void tls_crypto_info_init(uint16_t tls_version, uint16_t cipher_type,\n"
       "\t\t\t\t struct tls_crypto_info_keys *tls12,\n"
       "\t\t\t\t char key_generation)\n{\n"
       "\tmemset(tls12, key_generation, sizeof(*tls12));\n"
       "\tmemset(tls12, 0, sizeof(struct tls_crypto_info));\n")
if old in text:
    text = text.replace(old, new)
    def fix(m):
        args, depth, commas = m.group(1), 0, 0
        for ch in args:
            depth += ch == '('
            depth -= ch == ')'
            commas += ch == ',' and depth == 0
        return m.group(0) if commas != 2 else "tls_crypto_info_init(%s, 0);" % args
    text = re.sub(r"tls_crypto_info_init\(([^;{]*?)\);", fix, text, flags=re.S)
text = re.sub(r"^TEST_F\(tls, (mutliproc_\w+)\)$",
              r"TEST_F_TIMEOUT(tls, \1, 120)", text, flags=re.M)
open(sys.argv[2], "w").write(text)
PY
gcc -O2 -static -Wall -Wno-unused-result -I"$out" -o "$bin" "$out/net/tls.c" -lpthread >&2
echo "$stamp" >"$bin.stamp"
echo "$bin"
