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

# run.sh -r: the host's root over virtio 9p, read-only, under an overlay
# with a tmpfs on top, at /hostroot. The payload then runs chrooted there,
# with the host's userspace (its TLS stacks) on this guest's kernel. The
# stock tls.ko is deleted from this guest's module tree first, so that
# neither the kernel's request_module (this busybox modprobe) nor a modprobe
# in the chroot (which sees the same tree) can load it next to ctls.
hostroot_setup() {
	r=/hostroot
	mods=/lib/modules/$(uname -r)
	rm -rf "$mods/kernel/net/tls"
	modprobe virtio_pci 2>/dev/null
	for m in 9pnet_virtio 9p overlay; do
		modprobe "$m" || { echo "ctls-guest: could not load $m"; return 1; }
	done
	mkdir -p /host /ovl "$r"
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose \
		hostroot /host || return 1
	mount -t tmpfs ovl /ovl
	mkdir -p /ovl/upper /ovl/work
	mount -t overlay overlay \
		-o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work "$r" || return 1
	mount -t proc proc "$r/proc"
	mount -t sysfs sys "$r/sys"
	mount -t devtmpfs dev "$r/dev"
	# As udev makes them (bash's process substitution, dkms, uses /dev/fd).
	[ -e "$r/dev/fd" ] || ln -s /proc/self/fd "$r/dev/fd"
	mkdir -p "$r/dev/pts" "$r/dev/shm" "$r/payload" "$r$mods"
	mount -t devpts devpts "$r/dev/pts"
	mount -t tmpfs shm "$r/dev/shm"
	mount -t tmpfs tmp "$r/tmp"
	mount -t tmpfs run "$r/run"
	mount -o bind /payload "$r/payload"
	if [ -n "${CTLS_KMODS_RW:-}" ]; then
		kmods_setup && mount -o bind /kmods-rw "$r$mods" && kmods_modprobe ||
			return 1
	elif [ -n "${CTLS_KMODS:-}" ]; then
		kmods_setup && mount -o bind,ro /kmods-rw "$r$mods" || return 1
	else
		mount -o bind,ro "$mods" "$r$mods"
	fi
	[ -d /sys/kernel/debug ] && mount -t debugfs debugfs "$r/sys/kernel/debug"
	return 0
}

# run.sh -R: the kernel's whole module tree (nvme, loop, ext4, ...), over
# virtio 9p under an overlay so that the stock tls.ko can be deleted from
# it too; the chroot's own kmod reads its compressed modules.
kmods_setup() {
	mkdir -p /kmods /kmods-rw /ovl/kup /ovl/kwork
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose \
		kmods /kmods || return 1
	mount -t overlay overlay \
		-o lowerdir=/kmods,upperdir=/ovl/kup,workdir=/ovl/kwork /kmods-rw ||
		return 1
	# run.sh -w keeps the stock tls.ko: a package takes it over.
	[ -n "${CTLS_KMODS_RW:-}" ] || rm -rf /kmods-rw/kernel/net/tls
}

# run.sh -w: the kernel's request_module (a socket asking for the ULP
# "tls", say) runs the root's own modprobe, with its modprobe.d and the
# writable module tree, as on an installed system; not busybox's.
kmods_modprobe() {
	printf '#!/bin/sh\nexec chroot /hostroot /sbin/modprobe "$@"\n' >/sbin/ctls-modprobe
	chmod 0755 /sbin/ctls-modprobe
	echo /sbin/ctls-modprobe >/proc/sys/kernel/modprobe
}

hostroot_run() {
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C CTLS_CMD="$CTLS_CMD" \
		chroot /hostroot /bin/sh -c 'cd /payload && eval "$CTLS_CMD"'
}

. /payload/ctls-run.env
if [ -n "${CTLS_HOSTROOT:-}" ]; then
	hostroot_setup || finish 122
fi

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
if [ -n "${CTLS_HOSTROOT:-}" ]; then
	hostroot_run
else
	sh -c "$CTLS_CMD"
fi
rc=$?
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 1
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
finish $rc
