#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# make bench-scale: how cost grows with size (issue 19).  On each backend
# (SQLite, and PostgreSQL on a throwaway cluster, regress/lib.sh's
# td_pg_start) two tokends with the same configuration, one on a small
# credential database (BENCH_SCALE_SMALL users and as many live
# sessions, 1,000) and one on a large one (BENCH_SCALE_LARGE, 1,000,000),
# made by bench/scale/gen.py (copies of a user made by tokenctl and of
# its login's session, written with SQL; bench/scale/lib.sh).  Each
# round takes turns over the backends and sizes:
#	cold	GET /users/me with BENCH_SCALE_TOKENS distinct access tokens
#		of users spread over the whole table (bench/tokens.lua):
#		each misses the workers' cache, keyd reads the user
#	refresh	POST /auth/refresh with refresh tokens of sessions spread
#		over the table, each used once (bench/refresh.lua; the large
#		database's pool is BENCH_SCALE_POOL sessions, the small one's
#		all of them)
#	login	POST /auth/login of BENCH_SCALE_LOGINS users spread over the
#		table (bench/login.lua), hashing at its cheapest (memory 1M)
# Target: each request on the large database keeps at least 0.8 of its
# rate on the small one.  Beside each rate, keyd's CPU time (all its
# threads, /proc) per good answer: what the store costs keyd, which a
# shared machine's noise moves far less than the rates.  Also the size of the database per user and
# per session: the growth of the users and sessions tables with their
# indexes from the small to the large database, over the rows added
# (SQLite: dbstat's pages; PostgreSQL: pg_total_relation_size).
#
# Knobs: BENCH_SECONDS (each run, 5), BENCH_ROUNDS (3), BENCH_SCALE_SMALL
# (1000), BENCH_SCALE_LARGE (1000000), BENCH_SCALE_TOKENS (50000),
# BENCH_SCALE_POOL (100000), BENCH_SCALE_LOGINS (1000),
# BENCH_SCALE_BACKENDS ("sqlite pg"), BENCH_SCALE_REQUESTS ("cold refresh
# login": the requests measured, a subset in that order).
. "$(dirname "$0")/../../regress/lib.sh"
need wrk python3 curl sqlite3
START=$(date +%s)
SECS=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
NS=${BENCH_SCALE_SMALL:-1000}
NL=${BENCH_SCALE_LARGE:-1000000}
NTOK=${BENCH_SCALE_TOKENS:-50000}
NPOOL=${BENCH_SCALE_POOL:-100000}
NLOGIN=${BENCH_SCALE_LOGINS:-1000}
BACKENDS=${BENCH_SCALE_BACKENDS:-sqlite pg}
REQUESTS=${BENCH_SCALE_REQUESTS:-cold refresh login}
CONNS=50
TARGET=0.8
TD_QUIET=1
PREFORK=$(nproc 2>/dev/null || echo 2)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
td_init
ROOT=$T
. "$TOP/bench/scale/lib.sh"
SCALE_SEED=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
if [[ " $BACKENDS " == *" pg "* ]]; then
	td_pg_start
	case $? in
	0) ;;
	*) echo "bench-scale: no PostgreSQL: $TD_PG_WHY" >&2; exit 1 ;;
	esac
	T=$ROOT
	td_pg 'CREATE DATABASE tokend_large' || exit 1
fi

# size NAME: "users-bytes sessions-bytes" of host NAME's tables with
# their indexes.
size() {
	local db=$ROOT/$1/keyd/db/credentials.db
	case $1 in
	sqlite-*) sqlite3 "$db" "SELECT (SELECT sum(pgsize) FROM dbstat
		WHERE name IN (SELECT name FROM sqlite_master WHERE
		tbl_name = 'users')), (SELECT sum(pgsize) FROM dbstat WHERE
		name IN (SELECT name FROM sqlite_master WHERE tbl_name =
		'sessions'))" | tr '|' ' ' ;;
	pg-small) (cd "$ROOT/pg" && $PG_PSQL -c "SELECT
		pg_total_relation_size('users') || ' ' ||
		pg_total_relation_size('sessions')") ;;
	pg-large) (cd "$ROOT/pg" && ${PG_PSQL% -d tokend} -d tokend_large -c "SELECT
		pg_total_relation_size('users') || ' ' ||
		pg_total_relation_size('sessions')") ;;
	esac
}

HOSTS=""
for b in $BACKENDS; do
	for z in small large; do
		n=$NS
		[ $z = small ] || n=$NL
		case $b-$z in
		sqlite-*) db="" ;;
		pg-small) db=$PG_URI; SCALE_PSQL=$PG_PSQL ;;
		pg-large) db=${PG_URI/\/tokend\?//tokend_large?}
			SCALE_PSQL="${PG_PSQL% -d tokend} -d tokend_large" ;;
		esac
		echo "bench-scale: $b-$z: $n users and sessions" >&2
		scale_host "$b-$z" "$db" "$n" || exit 1
		k=$NPOOL
		[ "$k" -le "$n" ] || k=$n
		python3 "$SCALE_GEN" refresh "$T/secret" "$SCALE_SEED" "$n" "$k" > "$T/pool"
		python3 "$SCALE_GEN" users "$SCALE_SEED" "$n" "$NLOGIN" \
		    "$SCALE_PASSWORD" > "$T/users"
		python3 "$SCALE_GEN" jwts "$T/secret" "$(cat "$T/jwt")" \
		    "$SCALE_SEED" "$n" "$NTOK" > "$T/tokens"
		r=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(tail -1 "$T/tokens")" "$URL/users/me")
		[ "$r" = 200 ] || { echo "bench-scale: $b-$z: a minted token got $r" >&2; exit 1; }
		echo "$URL" > "$T/url"
		td_keyd > "$T/keyd-pid"
		echo "$b-$z $n $(cat "$T/gen-seconds") $(size "$b-$z")" >> "$ROOT/sizes"
		HOSTS="$HOSTS $b-$z"
		echo "bench-scale: $b-$z: made in $(cat "$T/gen-seconds") s" >&2
	done
done
T=$ROOT

# wrkrun NAME ARGS...: "req/s p50ms p99ms errors" of one run.
wrkrun() {
	local name=$1
	shift
	BENCH_THREADS=1 wrk -t1 -c$CONNS -d"${SECS}"s --timeout 30s --latency \
	    "$@" > "$T/wrk-$name" 2>&1
	cat "$T/wrk-$name" >> "$T/wrk-raw"
	awk -f "$TOP/bench/wrk.awk" "$T/wrk-$name"
}

# ticks PID: the CPU time of a process (all its threads), in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run HOST SCENARIO ROUND: one measured run, into $T/results: wrk's
# figures, then keyd's CPU time (all its threads) over the run in
# microseconds per good answer.
run() {
	local h=$1 s=$2 r=$3 d=$ROOT/$1 u res k t0 cpu
	u=$(cat "$d/url")
	k=$(cat "$d/keyd-pid")
	t0=$(ticks "$k")
	case $s in
	cold)	res=$(BENCH_TOKENS="$d/tokens" wrkrun "$h-$s-$r" \
		    -s "$TOP/bench/tokens.lua" "$u/users/me") ;;
	refresh) res=$(BENCH_POOL="$d/pool" wrkrun "$h-$s-$r" \
		    -s "$TOP/bench/refresh.lua" "$u/auth/refresh") ;;
	login)	res=$(BENCH_USERS="$d/users" wrkrun "$h-$s-$r" \
		    -s "$TOP/bench/login.lua" "$u/auth/login") ;;
	esac
	cpu=$(awk -v a="$t0" -v b="$(ticks "$k")" -v hz="$(getconf CLK_TCK)" \
	    -v n="${res%% *}" -v t="$SECS" \
	    'BEGIN { printf "%.0f", (n > 0 ? (b - a) / hz * 1e6 / (n * t) : 0) }')
	echo "${h%-*} ${h#*-} $s $r $res $cpu" >> "$T/results"
	echo "bench-scale: round $r $h $s: $res, keyd $cpu us" >&2
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: > "$T/results"
for r in $(seq 1 "$ROUNDS"); do
	for s in $REQUESTS; do
		for b in $BACKENDS; do
			if [ $((r % 2)) -eq 1 ]; then order="small large"
			else order="large small"; fi
			for z in $order; do run "$b-$z" $s $r; done
		done
	done
done
for h in $HOSTS; do
	grep -qE 'exited|killed by signal|restarting' "$T/$h/log" &&
	    echo "bench-scale: host $h: $(grep -E 'exited|killed by signal|restarting' "$T/$h/log" | head -2)" >&2
done

m() { awk -v b=$1 -v z=$2 -v s=$3 -v c=$4 '$1 == b && $2 == z && $3 == s { print $c }' "$T/results" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "tokend bench-scale $(date -u '+%Y-%m-%d %H:%M UTC'), nproc $(nproc), wrk -t1 -c$CONNS -d${SECS}s, median of $ROUNDS alternated runs; $NS against $NL users and sessions; load average $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo
printf '| %-7s | %-7s | %12s | %12s | %6s | %11s | %11s | %6s | %16s |\n' backend request \
    'small req/s' 'large req/s' ratio 'small p99ms' 'large p99ms' errors \
    'keyd us s/l'
echo '|---------|---------|-------------:|-------------:|-------:|------------:|------------:|-------:|-----------------:|'
: > "$T/verdicts"
for b in $BACKENDS; do
	for s in $REQUESTS; do
		rs=$(m $b small $s 5)
		rl=$(m $b large $s 5)
		q=$(ratio "$rl" "$rs")
		e=$(awk -v b=$b -v s=$s '$1 == b && $3 == s { e += $8 } END { print e + 0 }' "$T/results")
		printf '| %-7s | %-7s | %12.0f | %12.0f | %6s | %11s | %11s | %6s | %16s |\n' \
		    $b $s "$rs" "$rl" "$q" "$(m $b small $s 7)" "$(m $b large $s 7)" "$e" \
		    "$(m $b small $s 9) / $(m $b large $s 9)"
		if awk -v q="$q" -v t=$TARGET -v e="$e" 'BEGIN { exit !(q >= t && e == 0) }'; then
			echo "met: $b $s large/small $q >= $TARGET, errors $e" >> "$T/verdicts"
		else
			echo "NOT met: $b $s large/small $q >= $TARGET, errors $e" >> "$T/verdicts"
		fi
	done
done
echo
for b in $BACKENDS; do
	for s in $REQUESTS; do
		echo "per-round $b $s large/small: $(awk -v b=$b -v s=$s '$1 == b && $3 == s { v[$2 " " $4] = $5; if ($4 > n) n = $4 }
		    END { for (r = 1; r <= n; r++) printf "%s%.2f", (r > 1 ? " " : ""), (v["small " r] > 0 ? v["large " r] / v["small " r] : 0) }' "$T/results")"
	done
done
# Bytes per user and per session: the growth from small to large.
for b in $BACKENDS; do
	awk -v b=$b '$1 == b "-small" { n0 = $2; u0 = $4; s0 = $5; g0 = $3 }
	    $1 == b "-large" { n1 = $2; u1 = $4; s1 = $5; g1 = $3 }
	    END { printf "%s size: %.0f bytes per user, %.0f bytes per session (users %.1f MiB, sessions %.1f MiB with their indexes at %d; generated in %s s and %s s)\n",
		b, (u1 - u0) / (n1 - n0), (s1 - s0) / (n1 - n0), u1 / 1048576, s1 / 1048576, n1, g0, g1 }' "$T/sizes"
done
f=$ROOT/sqlite-large/keyd/db/credentials.db
[ -f "$f" ] && echo "sqlite file: $(stat -c %s "$f") bytes at $NL users and sessions, $(stat -c %s "$ROOT/sqlite-small/keyd/db/credentials.db") at $NS (after the runs: retired tokens and login sessions added)"
cat "$T/verdicts"
mkdir -p "$TOP/bench/out"
cp "$T/wrk-raw" "$TOP/bench/out/scale-wrk-raw.txt" 2>/dev/null
echo "bench-scale took $(($(date +%s) - START)) s"
