#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the inkernel suite: ctls_rstest.ko run on stock tls.ko
# ("tls") and on ctls (loaded with ulp_name=ctls) in one boot; every line
# of their transcripts must be the same, but for the differences
# docs/design.md gives reasons for, and the cases only ctls defines must
# give what it documents. Then protos (a refused attach on a sockmap'd
# socket leaves live ctls sockets alone). Prints TAP.
n=0
fail=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	fail=$((fail + 1))
}

# transcript ULP [ARGS]: the module's lines for ULP, prefix removed.
transcript() {
	u=$1
	shift
	dmesg -c >/dev/null
	insmod ./ctls_rstest.ko ulp="$u" "$@" || return 1
	rmmod ctls_rstest
	dmesg | sed -n "s/^.*ctls_rstest: $u: //p"
}

modprobe tls || { not_ok "modprobe tls"; echo "1..$n"; exit 1; }
transcript tls >/tmp/stock.txt || not_ok "ctls_rstest on stock tls.ko"
transcript ctls ctls_only=1 >/tmp/ctls.txt || not_ok "ctls_rstest on ctls"

# Deliberate differences (docs/design.md, "The proto tables"): ctls
# refuses the *_locked senders on a TLS sender, and on 6.1 has its own
# poll (a pending KeyUpdate).
known=sendmsg_locked
case $(uname -r) in 6.1.*) known="$known poll" ;; esac
for k in $known; do
	sed -i "/^tables /{s/\[$k\]/[]/;s/\[$k,/[/;s/,$k\]/]/;s/,$k,/,/}" /tmp/ctls.txt
done

# The ctls-only cases, checked against what they must give, then left out.
want_nibble="nibble: read_sock 1200 offered [1000,700,400,100,200] total 1200 same sk_err 0"
if grep -q "read_sock is TCP's" /tmp/ctls.txt; then
	ok "# SKIP nibble: this kernel's TLS has no read_sock"
else
	for v in 2 3; do
		got=$(sed -n "/^case nibble, TLS 1.$v/{n;p}" /tmp/ctls.txt)
		if [ "$got" = "$want_nibble" ]; then
			ok "ctls TLS 1.$v: an actor taking part of a record is offered the rest"
		else
			not_ok "ctls TLS 1.$v nibble: got '$got', want '$want_nibble'"
		fi
	done
	sed -i '/^case nibble,/{N;d}' /tmp/ctls.txt
fi

grep -q '^done$' /tmp/stock.txt || not_ok "stock's transcript is complete"
grep -q '^done$' /tmp/ctls.txt || not_ok "ctls's transcript is complete"
i=0
while :; do
	i=$((i + 1))
	s=$(sed -n "${i}p" /tmp/stock.txt)
	c=$(sed -n "${i}p" /tmp/ctls.txt)
	[ -z "$s" ] && [ -z "$c" ] && break
	if [ "$s" = "$c" ]; then
		ok "$s"
	else
		not_ok "stock: '$s' ctls: '$c'"
	fi
done

./protos ctls ${CTLS_PROTOS_RACE:+race $CTLS_PROTOS_RACE} | sed 's/^\(ok\|not ok\) [0-9]*/\1/' >/tmp/protos.tap
while read -r line; do
	case $line in
	"ok # SKIP"*) ok "${line#ok }" ;;
	"ok "*) ok "protos: ${line#ok - }" ;;
	"not ok "*) not_ok "protos: ${line#not ok - }" ;;
	esac
done </tmp/protos.tap
echo "1..$n"
[ $fail = 0 ]
