#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the ctls test guest. Sets up a minimal system, loads the modules
# the host asked for, runs the payload and reports its exit status on the
# console as "CTLS-EXIT: <status>", then reboots (QEMU runs with -no-reboot,
# so that ends the VM).
mkdir -p /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run /var/log
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug
ip link set lo up
hostname ctls-guest

finish() {
	echo "CTLS-EXIT: $1"
	sync
	reboot -f
}

. /payload/ctls-run.env

# Crypto drivers first, so that AES-GCM resolves to AES-NI (busybox modprobe
# loads one module per alias, so nothing else pulls these in).
for m in $CTLS_PRELOAD; do
	modprobe "$m" || echo "ctls-guest: could not load $m"
done
echo "$CTLS_INSMOD" | while IFS= read -r line; do
	[ -n "$line" ] || continue
	# shellcheck disable=SC2086
	insmod $line || { echo "ctls-guest: insmod $line failed"; echo fail >/tmp/insmod-failed; }
done
[ -e /tmp/insmod-failed ] && finish 125

cd /payload || finish 126
sh -c "$CTLS_CMD"
rc=$?
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
finish $rc
