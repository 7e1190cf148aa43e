# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Shared harness for the daemon tests (sourced by bash).
#
# A test sources this file, calls td_init, writes a configuration with
# td_conf, starts tokend with td_start (td_up), asserts with
# ok/fail/skip, check, expect or same, and leaves the cleanup to the
# EXIT trap: only the processes this test started are ended, by pid.
# Tests run in parallel (regress/run.sh): whatever two of them could
# share (a port, useradd, npm install) is reserved or locked here, and a
# test waits for a condition with td_until, not for a fixed time.
# Below td_until: the helpers the tests have in common (HTTP, logins,
# expectations, reloads, the interop SDK).

TOP=$(cd "$(dirname "$0")/../.." && pwd)
TOKEND="$TOP/server/tokend"
KEYD="$TOP/keyd/keyd"
TOKENCTL="$TOP/tokenctl/tokenctl"
TD_PIDS=""
# $T is the test's directory, made by td_init; never one from the
# environment (make check T=auth exports one).
T=""

# The test's name in the lines of need: its file's.
TD_NAME=$(basename "$0" .sh)

ok()	{ echo "ok $1"; }
fail()	{ echo "FAILED $1${2:+ ($2)}"; TD_FAILED=1; }
# skip only for what make deps cannot provide here (not root, not
# Linux, no tmpfs), with the reason; a missing program is need's.
skip()	{ echo "SKIPPED $1${2:+ ($2)}"; }

# The programs the tests run that a fresh Debian may lack, each with the
# package that provides it.  Every package here is in GNUmakefile's
# DEB_PKGS, so make deps (and make check, which runs it first) installs
# it; regress/daemon/deps.sh checks both lists.
declare -gA TD_TOOL_PKG=(
	[argon2]=argon2 [chattr]=e2fsprogs [curl]=curl [flock]=util-linux
	[git]=git [mandoc]=mandoc [mount]=mount [node]=nodejs [npm]=npm
	[ps]=procps [python3]=python3 [runuser]=util-linux
	[setpriv]=util-linux [sqlite3]=sqlite3 [umount]=mount
	[setsid]=util-linux [sha256sum]=coreutils [unshare]=util-linux
	[useradd]=passwd [openssl]=openssl
	[smtpd]=opensmtpd [wrk]=wrk [nginx]=nginx-light [caddy]=caddy [promtool]=prometheus
	[systemd-analyze]=systemd [dpkg-buildpackage]=dpkg-dev
	[lintian]=lintian [chromium]=chromium
)
# need TOOL...: every tool is on PATH, or the test fails here, each
# missing one named with its package, and ends: a machine where
# make check skips a test for want of a program is one where that test
# never runs.  A tool not in TD_TOOL_PKG fails the test too.
need() {
	local t missing=""
	for t in "$@"; do
		if [ -z "${TD_TOOL_PKG[$t]}" ]; then
			echo "FAILED $TD_NAME (need $t: not in TD_TOOL_PKG of regress/lib.sh)"
			exit 1
		fi
		command -v "$t" >/dev/null 2>&1 ||
		    missing="$missing $t (package ${TD_TOOL_PKG[$t]})"
	done
	[ -z "$missing" ] && return 0
	echo "FAILED $TD_NAME (missing:$missing; make deps installs them)"
	exit 1
}
# check NAME COMMAND...: ok when the command succeeds.
check() {
	_n=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$_n"; else fail "$_n"; fi
}
is_root() { [ "$(id -u)" -eq 0 ]; }
# td_sanitize: the tree was built with make SANITIZE=1.
td_sanitize() { grep -q TOKEND_SANITIZE "$TOP/.build-flags" 2>/dev/null; }

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
	td_pg_stop
	[ -n "$T" ] && [ -d "$T" ] && rm -rf "$T"
	td_release_ports
}

td_init() {
	need curl flock ps
	is_root && need useradd
	T=$(mktemp -d /tmp/tokend-regress.XXXXXX) || exit 1
	chmod 0755 "$T"
	mkdir -p "$T/empty" "$T/keyd"
	chmod 0755 "$T/empty" "$T/keyd"
	trap td_cleanup EXIT
	trap 'exit 1' INT TERM
	if is_root; then
		td_locked users "$TOP/etc/users.sh" _tokend _tokend_keyd _tokend_items _tokend_mail \
		    >/dev/null || exit 1
	fi
	PORT=$(td_free_port)
	URL="http://127.0.0.1:$PORT"
	if [ -n "$TD_TLS" ]; then td_tls_init; fi
	if [ -n "$TD_ITEMS_PG" ]; then td_items_pg_init; fi
}

# TD_ITEMS_PG=1 (items_pg.sh and its like run a test so): the test's
# item store is a throwaway PostgreSQL cluster's, reached as the role
# tokend_items (td_items_pg_role), whatever items line the test writes
# (td_conf's, td_start's rewrite).  No PostgreSQL: the test skips.
td_items_pg_init() {
	td_pg_start
	case $? in
	0) ;;
	1) skip "${TD_NAME:-items}_pg" "$TD_PG_WHY"; exit 0 ;;
	*) fail "${TD_NAME:-items}_pg_cluster" "$TD_PG_WHY"; exit 1 ;;
	esac
	td_items_pg_role || { fail "${TD_NAME:-items}_pg_role"; exit 1; }
}

# td_items_pg_role: the role tokend_items with its own schema, where its
# tables go (its search_path starts with "$user"), and nothing else:
# the credential tables of the role tokend stay out of its reach.
# ITEMS_PG_URI is its URI for the items setting, ITEMS_PSQL psql as it.
td_items_pg_role() {
	td_pg "CREATE ROLE tokend_items LOGIN;
	    CREATE SCHEMA tokend_items AUTHORIZATION tokend_items;" \
	    >> "$T/pg/log" 2>&1 || return 1
	ITEMS_PG_URI="postgresql://tokend_items@127.0.0.1:$PG_PORT/tokend?sslmode=disable&gssencmode=disable&connect_timeout=5"
	ITEMS_PSQL="$TD_PG_AS $PG_BIN/psql -X -q -A -t -v ON_ERROR_STOP=1 -h $T/pg -p $PG_PORT -U tokend_items -d tokend"
}
# td_items_sql SQL: SQL on the item store as its role sees it.
td_items_sql() { (cd "$T/pg" && $ITEMS_PSQL -c "$1"); }

# TD_TLS=1 (auth_tls.sh runs auth.sh so): the test's listener is a tls
# one, with a certificate made here that every curl of the test trusts
# (CURL_CA_BUNDLE), and URL is https.
td_tls_init() {
	need openssl
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls-key.pem" \
	    -out "$T/tls-cert.pem" >/dev/null 2>&1 ||
	    { fail "${TD_NAME}_tls_certificate"; exit 1; }
	export CURL_CA_BUNDLE="$T/tls-cert.pem" NODE_EXTRA_CA_CERTS="$T/tls-cert.pem"
	URL="https://127.0.0.1:$PORT"
}

# td_locked NAME COMMAND...: the command, while no other test runs
# one under the same lock (tests run in parallel: useradd, npm install).
td_locked() {
	_lk="/tmp/tokend-regress.$1.lock"
	shift
	(flock 9 && "$@") 9>>"$_lk"
}

# A port nobody listens on, below the kernel's ephemeral range: a
# client connection may hold a port inside it, and bind would fail.
# The port is reserved for this test until it ends (a directory in
# TD_PORTS holding our pid), so that tests run in parallel never pick
# the same one; td_start still retries when another program took it.
TD_PORTS=/tmp/tokend-regress-ports
td_free_port() {
	_lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	case "$_lo" in ''|*[!0-9]*) _lo=32768 ;; esac
	[ "$_lo" -gt 25000 ] || _lo=40000
	while :; do
		_p=$(( ($(od -An -N2 -tu2 /dev/urandom) % (_lo - 20000)) + 20000 ))
		td_reserve_port "$_p" || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$_p") 2>/dev/null; then
			echo "$_p"
			return
		fi
		rm -rf "${TD_PORTS:?}/$_p"
	done
}

# td_reserve_port PORT: mkdir is atomic; a reservation whose test is
# gone (its pid no longer runs) is taken over.
td_reserve_port() {
	mkdir -p -m 1777 "$TD_PORTS" 2>/dev/null
	if ! mkdir "$TD_PORTS/$1" 2>/dev/null; then
		_o=$(cat "$TD_PORTS/$1/pid" 2>/dev/null)
		[ -n "$_o" ] && kill -0 "$_o" 2>/dev/null && return 1
		rm -rf "${TD_PORTS:?}/$1"
		mkdir "$TD_PORTS/$1" 2>/dev/null || return 1
	fi
	echo $$ > "$TD_PORTS/$1/pid"
}

td_release_ports() {
	for _d in "$TD_PORTS"/*; do
		[ "$(cat "$_d/pid" 2>/dev/null)" = $$ ] && rm -rf "$_d"
	done
}

# td_conf [extra lines...]: the test configuration in $T/tokend.conf.
td_conf() {
	umask 077
	{
		echo "listen on 127.0.0.1 port $PORT${TD_TLS:+ tls}"
		if [ -n "$TD_TLS" ]; then echo "tls { certificate" \
		    "\"$T/tls-cert.pem\"; key \"$T/tls-key.pem\" }"; fi
		echo "prefork ${PREFORK:-2}"
		echo "user \"_tokend\""
		echo "chroot \"$T/empty\""
		echo "keyd {"
		echo "	user \"_tokend_keyd\""
		echo "	chroot \"$T/keyd\""
		echo "	program \"$KEYD\""
		# TD_DATABASE: another store (pgsuite.sh runs tests on PostgreSQL).
		echo "	database \"${TD_DATABASE:-$T/keyd/db/credentials.db}\""
		echo "	secret \"$T/secret\""
		echo "	tfa-key \"$T/tfa-key\""
		echo "}"
		echo "control socket \"$T/tokend.sock\""
		echo "items \"$T/empty/data/items.db\""
		for _l in "$@"; do echo "$_l"; done
	} > "$T/tokend.conf"
	umask 022
	td_items_pg_conf
}

# Under TD_ITEMS_PG, every items line of the configuration names the
# PostgreSQL item store.
td_items_pg_conf() {
	[ -n "$TD_ITEMS_PG" ] || return 0
	sed -i "s#^items \".*\"\$#items \"${ITEMS_PG_URI//&/\\&}\"#" \
	    "$T/tokend.conf"
}

# td_pg_start: a throwaway PostgreSQL cluster of Debian's postgresql
# package in $T/pg, as nobody when the test runs as root (PostgreSQL
# refuses root), listening on a free loopback port and on a socket in
# that directory, with trust authentication for the role tokend and a
# database tokend; PG_URI is its URI for tokend's database keyword and
# PG_PSQL runs psql on it.  td_cleanup stops it.  Returns 1 with
# TD_PG_WHY set when PostgreSQL is not installed (the caller skips)
# or does not start (the caller fails, with $T/pg/log).
td_pg_start() {
	_ib=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	if [ -z "$_ib" ] || [ ! -x "$_ib/initdb" ] || [ ! -x "$_ib/pg_ctl" ]; then
		TD_PG_WHY="PostgreSQL is not installed (make deps installs postgresql)"
		return 1
	fi
	PG_BIN=$_ib
	mkdir -p "$T/pg"
	chmod 0700 "$T/pg"
	TD_PG_AS=""
	if is_root; then
		need setpriv
		chown nobody:nogroup "$T/pg"
		TD_PG_AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	fi
	PG_PORT=$(td_free_port)
	(cd "$T/pg" && $TD_PG_AS "$PG_BIN/initdb" -D "$T/pg/data" -U tokend \
	    --auth=trust -E UTF8 --locale=C.UTF-8) > "$T/pg/log" 2>&1 ||
	    { TD_PG_WHY="initdb failed: $(tail -3 "$T/pg/log")"; return 2; }
	TD_PG_DATA="$T/pg/data"
	(cd "$T/pg" && $TD_PG_AS "$PG_BIN/pg_ctl" -D "$T/pg/data" -w -t 60 \
	    -l "$T/pg/server.log" -o "-c listen_addresses=127.0.0.1 \
	    -c port=$PG_PORT -c unix_socket_directories=$T/pg \
	    -c fsync=on -c synchronous_commit=on" start) >> "$T/pg/log" 2>&1 ||
	    { TD_PG_WHY="pg_ctl start failed: $(tail -3 "$T/pg/server.log")"
	    return 2; }
	PG_PSQL="$TD_PG_AS $PG_BIN/psql -X -q -A -t -v ON_ERROR_STOP=1 -h $T/pg -p $PG_PORT -U tokend"
	(cd "$T/pg" && $PG_PSQL -d postgres -c 'CREATE DATABASE tokend') \
	    >> "$T/pg/log" 2>&1 ||
	    { TD_PG_WHY="CREATE DATABASE failed: $(tail -3 "$T/pg/log")"
	    return 2; }
	PG_PSQL="$PG_PSQL -d tokend"
	PG_URI="postgresql://tokend@127.0.0.1:$PG_PORT/tokend?sslmode=disable&gssencmode=disable&connect_timeout=5"
	return 0
}
# td_totp SECRET OFFSET: the TOTP code (RFC 6238, SHA-1, 6 digits, 30 s)
# of base32 SECRET for the time step OFFSET steps from now.
td_totp() {
	python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, struct, sys, time
k = base64.b32decode(sys.argv[1])
t = int(time.time()) // 30 + int(sys.argv[2])
h = hmac.new(k, struct.pack(">Q", t), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
PY
}

# td_pg: $PG_PSQL -c SQL, from a directory nobody may enter.
td_pg() { (cd "$T/pg" && $PG_PSQL -c "$1"); }

# td_pg_lock_sessions: an ACCESS EXCLUSIVE lock on sessions, held by a
# psql session (LOCKER) fed from a FIFO on descriptor 3 until the test
# writes 'COMMIT;' >&3; 0 once PostgreSQL shows it granted (10 s).
td_pg_lock_sessions() {
	mkfifo "$T/pg/lockin"
	chmod 0644 "$T/pg/lockin"
	(cd "$T/pg" && $PG_PSQL < "$T/pg/lockin" > "$T/pg/lock.out" 2>&1) &
	LOCKER=$!
	exec 3> "$T/pg/lockin"
	echo 'BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE;' >&3
	td_until '[ "$(td_pg "SELECT count(*) FROM pg_locks WHERE relation =
	    '"'"'sessions'"'"'::regclass AND mode = '"'"'AccessExclusiveLock'"'"'
	    AND granted")" = 1 ]' 100
}

# td_pg_host NAME DATABASE CONF...: host NAME of a test of several hosts
# (td_pg_start; ROOT is the test's directory), in $ROOT/NAME: T, PORT
# and URL are its, its configuration CONF with DATABASE ("": SQLite).
td_pg_host() {
	local db=$2
	T=$ROOT/$1
	mkdir -p "$T/empty" "$T/keyd"
	chmod 0755 "$T" "$T/empty" "$T/keyd"
	PORT=$(td_free_port)
	URL="http://127.0.0.1:$PORT"
	shift 2
	td_conf "$@"
	[ -z "$db" ] || sed -i "s#^	database .*#	database \"${db//&/\\&}\"#" \
	    "$T/tokend.conf"
}

# td_pg_pair NAME CONF...: hosts a and b on $PG_URI with CONF, b with
# a's secret and TFA key, both started (else the check NAME_start_a or
# _b fails and the test ends): A, B, PIDA, CTLA; T is $ROOT again.
td_pg_pair() {
	local name=$1
	shift
	td_pg_host a "$PG_URI" "$@"
	td_start || { fail "${name}_start_a" "$(tail -5 "$T/log")"; T=$ROOT
	    exit 1; }
	A=$URL
	PIDA=$TD_PID
	CTLA="$TOKENCTL -s $T/tokend.sock"
	td_pg_host b "$PG_URI" "$@"
	cp -a "$ROOT/a/secret" "$T/secret"
	cp -a "$ROOT/a/tfa-key" "$T/tfa-key"
	td_start || { fail "${name}_start_b" "$(tail -5 "$T/log")"; T=$ROOT
	    exit 1; }
	B=$URL
	T=$ROOT
}
td_pg_stop() {
	[ -n "$TD_PG_DATA" ] && [ -d "$TD_PG_DATA" ] || return 0
	(cd "$T/pg" && $TD_PG_AS "$PG_BIN/pg_ctl" -D "$TD_PG_DATA" -m fast \
	    -w stop) >/dev/null 2>&1
	TD_PG_DATA=""
}

# td_start: tokend in the foreground, logs in $T/log; waits for ping.
# Verbose (-v) unless TD_QUIET is set: a benchmark does not pay for a
# debug line per connection.
# When the port was taken meanwhile by a program that does not reserve
# ports (bind fails), the test moves to another one.
td_start() {
	td_items_pg_conf
	_try=0
	_verbose=-v
	[ -n "$TD_QUIET" ] && _verbose=
	while :; do
		"$TOKEND" -d $_verbose -f "$T/tokend.conf" > "$T/log" 2>&1 &
		TD_PID=$!
		TD_PIDS="$TD_PIDS $TD_PID"
		td_wait_ready && return 0
		_try=$((_try + 1))
		[ $_try -lt 5 ] && grep -q "bind 127.0.0.1 port $PORT" "$T/log" ||
		    return 1
		wait "$TD_PID" 2>/dev/null
		_old=$PORT
		PORT=$(td_free_port)
		URL="${URL%%://*}://127.0.0.1:$PORT"
		sed -i "s/^listen on 127.0.0.1 port $_old\( tls\)\?\$/listen on 127.0.0.1 port $PORT\1/" \
		    "$T/tokend.conf"
	done
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

# td_role WORD: the pids of the children of the running tokend whose
# command line holds WORD ("server", "items", "mail"); td_keyd: keyd's.
td_role() {
	for _c in $(ps -o pid= --ppid "$TD_PID" 2>/dev/null); do
		case "$(cat /proc/$_c/cmdline 2>/dev/null | tr '\0' ' ')" in
		*"$1"*) echo "$_c" ;;
		esac
	done
}
td_servers() { td_role server; }
# The item processes, and the mail process.
td_items() { td_role items; }
td_mail() { td_role mail; }
td_keyd() {
	for _c in $(ps -o pid= --ppid "$TD_PID" 2>/dev/null); do
		case "$(cat /proc/$_c/cmdline 2>/dev/null | tr '\0' ' ')" in
		keyd*) echo "$_c" ;;
		esac
	done
}

# http METHOD PATH [curl args...]: prints "STATUS BODY"; headers in $T/h.
# It waits up to TD_HTTP_MAX seconds (30): a login at the default
# password cost (64M, 3 passes) takes seconds on a loaded 2-CPU machine.
http() {
	_m=$1
	_path=$2
	shift 2
	curl -s -m "${TD_HTTP_MAX:-30}" -X "$_m" -D "$T/h" -o "$T/body" -w '%{http_code}' "$@" \
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

# sink_start [OPTION...]: the SMTP sink of regress/smtpsink.py on
# 127.0.0.1:$SPORT, each mail a file in $T/sink (the options are its
# own); td_cleanup stops it, or sink_stop.  mails: how many it caught.
sink_start() {
	python3 "$TOP/regress/smtpsink.py" -q "$@" "$SPORT" "$T/sink" &
	SINK=$!
	TD_PIDS="$TD_PIDS $SINK"
	td_until "(exec 3<>/dev/tcp/127.0.0.1/$SPORT) 2>/dev/null" 50
}
sink_stop() {
	[ -n "$SINK" ] && kill "$SINK" 2>/dev/null && wait "$SINK" 2>/dev/null
	SINK=
}
mails() { ls "$T/sink" 2>/dev/null | grep -c '^mail\.[0-9]*$'; }

# The blocks most tests add to td_conf: password hashing made cheap, so
# that logins cost little, and a short login stall.
TD_FAST_PASSWORD=('password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}')
TD_FAST_AUTH=('auth {' '	login-stall 10ms' '}')

# td_up NAME: td_start, or the failed check NAME_start and the end of
# the test; CTL is tokenctl on the test's control socket.
td_up() {
	td_start || { fail "$1_start" "$(tail -5 "$T/log")"; exit 1; }
	CTL="$TOKENCTL -s $T/tokend.sock"
}

# j KEY: KEY's string value in the last answer's body (of several on
# its first line with one, the last).
j() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$T/body" | head -1; }
# login_json BODY: POST /auth/login with that body, as http prints it.
login_json() {
	http POST /auth/login -H 'Content-Type: application/json' -d "$1"
}
# login EMAIL PASSWORD [MODE]
login() {
	login_json "{\"email\":\"$1\",\"password\":\"$2\"${3:+,\"mode\":\"$3\"}}"
}
# token EMAIL PASSWORD: the access token of a json-mode login.
token() {
	login "$1" "$2" >/dev/null
	j access_token
}
# The value of the session cookie set by the last answer (or FILE).
session_cookie() {
	sed -n 's/^[Ss]et-[Cc]ookie: directus_session_token=\([^;]*\);.*/\1/p' \
	    "${1:-$T/h}" | tr -d '\r'
}
# jwt_payload TOKEN: the JSON of a JWT's payload.
jwt_payload() {
	printf %s "$1" | cut -d. -f2 | tr '_-' '/+' |
	    awk '{ while (length($0) % 4) $0 = $0 "="; print }' |
	    base64 -d 2>/dev/null
}

# expect NAME "STATUS PATTERN" RESULT: ok when RESULT matches the glob
# pattern, in which [ and ] are literal (written \[ or [ alike).
expect() {
	_pat=${2//\\[/[}
	_pat=${_pat//\\]/]}
	_pat=${_pat//[/\\[}
	_pat=${_pat//]/\\]}
	if [[ $3 == $_pat ]]; then ok "$1"; else fail "$1" "${3:0:300}"; fi
}
# same NAME "STATUS BODY" RESULT: ok when RESULT is exactly that.
same() {
	[ "$3" = "$2" ] && ok "$1" || fail "$1" "${3:0:300}"
}

# td_edge_settled: each worker's last word about its connections is
# that none is open (a connection that never sent a byte has no edge
# state).
td_edge_settled() {
	local p
	for p in $(td_servers); do
		grep "^server\[$p\]: edge:" "$T/log" | tail -n 1 |
		    grep -qv ', 0 open$' && return 1
	done
	return 0
}

# td_start_unprivileged: tokend started by an ordinary user (nobody) on
# a copy of the test's configuration in its own directory $D; waits as
# td_start does.  nobody runs copies of the programs in $D/bin: the
# tree may be one it cannot enter (a clone under /root, mode 0700).
td_start_unprivileged() {
	D=$(mktemp -d /tmp/tokend-dev.XXXXXX)
	mkdir -p "$D/bin" "$D/empty" "$D/keyd"
	install -m 0555 "$TOKEND" "$D/bin/tokend"
	install -m 0555 "$KEYD" "$D/bin/keyd"
	cp "$T/tokend.conf" "$D/tokend.conf"
	sed -i -e "s#^\([[:space:]]*program \)\"$KEYD\"\$#\1\"$D/bin/keyd\"#" \
	    -e "s#$T/#$D/#g" "$D/tokend.conf"
	if ! grep -q "program \"$D/bin/keyd\"" "$D/tokend.conf"; then
		echo "td_start_unprivileged: no program \"$KEYD\" line" > "$D/log"
		return 1
	fi
	chown -R nobody "$D"
	chmod 600 "$D/tokend.conf"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$D/bin/tokend" -d -f "$D/tokend.conf" > "$D/log" 2>&1 &
	TD_PID=$!
	TD_PIDS="$TD_PIDS $TD_PID"
	td_wait_ready &&
	    [ "$(curl -s -m 2 "$URL/server/health")" = '{"status":"ok"}' ]
}

# td_sdk NAME: the interop tests' @directus/sdk (and the other
# packages of regress/interop/package.json) in regress/interop,
# installed once (under a lock: two tests may ask at once).  node and
# npm are needed (make deps installs them); only when npm cannot fetch
# the package (no network) is the check NAME skipped and the test ended.
td_sdk() {
	IO="$TOP/regress/interop"
	need node npm flock
	local out
	out=$(td_locked npm td_npm_install 2>&1) || {
		skip "$1" "cannot install @directus/sdk from npm: $(echo \
		    "$out" | grep . | tail -n 1)"
		exit 0
	}
}
td_npm_install() {
	local dep missing=""
	# Every dependency of package.json (a "name": "version" line).
	for dep in $(sed -n 's/^ *"\([^"]*\)": *"[0-9][^"]*",\{0,1\}$/\1/p' \
	    "$IO/package.json"); do
		[ -d "$IO/node_modules/$dep" ] || missing="$missing $dep"
	done
	[ -z "$missing" ] && return 0
	(cd "$IO" && timeout 300 npm install --no-audit --no-fund \
	    --loglevel=error 2>&1)
}

# with_token TOKEN METHOD PATH [BODY]: http with that bearer token (and
# a JSON body when given).
with_token() {
	_t=$1
	shift
	if [ $# -ge 3 ]; then
		http "$1" "$2" -H "Authorization: Bearer $_t" \
		    -H 'Content-Type: application/json' -d "$3"
	else
		http "$1" "$2" -H "Authorization: Bearer $_t"
	fi
}

# logins_at_once N BODY FILE: N logins sent at once, each one's status
# a line of FILE.
logins_at_once() {
	local i pids=""
	for i in $(seq 1 "$1"); do
		curl -s -m 30 -o /dev/null -w '%{http_code}\n' -X POST \
		    -H 'Content-Type: application/json' -d "$2" \
		    "$URL/auth/login" >> "$3" &
		pids="$pids $!"
	done
	wait $pids
}

# conf_refused NAME FILE PATTERN: tokend -n refuses the configuration
# FILE (exit status 1) with a message matching PATTERN.
conf_refused() {
	_out=$("$TOKEND" -n -f "$2" 2>&1)
	_rc=$?
	[ $_rc -eq 1 ] && echo "$_out" | grep -q "$3" && ok "$1" ||
	    fail "$1" "$_rc $_out"
}

# items_dir_made NAME: the parent made the items directory, the
# workers' own (mode 700, owned by _tokend when run as root).
items_dir_made() {
	if is_root; then
		_st=$(stat -c '%a %U' "$T/empty/data" 2>&1)
		[ "$_st" = "700 _tokend_items" ] && ok "$1" || fail "$1" "$_st"
	else
		[ -d "$T/empty/data" ] && ok "$1" || fail "$1"
	fi
}

# How many reloads the workers and item processes have applied so far
# (each logs it).
td_reloads() {
	grep -Ec "(server|items) [0-9]*: configuration reloaded" "$T/log"
}
# td_reload: tokenctl reload (its output and status), then a wait until
# every worker and item process has applied it: tokenctl answers once
# the parent has passed the new configuration on, not once they have it.
td_reload() {
	local want=$(( $(td_reloads) + $(td_servers | wc -w) +
	    $(td_items | wc -w) ))
	"$TOKENCTL" -s "$T/tokend.sock" reload || return
	td_until "[ \$(td_reloads) -ge $want ]" 50
	return 0
}

# td_items_ready: every running item process has said it is ready (its
# item store open, sandboxed).
td_items_ready() {
	local p
	for p in $(td_items); do
		grep -q "^items\[$p\]: items [0-9]* ready" "$T/log" || return 1
	done
}

# td_workers_ready: every running worker has said it is ready (set up,
# sandboxed).
td_workers_ready() {
	local p
	for p in $(td_servers); do
		grep -q "^server\[$p\]: server [0-9]* ready" "$T/log" || return 1
	done
}

# The forward-auth proxies of the browser tests, each the shipped
# example (etc/examples/) with this test's ports: tokend's $PORT for
# 127.0.0.1:8055, the application's for 127.0.0.1:3000.  The
# application is a second nginx server (td_fa_nginx's) that echoes the
# headers naming the user.  Both end with td_cleanup.
# td_fa_nginx PORT APP_PORT: nginx with auth_request on PORT.
td_fa_nginx() {
	local d="$T/nginx"
	mkdir -p "$d"
	sed -e "s/127\.0\.0\.1:8055/127.0.0.1:$PORT/" \
	    -e "s/127\.0\.0\.1:3000/127.0.0.1:$2/" \
	    "$TOP/etc/examples/nginx-forward-auth.conf" > "$d/fa.conf"
	cat > "$d/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	server {
		listen 127.0.0.1:$2;
		location / {
			default_type text/plain;
			return 200 "user=\$http_remote_user email=\$http_remote_email groups=\$http_remote_groups uri=\$request_uri\n";
		}
	}
	server {
		listen 127.0.0.1:$1;
		include $d/fa.conf;
	}
}
CONF
	/usr/sbin/nginx -c "$d/nginx.conf" -p "$d" &
	TD_PIDS="$TD_PIDS $!"
	td_until "curl -s -m 1 -o /dev/null http://127.0.0.1:$1/" 50
}
# td_fa_caddy PORT APP_PORT: Caddy with forward_auth on PORT.
td_fa_caddy() {
	local d="$T/caddy"
	mkdir -p "$d"
	{
		printf '{\n\tadmin off\n\tauto_https off\n\tstorage file_system %s\n}\n' \
		    "$d/data"
		sed -e "s/127\.0\.0\.1:8055/127.0.0.1:$PORT/" \
		    -e "s/127\.0\.0\.1:3000/127.0.0.1:$2/" \
		    -e "s#^app\.example\.com {#http://127.0.0.1:$1 {#" \
		    "$TOP/etc/examples/Caddyfile-forward-auth"
	} > "$d/Caddyfile"
	XDG_DATA_HOME=$d XDG_CONFIG_HOME=$d HOME=$d caddy run \
	    --config "$d/Caddyfile" --adapter caddyfile > "$d/log" 2>&1 &
	TD_PIDS="$TD_PIDS $!"
	td_until "curl -s -m 1 -o /dev/null http://127.0.0.1:$1/" 100
}
