// SPDX-License-Identifier: GPL-2.0
/*
 * ctls: a kernel TLS upper-layer protocol for TCP.
 *
 * This file only loads and unloads the module; everything else lives in the
 * file named after what it does.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/tcp.h>

#include "ctls.h"

static char ulp_name[TCP_ULP_NAME_MAX] = "tls";
module_param_string(ulp_name, ulp_name, sizeof(ulp_name), 0444);
MODULE_PARM_DESC(ulp_name, "TCP ULP name to register (default \"tls\")");

static int __init ctls_init(void)
{
	int err;

	err = ctls_stats_init();
	if (err)
		return err;

	err = ctls_ulp_register(ulp_name);
	if (err)
		goto err_stats;

	err = ctls_proc_register(ulp_name);
	if (err)
		goto err_ulp;

	pr_info("registered TCP ULP \"%s\"\n", ulp_name);
	return 0;

err_ulp:
	ctls_ulp_unregister();
err_stats:
	ctls_stats_exit();
	return err;
}

static void __exit ctls_exit(void)
{
	ctls_proc_unregister();
	ctls_ulp_unregister();
	ctls_stats_exit();
}

module_init(ctls_init);
module_exit(ctls_exit);

MODULE_DESCRIPTION("ctls: kernel TLS upper-layer protocol");
MODULE_LICENSE("GPL");
