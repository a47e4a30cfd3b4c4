#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the foundation suite: loading and unloading ctls, the ULP
# pinning the module, the counters file, and ctls next to the stock tls
# module. Prints TAP. Runs from /payload with ctls.ko in .modules/.
. ./tap.sh
refcnt() { cat /sys/module/ctls/refcnt 2>/dev/null; }
wait_refcnt() {
	i=0
	while [ "$(refcnt)" != "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(refcnt)" = "$1" ]
}
# The stock 6.1/6.12 counters, in order; ctls then has the five rekey
# counters upstream added in 6.14, which stock 7.x has too.
stock_counters="TlsCurrTxSw TlsCurrRxSw TlsCurrTxDevice TlsCurrRxDevice TlsTxSw TlsRxSw TlsTxDevice TlsRxDevice TlsDecryptError TlsRxDeviceResync TlsDecryptRetry TlsRxNoPadViolation "
rekey_counters="TlsRxRekeyOk TlsRxRekeyError TlsTxRekeyOk TlsTxRekeyError TlsRxRekeyReceived "
case $(uname -r) in
6.*) stock_rekey_counters= ;;
*) stock_rekey_counters=$rekey_counters ;;
esac
names() { awk '{ print $1 }' "$1" | tr '\n' ' '; }
counters_ok() { [ "$(names "$1")" = "$stock_counters$rekey_counters" ]; }
stock_counters_ok() { [ "$(names "$1")" = "$stock_counters$stock_rekey_counters" ]; }

check "insmod ctls.ko" insmod .modules/ctls.ko
check "/proc/net/tls_stat has upstream's counters (6.14's)" counters_ok /proc/net/tls_stat
./ulp tls
./ulp hold tls >/tmp/hold.out &
hold=$!
sleep 1
check "a socket with the ULP pins the module" test "$(refcnt)" = 1
check "rmmod refuses while a socket uses ctls" sh -c '! rmmod ctls 2>/dev/null'
kill $hold
wait $hold 2>/dev/null
check "closing the socket unpins the module" wait_refcnt 0
# Stock tls.ko while ctls is "tls": refused before its init (which would
# WARN creating a second tls_stat), EBUSY, a line in the log saying why.
check "modprobe stock tls fails while ctls is \"tls\"" sh -c '! modprobe tls 2>/dev/null'
check "the log says why" sh -c 'dmesg | grep -q "not loading the stock tls module"'
check "stock tls is not loaded" sh -c '! grep -q "^tls " /proc/modules'
check "tls_stat is still ctls's" counters_ok /proc/net/tls_stat
check "rmmod ctls" rmmod ctls
check "rmmod removes tls_stat" test ! -e /proc/net/tls_stat

check "modprobe stock tls" modprobe tls
check "insmod ctls fails while stock tls holds the name" sh -c '! insmod .modules/ctls.ko 2>/dev/null'
check "the kernel log names the ulp_name parameter" sh -c 'dmesg | grep -q "ulp_name="'
check "insmod ctls.ko ulp_name=ctls next to stock tls" insmod .modules/ctls.ko ulp_name=ctls
check "/proc/net/ctls_stat has upstream's counters (6.14's)" counters_ok /proc/net/ctls_stat
check "stock /proc/net/tls_stat is still there" stock_counters_ok /proc/net/tls_stat
./ulp ctls
./ulp hold tls >/tmp/hold.out &
hold=$!
sleep 1
check "ULP \"tls\" still reaches the stock module" grep -q holding /tmp/hold.out
check "... and does not pin ctls" test "$(refcnt)" = 0
kill $hold
wait $hold 2>/dev/null
check "rmmod ctls (side by side)" rmmod ctls
check "rmmod stock tls" sh -c 'sleep 1; rmmod tls'
echo "1..$n"
[ $fail = 0 ]
