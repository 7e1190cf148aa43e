#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make bench: tokend against nginx and a standalone argon2, in one run.
#
# Starts a private nginx (fixed JSON, the HTTP ceiling of the machine) and
# tokend from the build tree, both on 127.0.0.1, creates bench users with
# tokenctl, loads nginx and six tokend requests alternately with wrk,
# then /users/me under a login flood and under a burst of password
# reset requests (mailed to regress/smtpsink.py), a longer run that
# watches memory, logins and two-factor logins beside a standalone
# argon2 run at the same parameters, SIGHUP under load and a restart,
# then TLS, the signing algorithms, items queries, forward auth and the
# CORS preflight (bench/tls, bench/signing.sh, bench/query, bench/web),
# prints one table and writes it to bench/out/latest.txt.
# Only ratios measured in one run mean anything: see bench/README.md.
#
# Knobs (environment):
#	BENCH_SECONDS	length of each measured wrk run (10)
#	BENCH_ROUNDS	measured runs per scenario, alternated (3)
#	BENCH_WARMUP	length of the warm-up run per scenario (2)
#	BENCH_LOGIN_SECONDS
#			length of each login run and of each standalone
#			argon2 run (15)
#	BENCH_SOAK_SECONDS
#			length of the run that watches memory (60)
#	BENCH_DIRECTUS	1: also the real Directus (run-directus.sh) (0)
#	BENCH_DIRECTUS_SCRIPT
#			its start script (../shared/reference/run-directus.sh)
#	BENCH_BASELINE	another build tree (say, today's code before a
#			change): its tokend is started too, from its own
#			binaries, port, directory and users, and measured
#			beside the current tree's in every round of ping,
#			/users/me JWT and static, items and refresh (one
#			tokend under load at a time); then a table of
#			current and baseline side by side.  Unset: no
#			baseline (the default)
#
# Exit status: 0 when the benchmark ran (targets met or not), 1 when
# something is missing or failed to start or died during the run.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/bench/nginx.sh"
TOKEND="$TOP/server/tokend"
KEYD="$TOP/keyd/keyd"
TOKENCTL="$TOP/tokenctl/tokenctl"
NGINX=/usr/sbin/nginx
BENCH="$TOP/bench"
OUT="$TOP/bench/out"

SECONDS_RUN=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-2}
LOGIN_SECONDS=${BENCH_LOGIN_SECONDS:-15}
SOAK_SECONDS=${BENCH_SOAK_SECONDS:-60}
DIRECTUS=${BENCH_DIRECTUS:-0}
DIRECTUS_SCRIPT=${BENCH_DIRECTUS_SCRIPT:-$TOP/../shared/reference/run-directus.sh}
BASELINE=${BENCH_BASELINE:-}
THREADS=2
CONNS=50
NCPU=$(nproc)
NUSERS=50		# distinct users of the login scenario
POOL_MIN=$((2 * CONNS))	# live refresh tokens before each refresh run
# Directus 11: argon2id m=64 MiB t=3 p=4, 500 ms login stall, 25 attempts.
A2_M=65536
A2_T=3
A2_P=4
# Targets (the performance issue).
T_PING=0.50		# /server/ping, of nginx
T_ME=0.30		# /users/me JWT and static, of nginx
T_ME_P99=10		# ms
T_ITEMS=0.20		# GET /items/articles as the public role, of nginx
T_REFRESH=5000		# req/s
T_LOGIN=0.80		# of the standalone argon2 rate
T_FLOOD=0.50		# /users/me JWT during a login flood, of its idle rate
T_FLOOD_P99=20		# ms
T_RESET_P99=20		# /users/me JWT during a password-request burst, ms
T_TFA=0.80		# two-factor logins, of the plain login rate
T_WORKER_MIB=16		# RSS of each worker
T_KEYD_MIB=32		# RSS of keyd, hash memory in flight aside
T_GROWTH_MIB=1		# RSS growth of any process over the watched run
T_READY_MS=200		# start until /server/health answers ok

die() { echo "bench: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

case "$SECONDS_RUN$ROUNDS$WARMUP$LOGIN_SECONDS$SOAK_SECONDS$DIRECTUS" in
*[!0-9]*) die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP, BENCH_LOGIN_SECONDS, BENCH_SOAK_SECONDS and BENCH_DIRECTUS are whole numbers" ;;
esac
if [ "$SECONDS_RUN" -lt 1 ] || [ "$ROUNDS" -lt 1 ] || [ "$LOGIN_SECONDS" -lt 1 ] ||
    [ "$SOAK_SECONDS" -lt 20 ]; then
	die "BENCH_SECONDS, BENCH_ROUNDS and BENCH_LOGIN_SECONDS must be at least 1, BENCH_SOAK_SECONDS at least 20"
fi
BENCH_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 1. tools -----------------------------------------------------------

missing=""
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
[ -x "$NGINX" ] || missing="$missing nginx-light"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v ps >/dev/null 2>&1 || missing="$missing procps"
command -v cc >/dev/null 2>&1 || missing="$missing gcc"
command -v python3 >/dev/null 2>&1 || missing="$missing python3"
[ -f /usr/include/argon2.h ] || missing="$missing libargon2-dev"
if [ -n "$missing" ]; then
	if ! is_root; then
		echo "bench: missing packages:$missing" >&2
		echo "bench: run: sudo apt-get install -y$missing" >&2
		exit 1
	fi
	echo "bench: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -q $missing ||
	    { apt-get update -q && apt-get install -y -q $missing; } ||
	    die "apt-get install$missing failed"
	if ! command -v wrk >/dev/null 2>&1 || [ ! -x "$NGINX" ]; then
		die "wrk or $NGINX still missing after apt-get"
	fi
fi
if [ ! -x "$TOKEND" ] || [ ! -x "$KEYD" ] || [ ! -x "$TOKENCTL" ]; then
	die "$TOKEND, $KEYD or $TOKENCTL not built; run make all"
fi
if [ -n "$BASELINE" ]; then
	BASELINE=$(cd "$BASELINE" 2>/dev/null && pwd) ||
	    die "BENCH_BASELINE: no directory $BENCH_BASELINE"
	for f in server/tokend keyd/keyd tokenctl/tokenctl; do
		[ -x "$BASELINE/$f" ] ||
		    die "BENCH_BASELINE: $BASELINE/$f not built; run make all there"
	done
fi

# --- scratch directory and cleanup -----------------------------------------

T=$(mktemp -d /tmp/tokend-bench.XXXXXX) || die "mktemp failed"
chmod 0755 "$T"
NGINX_PID=""
SINK_PID=""		# regress/smtpsink.py, the relay of the mail process
TOKEND_PID=""
IDLE_PID=""		# the tokend not under load, with BENCH_BASELINE
DIRECTUS_PORT=""
mkdir -p "$OUT"
rm -f "$OUT/tokend.log" "$OUT/tokend-baseline.log" "$OUT/nginx-error.log" \
    "$OUT/wrk-raw.txt"

# Every descendant of a pid.
tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
		echo "$c"
		tree "$c"
	done
}

# shellcheck disable=SC2317
cleanup() {
	local all="" p
	set +e
	[ -z "$DIRECTUS_PORT" ] ||
	    DIRECTUS_PORT=$DIRECTUS_PORT "$DIRECTUS_SCRIPT" stop > /dev/null 2>&1
	for p in $TOKEND_PID $IDLE_PID $NGINX_PID $SINK_PID; do
		all="$all $p $(tree "$p")"
	done
	if [ -n "${all// /}" ]; then
		# shellcheck disable=SC2086
		kill -TERM $all 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			# shellcheck disable=SC2086
			kill -0 $all 2>/dev/null || break
			sleep 0.2
		done
		# shellcheck disable=SC2086
		kill -KILL $all 2>/dev/null
		for p in $TOKEND_PID $IDLE_PID $NGINX_PID $SINK_PID; do
			wait "$p" 2>/dev/null
		done
	fi
	# Keep the wrk outputs and server logs of the last run next to the
	# table, also when the run failed.
	for f in "$T"/wrk-*.txt "$T"/argon2-*.txt; do
		[ -f "$f" ] || continue
		n=${f##*/}
		n=${n#wrk-}
		echo "== ${n%.txt}"
		cat "$f"
	done > "$OUT/wrk-raw.txt"
	[ -f "$T/tokend.log" ] && cp "$T/tokend.log" "$OUT/tokend.log"
	[ -f "$T/base/tokend.log" ] &&
	    cp "$T/base/tokend.log" "$OUT/tokend-baseline.log"
	[ -f "$T/nginx/error.log" ] && cp "$T/nginx/error.log" "$OUT/nginx-error.log"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Private copies of the binaries: a rebuild of the tree during the run
# (or a keyd restarted by the parent) must not change what is measured.
mkdir -p "$T/bin"
cp "$TOKEND" "$KEYD" "$TOKENCTL" "$T/bin/" || die "cannot copy the binaries"
TOKEND="$T/bin/tokend"
KEYD="$T/bin/keyd"
TOKENCTL="$T/bin/tokenctl"
if [ -n "$BASELINE" ]; then
	mkdir -p "$T/base/bin"
	cp "$BASELINE/server/tokend" "$BASELINE/keyd/keyd" \
	    "$BASELINE/tokenctl/tokenctl" "$T/base/bin/" ||
	    die "cannot copy the baseline's binaries"
fi

# The standalone argon2 rate, built like keyd hashes (bench/argon2rate.c).
cc -O2 -o "$T/argon2rate" "$BENCH/argon2rate.c" -largon2 -lpthread ||
    die "cannot build bench/argon2rate.c (libargon2-dev)"

# A port nobody listens on.
free_port() {
	local p
	while :; do
		p=$(( ($(od -An -N2 -tu2 /dev/urandom) % 20000) + 20000 ))
		[ "$p" != "${NGINX_PORT:-}" ] || continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# wait_body URL BODY PID: until URL answers BODY (10 s), PID alive.
wait_body() {
	local i=0
	while [ $i -lt 100 ]; do
		[ "$(curl -s -m 1 "$1" 2>/dev/null)" = "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# --- 1b. nginx ------------------------------------------------------------

NGINX_PORT=$(free_port)
mkdir -p "$T/nginx"
{
	nginx_conf_head "$T/nginx"
	cat <<EOF
	keepalive_timeout 65s;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		location / {
			default_type application/json;
			return 200 '{"data":"pong"}';
		}
	}
}
EOF
} > "$T/nginx/nginx.conf"
"$NGINX" -p "$T/nginx" -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" \
    -g 'daemon off;' > "$T/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
NGINX_URL="http://127.0.0.1:$NGINX_PORT/"
if ! wait_body "$NGINX_URL" '{"data":"pong"}' "$NGINX_PID"; then
	cat "$T/nginx/stdout.log" "$T/nginx/error.log" >&2 2>/dev/null || :
	die "nginx did not answer on $NGINX_URL"
fi

# --- 1c. the SMTP relay ---------------------------------------------------

# The mail process delivers the reset mails of the password-request
# burst to the tests' SMTP sink, which takes each with 250 and writes it
# to $T/sink/mail.N: every mail costs what it costs with a local relay
# (a relay that does not answer would leave one mail per user waiting
# in the outbox, and keyd writes no second one while it waits).
SINK_PORT=$(free_port)
python3 "$TOP/regress/smtpsink.py" -q "$SINK_PORT" "$T/sink" \
    > "$T/sink.log" 2>&1 &
SINK_PID=$!
i=0
until (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null; do
	if ! kill -0 "$SINK_PID" 2>/dev/null || [ $((i += 1)) -gt 100 ]; then
		die "regress/smtpsink.py did not listen on port $SINK_PORT: $(tail -3 "$T/sink.log")"
	fi
	sleep 0.1
done
RESET_URL="http://localhost:3000/reset"

# --- 2. tokend ------------------------------------------------------------

# Each tokend of the run lives in its own directory TD: configuration,
# chroots, database, secret, control socket, log and refresh pool.  The
# current tree's is the scratch directory itself; with BENCH_BASELINE the
# baseline's is $T/base, with its own binaries, port, users and tokens.
# These variables belong to one tokend, and tree_use swaps them, so that
# every function below starts, loads and measures the selected one while
# the other (IDLE_PID) waits.
TREE_VARS="TD TOKEND KEYD TOKENCTL TOKEND_PORT BASE TOKEND_URL TOKEND_PID KEYD_PID CTL JWT STATIC POOL"
TREE=cur
TD=$T
# shellcheck disable=SC2034	# read by tree_use, through ${!name}
base_TD="$T/base" base_TOKEND="$T/base/bin/tokend" \
    base_KEYD="$T/base/bin/keyd" base_TOKENCTL="$T/base/bin/tokenctl"
# tree_use cur|base: select the current tree's tokend or the baseline's.
tree_use() {
	local v n
	[ "$1" != "$TREE" ] || return 0
	for v in $TREE_VARS; do
		printf -v "${TREE}_$v" '%s' "${!v}"
	done
	for v in $TREE_VARS; do
		n=${1}_$v
		printf -v "$v" '%s' "${!n:-}"
	done
	n=${TREE}_TOKEND_PID
	IDLE_PID=${!n}
	TREE=$1
	BENCH_POOL=$POOL
}

if is_root; then
	"$TOP/etc/users.sh" _tokend _tokend_keyd _tokend_items _tokend_mail >/dev/null ||
	    die "etc/users.sh _tokend _tokend_keyd _tokend_items _tokend_mail failed"
fi
# tokend_conf: the selected tokend's directories and configuration.
# Directus's password and login parameters, written out; only the access
# token lifetime differs, so that the JWT of the run does not expire.
tokend_conf() {
	mkdir -p "$TD/empty" "$TD/keyd"
	chmod 0755 "$TD" "$TD/empty" "$TD/keyd"
	# Without root keyd does not create the database directory itself
	# (it does so only before its privilege drop).
	is_root || mkdir -m 0700 "$TD/keyd/db"
	(
		umask 077
		cat > "$TD/tokend.conf" <<EOC
# Written by bench/bench.sh.
listen on 127.0.0.1 port $TOKEND_PORT
prefork $NCPU
user "_tokend"
chroot "$TD/empty"
keyd {
	user "_tokend_keyd"
	chroot "$TD/keyd"
	program "$KEYD"
	database "$TD/keyd/db/credentials.db"
	secret "$TD/secret"
	tfa-key "$TD/tfa-key"
}
control socket "$TD/tokend.sock"
items "$TD/empty/data/items.db"
# The demo's articles: the public role reads the published ones.
collection "articles" {
	fields "title" "body" "status" "author"
}
public {
	permission "articles" read {
		filter '{"status":{"_eq":"published"}}'
	}
}
auth {
	access-ttl 1d
	login-stall 500ms
	login-attempts 25
	reset-url-allow "$RESET_URL"
}
password {
	memory $((A2_M / 1024))M
	iterations $A2_T
	parallelism $A2_P
}
mail {
	relay 127.0.0.1
	port $SINK_PORT
	from "bench@example.com"
	reset-template "$TOP/etc/mail-reset.txt"
}
EOC
	)
	chmod 0600 "$TD/tokend.conf"
	# An older tree (BENCH_BASELINE) does not know a newer keyword: the
	# lines its tokend refuses as unknown are left out, one at a time,
	# and a whole block ("mail {" to "}") when it opens one.
	local kw n=0
	while kw=$("$TOKEND" -n -f "$TD/tokend.conf" 2>&1 |
	    sed -n 's/.*unknown keyword "\([a-z-]*\)".*/\1/p' | head -n 1)
	    [ -n "$kw" ] && [ $((n += 1)) -le 20 ]; do
		sed -i "/^$kw {\$/,/^}\$/d; /^[[:space:]]*$kw /d" "$TD/tokend.conf"
	done
}
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }
# ready_ms START PID: milliseconds from START until /server/health
# answers ok (keyd and a worker serve), polling every 5 ms, 10 s at most.
ready_ms() {
	local i=0
	while [ $i -lt 2000 ]; do
		if [ "$(curl -s -m 1 "$BASE/server/health" 2>/dev/null)" = \
		    '{"status":"ok"}' ]; then
			echo $(( $(ms_now) - $1 ))
			return 0
		fi
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.005
		i=$((i + 1))
	done
	return 1
}
# name_of PID: parent, keyd, worker, items or mail.
name_of() {
	if [ "$1" = "$TOKEND_PID" ]; then
		echo parent
		return
	fi
	case "$(tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null)" in
	keyd*|*/keyd*) echo keyd ;;
	*server*) echo worker ;;
	*items*) echo items ;;
	*mail*) echo mail ;;
	*) cat "/proc/$1/comm" 2>/dev/null || echo child ;;
	esac
}
find_keyd() {
	local p
	KEYD_PID=""
	for p in $(tree "$TOKEND_PID"); do
		[ "$(name_of "$p")" != keyd ] || KEYD_PID=$p
	done
	[ -n "$KEYD_PID" ] || die "no keyd process under tokend: $(tail -3 "$TD/tokend.log")"
}
# tokend_start: start the selected tokend on a free port and wait until
# it serves, its preforked workers and keyd are up; READY_MS is the time
# from the start to /server/health ok.
tokend_start() {
	local t0
	TOKEND_PORT=$(free_port)
	BASE="http://127.0.0.1:$TOKEND_PORT"
	TOKEND_URL="$BASE/server/ping"
	CTL="$TOKENCTL -s $TD/tokend.sock"
	tokend_conf
	t0=$(ms_now)
	"$TOKEND" -d -f "$TD/tokend.conf" > "$TD/tokend.log" 2>&1 &
	TOKEND_PID=$!
	if ! READY_MS=$(ready_ms "$t0" "$TOKEND_PID") ||
	    ! wait_body "$TOKEND_URL" pong "$TOKEND_PID"; then
		tail -n 30 "$TD/tokend.log" >&2 || :
		die "tokend did not answer on $BASE"
	fi
	tokend_children
}
# tokend_children: wait (up to 5 s) for all the preforked workers and
# keyd to be up, and find keyd.
tokend_children() {
	local i=0
	while [ "$(tree "$TOKEND_PID" | wc -l)" -lt $((NCPU + 1)) ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	find_keyd
}
# tokend_restart: stop the selected tokend and start it again on its
# port, configuration and database, its log appended; READY_MS is the
# time from the start to /server/health ok.
tokend_restart() {
	local t0
	kill -TERM "$TOKEND_PID"
	wait "$TOKEND_PID" 2>/dev/null || :
	t0=$(ms_now)
	"$TOKEND" -d -f "$TD/tokend.conf" >> "$TD/tokend.log" 2>&1 &
	TOKEND_PID=$!
	READY_MS=$(ready_ms "$t0" "$TOKEND_PID") || {
		tail -n 30 "$TD/tokend.log" >&2 || :
		die "tokend did not start again"
	}
}

# cpu_ticks [PID]: CPU time (clock ticks) used so far by the tokend PID
# (the selected one by default) and all its processes.
cpu_ticks() {
	local p
	for p in "${1:-$TOKEND_PID}" $(tree "${1:-$TOKEND_PID}"); do
		sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || :
	done | awk '{ s += $12 + $13 } END { print s + 0 }'
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# split_ticks: "keyd workers" CPU ticks used so far (workers: the other
# processes under tokend, parent included).
split_ticks() {
	local p k=0 w=0 t
	for p in "$TOKEND_PID" $(tree "$TOKEND_PID"); do
		t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null |
		    awk '{ print $12 + $13 }') || t=0
		[ -n "$t" ] || t=0
		if [ "$p" = "$KEYD_PID" ]; then k=$((k + t)); else w=$((w + t)); fi
	done
	echo "$k $w"
}

# wait_idle: until tokend uses less than 5% of a core over half a second
# (60 s at most); prints the seconds waited.
wait_idle() {
	local a b i=0
	a=$(cpu_ticks)
	while [ $i -lt 120 ]; do
		sleep 0.5
		b=$(cpu_ticks)
		i=$((i + 1))
		[ $((b - a)) -le $((HZ / 40)) ] && break
		a=$b
	done
	awk -v i="$i" 'BEGIN { printf "%.1f\n", (i - 1) / 2 }'
}

# --- 2b. users and tokens -----------------------------------------------------

# NUSERS login users, "email password" a line, and one user for /users/me.
for i in $(seq -w 1 $NUSERS); do
	echo "bench$i@example.com bench-password-$i"
done > "$T/users"
# tokend_users: the bench users of the selected tokend, made with its own
# tokenctl.
tokend_users() {
	echo "bench: creating $((NUSERS + 1)) users with tokenctl" \
	    "(argon2id m=$((A2_M / 1024))M t=$A2_T p=$A2_P)"
	# shellcheck disable=SC2016
	{ cat "$T/users"; echo "me@example.com bench-password-me"; } |
	    xargs -P 4 -L 1 sh -c 'echo "$2" | $0 user add -r admin "$1" >/dev/null ||
		echo "$1" >> '"$TD/useradd-failed" "$CTL"
	[ ! -s "$TD/useradd-failed" ] ||
	    die "tokenctl user add failed for $(wc -l < "$TD/useradd-failed") users: $(tail -3 "$TD/tokend.log")"
}

# login EMAIL PASSWORD: the answer body of POST /auth/login on stdout.
login() {
	curl -s -m 60 -X POST -H 'Content-Type: application/json' \
	    -d "{\"email\":\"$1\",\"password\":\"$2\"}" "$BASE/auth/login"
}
jfield() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# tokend_tokens: the selected tokend's JWT and static token of me@, and
# its three demo articles, two of them published, written as the admin.
tokend_tokens() {
	local tok code
	JWT=$(login me@example.com bench-password-me | jfield access_token)
	[ -n "$JWT" ] || die "login of me@example.com failed: $(tail -3 "$TD/tokend.log")"
	STATIC=$($CTL user token me@example.com) || die "tokenctl user token failed"
	curl -s -o /dev/null -H "Authorization: Bearer $STATIC" \
	    -H 'Content-Type: application/json' -d '[
	    {"title":"Hello, tokend","body":"The first published article.","status":"published"},
	    {"title":"Permissions","body":"The public role reads published articles only.","status":"published"},
	    {"title":"Unfinished","body":"A draft: only editors and admins see it.","status":"draft"}]' \
	    "$BASE/items/articles"
	[ "$(curl -s "$BASE/items/articles" | grep -o '"id"' | wc -l)" = 2 ] ||
	    die "GET /items/articles does not show the two published articles"
	for tok in "$JWT" "$STATIC"; do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tok" "$BASE/users/me")
		[ "$code" = 200 ] || die "GET /users/me with a token answered $code"
	done
}

# pool_fill: logins (25 at a time, rotating through the login users) until
# the refresh pool holds POOL_MIN live tokens.  Logins that fail are
# counted in $TD/setup-failed.
pool_fill() {
	local have need
	have=$(grep -c . "$POOL" || :)
	need=$((POOL_MIN - have))
	[ "$need" -gt 0 ] || return 0
	# shellcheck disable=SC2016
	seq 0 $((need - 1)) | awk -v n=$NUSERS -v o="$(od -An -N1 -tu1 /dev/urandom)" \
	    '{ print ($1 + o) % n + 1 }' |
	    xargs -P 25 -I@ sh -c 'b=$1 f=$2; set -- $(sed -n "@p" "$0")
		r=$(curl -s -m 60 -X POST -H "Content-Type: application/json" \
		    -d "{\"email\":\"$1\",\"password\":\"$2\"}" "$b/auth/login" |
		    sed -n "s/.*\"refresh_token\":\"\([^\"]*\)\".*/\1/p")
		if [ -n "$r" ]; then echo "$r"; else echo "$1" >> "$f"; fi' \
		"$T/users" "$BASE" "$TD/setup-failed" >> "$POOL"
}

# tokend_up: the selected tokend started, with its users, tokens,
# articles and a full refresh pool.
tokend_up() {
	tokend_start
	tokend_users
	tokend_tokens
	POOL="$TD/pool"
	: > "$POOL"
	echo "bench: logging in $POOL_MIN times for the refresh pool"
	pool_fill
}

tokend_up
READY_FIRST=$READY_MS

# The two-factor users of the TFA login runs.  keyd takes one code of a
# user per 30 s time step (keyd/tfa.c), so the runs need many users:
# enough that, at the argon2 rate of the machine (2 s of argon2rate, and
# at least TFA_RATE_MIN a core, since a busy machine makes the 2 s run
# read low), each comes round again only after a minute, and twice the
# connections more.  They are copies of one user made with tokenctl (the password
# hash and role of the login users), each with a secret of its own as
# Directus keeps it (bench/tfa.py); keyd seals the secrets with its
# tfa-key when it starts again, as it does an imported database's.
TFA_PASSWORD=bench-tfa-password
TFA_RATE_MIN=6		# hashes/s a core, about the 2-core machine's
CDB="$T/keyd/db/credentials.db"
tfa_seed() {
	local rate
	"$T/argon2rate" -m $A2_M -t $A2_T -p $A2_P -n "$NCPU" -s 2 \
	    > "$T/argon2-probe.txt" || die "argon2rate failed"
	rate=$(awk '$1 == "hashes/s" { print $2 }' "$T/argon2-probe.txt")
	rate=$(awk -v r="$rate" -v m=$((TFA_RATE_MIN * NCPU)) \
	    'BEGIN { print (r > m ? r : m) }')
	TFA_USERS=$(awk -v r="$rate" -v c=$CONNS \
	    'BEGIN { n = int(r * 60 + 0.999) + 2 * c; print n }')
	echo "bench: creating $TFA_USERS two-factor users" \
	    "($rate hashes/s x 60 s + $((2 * CONNS)))"
	echo "$TFA_PASSWORD" | $CTL user add -r admin tfa@example.com > /dev/null ||
	    die "tokenctl user add tfa@example.com failed: $(tail -3 "$T/tokend.log")"
	python3 "$BENCH/tfa.py" seed "$CDB" tfa@example.com "$TFA_PASSWORD" \
	    "$TFA_USERS" "$T/tfa-secrets" || die "bench/tfa.py seed failed"
	# The parent logs the stop of each process: the restart-lines
	# check of the report leaves these lines out.
	LOG_SEED_FROM=$(wc -l < "$T/tokend.log")
	tokend_restart
	tokend_children
	LOG_SEED_TO=$(wc -l < "$T/tokend.log")
	TFA_SEALED=$(python3 "$BENCH/tfa.py" users "$CDB" | cut -d' ' -f3)
	[ "$TFA_SEALED" -ge "$TFA_USERS" ] ||
	    die "keyd sealed $TFA_SEALED of $TFA_USERS TFA secrets: $(tail -3 "$T/tokend.log")"
}
tfa_seed
if [ -n "$BASELINE" ]; then
	tree_use base
	echo "bench: baseline tokend from $BASELINE"
	tokend_up
	BASE_READY=$READY_MS
	tree_use cur
fi

# --- 3. load ----------------------------------------------------------------

export BENCH_THREADS=$THREADS BENCH_POOL="$POOL" BENCH_USERS="$T/users"

# wrk_run NAME SECONDS WRK-ARGS...: wrk output in $T/wrk-NAME.txt.
wrk_run() {
	local name=$1 secs=$2
	shift 2
	wrk -t$THREADS -c$CONNS -d"$secs"s --latency "$@" > "$T/wrk-$name.txt" 2>&1 || {
		cat "$T/wrk-$name.txt" >&2
		echo "bench: last lines of the tokend log:" >&2
		tail -n 15 "$TD/tokend.log" >&2
		die "wrk failed on $*"
	}
}

# parse FILE: "reqs p50ms p99ms errors" from one wrk --latency output;
# errors are socket errors, non-2xx/3xx answers and the "Bad responses"
# the Lua scripts count (2xx/3xx answers that are not the expected 200).
# With the Lua scripts, reqs is their "Good responses/sec": the expected
# 200 answers only, per second of the run.
parse() {
	awk '
	function ms(v,   n, u) {
		n = v + 0
		u = v
		sub(/^[0-9.]+/, "", u)
		if (u == "us") return n / 1000
		if (u == "ms") return n
		if (u == "s")  return n * 1000
		if (u == "m")  return n * 60000
		if (u == "h")  return n * 3600000
		return -1
	}
	$1 == "50%" { p50 = ms($2) }
	$1 == "99%" { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Socket errors:/ {
		for (i = 1; i <= NF; i++) {
			f = $i
			sub(/,$/, "", f)
			if (f ~ /^[0-9]+$/) err += f
		}
	}
	/Non-2xx or 3xx responses:/ { err += $NF }
	/^Bad responses:/ { err += $NF }
	/^Good responses\/sec:/ { good = $NF }
	END {
		if (good != "") rps = good
		if (rps == "" || p50 == "" || p99 == "") exit 1
		printf "%.2f %.3f %.3f %d\n", rps, p50, p99, err
	}' "$1"
}

# median: the median of the numbers on stdin.
median() {
	sort -g | awk '{ v[NR] = $1 }
	END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

# The scenarios alternated in every round; login and argon2 come after.
SCEN="nginx ping jwt static items refresh"
args_of() {
	case $1 in
	nginx)	 echo "$NGINX_URL" ;;
	ping)	 echo "$TOKEND_URL" ;;
	jwt)	 echo "-H|Authorization: Bearer $JWT|$BASE/users/me" ;;
	static)	 echo "-H|Authorization: Bearer $STATIC|$BASE/users/me" ;;
	flood)	 echo "-H|Authorization: Bearer $JWT|$BASE/users/me" ;;
	burst)	 echo "-H|Authorization: Bearer $JWT|$BASE/users/me" ;;
	items)	 echo "$BASE/items/articles" ;;
	refresh) echo "-s|$BENCH/refresh.lua|$BASE/auth/refresh" ;;
	login)	 echo "--timeout|60s|-s|$BENCH/login.lua|$BASE/auth/login" ;;
	tfa)	 echo "--timeout|60s|-s|$BENCH/tfa.lua|$BASE/auth/login" ;;
	esac
}
# scen_runs SCENARIO ROUND: the runs of SCENARIO in that round.  With
# BENCH_BASELINE each tokend scenario also runs on the baseline (named
# base-SCENARIO) right next to the current tree's run: after it in odd
# rounds, before it in even ones, so that neither tree always runs first.
scen_runs() {
	if [ -z "$BASELINE" ] || [ "$1" = nginx ]; then
		echo "$1"
	elif [ $(($2 % 2)) -eq 1 ]; then
		echo "$1 base-$1"
	else
		echo "base-$1 $1"
	fi
}
# run_scen NAME FILE-NAME SECONDS: NAME base-SCENARIO is SCENARIO on the
# baseline's tokend.
run_scen() {
	local s=${1#base-} a
	[ "$s" = "$1" ] || tree_use base
	[ "$s" != refresh ] || pool_fill
	IFS='|' read -r -a a <<< "$(args_of "$s")"
	local c0 c1 t0 t1 i0=0 i1=0
	c0=$(split_ticks)
	[ -z "$IDLE_PID" ] || i0=$(cpu_ticks "$IDLE_PID")
	t0=$(date +%s.%N)
	wrk_run "$2" "$3" "${a[@]}"
	t1=$(date +%s.%N)
	c1=$(split_ticks)
	[ -z "$IDLE_PID" ] || i1=$(cpu_ticks "$IDLE_PID")
	# CPU of keyd and of the workers, in % of one core, over the run.
	echo "$1 $c0 $c1 $t0 $t1" | awk -v hz="$HZ" '{ d = ($7 - $6) * hz
	    if (d > 0) printf "%s %.0f %.0f\n", $1, 100 * ($4 - $2) / d, 100 * ($5 - $3) / d }' \
	    >> "$T/cpu-$2"
	# And of the other tokend, which must stay idle meanwhile.
	[ -z "$IDLE_PID" ] || echo "$2 $i0 $i1 $t0 $t1" | awk -v hz="$HZ" '{
	    d = ($5 - $4) * hz; if (d > 0) printf "%s %.1f\n", $1, 100 * ($3 - $2) / d }' \
	    >> "$T/idle-cpu"
	tree_use cur
}
: > "$T/results"
record() {	# record SCENARIO ROUND FILE-NAME
	local res
	res=$(parse "$T/wrk-$3.txt") || {
		cat "$T/wrk-$3.txt" >&2
		die "cannot parse the wrk output for $1"
	}
	echo "$1 $2 $res" >> "$T/results"
	printf 'bench: round %d %-8s %s req/s\n' "$2" "$1" "${res%% *}"
}

echo "bench: nginx on $NGINX_URL, tokend on $BASE (prefork $NCPU)"
# shellcheck disable=SC2154	# set by tree_use
[ -z "$BASELINE" ] ||
    echo "bench: baseline tokend on $base_BASE, idle while the other runs"
echo "bench: warm-up ${WARMUP}s each, then $ROUNDS x ${SECONDS_RUN}s per scenario, alternated"
if [ "$WARMUP" -gt 0 ]; then
	for s in $SCEN; do
		for n in $(scen_runs "$s" 1); do run_scen "$n" "warmup-$n" "$WARMUP"; done
	done
fi
for r in $(seq 1 "$ROUNDS"); do
	for s in $SCEN; do
		for n in $(scen_runs "$s" "$r"); do
			run_scen "$n" "$n-$r" "$SECONDS_RUN"
			record "$n" "$r" "$n-$r"
		done
	done
done
# refresh.lua's pool line of every refresh run, the baseline's apart.
grep -H '^refresh:' "$T"/wrk-*refresh*.txt > "$T/refresh-pool-all" || :
grep -v 'base-refresh' "$T/refresh-pool-all" | sed 's/^[^:]*://' > "$T/refresh-pool"
grep 'base-refresh' "$T/refresh-pool-all" | sed 's/^[^:]*://' > "$T/base-refresh-pool"

# The baseline's part ends here: what follows measures the current tree
# alone, as without BENCH_BASELINE.
# baseline_stop: whether the baseline's tokend lived through its runs and
# its workers and keyd were never restarted, then stop it.
baseline_stop() {
	BASE_ALIVE=1
	kill -0 "$IDLE_PID" 2>/dev/null || BASE_ALIVE=0
	BASE_LOG_BAD=$(grep -cE 'killed by signal|exited|restarting|lost the channel|out of memory' \
	    "$T/base/tokend.log" || :)
	kill -TERM "$IDLE_PID" 2>/dev/null || :
	wait "$IDLE_PID" 2>/dev/null || :
	IDLE_PID=""
	# shellcheck disable=SC2034	# read by tree_use
	base_TOKEND_PID=""
}
[ -z "$BASELINE" ] || baseline_stop

# /users/me with the JWT while 50 clients log in all the time: the
# logins start 2 s before and end 2 s after the measured run.
echo "bench: /users/me JWT during a login flood, $ROUNDS x ${SECONDS_RUN}s"
for r in $(seq 1 "$ROUNDS"); do
	wait_idle > /dev/null
	wrk -t$THREADS -c$CONNS -d$((SECONDS_RUN + 4))s --timeout 60s --latency \
	    -s "$BENCH/login.lua" "$BASE/auth/login" > "$T/wrk-flood-login-$r.txt" 2>&1 &
	flood=$!
	sleep 2
	run_scen flood "flood-$r" "$SECONDS_RUN"
	record flood "$r" "flood-$r"
	wait "$flood" || die "wrk failed on the login flood"
	awk -v r="$r" '/^Good responses\/sec:/ { print "floodlogin", r, $NF, 0, 0, 0 }' \
	    "$T/wrk-flood-login-$r.txt" >> "$T/results"
done
wait_idle > /dev/null

# /users/me with the JWT during a burst of password reset requests
# (reset.lua: the login users and as many unknown emails in turn, each
# request held for the login stall), from 2 s before to 2 s after the
# measured run.  Every request must be answered 204; the mails go
# through the outbox and the mail process to the SMTP sink.
for i in $(seq -w 1 $NUSERS); do
	echo "bench$i@example.com"
	echo "nobody$i@example.com"
done > "$T/reset-emails"
export BENCH_RESET="$T/reset-emails" BENCH_RESET_URL="$RESET_URL"
echo "bench: /users/me JWT during a burst of password requests, $ROUNDS x ${SECONDS_RUN}s"
for r in $(seq 1 "$ROUNDS"); do
	wait_idle > /dev/null
	wrk -t$THREADS -c$CONNS -d$((SECONDS_RUN + 4))s --timeout 60s --latency \
	    -s "$BENCH/reset.lua" "$BASE/auth/password/request" \
	    > "$T/wrk-burst-reset-$r.txt" 2>&1 &
	burst=$!
	sleep 2
	run_scen burst "burst-$r" "$SECONDS_RUN"
	record burst "$r" "burst-$r"
	wait "$burst" || die "wrk failed on the password-request burst"
	record burstreq "$r" "burst-reset-$r"
done
wait_idle > /dev/null
# The mails still on their way: the outbox empty, 10 s at most.
outbox() { $CTL mail list 2>/dev/null | grep -c password-reset || :; }
i=0
while [ "$(outbox)" -gt 0 ] && [ $((i += 1)) -le 100 ]; do sleep 0.1; done
RESET_MAILS=$(find "$T/sink" -name 'mail.[0-9]*' | wc -l)
RESET_OUTBOX=$(outbox)

# Memory over a longer run of /users/me and refreshes together: RSS of
# every process every 10 s.
# rss_sample FILE: "pid name kb" of every tokend process.
rss_sample() {
	local p kb
	for p in "$TOKEND_PID" $(tree "$TOKEND_PID"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) ||
		    continue
		[ -z "$kb" ] || echo "$p $(name_of "$p") $kb"
	done > "$1"
}
echo "bench: ${SOAK_SECONDS}s of /users/me JWT and refresh together, RSS every 10 s"
pool_fill
rss_sample "$T/rss-0"
BENCH_THREADS=1 wrk -t1 -c25 -d"${SOAK_SECONDS}"s --latency -s "$BENCH/refresh.lua" \
    "$BASE/auth/refresh" > "$T/wrk-soak-refresh.txt" 2>&1 &
soak1=$!
wrk -t1 -c25 -d"${SOAK_SECONDS}"s --latency -H "Authorization: Bearer $JWT" \
    "$BASE/users/me" > "$T/wrk-soak-jwt.txt" 2>&1 &
soak2=$!
for k in $(seq 1 $((SOAK_SECONDS / 10))); do
	sleep 10
	rss_sample "$T/rss-$k"
done
wait "$soak1" "$soak2" || die "wrk failed in the memory run"
SOAK_LAST=$((SOAK_SECONDS / 10))
# Per process: the most RSS seen, and the growth from 10 s to the end.
cat "$T"/rss-[0-9]* | awk '{ if ($3 > m[$1]) m[$1] = $3; n[$1] = $2 }
    END { for (p in m) print p, n[p], m[p] }' > "$T/rss-max"
join <(sort "$T/rss-1") <(sort "$T/rss-$SOAK_LAST") |
    awk '{ print $1, $2, $5 - $3 }' > "$T/rss-growth"

# Logins, and two-factor logins (tfa.lua: a fresh TOTP code each), against
# the standalone argon2 rate at the same parameters, in turn, each after
# tokend has finished the hashes of the previous run.
echo "bench: login ($NUSERS users), two-factor login ($TFA_USERS users)" \
    "and argon2 standalone, $ROUNDS x ${LOGIN_SECONDS}s each"
: > "$T/drain"
: > "$T/drain-tfa"
export BENCH_TFA="$T/tfa-codes" BENCH_TFA_STATE="$T/tfa-state"
# login_run SCENARIO FILE-NAME SECONDS: a login or TFA login run; the
# TFA run gets the codes of its users for its time steps.
login_run() {
	[ "$1" != tfa ] || python3 "$BENCH/tfa.py" codes "$T/tfa-secrets" \
	    "$3" "$BENCH_TFA" || die "bench/tfa.py codes failed"
	run_scen "$@"
}
if [ "$WARMUP" -gt 0 ]; then
	for s in login tfa; do
		login_run "$s" "warmup-$s" "$WARMUP"
		wait_idle > /dev/null
	done
fi
for r in $(seq 1 "$ROUNDS"); do
	"$T/argon2rate" -m $A2_M -t $A2_T -p $A2_P -n "$NCPU" -s "$LOGIN_SECONDS" \
	    > "$T/argon2-$r.txt" || die "argon2rate failed"
	a2=$(awk '$1 == "hashes/s" { print $2 }' "$T/argon2-$r.txt")
	echo "argon2 $r $a2 0 0 0" >> "$T/results"
	printf 'bench: round %d %-8s %s hashes/s\n' "$r" argon2 "$a2"
	wait_idle > /dev/null
	# Plain first in odd rounds, two-factor first in even ones.
	for s in $([ $((r % 2)) -eq 1 ] && echo login tfa || echo tfa login); do
		login_run "$s" "$s-$r" "$LOGIN_SECONDS"
		record "$s" "$r" "$s-$r"
		wait_idle >> "$T/drain$([ "$s" = login ] || echo -tfa)"
	done
done
# RSS (and peak RSS) of every tokend process, after the load.
rss_line() {
	local p name kb hwm total=0 line="" keyd_seen=0
	for p in "$TOKEND_PID" $(tree "$TOKEND_PID"); do
		kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || kb=""
		hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || hwm=0
		[ -n "$kb" ] || continue
		if [ "$p" = "$TOKEND_PID" ]; then
			name=parent
		else
			case "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" in
			keyd*|*/keyd*) name=keyd ;;
			*server*) name=worker ;;
			*items*) name=items ;;
			*mail*) name=mail ;;
			*) name=$(cat "/proc/$p/comm" 2>/dev/null) || name=child ;;
			esac
		fi
		[ "$name" = keyd ] && keyd_seen=1
		line="$line $name($p) $(awk -v k="$kb" -v h="$hwm" 'BEGIN { printf "%.1f (peak %.1f)", k / 1024, h / 1024 }'),"
		total=$((total + kb))
	done
	echo "tokend RSS MiB after the run:${line%,}; total $(awk -v k="$total" 'BEGIN { printf "%.1f", k / 1024 }')"
	[ "$keyd_seen" -eq 1 ] || echo "tokend: no keyd process after the run; see bench/out/tokend.log"
}
alive=1
kill -0 "$TOKEND_PID" 2>/dev/null || alive=0
RSS=$(rss_line)
# From the database: tokenctl user list stops at 60 KiB, and the TFA
# users are many.
read -r SUSPENDED NOT_ACTIVE _ <<< "$(python3 "$BENCH/tfa.py" users "$CDB" ||
    echo unknown unknown)"
SETUP_FAILED=0
[ -f "$T/setup-failed" ] && SETUP_FAILED=$(wc -l < "$T/setup-failed")
KEYD_PEAK=$(awk '/^VmHWM:/ { print $2 }' "/proc/$KEYD_PID/status" 2>/dev/null) ||
    KEYD_PEAK=0

# SIGHUP under load: a reload every second of a /users/me run; no
# request may fail.  The log lines up to here judge the runs above.
LOG_BEFORE=$(wc -l < "$T/tokend.log")
echo "bench: /users/me JWT with a SIGHUP every second, ${SECONDS_RUN}s"
wrk -t$THREADS -c$CONNS -d"${SECONDS_RUN}"s --latency \
    -H "Authorization: Bearer $JWT" "$BASE/users/me" > "$T/wrk-sighup.txt" 2>&1 &
hup=$!
for i in $(seq 1 $((SECONDS_RUN - 1))); do
	sleep 1
	kill -HUP "$TOKEND_PID"
done
wait "$hup" || die "wrk failed in the SIGHUP run"
record sighup 1 sighup
sleep 0.5
HUPS=$(tail -n +"$((LOG_BEFORE + 1))" "$T/tokend.log" | grep -c 'reloading' || :)
HUP_BAD=$(tail -n +"$((LOG_BEFORE + 1))" "$T/tokend.log" |
    grep -cE 'reload (failed|refused)|could not apply' || :)

# Start to ready again, on the database of the run: stop, start, wait.
echo "bench: restart"
tokend_restart
READY_AGAIN=$READY_MS

# The real Directus, on request, in the same run.
directus_run() {
	local djwt
	[ -x "$DIRECTUS_SCRIPT" ] || die "BENCH_DIRECTUS=1: no $DIRECTUS_SCRIPT"
	DIRECTUS_PORT=$(free_port)
	echo "bench: Directus on port $DIRECTUS_PORT (the first start installs it)"
	DIRECTUS_PORT=$DIRECTUS_PORT "$DIRECTUS_SCRIPT" start > "$T/directus.txt" 2>&1 ||
	    die "Directus did not start: $(tail -3 "$T/directus.txt")"
	DBASE="http://127.0.0.1:$DIRECTUS_PORT"
	djwt=$(curl -s -m 60 -H 'Content-Type: application/json' \
	    -d '{"email":"admin@example.com","password":"secret"}' \
	    "$DBASE/auth/login" | jfield access_token)
	[ -n "$djwt" ] || die "cannot log in to Directus"
	curl -s -m 60 -o /dev/null -X PATCH -H "Authorization: Bearer $djwt" \
	    -H 'Content-Type: application/json' \
	    -d '{"token":"bench-directus-static-token-0123456789"}' "$DBASE/users/me"
	wrk_run d-ping "$SECONDS_RUN" "$DBASE/server/ping"
	record dping 1 d-ping
	wrk_run d-jwt "$SECONDS_RUN" -H "Authorization: Bearer $djwt" "$DBASE/users/me"
	record djwt 1 d-jwt
	wrk_run d-static "$SECONDS_RUN" \
	    -H "Authorization: Bearer bench-directus-static-token-0123456789" \
	    "$DBASE/users/me"
	record dstatic 1 d-static
	DIRECTUS_RSS=$(ps -o rss= -p "$(cat "${DIRECTUS_DIR:-${TMPDIR:-/tmp}/directus-ref}/directus.pid")" 2>/dev/null |
	    awk '{ printf "%.0f", $1 / 1024 }') || DIRECTUS_RSS=unknown
	DIRECTUS_PORT=$DIRECTUS_PORT "$DIRECTUS_SCRIPT" stop > /dev/null 2>&1 || :
	DIRECTUS_PORT=""
}
[ "$DIRECTUS" -eq 0 ] || directus_run

# --- 4. report ----------------------------------------------------------------

col() {	# col SCENARIO FIELD(3..6): median (or sum for errors) of a column.
	if [ "$2" -eq 6 ]; then
		awk -v s="$1" '$1 == s { n += $6 } END { print n + 0 }' "$T/results"
	else
		awk -v s="$1" -v f="$2" '$1 == s { print $f }' "$T/results" | median
	fi
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { r = b > 0 ? a / b : 0; printf "%.2f", r }'; }
N_RPS=$(col nginx 3)
ratio() { div "$(col "$1" 3)" "$N_RPS"; }
round_ratios() {	# round_ratios SCENARIO [BASE]
	awk -v s="$1" -v b="${2:-nginx}" '$1 == b { n[$2] = $3 } $1 == s { t[$2] = $3 }
	END { for (r = 1; r in n; r++) { x = n[r] > 0 ? t[r] / n[r] : 0; printf " %.2f", x } }' "$T/results"
}
# verdict COND: met when the awk condition COND holds.
verdict() { awk "BEGIN { print (($1) ? \"met\" : \"NOT met\") }"; }

row() {	# row LABEL SCENARIO RATIO
	printf '| %-30s | %10.0f | %7.2f | %7.2f | %7d | %8s |\n' "$1" \
	    "$(col "$2" 3)" "$(col "$2" 4)" "$(col "$2" 5)" "$(col "$2" 6)" "$3"
}
cpu_line() {	# cpu_line [base-]
	local sc k w
	for sc in ping jwt static items refresh flood burst login tfa; do
		k=$(cat "$T/cpu-${1:-}$sc-"[0-9]* 2>/dev/null | awk '{ print $2 }' | median) || continue
		w=$(cat "$T/cpu-${1:-}$sc-"[0-9]* 2>/dev/null | awk '{ print $3 }' | median) || continue
		printf ' %s %s+%s' "$sc" "$k" "$w"
	done
}
LOGIN_A2=$(div "$(col login 3)" "$(col argon2 3)")
TFA_LOGIN=$(div "$(col tfa 3)" "$(col login 3)")
FLOOD_IDLE=$(div "$(col flood 3)" "$(col jwt 3)")
BURST_IDLE=$(div "$(col burst 3)" "$(col jwt 3)")
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# memory_line: the most RSS of each process in the watched run, and its
# growth from 10 s to the end, in MiB.
memory_line() {
	awk '{ printf " %s(%s) %.1f", $2, $1, $3 / 1024 }' "$T/rss-max" | sort
}
growth_line() {
	awk '{ printf " %s(%s) %+.2f", $2, $1, $3 / 1024 }' "$T/rss-growth"
}
WORKER_MAX=$(awk '$2 == "worker" && $3 > m { m = $3 } END { print m + 0 }' "$T/rss-max")
KEYD_MAX=$(awk '$2 == "keyd" && $3 > m { m = $3 } END { print m + 0 }' "$T/rss-max")
GROWTH_MAX=$(awk '$3 > m { m = $3 } END { print m + 0 }' "$T/rss-growth")
# keyd's peak may hold one hash of each hashing thread besides itself.
KEYD_PEAK_BOUND=$((T_KEYD_MIB * 1024 + NCPU * A2_M))
DRAIN=$(median < "$T/drain")
DRAIN_TFA=$(median < "$T/drain-tfa")
# The lines of the log that judge the runs: up to the SIGHUP run, without
# the stop and start of tfa_seed.
run_log() {
	awk -v a="$LOG_SEED_FROM" -v b="$LOG_SEED_TO" -v e="$LOG_BEFORE" \
	    'NR <= e && (NR <= a || NR > b)' "$T/tokend.log"
}

# The current tree against BENCH_BASELINE: the same scenarios, measured in
# the same rounds.
# tree_rev DIR: the commit a build tree is at, without writing to it.
tree_rev() {
	local rev
	rev=$(git -C "$1" rev-parse --short HEAD 2>/dev/null) || {
		echo "not a git tree"
		return
	}
	if git --no-optional-locks -C "$1" status --porcelain -uno 2>/dev/null | grep -q .; then
		rev="$rev with uncommitted changes"
	fi
	echo "$rev"
}
# reqs RUN: the requests wrk sent in the measured runs of RUN.
reqs() {
	cat "$T"/wrk-"$1"-[0-9]*.txt 2>/dev/null |
	    awk '$2 == "requests" && $3 == "in" { n += $1 } END { print n + 0 }'
}
RESET_SENT=$(reqs burst-reset)
RESET_204=$(cat "$T"/wrk-burst-reset-[0-9]*.txt |
    awk '/^Good responses:/ { n += $NF } END { print n + 0 }')
bl_row() {	# bl_row LABEL SCENARIO
	printf '| %-30s | %13.0f | %14.0f | %8s | %10.2f | %11.2f | %6d/%d |\n' "$1" \
	    "$(col "$2" 3)" "$(col "base-$2" 3)" \
	    "$(div "$(col "$2" 3)" "$(col "base-$2" 3)")" \
	    "$(col "$2" 5)" "$(col "base-$2" 5)" "$(col "$2" 6)" "$(col "base-$2" 6)"
}
# bl_line rounds|nginx|requests: "ping X; jwt X; ..." with, for each
# scenario, the per-round ratios current/baseline, the ratios to nginx of
# both, or the requests sent by wrk to both.
bl_line() {
	local s sep="" v
	for s in ping jwt static items refresh; do
		case $1 in
		rounds)	  v=$(round_ratios "$s" "base-$s") ;;
		nginx)	  v=" $(ratio "$s")/$(ratio "base-$s")" ;;
		requests) v=" $(reqs "$s")/$(reqs "base-$s")" ;;
		esac
		printf '%s %s%s' "$sep" "$s" "$v"
		sep=";"
	done
}
baseline_table() {
	echo "current $TOP ($(tree_rev "$TOP")) against baseline $BASELINE" \
	    "($(tree_rev "$BASELINE")), the same rounds, each tree's run next" \
	    "to the other's"
	echo
	printf '| %-30s | %13s | %14s | %8s | %10s | %11s | %8s |\n' scenario \
	    'current req/s' 'baseline req/s' 'cur/base' 'cur p99 ms' 'base p99 ms' \
	    errors
	printf '|%s|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 32))" \
	    "$(printf -- '-%.0s' $(seq 14)):" "$(printf -- '-%.0s' $(seq 15)):" \
	    "$(printf -- '-%.0s' $(seq 9)):" "$(printf -- '-%.0s' $(seq 11)):" \
	    "$(printf -- '-%.0s' $(seq 12)):" "$(printf -- '-%.0s' $(seq 9)):"
	bl_row 'GET /server/ping' ping
	bl_row 'GET /users/me JWT' jwt
	bl_row 'GET /users/me static' static
	bl_row 'GET /items/articles public' items
	bl_row 'POST /auth/refresh' refresh
	echo
	echo "per-round current/baseline:$(bl_line rounds)"
	echo "vs nginx, current/baseline:$(bl_line nginx)"
	echo "requests sent in the measured runs, current/baseline:$(bl_line requests)"
	echo "baseline CPU during its runs, % of one core, keyd+workers (median):$(cpu_line base-)"
	echo "the idle tokend during the other's runs:" \
	    "$(awk '$2 > m { m = $2 } END { printf "at most %.1f %% of one core over %d runs", m, NR }' \
	    "$T/idle-cpu")"
	echo "baseline start to ready: ${BASE_READY} ms"
	sed 's/^refresh: /baseline refresh pool per run: /' "$T/base-refresh-pool"
	[ ! -f "$T/base/setup-failed" ] ||
	    echo "baseline setup logins that failed: $(wc -l < "$T/base/setup-failed")"
	[ "$BASE_ALIVE" -eq 1 ] ||
	    echo "baseline: the parent process DIED during its runs"
	[ "$BASE_LOG_BAD" -eq 0 ] ||
	    echo "baseline: $BASE_LOG_BAD restarts in its log (its runs are not valid); see bench/out/tokend-baseline.log"
}
# TLS last, when the runs above are over: bench/tls/tls.sh starts its
# own nginx and tokend with one certificate and compares them.
TLS_OUT=$(bash "$TOP/bench/tls/tls.sh" 2>&1) ||
    TLS_OUT="bench/tls/tls.sh failed: $TLS_OUT"
tls_ratio() {	# tls_ratio LABEL: the ratio column of tls.sh's row
	printf '%s\n' "$TLS_OUT" |
	    awk -v k="$1" 'index($0, k) == 1 { r = $(NF - 1) } END { print r + 0 }'
}
# Aggregate and search over 100,000 items: bench/query/query.sh starts
# its own tokend and runs the same SQL directly beside it.
QUERY_OUT=$(bash "$TOP/bench/query/query.sh" 2>&1 | grep -v '^ok ') ||
    QUERY_OUT="bench/query/query.sh failed: $QUERY_OUT"
query_ratio() {	# query_ratio LABEL: the ratio column of query.sh's row
	printf '%s\n' "$QUERY_OUT" |
	    awk -v k="$1" 'index($0, k) == 1 { r = $(NF - 1) } END { print r + 0 }'
}
# Forward auth and the CORS preflight against nginx: bench/web/web.sh
# starts its own nginx and tokend.
WEB_OUT=$(bash "$TOP/bench/web/web.sh" 2>&1) ||
    WEB_OUT="bench/web/web.sh failed: $WEB_OUT"
web_ratio() {	# web_ratio LABEL: the ratio column of web.sh's row
	printf '%s\n' "$WEB_OUT" |
	    awk -v k="$1" 'index($0, k) == 1 { r = $(NF - 1) } END { print r + 0 }'
}
# The credential store on SQLite beside PostgreSQL (two hosts on one
# throwaway cluster): bench/pg/pg.sh, its own tokends; its table and its
# verdicts (issue 19's targets) go into the report as they are.
PG_OUT=$(bash "$TOP/bench/pg/pg.sh" 2>/dev/null) ||
    PG_OUT="bench/pg/pg.sh failed: $PG_OUT"
# How cost grows with size (1,000 against 1,000,000 users and live
# sessions, on SQLite and on PostgreSQL): bench/scale/scale.sh, its own
# tokends and databases; about 10 minutes, BENCH_SCALE=0 skips it.
SCALE_OUT="skipped (BENCH_SCALE=0)"
if [ "${BENCH_SCALE:-1}" != 0 ]; then
	SCALE_OUT=$(bash "$TOP/bench/scale/scale.sh" 2>/dev/null) ||
	    SCALE_OUT="bench/scale/scale.sh failed: $SCALE_OUT"
fi
T_VERIFY=0.50		# GET behind nginx's auth_request, of nginx alone
T_PREFLIGHT=0.60	# CORS preflight, of nginx answering it
# The signing algorithms: bench/signing.sh starts a tokend for each of
# HS256, EdDSA and ES256 and measures /users/me with one token (cached),
# with 20000 tokens (cold: keyd checks every one) and the key set,
# against its own nginx in the same rounds.
SIGNING_OUT=$(bash "$TOP/bench/signing.sh" 2>"$T/signing.err") ||
    SIGNING_OUT="bench/signing.sh failed: $SIGNING_OUT $(tail -3 "$T/signing.err")"
sig_col() {	# sig_col ALG REQUEST FIELD: a column of signing.sh's row
	printf '%s\n' "$SIGNING_OUT" |
	    awk -v a="$1" -v s="$2" -v f="$3" '$2 == a && $4 == s { r = $f } END { print r }'
}
sig_ratio() { r=$(sig_col "$1" "$2" 10); echo "${r:-0}"; }
sig_target() {	# sig_target ALG REQUEST TARGET LABEL
	echo "target: $4 >= $3 of nginx:" \
	    "$(verdict "$(sig_ratio "$1" "$2") >= $3 && \"$(sig_col "$1" "$2" 12)\" == \"none\"")" \
	    "(ratio $(sig_ratio "$1" "$2"), errors $(sig_col "$1" "$2" 12))"
}
T_SIGN_CACHED=0.60	# /users/me EdDSA and ES256 from the cache, of nginx
T_SIGN_COLD=0.30	# /users/me with a new token each request, of nginx
T_JWKS=0.60		# GET /.well-known/jwks.json, of nginx
T_QUERY=0.30		# aggregate and search, of the same SQL run directly
T_TLS_HS=0.80		# new TLS connections per second, of nginx
T_TLS_KA=0.60		# keep-alive /users/me over TLS, of nginx

{
	echo "tokend bench $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $NCPU," \
	    "wrk -t$THREADS -c$CONNS -d${SECONDS_RUN}s (login -d${LOGIN_SECONDS}s --timeout 60s)," \
	    "median of $ROUNDS alternated runs, errors summed;" \
	    "load average $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo
	printf '| %-30s | %10s | %7s | %7s | %7s | %8s |\n' scenario 'req/s' \
	    'p50 ms' 'p99 ms' errors 'vs nginx'
	printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 32))" \
	    "$(printf -- '-%.0s' $(seq 11)):" "$(printf -- '-%.0s' $(seq 8)):" \
	    "$(printf -- '-%.0s' $(seq 8)):" "$(printf -- '-%.0s' $(seq 8)):" \
	    "$(printf -- '-%.0s' $(seq 9)):"
	row 'nginx fixed JSON /' nginx 1.00
	row 'tokend GET /server/ping' ping "$(ratio ping)"
	row 'tokend GET /users/me JWT' jwt "$(ratio jwt)"
	row 'tokend GET /users/me static' static "$(ratio static)"
	row 'tokend GET /items/articles' items "$(ratio items)"
	row 'tokend POST /auth/refresh' refresh "$(ratio refresh)"
	row 'tokend /users/me, login flood' flood "$(ratio flood)"
	row 'tokend /users/me, reset burst' burst "$(ratio burst)"
	row 'tokend /users/me, SIGHUP 1/s' sighup "$(ratio sighup)"
	printf '| %-30s | %10.1f | %7.0f | %7.0f | %7d | %8s |\n' \
	    "tokend POST /auth/login ${NUSERS}u" "$(col login 3)" "$(col login 4)" \
	    "$(col login 5)" "$(col login 6)" -
	printf '| %-30s | %10.1f | %7.0f | %7.0f | %7d | %8s |\n' \
	    "tokend login TFA ${TFA_USERS}u" "$(col tfa 3)" "$(col tfa 4)" \
	    "$(col tfa 5)" "$(col tfa 6)" -
	printf '| %-30s | %10.1f | %7.0f | %7.0f | %7d | %8s |\n' \
	    "tokend POST /auth/password/req" "$(col burstreq 3)" \
	    "$(col burstreq 4)" "$(col burstreq 5)" "$(col burstreq 6)" -
	printf '| %-30s | %10.1f | %7s | %7s | %7s | %8s |\n' \
	    'argon2id standalone, hashes/s' "$(col argon2 3)" - - - -
	if [ "$DIRECTUS" -ne 0 ]; then
		row 'Directus GET /server/ping' dping "$(ratio dping)"
		row 'Directus GET /users/me JWT' djwt "$(ratio djwt)"
		row 'Directus GET /users/me static' dstatic "$(ratio dstatic)"
	fi
	if [ -n "$BASELINE" ]; then
		echo
		baseline_table
	fi
	echo
	echo "per-round ratio to nginx: ping$(round_ratios ping);" \
	    "jwt$(round_ratios jwt); static$(round_ratios static);" \
	    "items$(round_ratios items);" \
	    "refresh$(round_ratios refresh)"
	echo "per-round login / argon2:$(round_ratios login argon2)"
	echo "per-round TFA login / login:$(round_ratios tfa login)"
	echo "tokend CPU during the measured runs, % of one core, keyd+workers (median):$(cpu_line)"
	echo "$RSS"
	echo "RSS MiB, most in the ${SOAK_SECONDS}s run of /users/me and refresh:$(memory_line);" \
	    "growth from 10 s to ${SOAK_SECONDS} s:$(growth_line)" \
	    "($(parse "$T/wrk-soak-jwt.txt" | cut -d' ' -f1) + $(parse "$T/wrk-soak-refresh.txt" | cut -d' ' -f1) req/s)"
	echo "/users/me during the login flood: $FLOOD_IDLE of its idle rate," \
	    "logins meanwhile $(col floodlogin 3)/s"
	echo "/users/me during the password-request burst: $BURST_IDLE of its" \
	    "idle rate; password requests meanwhile $(col burstreq 3)/s," \
	    "$RESET_204 of $RESET_SENT answered 204 (half of them for unknown" \
	    "emails); $RESET_MAILS reset mails delivered to the SMTP sink," \
	    "$RESET_OUTBOX left in the outbox"
	[ "$DIRECTUS" -eq 0 ] || echo "Directus RSS after its runs: ${DIRECTUS_RSS} MiB"
	echo "start to ready (/server/health ok): first start ${READY_FIRST} ms" \
	    "(creates the secret and the database), restart ${READY_AGAIN} ms"
	echo "SIGHUP under load: $HUPS reloads during the run, $HUP_BAD refused or failed"
	echo "login / argon2 standalone: $LOGIN_A2" \
	    "(argon2id m=$((A2_M / 1024))M t=$A2_T p=$A2_P, $NCPU threads;" \
	    "tokend busy ${DRAIN}s after each login run)"
	echo "TFA login / login: $TFA_LOGIN ($TFA_USERS two-factor users," \
	    "secrets sealed by keyd: $TFA_SEALED; tokend busy ${DRAIN_TFA}s" \
	    "after each TFA login run)"
	grep -H '^tfa: ' "$T"/wrk-*tfa*.txt |
	    sed 's|^.*/wrk-\(.*\)\.txt:tfa: |TFA login per run: \1: |'
	echo "users suspended after the run: $SUSPENDED (not active: $NOT_ACTIVE)"
	sed 's/^/refresh pool per run: /; s/^refresh pool per run: refresh: /refresh pool per run: /' "$T/refresh-pool"
	[ "$SETUP_FAILED" -eq 0 ] || echo "setup logins that failed: $SETUP_FAILED"
	[ "$alive" -eq 1 ] || echo "tokend: the parent process DIED during the run"
	if run_log |
	    grep -Eq 'killed by signal|exited|restarting|reloading|lost the channel|out of memory'; then
		echo "tokend log, restarts and reloads during the run (the run is not valid):"
		run_log |
		    grep -E 'killed by signal|exited|restarting|reloading|lost the channel|out of memory' |
		    sort | uniq -c | sort -rn | head -10 | sed 's/^/    /'
	fi
	echo "target: /server/ping >= $T_PING of nginx:" \
	    "$(verdict "$(ratio ping) >= $T_PING && $(col ping 6) == 0")" \
	    "(ratio $(ratio ping), errors $(col ping 6))"
	for s in jwt static; do
		echo "target: /users/me $([ $s = jwt ] && echo JWT || echo static)" \
		    ">= $T_ME of nginx, p99 < $T_ME_P99 ms:" \
		    "$(verdict "$(ratio $s) >= $T_ME && $(col $s 5) < $T_ME_P99 && $(col $s 6) == 0")" \
		    "(ratio $(ratio $s), p99 $(col $s 5) ms, errors $(col $s 6))"
	done
	echo "target: /items/articles (public) >= $T_ITEMS of nginx:" \
	    "$(verdict "$(ratio items) >= $T_ITEMS && $(col items 6) == 0")" \
	    "(ratio $(ratio items), p99 $(col items 5) ms, errors $(col items 6))"
	echo "target: /auth/refresh >= $T_REFRESH req/s:" \
	    "$(verdict "$(col refresh 3) >= $T_REFRESH && $(col refresh 6) == 0")" \
	    "($(col refresh 3) req/s, errors $(col refresh 6))"
	echo "target: /auth/login >= $T_LOGIN of argon2 standalone, 0 errors, nobody suspended:" \
	    "$(verdict "$LOGIN_A2 >= $T_LOGIN && $(col login 6) == 0 && \"$NOT_ACTIVE\" == \"0\"")" \
	    "(ratio $LOGIN_A2, errors $(col login 6), suspended $SUSPENDED)"
	echo "target: /users/me JWT during a login flood >= $T_FLOOD of idle, p99 < $T_FLOOD_P99 ms:" \
	    "$(verdict "$FLOOD_IDLE >= $T_FLOOD && $(col flood 5) < $T_FLOOD_P99 && $(col flood 6) == 0")" \
	    "($FLOOD_IDLE of idle, p99 $(col flood 5) ms, errors $(col flood 6))"
	echo "target: /users/me JWT during a password-request burst, p99 < $T_RESET_P99 ms," \
	    "every request 204:" \
	    "$(verdict "$(col burst 5) < $T_RESET_P99 && $(col burst 6) == 0 && $(col burstreq 6) == 0 && $RESET_204 > 0")" \
	    "(p99 $(col burst 5) ms, errors $(col burst 6); requests: $RESET_204 answered 204, errors $(col burstreq 6))"
	echo "target: TFA login >= $T_TFA of login, 0 errors:" \
	    "$(verdict "$TFA_LOGIN >= $T_TFA && $(col tfa 6) == 0")" \
	    "(ratio $TFA_LOGIN, $(col tfa 3) against $(col login 3) logins/s, errors $(col tfa 6))"
	echo "target: memory, workers < $T_WORKER_MIB MiB, keyd < $T_KEYD_MIB MiB" \
	    "(+ $NCPU x $((A2_M / 1024)) MiB of hashes at its peak), growth <= $T_GROWTH_MIB MiB:" \
	    "$(verdict "$WORKER_MAX < $T_WORKER_MIB * 1024 && $KEYD_MAX < $T_KEYD_MIB * 1024 && $KEYD_PEAK <= $KEYD_PEAK_BOUND && $GROWTH_MAX <= $T_GROWTH_MIB * 1024")" \
	    "(worker $(mib "$WORKER_MAX"), keyd $(mib "$KEYD_MAX"), keyd peak $(mib "$KEYD_PEAK"), most growth $(mib "$GROWTH_MAX"))"
	echo "target: start to ready < $T_READY_MS ms:" \
	    "$(verdict "$READY_FIRST < $T_READY_MS && $READY_AGAIN < $T_READY_MS")" \
	    "(first start $READY_FIRST ms, restart $READY_AGAIN ms)"
	echo "target: SIGHUP under load loses no request:" \
	    "$(verdict "$(col sighup 6) == 0 && $HUPS >= $((SECONDS_RUN - 1)) && $HUP_BAD == 0")" \
	    "(errors $(col sighup 6), $HUPS reloads)"
	echo
	printf '%s\n' "$TLS_OUT"
	echo "target: new TLS connections >= $T_TLS_HS of nginx:" \
	    "$(verdict "$(tls_ratio 'new handshakes') >= $T_TLS_HS")" \
	    "(ratio $(tls_ratio 'new handshakes'))"
	echo "target: keep-alive /users/me over TLS >= $T_TLS_KA of nginx:" \
	    "$(verdict "$(tls_ratio 'keep-alive GET') >= $T_TLS_KA")" \
	    "(ratio $(tls_ratio 'keep-alive GET'))"
	echo
	printf '%s\n' "$SIGNING_OUT"
	for alg in EdDSA ES256; do
		sig_target $alg cached $T_SIGN_CACHED "/users/me $alg cached"
		sig_target $alg cold $T_SIGN_COLD "/users/me $alg cold"
		sig_target $alg jwks $T_JWKS "GET /.well-known/jwks.json ($alg)"
	done
	sig_target HS256 cold $T_SIGN_COLD '/users/me HS256 cold'
	echo
	printf '%s\n' "$QUERY_OUT"
	echo "target: aggregate with groupBy >= $T_QUERY of the SQL run directly:" \
	    "$(verdict "$(query_ratio 'aggregate[count]') >= $T_QUERY")" \
	    "(ratio $(query_ratio 'aggregate[count]'))"
	echo "target: search over 100,000 items >= $T_QUERY of the SQL run directly:" \
	    "$(verdict "$(query_ratio 'search') >= $T_QUERY")" \
	    "(ratio $(query_ratio 'search'))"
	echo
	printf '%s\n' "$WEB_OUT"
	echo "target: GET behind nginx with auth_request /auth/verify >= $T_VERIFY of nginx without:" \
	    "$(verdict "$(web_ratio 'GET behind nginx') >= $T_VERIFY")" \
	    "(ratio $(web_ratio 'GET behind nginx'))"
	echo "target: CORS preflight >= $T_PREFLIGHT of nginx:" \
	    "$(verdict "$(web_ratio 'CORS preflight') >= $T_PREFLIGHT")" \
	    "(ratio $(web_ratio 'CORS preflight'))"
	echo
	echo "The credential store, SQLite beside PostgreSQL (bench/pg/pg.sh):"
	printf '%s\n' "$PG_OUT"
	echo
	echo "How cost grows with size (bench/scale/scale.sh):"
	printf '%s\n' "$SCALE_OUT"
	echo "bench took $(( $(date +%s) - BENCH_START )) s"
} | tee "$OUT/latest.txt"

[ "$alive" -eq 1 ] || die "tokend died during the run; see $OUT/tokend.log"
[ -z "$BASELINE" ] || [ "$BASE_ALIVE" -eq 1 ] ||
    die "the baseline's tokend died during its runs; see $OUT/tokend-baseline.log"
exit 0
