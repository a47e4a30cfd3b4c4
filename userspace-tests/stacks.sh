#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of qemu/stacks.sh: real TLS stacks, unmodified, on ctls. Runs
# in the chroot that qemu/run.sh -r or -R sets up (the host's bookworm
# userspace, or the Debian 13 root of qemu/debian-root.sh; this guest's
# kernel, ctls loaded as "tls", the stock tls.ko taken out) and prints TAP.
#
#   OpenSSL       kTLS switched on by configuration (Options = KTLS):
#                 s_server -WWW -sendfile to s_client and to curl
#   GnuTLS        an independent userspace peer of OpenSSL on ctls, in both
#                 directions, and its own kTLS switch (ktls = true)
#   nginx         sendfile on, ssl_conf_command Options KTLS, to curl
#   ss            the ULP info of open kTLS connections (sock_diag)
#   keyupdate     TLS 1.3 KeyUpdate on connections with kTLS at both ends
#                 (s_client and s_server 'K' and 'k'), data checked both
#                 ways between them (run by default where OpenSSL puts TLS
#                 1.3 RX in the kernel)
#
# Every group reads /proc/net/tls_stat before and after: TlsTxSw and TlsRxSw
# must grow by the number of sockets the stacks switch to kTLS, TlsDecryptError
# must not grow, and TlsCurrTxSw/TlsCurrRxSw must be back where they were
# once the connections are closed. The expectations follow the versions
# found: OpenSSL 3.0 (bookworm) puts TX into the kernel on TLS 1.2 and 1.3
# and RX on TLS 1.2 only; OpenSSL 3.5 (trixie) puts RX there on TLS 1.3
# too. GnuTLS 3.7 (bookworm) and 3.8 (trixie) are built without kTLS:
# "ktls = true" changes nothing. curl (7.88, 8.14) reads through its own
# BIO, so it never uses kTLS: it is a userspace peer.
#
# STACKS_QUICK=1 (stacks13) leaves out what the bookworm run already
# covers with the same kernel code: the 16 MiB s_client download but for
# TLS 1.2 and 1.3 AES-128-GCM, the GnuTLS cells but for one cipher per
# version, and nginx's 64 MiB file but on TLS 1.3.
W=/tmp/stacks
quick=${STACKS_QUICK:-0}
# Whether this OpenSSL puts TLS 1.3 RX in the kernel: 3.0 does not (its
# tls13_change_cipher_state() sets up kTLS for writing only); 3.5's record
# layer (ssl/record/methods/ktls_meth.c) does. Only 3.0 and 3.5 are tested.
case $(openssl version) in
"OpenSSL 3.0."*) ossl_rx13=0 ;;
*) ossl_rx13=1 ;;
esac
# Groups to run (arguments; default all): openssl gnutls nginx ss keyupdate
# (keyupdate by default only where OpenSSL has TLS 1.3 kTLS RX).
ku=
[ "$ossl_rx13" = 1 ] && ku=keyupdate
groups=${*:-openssl gnutls nginx ss $ku}
www=$W/www
fifo=$W/fifo
port=4400
. ./tap.sh
. ./nginx.sh

# Seconds since the start, for the comments that open each group.
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }

size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# The reference files' digests are computed once, in $www/.sha/.
sha() {
	case $1 in
	"$www"/*)
		[ -s "$www/.sha/${1##*/}" ] ||
			sha256sum "$1" | cut -c1-64 >"$www/.sha/${1##*/}"
		cat "$www/.sha/${1##*/}"
		;;
	*) sha256sum "$1" | cut -c1-64 ;;
	esac
}
next_port() { port=$((port + 1)); }

# Wait (up to 60 s) until something listens on TCP port $1.
wait_listen() {
	i=0
	while [ $i -lt 300 ]; do
		[ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	echo "# nothing listens on port $1"
	return 1
}

stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# Run a client in the background with its stdin a fifo that fd 3 keeps open
# (so that it does not see EOF while the server still talks): held OUT ERR
# CMD... ; then write to fd 3 in a subshell (a dead client must not take
# this script with SIGPIPE) and end_held (the server ends the connection)
# or end_held_eof (EOF on stdin ends the client).
held() {
	out=$1
	err=$2
	shift 2
	rm -f "$fifo"
	mkfifo "$fifo"
	timeout 300 "$@" <"$fifo" >"$out" 2>"$err" &
	cpid=$!
	exec 3>"$fifo"
}

end_held() {
	wait "$cpid"
	crc=$?
	exec 3>&-
	return $crc
}

end_held_eof() {
	exec 3>&-
	wait "$cpid"
}

get() { (printf 'GET /%s HTTP/1.0\r\n\r\n' "$1" >&3) 2>/dev/null; }

# FILE is an HTTP/1.x 200 response whose body is REF's bytes.
body_ok() {
	if ! head -n 1 "$1" | grep -q '^HTTP/1\.[01] 200'; then
		echo "# no HTTP/1.x 200 at the start of ${1##*/} ($(size "$1") B)"
		return 1
	fi
	hdr=$(head -c 1024 "$1" | sed -n '1,/^\r$/p' | wc -c)
	tail -c +$((hdr + 1)) "$1" >"$W/body"
	same "$W/body" "$2"
}

# FILE has REF's bytes; if not, say where they part.
same() {
	[ "$(size "$1")" = "$(size "$2")" ] && [ "$(sha "$1")" = "$(sha "$2")" ] &&
		return 0
	echo "# ${1##*/}: $(size "$1") B, want $(size "$2") B;" \
		"$(cmp "$1" "$2" 2>&1 | head -n 1)"
	return 1
}

# --- /proc/net/tls_stat -------------------------------------------------


begin() {
	tb=$(date +%s)
	cat /proc/net/tls_stat >"$W/before"
}

curr_back() {
	cat /proc/net/tls_stat >"$W/after"
	[ "$(stat_of "$W/after" TlsCurrTxSw)" = "$(stat_of "$W/before" TlsCurrTxSw)" ] &&
		[ "$(stat_of "$W/after" TlsCurrRxSw)" = "$(stat_of "$W/before" TlsCurrRxSw)" ]
}

delta() { echo $(($(stat_of "$W/after" "$1") - $(stat_of "$W/before" "$1"))); }

# finish NAME TX RX: the group's connections are closed; TlsTxSw grew by
# TX, TlsRxSw by RX, no decrypt error, the Curr counters are back.
finish() {
	i=0
	while ! curr_back && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	got="TlsTxSw +$(delta TlsTxSw) TlsRxSw +$(delta TlsRxSw)"
	got="$got TlsDecryptError +$(delta TlsDecryptError)"
	got="$got TlsCurrTxSw $(stat_of "$W/before" TlsCurrTxSw)->$(stat_of "$W/after" TlsCurrTxSw)"
	got="$got TlsCurrRxSw $(stat_of "$W/before" TlsCurrRxSw)->$(stat_of "$W/after" TlsCurrRxSw)"
	check "$1: tls_stat $got (want TX +$2, RX +$3)" \
		test "$(delta TlsTxSw)" = "$2" -a "$(delta TlsRxSw)" = "$3" \
		-a "$(delta TlsDecryptError)" = 0 -a "$i" -lt 50
	echo "# $1: $(($(date +%s) - tb)) s"
}

# --- setup --------------------------------------------------------------

rm -rf "$W"
mkdir -p "$www/.sha" "$W/ng"
cd "$W" || exit 1
cat >"$W/ktls.cnf" <<'EOF'
openssl_conf = openssl_init

[openssl_init]
ssl_conf = ssl_sect

[ssl_sect]
system_default = system_default_sect

[system_default_sect]
Options = KTLS
EOF
# GnuTLS's switch for kTLS (3.7.3 on), for the check that it has none.
printf '[global]\nktls = true\n' >"$W/gnutls.cfg"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$W/key.pem" -out "$W/cert.pem" -subj /CN=localhost -days 2 \
	>/dev/null 2>&1
: >"$www/f0"
for s in 1 16385 1000003; do
	head -c $s /dev/urandom >"$www/f$s"
done
head -c 16777216 /dev/urandom >"$www/f16m"
head -c 67108864 /dev/urandom >"$www/f64m"
# GnuTLS's echo server handles text (strlen), 1 KiB a read: base64 of
# 100003 random bytes, about 133 KB.
head -c 100003 /dev/urandom | base64 >"$www/echo"

echo "# $(uname -r); $(openssl version); $(gnutls-cli --version | head -n 1);" \
	"$(nginx -v 2>&1); $(curl --version | head -n 1 | cut -d' ' -f1-2)"
check "ctls serves the ULP \"tls\" (/sys/module/ctls, /proc/net/tls_stat)" \
	test -d /sys/module/ctls -a -e /proc/net/tls_stat
check "stock tls.ko cannot be loaded (modprobe tls fails)" \
	sh -c '! modprobe tls 2>/dev/null'
check "stock tls is not loaded" test ! -e /sys/module/tls
check "test keys and files made" test -s "$W/cert.pem" -a "$(size "$www/f64m")" = 67108864

# version, name in TAP, OpenSSL cipher (1.2) or suite (1.3), GnuTLS cipher
suites="12 aes-128-gcm ECDHE-ECDSA-AES128-GCM-SHA256 AES-128-GCM
12 aes-256-gcm ECDHE-ECDSA-AES256-GCM-SHA384 AES-256-GCM
12 chacha20-poly1305 ECDHE-ECDSA-CHACHA20-POLY1305 CHACHA20-POLY1305
12 aes-128-ccm ECDHE-ECDSA-AES128-CCM AES-128-CCM
13 aes-128-gcm TLS_AES_128_GCM_SHA256 AES-128-GCM
13 aes-256-gcm TLS_AES_256_GCM_SHA384 AES-256-GCM
13 chacha20-poly1305 TLS_CHACHA20_POLY1305_SHA256 CHACHA20-POLY1305"

ossl_opts() {
	if [ "$1" = 12 ]; then
		echo "-tls1_2 -cipher $2"
	else
		echo "-tls1_3 -ciphersuites $2"
	fi
}

curl_opts() {
	if [ "$1" = 12 ]; then
		echo "--tlsv1.2 --tls-max 1.2 --ciphers $2"
	else
		echo "--tlsv1.3 --tls13-ciphers $2"
	fi
}

# kTLS RX sockets per OpenSSL endpoint (TX: always one): on TLS 1.2
# always, on 1.3 where this OpenSSL does it.
ossl_rx() { [ "$1" = 12 ] && echo 1 || echo "$ossl_rx13"; }
# yes or no for ossl_rx.
ossl_rx_yn() { [ "$(ossl_rx "$1")" = 1 ] && echo yes || echo no; }

# OpenSSL s_server -WWW -sendfile, kTLS on, serving $www on $port.
ossl_www() {
	# shellcheck disable=SC2046
	(cd "$www" && exec env OPENSSL_CONF="$W/ktls.cnf" openssl s_server \
		-accept "$port" -cert "$W/cert.pem" -key "$W/key.pem" \
		-WWW -sendfile $(ossl_opts "$1" "$2")) >"$W/srv.log" 2>&1 &
	spid=$!
	wait_listen "$port"
}

# s_client -brief (kTLS on) GETs $1 from s_server: out in $W/c.out.
ossl_get() {
	# shellcheck disable=SC2046
	held "$W/c.out" "$W/c.err" env OPENSSL_CONF="$W/ktls.cnf" openssl s_client \
		-connect "127.0.0.1:$port" -brief -nocommands $(ossl_opts "$2" "$3")
	get "$1"
	end_held
}

# ktls_said VERSION LOG...: each log has "Using Kernel TLS for sending",
# and "... for receiving" where ossl_rx says.
ktls_said() {
	v=$1
	shift
	for l in "$@"; do
		grep -q 'Using Kernel TLS for sending' "$l" || return 1
		if [ "$(ossl_rx "$v")" = 1 ]; then
			grep -q 'Using Kernel TLS for receiving' "$l" || return 1
		else
			! grep -q 'Using Kernel TLS for receiving' "$l" || return 1
		fi
	done
}

# --- OpenSSL to OpenSSL ---------------------------------------------------

group_openssl() {
	echo "# OpenSSL s_server -WWW -sendfile (kTLS) to s_client (kTLS) and curl ($(elapsed))"
	while read -r v name oc gc <&6; do
		t="openssl $v $name"
		next_port
		begin
		logs="$W/c.err $W/srv.log"
		ossl_www "$v" "$oc"
		files="f1 f16385 f1000003 f16m"
		[ "$quick" = 1 ] && [ "$name" != aes-128-gcm ] && files="f1 f16385 f1000003"
		for f in $files; do
			ossl_get "$f" "$v" "$oc"
			check "$t: s_client gets $f ($(size "$www/$f") B), sha256 matches" \
				body_ok "$W/c.out" "$www/$f"
		done
		proto="TLSv1.${v#1}"
		check "$t: negotiated $proto $oc" sh -c "grep -q 'Protocol version: $proto' '$W/c.err' &&
			grep -q 'Ciphersuite: $oc' '$W/c.err'"
		snd=no
		rcv=no
		grep -q 'Using Kernel TLS for sending' "$W/c.err" && snd=yes
		grep -q 'Using Kernel TLS for receiving' "$W/c.err" && rcv=yes
		want=$(ossl_rx_yn "$v")
		echo "# $t: s_client says: kTLS for sending $snd, for receiving $rcv"
		check "$t: s_client reports kTLS send yes, receive $want" \
			test "$snd" = yes -a "$rcv" = "$want"
		logs="$W/curl.err $W/srv.log"
		# shellcheck disable=SC2046
		curl -sS -k --max-time 300 $(curl_opts "$v" "$oc") -o "$W/curl.out" \
			"https://127.0.0.1:$port/f1000003" 2>"$W/curl.err"
		check "$t: curl (userspace TLS) gets f1000003, sha256 matches" \
			same "$W/curl.out" "$www/f1000003"
		stop "$spid"
		k=$(grep -c "KTLS SENDFILE '.*' OK" "$W/srv.log")
		nf=$(($(echo "$files" | wc -w) + 1))
		check "$t: s_server sent all $nf files with kTLS sendfile ($k)" \
			sh -c "[ $k = $nf ] && ! grep -q 'KTLS is not available' '$W/srv.log'"
		# One socket per s_client and curl connection on the server, one
		# per s_client.
		rx=$(ossl_rx "$v")
		finish "$t" $((2 * nf - 1)) $(((2 * nf - 1) * rx))
		rm -f "$W/c.out" "$W/curl.out"
	done 6<<-EOF
	$suites
	EOF
}

# --- GnuTLS ---------------------------------------------------------------

gprio() { echo "NORMAL:-VERS-ALL:+VERS-TLS1.${1#1}:-CIPHER-ALL:+$2"; }

group_gnutls() {
	echo "# GnuTLS (no kTLS) against OpenSSL with kTLS, both directions ($(elapsed))"
	cells=$suites
	[ "$quick" = 1 ] && cells=$(echo "$suites" | sed -n '1p;$p')
	while read -r v name oc gc <&6; do
		t="gnutls-cli <- openssl s_server $v $name"
		next_port
		begin
		logs="$W/g.err $W/g.log $W/srv.log"
		ossl_www "$v" "$oc"
		held "$W/g.out" "$W/g.err" gnutls-cli --insecure --logfile="$W/g.log" \
			-p "$port" --priority "$(gprio "$v" "$gc")" 127.0.0.1
		get f1000003
		end_held
		check "$t: gets f1000003, sha256 matches" body_ok "$W/g.out" "$www/f1000003"
		check "$t: gnutls-cli negotiated TLS1.${v#1} $gc" \
			grep -q "Description: (TLS1.${v#1}-X.509)-.*-($gc)" "$W/g.log"
		stop "$spid"
		finish "$t" 1 "$(ossl_rx "$v")"

		t="openssl s_client -> gnutls-serv --echo $v $name"
		next_port
		begin
		logs="$W/e.err $W/gs.log"
		gnutls-serv -p "$port" --echo --crlf --x509certfile "$W/cert.pem" \
			--x509keyfile "$W/key.pem" --priority "$(gprio "$v" "$gc")" \
			>"$W/gs.log" 2>&1 &
		spid=$!
		wait_listen "$port"
		# shellcheck disable=SC2046
		held "$W/e.out" "$W/e.err" env OPENSSL_CONF="$W/ktls.cnf" openssl s_client \
			-connect "127.0.0.1:$port" -brief -nocommands $(ossl_opts "$v" "$oc")
		(cat "$www/echo" >&3) 2>/dev/null &
		wpid=$!
		i=0
		while [ "$(size "$W/e.out")" -lt "$(size "$www/echo")" ] && [ $i -lt 600 ] &&
			kill -0 "$cpid" 2>/dev/null; do
			sleep 0.2
			i=$((i + 1))
		done
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
		end_held_eof
		check "$t: $(size "$www/echo") B echoed back, sha256 matches" \
			same "$W/e.out" "$www/echo"
		check "$t: s_client used kTLS (send yes, receive $(ossl_rx_yn "$v"))" \
			ktls_said "$v" "$W/e.err"
		stop "$spid"
		finish "$t" 1 "$(ossl_rx "$v")"
	done 6<<-EOF
	$cells
	EOF

	echo "# GnuTLS's own server and client, kTLS asked for in its config ($(elapsed))"
	for v in 12 13; do
		t="openssl s_client <- gnutls-serv --httpdata $v"
		next_port
		begin
		logs="$W/h.err $W/gs.log"
		gnutls-serv -p "$port" --httpdata "$www/f1000003" --x509certfile "$W/cert.pem" \
			--x509keyfile "$W/key.pem" --priority "NORMAL:-VERS-ALL:+VERS-TLS1.${v#1}" \
			>"$W/gs.log" 2>&1 &
		spid=$!
		wait_listen "$port"
		held "$W/h.out" "$W/h.err" env OPENSSL_CONF="$W/ktls.cnf" openssl s_client \
			-connect "127.0.0.1:$port" -brief -nocommands
		get f
		end_held
		check "$t: gets 1000003 B, sha256 matches" body_ok "$W/h.out" "$www/f1000003"
		echo "# $t: $(grep -E '^(Protocol version|Ciphersuite)' "$W/h.err" | tr '\n' ' ')"

		t="gnutls-cli <- gnutls-serv, ktls = true in GnuTLS's config, $v"
		logs="$W/g.err $W/g.log $W/gs.log"
		held "$W/g.out" "$W/g.err" env GNUTLS_SYSTEM_PRIORITY_FILE="$W/gnutls.cfg" \
			gnutls-cli --insecure --logfile="$W/g.log" -p "$port" \
			--priority "NORMAL:-VERS-ALL:+VERS-TLS1.${v#1}" 127.0.0.1
		get f
		end_held
		check "$t: gets 1000003 B, sha256 matches" body_ok "$W/g.out" "$www/f1000003"
		stop "$spid"
		# The s_client above: kTLS TX, and RX on 1.2; GnuTLS on both ends
		# of the second connection: nothing.
		finish "openssl s_client and gnutls-cli <- gnutls-serv $v (GnuTLS uses no kTLS)" \
			1 "$(ossl_rx "$v")"
	done
}

# --- nginx ----------------------------------------------------------------

nginx_ok() {
	[ "$1" = 200 ] && grep -q "SSL connection using $2" "$W/n.err" &&
		same "$W/n.out" "$3"
}

group_nginx() {
	echo "# nginx (sendfile on, ssl_conf_command Options KTLS) to curl ($(elapsed))"
	for v in 12 13; do
		next_port
		if [ "$v" = 12 ]; then
			want="TLSv1.2 / ECDHE-ECDSA-AES128-GCM-SHA256"
			nginx_conf TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256
		else
			want="TLSv1.3 / TLS_AES_256_GCM_SHA384"
			nginx_conf TLSv1.3 HIGH
		fi
		t="nginx $v"
		begin
		logs="$W/n.err $W/ng/start.err $W/ng/error.log"
		nginx -c "$W/ng/nginx.conf" 2>"$W/ng/start.err"
		check "$t: nginx starts" wait_listen "$port"
		files="f0 f1 f16385 f64m"
		[ "$quick" = 1 ] && [ "$v" = 12 ] && files="f0 f1 f16385"
		for f in $files; do
			code=$(curl -sS -k -v --max-time 300 -o "$W/n.out" -w '%{http_code}' \
				"https://127.0.0.1:$port/$f" 2>"$W/n.err")
			check "$t: curl gets $f ($(size "$www/$f") B), HTTP $code, sha256 matches" \
				nginx_ok "$code" "$want" "$www/$f"
			rm -f "$W/n.out"
		done
		kill "$(cat "$W/ng/nginx.pid")"
		i=0
		while [ -e "$W/ng/nginx.pid" ] && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		check "$t: nginx stopped, no error in its log" \
			sh -c "[ ! -e '$W/ng/nginx.pid' ] && ! grep -E '\[(emerg|alert|crit|error)\]' '$W/ng/error.log'"
		nf=$(echo "$files" | wc -w)
		finish "$t ($want)" "$nf" $((nf * $(ossl_rx "$v")))
	done
}

# --- ss -------------------------------------------------------------------

# ss_tls CONNS EXPECT: the tcp-ulp-tls info of every established socket on
# $port is EXPECT, and there are CONNS of them.
ss_tls() {
	ss -Htiepn "( sport = :$port or dport = :$port )" 2>/dev/null >"$W/ss.out"
	grep -o 'tcp-ulp-tls.*' "$W/ss.out" | sed 's/ *$//' >"$W/ss.tls"
	[ "$(grep -c . "$W/ss.tls")" = "$1" ] && [ "$(sort -u "$W/ss.tls")" = "$2" ]
}


group_ss() {
	echo "# ss -tiepn on open kTLS connections (s_server and s_client, kTLS on) ($(elapsed))"
	for v in 12 13; do
		if [ "$v" = 12 ]; then
			oc=ECDHE-ECDSA-AES128-GCM-SHA256
			want="tcp-ulp-tls version: 1.2 cipher: aes-gcm-128 rxconf: sw txconf: sw"
		else
			oc=TLS_AES_256_GCM_SHA384
			want="tcp-ulp-tls version: 1.3 cipher: aes-gcm-256 rxconf: none txconf: sw"
			[ "$ossl_rx13" = 1 ] && want="${want%rxconf*}rxconf: sw txconf: sw"
		fi
		next_port
		begin
		logs="$W/s.log $W/c.log"
		rm -f "$W/sin" "$W/cin"
		mkfifo "$W/sin" "$W/cin"
		# shellcheck disable=SC2046
		env OPENSSL_CONF="$W/ktls.cnf" openssl s_server -accept "$port" \
			-cert "$W/cert.pem" -key "$W/key.pem" $(ossl_opts "$v" "$oc") \
			<"$W/sin" >"$W/s.log" 2>&1 &
		spid=$!
		exec 4>"$W/sin"
		wait_listen "$port"
		# shellcheck disable=SC2046
		env OPENSSL_CONF="$W/ktls.cnf" openssl s_client -connect "127.0.0.1:$port" \
			-brief $(ossl_opts "$v" "$oc") <"$W/cin" >"$W/c.log" 2>&1 &
		cpid=$!
		exec 5>"$W/cin"
		i=0
		while ! ss_tls 2 "$want" && [ $i -lt 100 ]; do
			sleep 0.3
			i=$((i + 1))
		done
		sed 's/^/# /' "$W/ss.out"
		check "ss $v: both ends show \"$want\"" ss_tls 2 "$want"
		exec 5>&-
		wait "$cpid"
		exec 4>&-
		stop "$spid"
		# OpenSSL's own word, from both ends.
		for l in "$W/s.log" "$W/c.log"; do
			grep 'Using Kernel TLS' "$l" | sed "s|^|# ${l##*/}: |"
		done
		check "ss $v: s_server and s_client report kTLS as ss shows it" \
			ktls_said "$v" "$W/s.log" "$W/c.log"
		finish "ss $v" 2 $((2 * $(ossl_rx "$v")))
	done
}

# --- TLS 1.3 KeyUpdate with kTLS -------------------------------------------

# ku_data FIRST COUNT: COUNT (a multiple of 8) ten-digit numbers from FIRST,
# eight to a line. Digits, spaces and newlines only: no chunk that s_client
# or s_server reads from its stdin can start with one of their command
# letters.
ku_data() {
	seq -f '%010.0f' "$1" $(($1 + $2 - 1)) | paste -d' ' - - - - - - - -
}

# The data lines in a s_client's or s_server's output.
ku_lines() { grep -aE '^[0-9]{10}( [0-9]{10}){7}$' "$1"; }

# The tls_stat counter $1 has grown by $2 or more since begin (10 s).
grown() {
	i=0
	while [ $(($(stat_of /proc/net/tls_stat "$1") - $(stat_of "$W/before" "$1"))) -lt "$2" ]; do
		[ $i -ge 50 ] && return 1
		sleep 0.2
		i=$((i + 1))
	done
}

# rekeyed TX RX: TlsTxRekeyOk and TlsRxRekeyOk have grown by TX and RX
# (and rekeyed 0 0 C1 C2 N: counters C1 and C2 by N).
rekeyed() {
	if [ $# = 5 ]; then
		grown "$3" "$5" && grown "$4" "$5"
	else
		grown TlsTxRekeyOk "$1" && grown TlsRxRekeyOk "$2"
	fi
}

# ku_phase N REKEYS: 32000 numbers each way (352 KB), s_client to s_server
# and s_server to s_client at once; every line so far arrived, in order,
# and TX and RX have been rekeyed REKEYS times each.
ku_phase() {
	ku_data $(($1 * 1000000)) 32000 >"$W/k.part"
	cat "$W/k.part" >>"$W/k.want"
	(cat "$W/k.part" >&5) 2>/dev/null &
	w1=$!
	(cat "$W/k.part" >&4) 2>/dev/null &
	w2=$!
	want=$(wc -l <"$W/k.want")
	i=0
	while [ $i -lt 300 ]; do
		[ "$(ku_lines "$W/ks.out" | wc -l)" -ge "$want" ] &&
			[ "$(ku_lines "$W/kc.out" | wc -l)" -ge "$want" ] && break
		sleep 0.2
		i=$((i + 1))
	done
	kill "$w1" "$w2" 2>/dev/null
	wait "$w1" "$w2" 2>/dev/null
	ku_lines "$W/ks.out" >"$W/k.got_s"
	ku_lines "$W/kc.out" >"$W/k.got_c"
	same "$W/k.got_s" "$W/k.want" && same "$W/k.got_c" "$W/k.want" &&
		rekeyed "$2" "$2"
}

# ku_cmd END LETTER: END's stdin (fd 5 s_client, 4 s_server) gets the
# command LETTER alone on a line (the next data waits for its effect).
ku_cmd() { (printf '%s\n' "$2" >&"$1") 2>/dev/null; }

# One connection, kTLS at both ends, TLS 1.3 with cipher suite $1: data both
# ways, then each end in turn asks for a KeyUpdate with 'K' (the peer
# updates its own key in answer, on its next write) and sends one with 'k'.
# Each step is proven by the rekey counters of tls_stat (6.14's, which
# ctls has on every kernel) and by the data after it.
ku_conn() {
	t="keyupdate $1"
	next_port
	begin
	logs="$W/kc.err $W/ks.err"
	rm -f "$W/sin" "$W/cin" "$W/k.want"
	mkfifo "$W/sin" "$W/cin"
	# s_server writes what it reads with write(2) but its own messages
	# ("SSL_do_handshake -> 1", "Read BLOCK") through stdio: line-buffered,
	# they land between data lines, not inside one.
	env OPENSSL_CONF="$W/ktls.cnf" stdbuf -oL openssl s_server -accept "$port" -naccept 1 \
		-cert "$W/cert.pem" -key "$W/key.pem" -tls1_3 -ciphersuites "$1" \
		<"$W/sin" >"$W/ks.out" 2>"$W/ks.err" &
	spid=$!
	exec 4>"$W/sin"
	wait_listen "$port"
	env OPENSSL_CONF="$W/ktls.cnf" openssl s_client -connect "127.0.0.1:$port" \
		-brief -tls1_3 -ciphersuites "$1" <"$W/cin" >"$W/kc.out" 2>"$W/kc.err" &
	cpid=$!
	exec 5>"$W/cin"
	check "$t: both ends switch TX and RX to kTLS (TlsTxSw +2, TlsRxSw +2)" \
		rekeyed 0 0 TlsTxSw TlsRxSw 2
	check "$t: 352 KB each way before any KeyUpdate, sha256 matches" ku_phase 1
	ku_cmd 5 K
	check "$t: s_client 'K': its TX and s_server's RX take the new key" rekeyed 1 1
	check "$t: then 352 KB each way, s_server's answering KeyUpdate first (rekeys +2 +2), sha256 matches" \
		ku_phase 2 2
	ku_cmd 4 K
	check "$t: s_server 'K': its TX and s_client's RX take the new key" rekeyed 3 3
	check "$t: then 352 KB each way, s_client's answer first (rekeys +4 +4), sha256 matches" \
		ku_phase 3 4
	ku_cmd 5 k
	check "$t: s_client 'k' (no answer asked): rekeys +5 +5" rekeyed 5 5
	check "$t: then 352 KB each way, sha256 matches" ku_phase 4 5
	ku_cmd 4 k
	check "$t: s_server 'k': rekeys +6 +6" rekeyed 6 6
	check "$t: then 352 KB each way, sha256 matches" ku_phase 5 6
	exec 5>&-
	wait "$cpid"
	crc=$?
	exec 4>&-
	i=0
	while kill -0 "$spid" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	stop "$spid"
	check "$t: s_client ends on EOF with status 0 ($crc), s_server (-naccept 1) after it" \
		test "$crc" = 0 -a "$i" -lt 50
	grep -h 'Using Kernel TLS\|KEYUPDATE\|SSL_do_handshake' "$W/ks.out" "$W/ks.err" \
		"$W/kc.err" | sort | uniq -c |
		sed "s|^|# $t: |"
	check "$t: s_client and s_server report kTLS for sending and receiving" \
		ktls_said 13 "$W/ks.err" "$W/kc.err"
	cat /proc/net/tls_stat >"$W/after"
	got="TlsTxRekeyOk +$(delta TlsTxRekeyOk) TlsRxRekeyOk +$(delta TlsRxRekeyOk)"
	got="$got TlsRxRekeyReceived +$(delta TlsRxRekeyReceived)"
	got="$got TlsTxRekeyError +$(delta TlsTxRekeyError) TlsRxRekeyError +$(delta TlsRxRekeyError)"
	check "$t: $got (want 6 6 6 0 0)" test "$(delta TlsTxRekeyOk)" = 6 \
		-a "$(delta TlsRxRekeyOk)" = 6 -a "$(delta TlsRxRekeyReceived)" = 6 \
		-a "$(delta TlsTxRekeyError)" = 0 -a "$(delta TlsRxRekeyError)" = 0
	finish "$t" 2 2
}

group_keyupdate() {
	echo "# TLS 1.3 KeyUpdate on kTLS connections: s_client and s_server 'K' and 'k' ($(elapsed))"
	for c in TLS_AES_128_GCM_SHA256 TLS_CHACHA20_POLY1305_SHA256; do
		ku_conn "$c"
	done
}

for g in $groups; do
	"group_$g"
done

check "stock tls was never loaded" test ! -e /sys/module/tls
echo "# done in $(elapsed)"
echo "1..$n"
[ $fail = 0 ]
