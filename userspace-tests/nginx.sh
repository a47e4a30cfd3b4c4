# SPDX-License-Identifier: GPL-2.0
#
# nginx.sh: sourced by the guest scripts (stacks.sh, install.sh) that run
# nginx with kTLS sendfile: the one configuration they use.
#
# nginx_conf PROTOCOLS CIPHERS: $W/ng/nginx.conf for an HTTPS server on
# 127.0.0.1:$port serving $www, with $W/cert.pem and $W/key.pem, sendfile
# on and OpenSSL's KTLS option (nginx 1.21.4 and later).
nginx_conf() {
	cat >"$W/ng/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $W/ng/nginx.pid;
error_log $W/ng/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	default_type application/octet-stream;
	sendfile on;
	client_body_temp_path $W/ng/body;
	proxy_temp_path $W/ng/proxy;
	fastcgi_temp_path $W/ng/fastcgi;
	uwsgi_temp_path $W/ng/uwsgi;
	scgi_temp_path $W/ng/scgi;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $W/cert.pem;
		ssl_certificate_key $W/key.pem;
		ssl_protocols $1;
		ssl_ciphers $2;
		ssl_conf_command Options KTLS;
		root $www;
	}
}
EOF
}
