// SPDX-License-Identifier: GPL-2.0
/*
 * Three of the five symbols that the stock tls module exports for TLS
 * device offload; module/exports_xmit.c has the other two. ctls exports
 * them too, so that the modules linked against them (bonding, nfp and
 * cxgb4 on Debian's kernels) load with ctls as "tls". They are built only
 * into the installed module (CTLS_EXPORTS=y: make install and DKMS): with
 * them, stock tls.ko could not load beside ctls, as the tests that run
 * both (ulp_name=ctls) need.
 *
 * Each is declared by this kernel's own <net/tls.h>. Its modversions CRC
 * is genksyms' digest of that declaration with every type it reaches
 * expanded as far as this file defines it, so this file includes what
 * makes the same types complete as in stock's net/tls/tls_device.c, where
 * these three are: <linux/skmsg.h> (struct sk_psock, which struct sock
 * reaches) and <linux/tracepoint.h> (struct trace_eval_map, which struct
 * module reaches). The CRCs then are the stock module's, and the
 * dependents' recorded ones match (docs/design.md, "Coexistence with
 * stock's dependents", has what was measured on each kernel).
 *
 * None of them can be reached through a socket of ctls's: they belong to
 * device offload, and ctls offloads nothing. It never sets a socket's
 * sk_destruct to tls_device_sk_destruct (so the dependents'
 * tls_is_sk_rx_device_offloaded() is false for every socket), it never
 * builds a struct tls_offload_context_tx for tls_get_record() to search,
 * and no driver holds an offloaded socket of ctls's to resynchronise. A
 * call can only be a bug in the caller: it gets a warning, once, and
 * nothing is touched.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/skmsg.h>
#include <linux/tracepoint.h>
#include <net/tls.h>

/* The record of an offload context that holds a TCP sequence number: none. */
struct tls_record_info *tls_get_record(struct tls_offload_context_tx *context,
				       u32 seq, u64 *p_record_sn)
{
	pr_warn_once("%s() called, but ctls offloads no socket\n", __func__);
	return NULL;
}
EXPORT_SYMBOL(tls_get_record);

/* An offloaded socket's destructor: ctls never installs it. */
void tls_device_sk_destruct(struct sock *sk)
{
	pr_warn_once("%s() called, but ctls offloads no socket\n", __func__);
}
EXPORT_SYMBOL_GPL(tls_device_sk_destruct);

/* A device asking to resynchronise an offloaded TX stream: there is none. */
void tls_offload_tx_resync_request(struct sock *sk, u32 got_seq, u32 exp_seq)
{
	pr_warn_once("%s() called, but ctls offloads no socket\n", __func__);
}
EXPORT_SYMBOL_GPL(tls_offload_tx_resync_request);
