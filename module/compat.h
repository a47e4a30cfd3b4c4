/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version test of ctls lives here; the rest of the code is
 * written against the names defined below.
 */
#ifndef _CTLS_COMPAT_H
#define _CTLS_COMPAT_H

#include <linux/version.h>

/* 6.5 removed proto::sendpage; splice and sendfile arrive as MSG_SPLICE_PAGES. */
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
#define CTLS_HAVE_SENDPAGE 1
#else
#define CTLS_HAVE_SENDPAGE 0
#endif

#endif /* _CTLS_COMPAT_H */
