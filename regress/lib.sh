# Shared harness for the daemon tests (sourced by bash).
#
# A test sources this file, calls td_init, writes a configuration with
# td_conf, starts tokend with td_start, asserts with ok/fail/skip or
# check, and leaves the cleanup to the EXIT trap: only the processes
# this test started are ended, by pid.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
TOKEND="$TOP/server/tokend"
KEYD="$TOP/keyd/keyd"
TOKENCTL="$TOP/tokenctl/tokenctl"
TD_PIDS=""

ok()	{ echo "ok $1"; }
fail()	{ echo "FAILED $1${2:+ ($2)}"; TD_FAILED=1; }
skip()	{ echo "SKIPPED $1${2:+ ($2)}"; }
# check NAME COMMAND...: ok when the command succeeds.
check() {
	_n=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$_n"; else fail "$_n"; fi
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# Every descendant of a pid (children first listed after it).
td_tree() {
	for _c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$_c"
		td_tree "$_c"
	done
}

td_cleanup() {
	for _p in $TD_PIDS; do
		_all="$_p $(td_tree "$_p")"
		kill -TERM $_all 2>/dev/null
	done
	sleep 0.2
	for _p in $TD_PIDS; do
		_all="$_p $(td_tree "$_p")"
		kill -KILL $_all 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	[ -n "$T" ] && [ -d "$T" ] && rm -rf "$T"
}

td_init() {
	T=$(mktemp -d /tmp/tokend-regress.XXXXXX) || exit 1
	chmod 0755 "$T"
	mkdir -p "$T/empty" "$T/keyd"
	chmod 0755 "$T/empty" "$T/keyd"
	trap td_cleanup EXIT
	trap 'exit 1' INT TERM
	if is_root; then
		"$TOP/etc/users.sh" _tokend _tokend_keyd >/dev/null || exit 1
	fi
	PORT=$(td_free_port)
	URL="http://127.0.0.1:$PORT"
}

# A port nobody listens on, below the kernel's ephemeral range: a
# client connection may hold a port inside it, and bind would fail.
td_free_port() {
	_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	case "$_lo" in ''|*[!0-9]*) _lo=32768 ;; esac
	[ "$_lo" -gt 25000 ] || _lo=40000
	while :; do
		_p=$(( ($(od -An -N2 -tu2 /dev/urandom) % (_lo - 20000)) + 20000 ))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null; then
			echo "$_p"
			return
		fi
	done
}

# td_conf [extra lines...]: the test configuration in $T/tokend.conf.
td_conf() {
	umask 077
	{
		echo "listen on 127.0.0.1 port $PORT"
		echo "prefork ${PREFORK:-2}"
		echo "user \"_tokend\""
		echo "chroot \"$T/empty\""
		echo "keyd {"
		echo "	user \"_tokend_keyd\""
		echo "	chroot \"$T/keyd\""
		echo "	program \"$KEYD\""
		echo "	database \"$T/keyd/db/credentials.db\""
		echo "	secret \"$T/secret\""
		echo "}"
		echo "control socket \"$T/tokend.sock\""
		echo "items \"$T/empty/data/items.db\""
		for _l in "$@"; do echo "$_l"; done
	} > "$T/tokend.conf"
	umask 022
}

# td_start: tokend in the foreground, logs in $T/log; waits for ping.
td_start() {
	"$TOKEND" -d -v -f "$T/tokend.conf" > "$T/log" 2>&1 &
	TD_PID=$!
	TD_PIDS="$TD_PIDS $TD_PID"
	td_wait_ready
}

td_wait_ready() {
	_i=0
	while [ $_i -lt 100 ]; do
		if [ "$(curl -s -m 1 "$URL/server/ping" 2>/dev/null)" = pong ] &&
		    [ "$(td_servers | wc -w)" -ge "${PREFORK:-2}" ]; then
			td_wait_keyd
			return 0
		fi
		kill -0 "$TD_PID" 2>/dev/null || return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# Give keyd (migrations, hashing threads) up to 5 s to answer health;
# tests that start it with a refused secret expect it never to.
td_wait_keyd() {
	_k=0
	while [ $_k -lt 50 ]; do
		[ "$(curl -s -m 1 "$URL/server/health" 2>/dev/null)" = \
		    '{"status":"ok"}' ] && return 0
		grep -q "cannot load the signing secret" "$T/log" 2>/dev/null &&
		    return 1
		sleep 0.1
		_k=$((_k + 1))
	done
	return 1
}

# The pids of the workers and of keyd (children of the parent).
td_servers() {
	for _c in $(ps -o pid= --ppid "$TD_PID" 2>/dev/null); do
		case "$(cat /proc/$_c/cmdline 2>/dev/null | tr '\0' ' ')" in
		*server*) echo "$_c" ;;
		esac
	done
}
td_keyd() {
	for _c in $(ps -o pid= --ppid "$TD_PID" 2>/dev/null); do
		case "$(cat /proc/$_c/cmdline 2>/dev/null | tr '\0' ' ')" in
		keyd*) echo "$_c" ;;
		esac
	done
}

# http METHOD PATH [curl args...]: prints "STATUS BODY"; headers in $T/h.
http() {
	_m=$1
	_path=$2
	shift 2
	curl -s -m 5 -X "$_m" -D "$T/h" -o "$T/body" -w '%{http_code}' "$@" \
	    "$URL$_path" > "$T/status" 2>/dev/null
	echo "$(cat "$T/status") $(cat "$T/body")"
}

# Wait (up to $2 tenths of a second) for a shell condition to hold.
td_until() {
	_i=0
	while [ $_i -lt "${2:-50}" ]; do
		eval "$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
