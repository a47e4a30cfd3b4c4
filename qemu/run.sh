#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [options] -- COMMAND
#
# Boot a stock Debian kernel under QEMU/TCG, load modules, run COMMAND in the
# guest (from /payload) and exit with its status. The whole console is saved;
# any kernel splat in it, or a timeout, fails the run.
#
#   -k SERIES|KVER   kernel: 6.1, 6.12, 7 or an exact cached release (default 6.12)
#   -m 'PATH [ARGS]' insmod this module (repeatable, loaded in order)
#   -p DIR           copy DIR's contents into the guest's /payload
#   -l FILE          console log (default: a temp file, kept on failure)
#   -t SECONDS       timeout (default 600)
#   -c CPUS          guest CPUs (default 2)
#   -i               count instructions (-icount shift=0, 1 CPU): repeatable
#                    timing for benchmarks
#   -q               do not echo the console while running
#   -r               the host's root filesystem, read-only over virtio 9p:
#                    COMMAND runs in a chroot of an overlay of it (tmpfs
#                    on top) with /proc, /sys, /dev, /tmp, /run and /payload
#                    inside, and the stock tls.ko is taken out of the guest
#                    (qemu/init.sh), so real TLS stacks run unmodified
#   -R DIR           as -r, with DIR as the root filesystem instead of the
#                    host's (a Debian root from qemu/debian-root.sh), and the
#                    kernel's whole module tree mounted in it
#   -w               with -r or -R: the kernel's whole module tree, writable
#                    (a tmpfs over it), the stock tls.ko left in, and the
#                    kernel's request_module run by the root's own modprobe
#                    and its modprobe.d: a package can install modules
#                    there (the install suite, qemu/install-test.sh)
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=6.12
insmods=
payload=
log=
timeout_s=600
cpus=2
icount=0
quiet=0
hostroot=0
rootdir=/
kmods_rw=0
while getopts "k:m:p:l:t:c:iqrR:w" opt; do
	case $opt in
	k) series=$OPTARG ;;
	m) insmods+="/payload/.modules/$(basename "${OPTARG%% *}")${OPTARG#"${OPTARG%% *}"}"$'\n'
	   mods+=("${OPTARG%% *}") ;;
	p) payload=$OPTARG ;;
	l) log=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	c) cpus=$OPTARG ;;
	i) icount=1 ;;
	q) quiet=1 ;;
	r) hostroot=1 ;;
	R) hostroot=1 rootdir=$OPTARG ;;
	w) kmods_rw=1 ;;
	*) die "see the header of $0 for usage" ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
cmd=${*:-true}

case $series in
6.1 | 6.12 | 7) kver=$(bash "$CTLS_TOP/qemu/fetch-kernel.sh" "$series") ;;
*) kver=$series ;;
esac
kdir=$(kdir_of "$kver")
[ -d "$kdir" ] || die "kernel $kver is not in the cache"
need_pkgs qemu-system-x86 cpio
base=$(bash "$CTLS_TOP/qemu/initramfs.sh" "$kver")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/payload/.modules"
[ -n "$payload" ] && cp -a "$payload/." "$tmp/root/payload/"
for m in "${mods[@]:-}"; do
	[ -n "$m" ] && cp "$m" "$tmp/root/payload/.modules/"
done
# The x86 AES-NI, GHASH, ChaCha20 and Poly1305 drivers; on 7.x the last
# three are inside the kernel's crypto library (libchacha, libpoly1305,
# gf128), which chacha20poly1305 and gcm pull in.
preload="aesni_intel gcm ghash_clmulni_intel ccm chacha_x86_64 poly1305_x86_64 chacha20poly1305"
case $kver in 7.*) preload="aesni_intel gcm ccm chacha20poly1305" ;; esac
{
	printf 'CTLS_PRELOAD=%q\n' "${CTLS_PRELOAD-$preload}"
	printf 'CTLS_INSMOD=%q\n' "$insmods"
	printf 'CTLS_CMD=%q\n' "$cmd"
	[ "$hostroot" = 0 ] || echo 'CTLS_HOSTROOT=1'
	[ "$rootdir" = / ] && [ "$kmods_rw" = 0 ] || echo 'CTLS_KMODS=1'
	[ "$kmods_rw" = 0 ] || echo 'CTLS_KMODS_RW=1'
} >"$tmp/root/payload/ctls-run.env"
(cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$tmp/payload.cpio"
cat "$base" "$tmp/payload.cpio" >"$tmp/initrd"

[ -n "$log" ] || log=$(mktemp /tmp/ctls-console.XXXXXX)
# The guest's clock is the host's, and a guest that the host starves (TCG,
# several guests on two cores) looks stuck to its own watchdogs: a boot-time
# "soft lockup" in jitterentropy's init was seen at host load 8. Lockups and
# RCU stalls fail a run (below), so they are reported only after 120 s, six
# times the default: a real livelock still shows well within any timeout.
stall_args="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"
# One host thread for all vCPUs (thread=single): with multi-threaded TCG a
# 6.12 guest now and then took an int3 Oops at boot while the kernel patched
# its own text (static keys, "sched_clock: Marking stable"), a QEMU
# cross-modifying-code race. The vCPUs still interleave, preemptively.
accel=(-accel tcg,thread=single -cpu max -smp "$cpus")
[ "$icount" = 1 ] && accel=(-accel tcg -cpu max -smp 1 -icount shift=0,sleep=off,align=off)
# The host's / (or -R's directory) exported read-only; multidevs=remap
# keeps inode numbers unique across the host's mounts.
share=()
[ "$hostroot" = 1 ] && share=(-virtfs
	"local,path=$rootdir,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
# With -R, the kernel's whole module tree too (qemu/init.sh kmods_setup),
# with the modules.dep that Debian's package leaves to depmod at install.
kmods=0
[ "$rootdir" = / ] && [ "$kmods_rw" = 0 ] || kmods=1
if [ "$kmods" = 1 ] && [ ! -f "$kdir/root/lib/modules/$kver/modules.dep" ]; then
	depmod -b "$kdir/root" "$kver" || die "depmod for $kver failed"
fi
[ "$kmods" = 0 ] || share+=(-virtfs
	"local,path=$kdir/root/lib/modules/$kver,mount_tag=kmods,security_model=none,readonly=on")

set +e
timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 "${accel[@]}" "${share[@]}" \
	-m 1G -nographic -no-reboot -nodefaults -serial stdio \
	-kernel "$kdir/root/boot/vmlinuz-$kver" -initrd "$tmp/initrd" \
	-append "console=ttyS0 panic=-1 oops=panic loglevel=7 no_hash_pointers no_timer_check $stall_args" \
	</dev/null 2>&1 | stdbuf -oL tr -d '\r' |
	if [ "$quiet" = 1 ]; then cat >"$log"; else tee "$log"; fi
qrc=${PIPESTATUS[0]}
set -e

# Lockups and stalls as 6.1 and 6.12 word them: "BUG: soft lockup - CPU#1
# stuck for 22s!", "Watchdog detected hard LOCKUP on cpu 1",
# "rcu: INFO: rcu_sched detected stalls on CPUs/tasks:" (also
# "self-detected stall on CPU", "detected expedited stalls") and
# "INFO: rcu_tasks detected stalls on tasks:".
stalls='soft lockup|hard LOCKUP|Watchdog detected|rcu: INFO:|detected stall|detected expedited stall'
splat="BUG:|WARNING:|Oops|KASAN|UBSAN|Kernel panic|general protection fault|unreferenced object|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: lockdep|blocked for more than|refcount_t:|list_add corruption|list_del corruption|$stalls"
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	note "timeout after ${timeout_s}s; console log: $log"
	exit 124
fi
if grep -aEq "$splat" "$log"; then
	note "kernel splat in the console log $log:"
	grep -aE "$splat" "$log" | head -n 5 >&2
	exit 120
fi
rc=$(sed -n 's/^CTLS-EXIT: \([0-9]*\)$/\1/p' "$log" | tail -n 1)
if [ -z "$rc" ]; then
	note "guest ended without reporting an exit status; console log: $log"
	exit 121
fi
exit "$rc"
