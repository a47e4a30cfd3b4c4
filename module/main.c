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

/*
 * The stock tls module creates /proc/net/tls_stat in its init, before it
 * registers its ULP: loaded while ctls is "tls" (and owns that file), it
 * would WARN in proc_register() and then fail with ENOMEM. Refuse it
 * before its init runs, with a word in the log. EBUSY, not EEXIST: modprobe
 * takes EEXIST for "already loaded" and reports success.
 */
static int ctls_module_notify(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct module *mod = data;

	if (state != MODULE_STATE_COMING || strcmp(mod->name, "tls") ||
	    strcmp(ulp_name, "tls"))
		return NOTIFY_DONE;
	pr_warn("not loading the stock tls module: ctls is the TCP ULP \"tls\" (unload ctls first, or load it with ulp_name=ctls)\n");
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block ctls_module_nb = {
	.notifier_call = ctls_module_notify,
};

static int __init ctls_init(void)
{
	int err;

	err = ctls_stats_init();
	if (err)
		return err;

	/*
	 * The name taken (the stock module is loaded): EBUSY, not the EEXIST
	 * of tcp_register_ulp(), which modprobe would take for "ctls is
	 * already loaded" and report as success, with nothing loaded.
	 */
	err = ctls_ulp_register(ulp_name);
	if (err == -EEXIST)
		err = -EBUSY;
	if (err)
		goto err_stats;

	err = ctls_proc_register(ulp_name);
	if (err)
		goto err_ulp;

	err = register_module_notifier(&ctls_module_nb);
	if (err)
		goto err_proc;

	pr_info("registered TCP ULP \"%s\"\n", ulp_name);
	return 0;

err_proc:
	ctls_proc_unregister();
err_ulp:
	ctls_ulp_unregister();
err_stats:
	ctls_stats_exit();
	return err;
}

static void __exit ctls_exit(void)
{
	unregister_module_notifier(&ctls_module_nb);
	ctls_proc_unregister();
	ctls_ulp_unregister();
	ctls_stats_exit();
}

module_init(ctls_init);
module_exit(ctls_exit);

/*
 * request_module("tcp-ulp-tls"), what the TCP core asks for when a socket
 * wants "tls" and nobody has registered it, finds ctls as well as the stock
 * module. The package's modprobe configuration (packaging/modprobe.conf)
 * makes "modprobe tls", the stock module's name, load ctls, so that both
 * give ctls on a kernel that has it.
 */
MODULE_ALIAS_TCP_ULP("tls");
MODULE_DESCRIPTION("ctls: kernel TLS upper-layer protocol (TCP ULP \"tls\")");
MODULE_AUTHOR("The ctls authors");
MODULE_VERSION(CTLS_VERSION);
MODULE_LICENSE("GPL");
