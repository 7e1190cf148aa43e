#!/bin/sh
# make run: a demo configuration and database under ./run/, then tokend in
# the foreground on 127.0.0.1:8055 with its logs on the terminal.  Started
# as root it runs with full privilege separation.
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
run="$top/run"
port=${TOKEND_PORT:-8055}

umask 022
mkdir -p "$run/empty" "$run/keyd"
chmod 0755 "$run" "$run/empty" "$run/keyd"
if [ "$(id -u)" -eq 0 ]; then
	"$top/etc/users.sh" _tokend _tokend_keyd
	chown root:root "$run" "$run/empty" "$run/keyd"
fi
if [ ! -f "$run/tokend.conf" ]; then
	umask 077
	cat > "$run/tokend.conf" <<CONF
# Demo configuration written by "make run"; see tokend.conf(5).
listen on 127.0.0.1 port $port
user "_tokend"
chroot "$run/empty"
keyd {
	user "_tokend_keyd"
	chroot "$run/keyd"
	program "$top/keyd/keyd"
	database "$run/keyd/db/credentials.db"
	secret "$run/secret"
}
control socket "$run/tokend.sock"
CONF
	umask 022
	echo "demo: wrote $run/tokend.conf"
fi
echo "demo: tokend on http://127.0.0.1:$port/ (Ctrl-C stops it)"
echo "demo: try: curl http://127.0.0.1:$port/server/ping"
exec "$top/server/tokend" -d -f "$run/tokend.conf"
