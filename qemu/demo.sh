#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: the main job. Boots the stock Debian 6.12 kernel in QEMU with the
# host's userspace (run.sh -r), loads ctls.ko and shows what it does so far:
# ctls serving the ULP, nginx sending a file with kTLS sendfile to curl,
# ctls on both ends of 64 MiB transfers, its counters, a clean unload.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${DEMO_KERNEL:-6.12}
# nginx runs in the guest only, never on the host.
need_pkgs_nostart nginx curl openssl
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
step "insmod ctls.ko (stock tls.ko is not in this guest: modprobe tls fails)"
insmod ./ctls.ko
dmesg | grep 'ctls:' | tail -n 1 | sed 's/^\[[^]]*\] /kernel: /'
modprobe tls 2>/dev/null || echo "modprobe tls: fails, as it should"
step "attach TCP_ULP \"tls\" to a loopback connection: served by ctls"
./ulp hold tls &
sleep 1
echo "ctls module use count with that socket open: $(cat /sys/module/ctls/refcnt)"
kill $!
wait $! 2>/dev/null || true
step "$(nginx -v 2>&1 | sed 's/.*: //') (sendfile on, ssl_conf_command Options KTLS) to curl, 64 MiB over TLS 1.3"
mkdir -p /tmp/www /tmp/ng
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout /tmp/ng/key.pem -out /tmp/ng/cert.pem -subj /CN=localhost \
	>/dev/null 2>&1
head -c 67108864 /dev/urandom >/tmp/www/file
cat >/tmp/ng/nginx.conf <<EOF
user root;
worker_processes 1;
pid /tmp/ng/nginx.pid;
error_log /tmp/ng/error.log;
events { worker_connections 16; }
http {
	access_log off;
	sendfile on;
	server {
		listen 127.0.0.1:8443 ssl;
		ssl_certificate /tmp/ng/cert.pem;
		ssl_certificate_key /tmp/ng/key.pem;
		ssl_protocols TLSv1.3;
		ssl_conf_command Options KTLS;
		root /tmp/www;
	}
}
EOF
nginx -c /tmp/ng/nginx.conf
cat /proc/net/tls_stat >/tmp/stat.before
curl -sS -k -o /tmp/got -w '%{size_download} %{time_total}\n' \
	https://127.0.0.1:8443/file >/tmp/curl.out
kill "$(cat /tmp/ng/nginx.pid)"
read -r bytes secs </tmp/curl.out
echo "curl got $bytes bytes in $secs s: $(awk -v b="$bytes" -v s="$secs" \
	'BEGIN { printf "%.1f", b / s / 1048576 }') MiB/s (QEMU TCG, an emulated CPU)"
a=$(sha256sum </tmp/www/file | cut -c1-64)
b=$(sha256sum </tmp/got | cut -c1-64)
if [ "$a" = "$b" ]; then
	echo "sha256 match: $a"
else
	echo "sha256 MISMATCH: $a sent, $b received"
	exit 1
fi
step "/proc/net/tls_stat deltas over that download (nginx's socket: kTLS TX)"
cat /proc/net/tls_stat >/tmp/stat.after
awk 'NR == FNR { was[$1] = $2; next }
	$2 != was[$1] { printf "%-20s %s -> %s\n", $1, was[$1], $2 }' \
	/tmp/stat.before /tmp/stat.after
rm -f /tmp/got /tmp/www/file
step "64 MiB over TLS 1.2 (sendfile) and TLS 1.3 (send), ctls on both ends, every byte checked"
./xtls tls tls big | grep '^ok\|^not ok'
step "/proc/net/tls_stat (ctls's counters, upstream's names)"
cat /proc/net/tls_stat
sleep 1
step "rmmod ctls"
rmmod ctls && echo "unloaded cleanly"
GUEST
echo "ctls demo: booting $series under QEMU/TCG (about 75 seconds)"
start=$(date +%s)
bash "$CTLS_TOP/qemu/run.sh" -q -r -k "$series" -p "$pay" -t 300 \
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
