# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The generators of bench/scale/scale.sh, for it and for
# regress/daemon/scalegen.sh; sourced after regress/lib.sh.
#
# scale_host NAME DATABASE N: a tokend in $ROOT/NAME (T, PORT, URL its,
# DATABASE "" for SQLite, else a PostgreSQL URI whose psql is
# SCALE_PSQL) with N generated users and live sessions (gen.py): the
# template user is made with tokenctl and logged in once (its session,
# its access token in $T/jwt), tokend is stopped, gen.py copies the
# template N times, and tokend starts again.  SCALE_SEED must be set.
# The time the copies took, in seconds, is in $T/gen-seconds.
# Returns 1 with the reason on stderr.
SCALE_TEMPLATE=scale-template@example.com
SCALE_PASSWORD=scale-pass
SCALE_GEN="$TOP/bench/scale/gen.py"

scale_host() {
	local name=$1 db=$2 n=$3 r file own t0
	td_pg_host "$name" "$db" "${TD_FAST_PASSWORD[@]}" 'auth {' \
	    '	login-stall 1ms' '	access-ttl 1d' '}'
	td_start || { echo "scale: $name did not start: $(tail -5 "$T/log")" >&2
	    return 1; }
	echo "$SCALE_PASSWORD" | $TOKENCTL -s "$T/tokend.sock" user add \
	    "$SCALE_TEMPLATE" > /dev/null ||
	    { echo "scale: $name: user add failed" >&2; return 1; }
	r=$(login "$SCALE_TEMPLATE" "$SCALE_PASSWORD")
	case $r in 200*) ;; *) echo "scale: $name: login: $r" >&2; return 1 ;; esac
	j access_token > "$T/jwt"
	kill -TERM "$TD_PID"
	wait "$TD_PID" 2>/dev/null
	t0=$(date +%s.%N)
	if [ -z "$db" ]; then
		file=$T/keyd/db/credentials.db
		own=$(stat -c %u:%g "$file")
		python3 "$SCALE_GEN" sqlite "$file" "$SCALE_TEMPLATE" \
		    "$SCALE_SEED" "$n" || return 1
		chown "$own" "$file"*
	else
		python3 "$SCALE_GEN" pgsql "$SCALE_TEMPLATE" "$SCALE_SEED" "$n" |
		    (cd "$ROOT/pg" && $SCALE_PSQL -f -) > "$T/gen.log" 2>&1 ||
		    { echo "scale: $name: $(tail -3 "$T/gen.log")" >&2; return 1; }
	fi
	echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f\n", $1 - $2 }' \
	    > "$T/gen-seconds"
	td_start || { echo "scale: $name did not start again: $(tail -5 "$T/log")" >&2
	    return 1; }
}

# scale_files N K: in $T, K of the N copies spread over them:
# refresh (their refresh tokens), users (email and password) and
# tokens (access tokens, from $T/jwt and $T/secret).
scale_files() {
	python3 "$SCALE_GEN" refresh "$T/secret" "$SCALE_SEED" "$1" "$2" > "$T/refresh" &&
	python3 "$SCALE_GEN" users "$SCALE_SEED" "$1" "$2" "$SCALE_PASSWORD" \
	    > "$T/users" &&
	python3 "$SCALE_GEN" jwts "$T/secret" "$(cat "$T/jwt")" "$SCALE_SEED" \
	    "$1" "$2" > "$T/tokens"
}
