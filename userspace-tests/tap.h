/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal TAP output for the ctls guest tests. */
#ifndef CTLS_TAP_H
#define CTLS_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	tap_failed += !ok;
}

/* A call that must fail with errno @want; @ret is its return value. */
#define tap_errno(ret, want, what)					\
	do {								\
		int __r = (ret), __e = errno;				\
		tap_check(__r < 0 && __e == (want),			\
			  "%s: want %s, got %d (%s)", (what),		\
			  strerrorname_np(want), __r,			\
			  __r < 0 ? strerrorname_np(__e) : "success");	\
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
