// SPDX-License-Identifier: GPL-2.0
/*
 * The other two exports of the stock tls module (module/exports.c has
 * three, and why ctls has them): the software fallback of TLS device
 * offload, in stock's net/tls/tls_device_fallback.c. A file of their own
 * because their modversions CRCs are digests over the types as that file
 * defines them: struct sk_psock complete (<linux/skmsg.h>), struct
 * trace_eval_map not (no <linux/tracepoint.h> here, unlike exports.c).
 *
 * Neither is reached through a socket of ctls's. ctls never sets a
 * socket's sk_validate_xmit_skb, so the dependents'
 * tls_is_skb_tx_device_offloaded() (which compares it with the address of
 * tls_validate_xmit_skb: all bonding and cxgb4 take from it) is false, and
 * the core never calls it; tls_encrypt_skb() is a driver's fallback for
 * an skb of an offloaded socket, which ctls has none of. Should a buggy
 * caller get here, the skb is dropped, as the stock functions drop it when
 * they fail (freed, NULL returned): no plaintext goes to a device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/skmsg.h>
#include <net/tls.h>

/* As sk_validate_xmit_skb: NULL means the skb was dropped (and freed). */
struct sk_buff *tls_validate_xmit_skb(struct sock *sk, struct net_device *dev,
				      struct sk_buff *skb)
{
	pr_warn_once("%s() called, but ctls offloads no socket\n", __func__);
	kfree_skb(skb);
	return NULL;
}
EXPORT_SYMBOL_GPL(tls_validate_xmit_skb);

/* A driver's software encryption of one skb: NULL (the skb freed) fails. */
struct sk_buff *tls_encrypt_skb(struct sk_buff *skb)
{
	pr_warn_once("%s() called, but ctls offloads no socket\n", __func__);
	kfree_skb(skb);
	return NULL;
}
EXPORT_SYMBOL_GPL(tls_encrypt_skb);
