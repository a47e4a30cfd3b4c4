/* SPDX-License-Identifier: GPL-2.0 */
/* The few kernel names the record layer uses, for userspace builds of it. */
#ifndef _CTLS_USER_H
#define _CTLS_USER_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#endif /* _CTLS_USER_H */
