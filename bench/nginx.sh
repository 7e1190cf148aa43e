# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
#
# Sourced by the benchmarks that measure tokend against nginx (bench.sh,
# signing.sh, tls/tls.sh, web/web.sh): the start of their nginx.conf,
# the same for each so that their ratios compare alike: as many workers
# as cores, no access log, its files in DIR.  The caller writes the
# servers and the closing brace of the http block.

nginx_conf_head() {	# nginx_conf_head DIR
	if [ "$(id -u)" -eq 0 ]; then
		echo "user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
	fi
	cat <<EOC
worker_processes $(nproc);
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $1/client_body;
	proxy_temp_path $1/proxy;
	fastcgi_temp_path $1/fastcgi;
	uwsgi_temp_path $1/uwsgi;
	scgi_temp_path $1/scgi;
	keepalive_requests 1000000;
EOC
}
