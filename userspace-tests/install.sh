#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of qemu/install-test.sh: the ctls-dkms package, or the
# prebuilt ctls-modules-<release> one (whichever the payload has), on a
# Debian userspace (qemu/run.sh -r or -R, with -w: the kernel's whole
# module tree, writable, the stock tls.ko in it, nothing insmodded), as TAP.
#
#   before      modprobe bonding loads it with the stock tls.ko
#   install     ctls-dkms: the kernel's headers and dkms (dpkg -i
#               debs/*.deb), then apt-get install ./ctls-dkms_*.deb
#               (offline: every dependency is there) with the stock tls
#               loaded: DKMS builds ctls (timed); ctls-modules: dpkg -i
#               ./ctls-modules-<release>_*.deb; then the postinst
#               says stock holds "tls" and modprobe ctls fails, saying why
#   in use      with stock unloaded: nginx (sendfile on, Options KTLS)
#               serves curl; the kernel's request_module("tcp-ulp-tls")
#               loads ctls; tls_stat (ctls's) counts the connections
#   bonding     modprobe bonding resolves to ctls's exports and loads
#               (the CRCs bonding carries are printed next to ctls's)
#   remove      apt-get remove: ctls unloaded and gone; modprobe tls and
#               modprobe bonding load the stock tls.ko again
W=/tmp/install
www=$W/www
port=4600
rel=$(uname -r)
mods=/lib/modules/$rel
. ./tap.sh
. ./nginx.sh
pkg=ctls-dkms
[ ! -e ./ctls-modules-"$rel"_*.deb ] || pkg=ctls-modules-$rel

t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
loaded() { grep -q "^$1 " /proc/modules; }
# The modules that use $1, from /proc/modules.
users() { awk -v m="$1" '$1 == m { print $4 }' /proc/modules; }
stat_now() { awk -v k="$1" '$1 == k { print $2 }' /proc/net/tls_stat 2>/dev/null; }

rm -rf "$W"
mkdir -p "$www" "$W/ng"
echo "# $rel; $(. /etc/os-release && echo "$PRETTY_NAME"); $(nginx -v 2>&1);" \
	"$(curl --version | head -n 1 | cut -d' ' -f1-2)"

# --- before -------------------------------------------------------------
logs="$W/bond.err"
stock_tree() { modinfo -n tls | grep -q /kernel/net/tls/ && ! modinfo ctls >/dev/null 2>&1; }
# modprobe bonding; $1 (tls or ctls) is loaded and used by it.
bond_on() { modprobe bonding 2>"$W/bond.err" && loaded bonding && users "$1" | grep -q bonding; }
check "before: the module tree has the stock tls.ko and no ctls" stock_tree
check "before: modprobe bonding loads it, with the stock tls.ko" bond_on tls
check "before: rmmod bonding (stock tls stays loaded)" \
	eval "rmmod bonding && loaded tls"

# --- install ------------------------------------------------------------
# ctls-dkms through apt (it resolves the dependency on dkms); the prebuilt
# package, which needs only kmod, with dpkg (apt's cache of the root's
# package lists costs a minute or two under TCG).
export DEBIAN_FRONTEND=noninteractive
if [ "$pkg" = ctls-dkms ]; then
	echo "# the kernel's headers and dkms: $(ls debs | wc -l) packages ($(elapsed))"
	logs="$W/deps.log"
	ta=$(date +%s)
	# (unsafe-io: no fsync per file; the root is a tmpfs, and this is set-up.)
	check "dpkg -i the kernel's headers and dkms" \
		sh -c "dpkg -i --force-unsafe-io debs/*.deb >$W/deps.log 2>&1"
	echo "# dpkg -i of the headers and dkms: $(($(date +%s) - ta)) s"
	what="DKMS builds ctls for $rel"
	inst="apt-get install -y --no-install-recommends" rm="apt-get remove -y"
else
	what="ctls prebuilt for $rel"
	inst="dpkg -i" rm="dpkg -r"
fi
logs="$W/pkg.log"
ta=$(date +%s)
check "${inst%% -y*} ./${pkg}_*.deb ($what)" \
	sh -c "$inst $PWD/${pkg}_*.deb >$W/pkg.log 2>&1"
tb=$(date +%s)
echo "# ${inst%% -y*} $pkg ($what): $((tb - ta)) s"
sed -n 's/^ctls: /# postinst: /p' "$W/pkg.log" | head -n 4
ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)
if [ "$pkg" = ctls-dkms ]; then
	logs="$W/mk.log"
	cp /var/lib/dkms/ctls/*/build/make.log "$W/mk.log" 2>/dev/null
	check "dkms status: ctls $ver installed for $rel" \
		sh -c "dkms status -m ctls | grep -q '$rel.*installed'"
else
	logs=
	check "dpkg -L $pkg: $mods/updates/ctls.ko" \
		sh -c "dpkg -L $pkg | grep -qx '$mods/updates/ctls.ko'"
fi
check "modinfo ctls: in updates/, version $ver, alias tcp-ulp-tls" \
	sh -c "modinfo -n ctls | grep -q '/updates/' &&
		[ \"\$(modinfo -F version ctls)\" = '$ver' ] &&
		modinfo -F alias ctls | grep -qx tcp-ulp-tls"
check "modules.dep: bonding depends on ctls, not on the stock tls.ko" \
	sh -c "grep '/bonding.ko[.a-z]*:' $mods/modules.dep | grep -q /ctls.ko &&
		! grep '/bonding.ko[.a-z]*:' $mods/modules.dep | grep -q /tls.ko"
logs="$W/pkg.log"
check "postinst: says the stock tls is loaded and serves \"tls\" until unloaded" \
	grep -q 'the stock tls module is loaded' "$W/pkg.log"
logs="$W/mp.err"
# The installed ctls has stock's exports: the kernel refuses it before its
# init, "exports duplicate symbol ... (owned by tls)", and modprobe says
# "Exec format error".
refused() {
	! modprobe ctls 2>"$W/mp.err" && ! loaded ctls &&
		dmesg | grep -q 'ctls: exports duplicate symbol .* (owned by tls)'
}
check "modprobe ctls fails while the stock tls is loaded, and says why" refused
sed 's/^/# modprobe ctls: /' "$W/mp.err"
check "rmmod tls" eval "rmmod tls && ! loaded tls"

# --- in use: nginx and curl, ctls loaded by the kernel --------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$W/key.pem" -out "$W/cert.pem" -subj /CN=localhost -days 2 \
	>/dev/null 2>&1
head -c 16385 /dev/urandom >"$www/f16385"
head -c 4194304 /dev/urandom >"$www/f4m"
nginx_conf TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256
echo "# nginx (sendfile on, Options KTLS, TLS 1.2) to curl ($(elapsed))"
check "no tls module is loaded" eval "! loaded ctls && ! loaded tls"
logs="$W/ng/start.err $W/ng/error.log"
nginx -c "$W/ng/nginx.conf" 2>"$W/ng/start.err"
i=0
while [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && [ $i -lt 300 ]; do
	sleep 0.2
	i=$((i + 1))
done
check "nginx listens" test $i -lt 300
logs="$W/c.err"
for f in f16385 f4m; do
	code=$(curl -sS -k --max-time 300 -o "$W/c.out" -w '%{http_code}' \
		"https://127.0.0.1:$port/$f" 2>"$W/c.err")
	check "curl gets $f ($(size "$www/$f") B), HTTP $code, sha256 matches" \
		sh -c "[ '$code' = 200 ] && [ \"\$(sha256sum <$W/c.out)\" = \"\$(sha256sum <$www/$f)\" ]"
done
kill "$(cat "$W/ng/nginx.pid")" 2>/dev/null
i=0
while [ -e "$W/ng/nginx.pid" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
logs="$W/ng/error.log"
check "nginx stopped, no error in its log" \
	sh -c "[ ! -e '$W/ng/nginx.pid' ] && ! grep -E '\[(emerg|alert|crit|error)\]' '$W/ng/error.log'"
logs=
check "/proc/modules: ctls, loaded by the kernel's request_module; no stock tls" \
	eval "loaded ctls && ! loaded tls"
# ctls's own counters, from 0 at its load: TX and RX of nginx's two
# sockets (OpenSSL 3.0 and 3.5 put both in the kernel on TLS 1.2).
got="TlsTxSw $(stat_now TlsTxSw) TlsRxSw $(stat_now TlsRxSw) TlsCurrTxSw $(stat_now TlsCurrTxSw)"
check "tls_stat: $got (want 2, 2, 0)" \
	test "$(stat_now TlsTxSw)" = 2 -a "$(stat_now TlsRxSw)" = 2 -a "$(stat_now TlsCurrTxSw)" = 0

# --- bonding on ctls --------------------------------------------------------
bko=$(modinfo -n bonding)
want=$(modprobe --dump-modversions "$bko" 2>/dev/null | awk '$2 == "tls_validate_xmit_skb" { print $1 }')
echo "# tls_validate_xmit_skb: bonding.ko carries CRC ${want:-none (no modversions)}; the kernel checks it against ctls's at the load"
logs="$W/bond.err"
check "modprobe bonding loads against ctls's exports (ctls used by bonding)" \
	eval "bond_on ctls && ! loaded tls"
check "rmmod bonding" rmmod bonding

# --- remove -------------------------------------------------------------
logs="$W/rm.log"
ta=$(date +%s)
check "${rm%% -y} $pkg" sh -c "$rm $pkg >$W/rm.log 2>&1"
echo "# ${rm%% -y}: $(($(date +%s) - ta)) s"
gone() {
	! loaded ctls && ! modinfo ctls >/dev/null 2>&1 &&
		[ -z "$(ls /usr/lib/modprobe.d/ctls*.conf 2>/dev/null)" ] &&
		{ [ "$pkg" != ctls-dkms ] || [ -z "$(dkms status -m ctls)" ]; }
}
check "ctls unloaded, out of the module tree, its modprobe.d file gone" gone
logs=
check "modprobe tls loads the stock tls.ko again" \
	eval "modprobe tls && loaded tls && ! loaded ctls"
logs="$W/bond.err"
check "modprobe bonding loads with the stock tls.ko again" bond_on tls
check "rmmod bonding tls" rmmod bonding tls
echo "# install suite: $(elapsed)"
echo "1..$n"
[ "$fail" = 0 ]
