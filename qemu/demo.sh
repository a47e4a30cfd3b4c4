#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: the main job. Boots the stock Debian 6.12 kernel in QEMU, loads
# ctls.ko and shows what it does so far. Grows as features land.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${DEMO_KERNEL:-6.12}
ko=$(bash "$CTLS_TOP/qemu/build-module.sh" "$series")
pay=$(mktemp -d)
trap 'rm -rf "$pay"' EXIT
cp "$CTLS_TOP/build/tests/ulp" "$CTLS_TOP/build/tests/xtls" "$ko" "$pay/"
cat >"$pay/demo.sh" <<'GUEST'
set -e
step() { printf '\n== %s\n' "$*"; }
step "guest kernel"
uname -r
step "AES-GCM driver the crypto API picks (AES-NI expected)"
awk '/^name/ { n = $3 } /^driver/ && n == "gcm(aes)" { print $3 }' /proc/crypto | head -n 1
step "insmod ctls.ko (stock tls.ko is not loaded)"
insmod ./ctls.ko
dmesg | grep 'ctls:' | tail -n 1 | sed 's/^\[[^]]*\] /kernel: /'
step "attach TCP_ULP \"tls\" to a loopback connection: served by ctls"
./ulp hold tls &
sleep 1
echo "ctls module use count with that socket open: $(cat /sys/module/ctls/refcnt)"
kill $!
wait $! 2>/dev/null || true
step "64 MiB over TLS 1.2 (sendfile) and TLS 1.3 (send), ctls on both ends, every byte checked"
./xtls tls tls big | grep '^ok\|^not ok'
step "/proc/net/tls_stat (ctls's counters, upstream's names)"
cat /proc/net/tls_stat
sleep 1
step "rmmod ctls"
rmmod ctls && echo "unloaded cleanly"
GUEST
echo "ctls demo: booting $series under QEMU/TCG (about a minute)"
start=$(date +%s)
bash "$CTLS_TOP/qemu/run.sh" -q -k "$series" -p "$pay" -t 300 \
	-l "$CTLS_TOP/build/demo-console.log" -- 'sh ./demo.sh' &&
	rc=0 || rc=$?
sed -n '/^== guest kernel/,/^CTLS-EXIT/p' "$CTLS_TOP/build/demo-console.log" |
	grep -av '^\[ *[0-9.]*\]' | grep -v '^CTLS-EXIT'
echo
if [ "$rc" = 0 ]; then
	echo "demo OK in $(($(date +%s) - start)) s, no kernel splat (console: build/demo-console.log)"
else
	echo "demo FAILED (status $rc, console: build/demo-console.log)"
fi
exit "$rc"
