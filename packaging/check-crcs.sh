#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-crcs.sh KERNEL-SYMVERS CTLS-SYMVERS
#
# The modules that link against the stock tls module (bonding, nfp,
# cxgb4) carry the modversions CRCs of its exports. ctls exports the same
# five symbols (module/exports.c) and must give each the same CRC as the
# kernel's own Module.symvers lists for net/tls/tls, or those modules
# would not load against it. Exits 1, saying which, if any differs. A
# kernel without modversions (every CRC 0) or without a symbol passes.
set -eu
kern=${1:?usage: check-crcs.sh KERNEL-SYMVERS CTLS-SYMVERS}
ours=${2:?usage: check-crcs.sh KERNEL-SYMVERS CTLS-SYMVERS}
[ -f "$kern" ] || { echo "ctls: no $kern: cannot check the exports' CRCs" >&2; exit 1; }
bad=0
for sym in tls_validate_xmit_skb tls_encrypt_skb tls_get_record \
	tls_device_sk_destruct tls_offload_tx_resync_request; do
	want=$(awk -v s="$sym" '$2 == s && $3 == "net/tls/tls" { print $1 }' "$kern")
	have=$(awk -v s="$sym" '$2 == s { print $1 }' "$ours")
	[ -n "$want" ] && [ "$want" != 0x00000000 ] || continue
	[ "$have" = "$want" ] && continue
	echo "ctls: $sym: this kernel's tls.ko has CRC $want, ctls's is ${have:-missing}: modules built against stock tls.ko (bonding, nfp, cxgb4) would not load with ctls" >&2
	bad=1
done
exit $bad
