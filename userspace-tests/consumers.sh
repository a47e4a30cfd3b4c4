#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of qemu/consumers.sh: the kernel's own kTLS users on ctls.
# Runs in the chroot that qemu/run.sh -R sets up (a Debian 13 root from
# qemu/debian-root.sh, this guest's kernel, ctls loaded as "tls", the stock
# tls.ko taken out) and prints TAP.
#
#   nvme   NVMe/TCP over TLS 1.3 (PSK), target (nvmet) and host (nvme-tcp)
#          in this guest over loopback: tlshd does both handshakes and puts
#          kTLS on both kernel sockets; a filesystem on the namespace is
#          written, unmounted, the host disconnected and connected again,
#          and every file read back and compared by sha256
#   nfs    NFSv4.2 over TLS (xprtsec=tls), nfsd and the client in this
#          guest over loopback, tlshd with a test CA and server
#          certificate: files written through the mount and on the server
#          side, remounted, every file compared both ways
#
# tls_stat before and after shows ctls carried the records: TlsTxSw and
# TlsRxSw grow by one per TLS socket (target and host, admin and I/O
# queues), TlsDecryptError stays, TlsCurrTxSw/TlsCurrRxSw are back where
# they were once the host has disconnected.
W=/tmp/consumers
groups=${*:-nvme nfs}
. ./tap.sh
delta() { echo $(($(stat_of "$W/after" "$1") - $(stat_of "$W/before" "$1"))); }

# Wait up to $2 tenths of a second for command $1 to succeed.
wait_for() {
	i=0
	while ! eval "$1" 2>/dev/null; do
		[ $i -ge "$2" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

mkdir -p $W
check "ctls serves the ULP \"tls\" (/sys/module/ctls, /proc/net/tls_stat)" \
	test -d /sys/module/ctls -a -e /proc/net/tls_stat
check "the stock tls module is out of reach" \
	sh -c '! modprobe tls 2>/dev/null && ! grep -q "^tls " /proc/modules'

# --- NVMe/TCP over TLS ----------------------------------------------------

subnqn=nqn.2026-12.org.ctls:consumers
disc=nqn.2014-08.org.nvmexpress.discovery
cfg=/sys/kernel/config/nvmet
port=$cfg/ports/1
sub=$cfg/subsystems/$subnqn

nvme_target() {
	truncate -s 256M $W/backing &&
		loop=$(losetup -f --show $W/backing) &&
		mkdir "$sub" &&
		echo 1 >"$sub/attr_allow_any_host" &&
		mkdir "$sub/namespaces/1" &&
		echo "$loop" >"$sub/namespaces/1/device_path" &&
		echo 1 >"$sub/namespaces/1/enable" &&
		mkdir "$port" &&
		echo tcp >"$port/addr_trtype" &&
		echo ipv4 >"$port/addr_adrfam" &&
		echo 127.0.0.1 >"$port/addr_traddr" &&
		echo 4420 >"$port/addr_trsvcid" &&
		echo tls1.3 >"$port/addr_tsas" &&
		ln -s "$sub" "$port/subsystems/$subnqn"
}

# The retained PSKs, derived from configured ones, in the .nvme keyring
# (which nvmet and nvme-tcp look up and tlshd is told to search).
nvme_keys() {
	nvme gen-hostnqn >/etc/nvme/hostnqn &&
		for q in $subnqn $disc; do
			k=$(nvme gen-tls-key --subsysnqn=$q) &&
				nvme check-tls-key --subsysnqn=$q --insert \
					--keydata="$k" >>$W/keys.log 2>&1 || return 1
		done
}

# tlshd with the [debug] section and the rest of its configuration from
# stdin; the previous one, if any, stopped first.
tlshd_run() {
	kill $tlshd_pid 2>/dev/null
	{ printf '[debug]\nloglevel=1\ntls=0\nnl=0\n'; cat; } >$W/tlshd.conf
	tlshd -s -c $W/tlshd.conf >$W/tlshd.log 2>&1 &
	tlshd_pid=$!
	sleep 1
	kill -0 $tlshd_pid
}

tlshd_start() {
	tlshd_run <<-EOF
	[authenticate]
	keyrings=.nvme
	[authenticate.client]
	[authenticate.server]
	EOF
}

# The namespace's block device once the host sees it (the guest has no
# other NVMe device).
nvme_dev() {
	b=$(ls /sys/block | grep -m1 '^nvme[0-9]*n1$') && echo "/dev/$b"
}

nvme_connect() {
	nvme connect -t tcp -a 127.0.0.1 -s 4420 -n $subnqn --tls \
		>>$W/connect.log 2>&1 &&
		wait_for 'dev=$(nvme_dev) && [ -b "$dev" ]' 300
}

write_files() {
	mkdir -p $W/mnt $W/ref &&
		mount "$dev" $W/mnt &&
		for s in 1 4096 65537 1048576 7340033; do
			head -c $s /dev/urandom >$W/ref/f$s &&
				cp $W/ref/f$s $W/mnt/f$s || return 1
		done &&
		sync && umount $W/mnt
}

read_back() {
	mount "$dev" $W/mnt || return 1
	for f in $W/ref/*; do
		[ "$(sha256sum <"$f")" = "$(sha256sum <"$W/mnt/${f##*/}")" ] ||
			{ echo "# ${f##*/} differs"; umount $W/mnt; return 1; }
	done
	umount $W/mnt
}

group_nvme() {
	echo "# nvme: NVMe/TCP over TLS 1.3 through tlshd ($(tlshd -v 2>&1 | head -n 1))"
	logs="$W/tlshd.log $W/connect.log $W/keys.log"
	for m in nvmet nvmet_tcp nvme_tcp loop ext4; do
		modprobe $m || { check "modprobe $m" false; return; }
	done
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	mkdir -p /etc/nvme
	cat /proc/net/tls_stat >$W/before
	check "PSKs in the .nvme keyring" nvme_keys || return
	check "tlshd runs" tlshd_start || return
	check "nvmet: TLS 1.3 port on 127.0.0.1:4420, a 256 MiB namespace" \
		nvme_target || return
	check "nvme connect --tls: the namespace appears" nvme_connect || return
	echo "# namespace $dev"
	check "mkfs.ext4 on it" mkfs.ext4 -q "$dev"
	check "five files written (1 B to 7 MiB), unmounted" write_files
	cat /proc/net/tls_stat >$W/mid
	check "disconnect" sh -c "nvme disconnect -n $subnqn >>$W/connect.log 2>&1"
	check "connect again (new handshakes)" nvme_connect
	echo 3 >/proc/sys/vm/drop_caches
	check "every file reads back with its sha256" read_back
	check "disconnect" sh -c "nvme disconnect -n $subnqn >>$W/connect.log 2>&1"
	curr0=$(stat_of $W/before TlsCurrTxSw)
	wait_for '[ "$(stat_of /proc/net/tls_stat TlsCurrTxSw)" = "$curr0" ]' 100
	cat /proc/net/tls_stat >$W/after
	tx=$(delta TlsTxSw) rx=$(delta TlsRxSw)
	echo "# tls_stat: TlsTxSw +$tx TlsRxSw +$rx TlsDecryptError +$(delta TlsDecryptError)" \
		"TlsCurrTxSw $(stat_of $W/before TlsCurrTxSw)->$(stat_of $W/mid TlsCurrTxSw)->$(stat_of $W/after TlsCurrTxSw)"
	# two connections (admin + at least one I/O queue), both ends, twice
	check "tls_stat: ctls carried both ends of every queue (TX and RX +8 or more)" \
		test "$tx" -ge 8 -a "$rx" -ge 8 -a "$tx" = "$rx"
	check "tls_stat: no decrypt error" test "$(delta TlsDecryptError)" = 0
	check "tls_stat: every queue's sockets closed after disconnect (TlsCurr back)" \
		test "$(stat_of $W/after TlsCurrTxSw)" = "$curr0" -a \
		"$(stat_of $W/after TlsCurrRxSw)" = "$(stat_of $W/before TlsCurrRxSw)"
	rm -f "$port/subsystems/$subnqn"
	kill $tlshd_pid 2>/dev/null
}

# --- NFS over TLS ---------------------------------------------------------

# A CA and a server certificate for 127.0.0.1/localhost, for tlshd's server
# side; its client side trusts the CA.
nfs_certs() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 2 -subj /CN=ctls-test-ca -keyout $W/ca.key -out $W/ca.pem \
		>>$W/certs.log 2>&1 &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-subj /CN=localhost -keyout $W/srv.key -out $W/srv.csr \
			>>$W/certs.log 2>&1 &&
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >$W/san &&
		openssl x509 -req -in $W/srv.csr -CA $W/ca.pem -CAkey $W/ca.key \
			-CAcreateserial -days 2 -extfile $W/san -out $W/srv.pem \
			>>$W/certs.log 2>&1
}

nfs_tlshd() {
	tlshd_run <<-EOF
	[authenticate.client]
	x509.truststore=$W/ca.pem
	[authenticate.server]
	x509.certificate=$W/srv.pem
	x509.private_key=$W/srv.key
	EOF
}

# nfsd, NFSv4 only, exporting $W/export to 127.0.0.1 with xprtsec=tls.
nfs_server() {
	mkdir -p $W/export /var/lib/nfs/v4recovery /run/rpc_pipefs &&
		mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
	mountpoint -q /run/rpc_pipefs || mount -t rpc_pipefs sunrpc /run/rpc_pipefs
	# the shortest lease and grace (10 s): NFSv4 opens wait out the grace
	echo 10 >/proc/fs/nfsd/nfsv4leasetime
	echo 10 >/proc/fs/nfsd/nfsv4gracetime
	echo "$W/export 127.0.0.1(rw,no_root_squash,insecure,fsid=0,xprtsec=tls)" \
		>/etc/exports &&
		exportfs -ra >>$W/nfsd.log 2>&1 &&
		{ rpc.mountd -N 2 -N 3 -F >>$W/nfsd.log 2>&1 & } &&
		rpc.nfsd -N 3 -V 4 2 >>$W/nfsd.log 2>&1
}

nfs_mount() {
	mkdir -p $W/nfs &&
		mount -t nfs4 -o xprtsec=tls,vers=4.2 127.0.0.1:/ $W/nfs \
			>>$W/mount.log 2>&1
}

# Files written through NFS, read on the server side; and the other way.
nfs_copy() {
	mkdir -p $W/nref || return 1
	for sz in 1 65537 3145731; do
		head -c $sz /dev/urandom >$W/nref/c$sz &&
			cp $W/nref/c$sz $W/nfs/c$sz || return 1
		head -c $sz /dev/urandom >$W/export/s$sz || return 1
	done
	sync
}

nfs_compare() {
	umount $W/nfs && echo 3 >/proc/sys/vm/drop_caches && nfs_mount || return 1
	for sz in 1 65537 3145731; do
		cmp -s $W/nref/c$sz $W/export/c$sz ||
			{ echo "# c$sz differs on the server"; return 1; }
		cmp -s $W/export/s$sz $W/nfs/s$sz ||
			{ echo "# s$sz differs through NFS"; return 1; }
	done
}

group_nfs() {
	echo "# nfs: NFSv4.2 over TLS (xprtsec=tls) through tlshd"
	logs="$W/tlshd.log $W/nfsd.log $W/mount.log $W/certs.log"
	for m in nfsd nfsv4; do
		modprobe $m || { check "modprobe $m" false; return; }
	done
	cat /proc/net/tls_stat >$W/before
	check "a CA and a server certificate" nfs_certs || return
	check "tlshd runs with them" nfs_tlshd || return
	check "nfsd exports a directory with xprtsec=tls" nfs_server || return
	check "mount -t nfs4 -o xprtsec=tls" nfs_mount || return
	check "files written both ways (1 B to 3 MiB)" nfs_copy
	check "remounted (a new TLS session): every file the same on both sides" \
		nfs_compare
	umount $W/nfs
	cat /proc/net/tls_stat >$W/after
	tx=$(delta TlsTxSw) rx=$(delta TlsRxSw)
	echo "# tls_stat: TlsTxSw +$tx TlsRxSw +$rx TlsDecryptError +$(delta TlsDecryptError)"
	# two mounts, each a client and a server socket
	check "tls_stat: ctls carried both ends of both mounts (TX and RX +4 or more)" \
		test "$tx" -ge 4 -a "$rx" -ge 4
	check "tls_stat: no decrypt error" test "$(delta TlsDecryptError)" = 0
	rpc.nfsd 0 >/dev/null 2>&1
	kill $tlshd_pid 2>/dev/null
}

for g in $groups; do
	group_$g
done
echo "1..$n"
[ $fail = 0 ]
