// SPDX-License-Identifier: GPL-2.0
/*
 * Per-netns counters, shown in /proc/net/<ulp_name>_stat with upstream's
 * names. They live in ctls's own pernet data: net->mib.tls_statistics
 * belongs to the stock tls module, which may be loaded next to ctls.
 */
#include <linux/percpu.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/tcp.h>

#include "ctls.h"

struct ctls_net {
	unsigned long __percpu *counters;	/* CTLS_NUM_COUNTERS per CPU */
};

static const char * const ctls_counter_names[CTLS_NUM_COUNTERS] = {
	[CTLS_CURR_TX_SW]		= "TlsCurrTxSw",
	[CTLS_CURR_RX_SW]		= "TlsCurrRxSw",
	[CTLS_CURR_TX_DEVICE]		= "TlsCurrTxDevice",
	[CTLS_CURR_RX_DEVICE]		= "TlsCurrRxDevice",
	[CTLS_TX_SW]			= "TlsTxSw",
	[CTLS_RX_SW]			= "TlsRxSw",
	[CTLS_TX_DEVICE]		= "TlsTxDevice",
	[CTLS_RX_DEVICE]		= "TlsRxDevice",
	[CTLS_DECRYPT_ERROR]		= "TlsDecryptError",
	[CTLS_RX_DEVICE_RESYNC]		= "TlsRxDeviceResync",
	[CTLS_DECRYPT_RETRY]		= "TlsDecryptRetry",
	[CTLS_RX_NO_PAD_VIOLATION]	= "TlsRxNoPadViolation",
	[CTLS_RX_REKEY_OK]		= "TlsRxRekeyOk",
	[CTLS_RX_REKEY_ERROR]		= "TlsRxRekeyError",
	[CTLS_TX_REKEY_OK]		= "TlsTxRekeyOk",
	[CTLS_TX_REKEY_ERROR]		= "TlsTxRekeyError",
	[CTLS_RX_REKEY_RECEIVED]	= "TlsRxRekeyReceived",
};

static unsigned int ctls_net_id __read_mostly;
static char ctls_proc_name[TCP_ULP_NAME_MAX + sizeof("_stat")];

static struct ctls_net *ctls_net(const struct net *net)
{
	return net_generic(net, ctls_net_id);
}

void ctls_stats_add(struct net *net, enum ctls_counter c, long delta)
{
	this_cpu_add(ctls_net(net)->counters[c], delta);
}

static int ctls_stats_show(struct seq_file *seq, void *v)
{
	struct ctls_net *cn = ctls_net(seq->private);
	unsigned long sum;
	int i, cpu;

	for (i = 0; i < CTLS_NUM_COUNTERS; i++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(cn->counters, cpu)[i];
		seq_printf(seq, "%-32s\t%lu\n", ctls_counter_names[i], sum);
	}
	return 0;
}

static int __net_init ctls_net_init(struct net *net)
{
	struct ctls_net *cn = ctls_net(net);

	cn->counters = __alloc_percpu(sizeof(unsigned long) * CTLS_NUM_COUNTERS,
				      sizeof(unsigned long));
	return cn->counters ? 0 : -ENOMEM;
}

static void __net_exit ctls_net_exit(struct net *net)
{
	free_percpu(ctls_net(net)->counters);
}

static struct pernet_operations ctls_net_ops = {
	.init	= ctls_net_init,
	.exit	= ctls_net_exit,
	.id	= &ctls_net_id,
	.size	= sizeof(struct ctls_net),
};

/*
 * The proc file is a second pernet_operations, registered only once the ULP
 * name is ours: while the stock tls module is loaded its "tls_stat" exists,
 * and creating it twice would WARN.
 */
static int __net_init ctls_proc_init(struct net *net)
{
	if (!proc_create_net_single(ctls_proc_name, 0444, net->proc_net,
				    ctls_stats_show, NULL))
		return -ENOMEM;
	return 0;
}

static void __net_exit ctls_proc_exit(struct net *net)
{
	remove_proc_entry(ctls_proc_name, net->proc_net);
}

static struct pernet_operations ctls_proc_ops = {
	.init	= ctls_proc_init,
	.exit	= ctls_proc_exit,
};

int ctls_stats_init(void)
{
	return register_pernet_subsys(&ctls_net_ops);
}

void ctls_stats_exit(void)
{
	unregister_pernet_subsys(&ctls_net_ops);
}

int ctls_proc_register(const char *ulp_name)
{
	snprintf(ctls_proc_name, sizeof(ctls_proc_name), "%s_stat", ulp_name);
	return register_pernet_subsys(&ctls_proc_ops);
}

void ctls_proc_unregister(void)
{
	unregister_pernet_subsys(&ctls_proc_ops);
}
