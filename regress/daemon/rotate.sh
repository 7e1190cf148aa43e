#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Key rotation (tokenctl key rotate | list, signing rotate-every), for
# HS256, EdDSA and ES256: a token signed before a rotation still
# verifies after it, with tokend and with jose (asymmetric), and so does
# a refresh token; new tokens carry the new kid; once the overlap is
# over (access-ttl and session-ttl 60s: 90 s with the 30 s margin)
# the replaced keys leave the key set and the disk, and their tokens are
# INVALID_TOKEN; a restart keeps the state; a state and key files left
# by a kill at any point give a usable key set; requests with old- and
# new-key tokens during rotations all succeed; rotate-every rotates.
# Each algorithm runs in a daemon of its own, at the same time.
. "$(dirname "$0")/../lib.sh"
need python3 openssl
td_sdk jose_interop
OUT=$(mktemp -d /tmp/tokend-rotate.XXXXXX) || exit 1
trap 'rm -rf "$OUT"' EXIT
AUTH=('auth {' '	login-stall 10ms' '	access-ttl 60s' '	session-ttl 60s' '}')

hdr() { printf %s "$1" | cut -d. -f1 | tr '_-' '/+' |
    awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d 2>/dev/null; }
kid() { hdr "$1" | sed -n 's/.*"kid":"\([^"]*\)".*/\1/p'; }
me() { http GET /users/me -H "Authorization: Bearer $1"; }
stop() { kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null; }
nkeys() { $CTL key list 2>/dev/null | tail -n +2 | grep -c .; }
current() { $CTL key list 2>/dev/null | awk '$4 == "current" { print $1 }'; }
jwks_has() { curl -s -m 5 "$URL/.well-known/jwks.json" | grep -q "\"kid\":\"$1\""; }
jose() { (cd "$IO" && node jwks.mjs "$URL" "$@" 2>&1); }
# Every file of keys/ but state is a key the state names, and back.
disk_matches() {
	local f k
	for f in "$KD"/*; do
		k=$(basename "$f")
		[ "$k" = state ] && continue
		grep -q "^${k%.key} .* file$" "$KD/state" || return 1
	done
	for k in $(awk '$6 == "file" && $4 != "removed" { print $1 }' "$KD/state"); do
		[ -f "$KD/$k.key" ] || return 1
	done
}
up() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${AUTH[@]}" 'signing {' \
	    "	algorithm $1" ${2:+"	rotate-every $2"} '}'
	td_up "$3"
	KD="$T/keyd/db/keys"
}

# One algorithm from its first key to the removal of the replaced ones.
rotate_alg() {
	local alg=$1 a=$(echo "$1" | tr A-Z a-z) K0 K1 K2 OLD MID NEW RT r ID
	TD_PIDS=
	td_init
	up "$alg" "" "rotate_${a}"
	echo 'user pass' | $CTL user add dana@example.com >/dev/null
	OLD=$(token dana@example.com 'user pass')
	RT=$(j refresh_token)
	K0=$(kid "$OLD")
	http GET '/users/me?fields=id' -H "Authorization: Bearer $OLD" >/dev/null
	ID=$(j id)
	[ "$(current)" = "$K0" ] && [ "$(nkeys)" = 1 ] &&
	    ok "rotate_${a}_list_one_current" ||
	    fail "rotate_${a}_list_one_current" "$($CTL key list 2>&1)"
	r=$($CTL key rotate 2>&1)
	K1=$(current)
	case "$r" in "key $K1 is current; $K0 verifies until "*)
		[ "$K1" != "$K0" ] && ok "rotate_${a}_rotate" ||
		    fail "rotate_${a}_rotate" "$r" ;;
	*) fail "rotate_${a}_rotate" "$r" ;; esac
	MID=$(token dana@example.com 'user pass')
	[ "$(kid "$MID")" = "$K1" ] && ok "rotate_${a}_new_token_new_kid" ||
	    fail "rotate_${a}_new_token_new_kid" "$(hdr "$MID") / $K1"
	$CTL key rotate >/dev/null 2>&1
	K2=$(current)
	NEW=$(token dana@example.com 'user pass')
	[ "$(kid "$NEW")" = "$K2" ] && [ "$K2" != "$K1" ] &&
	    ok "rotate_${a}_second_rotation" ||
	    fail "rotate_${a}_second_rotation" "$(hdr "$NEW") / $K2"
	r=$($CTL key list 2>&1)
	[ "$(echo "$r" | grep -c "retiring until 20")" = 2 ] &&
	    echo "$r" | grep -q "^$K2 *$alg .* current$" &&
	    ok "rotate_${a}_list_states" || fail "rotate_${a}_list_states" "$r"
	expect "rotate_${a}_old_token_verifies" '200 *dana@example.com*' "$(me "$OLD")"
	expect "rotate_${a}_mid_token_verifies" '200 *dana@example.com*' "$(me "$MID")"
	expect "rotate_${a}_new_token_verifies" '200 *dana@example.com*' "$(me "$NEW")"
	r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
	    -d "{\"refresh_token\":\"$RT\"}")
	case "$r" in "200 "*) [ "$(kid "$(j access_token)")" = "$K2" ] &&
	    ok "rotate_${a}_refresh_across_rotation" ||
	    fail "rotate_${a}_refresh_across_rotation" "$r" ;;
	*) fail "rotate_${a}_refresh_across_rotation" "$r" ;; esac
	if [ "$alg" != HS256 ]; then
		jwks_has "$K0" && jwks_has "$K1" && jwks_has "$K2" &&
		    ok "rotate_${a}_jwks_all_three" ||
		    fail "rotate_${a}_jwks_all_three" "$(http GET /.well-known/jwks.json)"
		r=$(jose "$alg" "$OLD" "$MID" "$NEW")
		[ "$r" = "verified $ID
verified $ID
verified $ID" ] && ok "rotate_${a}_jose_verifies_all" ||
		    fail "rotate_${a}_jose_verifies_all" "$r"
	fi
	# The key set is cached for no longer than the overlap (90 s).
	r=$(curl -s -m 5 -D - -o /dev/null "$URL/.well-known/jwks.json" |
	    tr -d '\r' | sed -n 's/^[Cc]ache-[Cc]ontrol: public, max-age=\([0-9]*\)$/\1/p')
	[ -n "$r" ] && [ "$r" -le 90 ] && ok "rotate_${a}_jwks_max_age_within_overlap" ||
	    fail "rotate_${a}_jwks_max_age_within_overlap" "max-age $r"
	[ "$(stat -c %a "$KD/$K1.key" 2>/dev/null)" = 600 ] && disk_matches &&
	    ok "rotate_${a}_key_files_0600" ||
	    fail "rotate_${a}_key_files_0600" "$(ls -l "$KD" 2>&1)"
	# A restart keeps the keys and their state.
	stop
	td_up "rotate_${a}_restart"
	[ "$(current)" = "$K2" ] && [ "$(nkeys)" = 3 ] &&
	    ok "rotate_${a}_restart_keeps_state" ||
	    fail "rotate_${a}_restart_keeps_state" "$($CTL key list 2>&1)"
	expect "rotate_${a}_restart_old_verifies" '200 *dana@example.com*' "$(me "$OLD")"
	expect "rotate_${a}_restart_mid_verifies" '200 *dana@example.com*' "$(me "$MID")"
	# The overlap ends: K0 and K1 leave, K1's file with them.
	td_until '[ "$(nkeys)" = 1 ]' 1800 && ok "rotate_${a}_replaced_keys_leave" ||
	    fail "rotate_${a}_replaced_keys_leave" "$($CTL key list 2>&1)"
	[ "$(current)" = "$K2" ] && ! jwks_has "$K0" && ! jwks_has "$K1" &&
	    ok "rotate_${a}_jwks_without_old" ||
	    fail "rotate_${a}_jwks_without_old" "$(http GET /.well-known/jwks.json)"
	[ ! -e "$KD/$K1.key" ] && [ -f "$KD/$K2.key" ] && disk_matches &&
	    ok "rotate_${a}_old_file_removed" ||
	    fail "rotate_${a}_old_file_removed" "$(ls "$KD"; cat "$KD/state")"
	expect "rotate_${a}_old_token_refused" '403 *INVALID_TOKEN*' "$(me "$OLD")"
	expect "rotate_${a}_mid_token_refused" '403 *INVALID_TOKEN*' "$(me "$MID")"
	if [ "$alg" != HS256 ]; then
		r=$(jose "$alg" "$OLD" "$MID")
		[ "$r" = "refused ERR_JWKS_NO_MATCHING_KEY
refused ERR_JWKS_NO_MATCHING_KEY" ] && ok "rotate_${a}_jose_refuses_old" ||
		    fail "rotate_${a}_jose_refuses_old" "$r"
	fi
	# The configured key, removed, is not taken back at the next start.
	stop
	td_up "rotate_${a}_restart_after"
	NEW=$(token dana@example.com 'user pass')
	[ "$(current)" = "$K2" ] && [ "$(nkeys)" = 1 ] &&
	    [ "$(kid "$NEW")" = "$K2" ] &&
	    ok "rotate_${a}_removed_config_key_stays_out" ||
	    fail "rotate_${a}_removed_config_key_stays_out" "$($CTL key list 2>&1)"
	expect "rotate_${a}_after_restart_new" '200 *dana@example.com*' "$(me "$NEW")"
	stop
}

# What a kill -9 can leave on disk, and a kill -9 during rotations.
rotate_kills() {
	local K0 K1 OLD r i pub k
	TD_PIDS=
	td_init
	up EdDSA "" rotate_kill
	echo 'user pass' | $CTL user add dana@example.com >/dev/null
	OLD=$(token dana@example.com 'user pass')
	K0=$(kid "$OLD")
	$CTL key rotate >/dev/null 2>&1
	K1=$(current)
	stop
	# Killed after the key file and before the state: an orphan key,
	# and temporary files of either.
	openssl genpkey -algorithm ed25519 -out "$T/orphan.pem" 2>/dev/null
	openssl pkey -in "$T/orphan.pem" -pubout -out "$T/orphan.pub" 2>/dev/null
	pub=$(python3 "$TOP/regress/jwtforge.py" thumb "$T/orphan.pub")
	install -m 600 "$T/orphan.pem" "$KD/$pub.key"
	echo partial > "$KD/state.tmp"
	echo partial > "$KD/xyz.key.tmp"
	td_up rotate_kill_orphans
	[ "$(current)" = "$K1" ] && [ "$(nkeys)" = 2 ] && [ ! -e "$KD/$pub.key" ] &&
	    [ ! -e "$KD/state.tmp" ] && [ ! -e "$KD/xyz.key.tmp" ] &&
	    ok rotate_kill_orphans_removed ||
	    fail rotate_kill_orphans_removed "$(ls "$KD"; $CTL key list 2>&1)"
	expect rotate_kill_orphans_old_verifies '200 *dana@example.com*' "$(me "$OLD")"
	stop
	# A state whose current key's file is lost: the newest key left signs.
	rm -f "$KD/$K1.key"
	td_up rotate_kill_lost_current
	r=$(token dana@example.com 'user pass')
	[ "$(current)" = "$K0" ] && [ "$(kid "$r")" = "$K0" ] &&
	    ok rotate_kill_lost_current_falls_back ||
	    fail rotate_kill_lost_current_falls_back "$($CTL key list 2>&1)"
	expect rotate_kill_lost_current_token '200 *dana@example.com*' "$(me "$r")"
	# kill -9 of keyd at several points of a rotation: the parent starts
	# it again, and every time the key set on disk is whole and signs.
	local whole=1
	for i in 0 0.001 0.005 0.01 0.03 0.06; do
		$CTL key rotate >/dev/null 2>&1 &
		sleep $i
		kill -KILL $(td_keyd) 2>/dev/null
		wait $! 2>/dev/null
		# Both workers reach the new keyd.
		td_until 'r=$(token dana@example.com "user pass"); [ -n "$r" ] &&
		    r2=$(token dana@example.com "user pass") && [ -n "$r2" ]' 100
		if ! disk_matches || [ "$(kid "$r")" != "$(current)" ] ||
		    [ "$(me "$r" | cut -c1-3)" != 200 ]; then
			fail "rotate_kill_keyd_$i" "$(ls "$KD"; cat "$KD/state"; echo "token $r"; me "$r"; disk_matches || echo disk)"
			whole=0
			break
		fi
		# Never more than the store takes: let the next rotations in.
		[ "$(nkeys)" -ge 7 ] && break
	done
	[ $whole = 1 ] && ok rotate_kill_keyd_during_rotate
	# kill -9 of the parent: keyd follows it; the next start is whole.
	local kids=$(ps -o pid= --ppid "$TD_PID")
	$CTL key rotate >/dev/null 2>&1 &
	kill -KILL "$TD_PID"
	wait "$TD_PID" 2>/dev/null
	td_until '! ps -o pid= -p "$(echo $kids | tr " " ,)" >/dev/null' 100
	td_up rotate_kill_parent
	r=$(token dana@example.com 'user pass')
	if disk_matches && [ "$(kid "$r")" = "$(current)" ]; then
		expect rotate_kill_parent_whole '200 *dana@example.com*' "$(me "$r")"
	else
		fail rotate_kill_parent_whole "$(ls "$KD"; cat "$KD/state")"
	fi
	stop
	# A state deleted by hand: its keys verify for an overlap, the
	# configured key signs.
	td_up rotate_state_lost
	r=$(token dana@example.com 'user pass')
	k=$(current)
	[ "$k" != "$K0" ] && ok rotate_state_lost_before || fail rotate_state_lost_before "$k"
	stop
	rm -f "$KD/state"
	td_up rotate_state_lost_start
	[ "$(current)" = "$K0" ] && $CTL key list | grep -q "^$k .* retiring until" &&
	    ok rotate_state_lost_keys_adopted ||
	    fail rotate_state_lost_keys_adopted "$($CTL key list 2>&1)"
	expect rotate_state_lost_token_verifies '200 *dana@example.com*' "$(me "$r")"
	stop
	# A key file that others may read is refused, as the secret is.
	chmod 0644 "$(ls "$KD"/*.key | head -1)"
	: > "$T/log"
	td_start >/dev/null 2>&1
	td_until 'grep -q "accessible" "$T/log"' 100 &&
	    ok rotate_key_file_open_refused ||
	    fail rotate_key_file_open_refused "$(tail -3 "$T/log")"
	stop
}

# Requests with old- and new-key tokens while keys rotate: none fails.
rotate_load() {
	local A B C n bad
	TD_PIDS=
	td_init
	PREFORK=2 up ES256 "" rotate_load
	echo 'user pass' | $CTL user add dana@example.com >/dev/null
	A=$(token dana@example.com 'user pass')
	loop() { while [ ! -e "$T/stop" ]; do
		curl -s -o /dev/null -m 5 -w '%{http_code}\n' \
		    -H "Authorization: Bearer $1" "$URL/users/me"; done; }
	loop "$A" > "$T/codes.a" &
	local p1=$!
	$CTL key rotate >/dev/null
	B=$(token dana@example.com 'user pass')
	loop "$B" > "$T/codes.b" &
	local p2=$!
	$CTL key rotate >/dev/null
	C=$(token dana@example.com 'user pass')
	loop "$C" > "$T/codes.c" &
	local p3=$!
	$CTL key rotate >/dev/null
	td_until '[ "$(cat "$T"/codes.* | wc -l)" -ge 300 ]' 300
	touch "$T/stop"
	wait $p1 $p2 $p3
	n=$(cat "$T"/codes.* | wc -l)
	bad=$(cat "$T"/codes.* | grep -vc '^200$')
	[ "$n" -ge 100 ] && [ "$bad" = 0 ] && ok rotate_under_load_no_failure ||
	    fail rotate_under_load_no_failure "$bad of $n failed: $(sort "$T"/codes.* | uniq -c | tr '\n' ' ')"
	[ "$(kid "$A")" != "$(kid "$C")" ] && ok rotate_under_load_kids_differ ||
	    fail rotate_under_load_kids_differ
	stop
}

# signing rotate-every: keyd rotates on its own; the old token verifies.
rotate_auto() {
	local A K0
	TD_PIDS=
	td_init
	up HS256 10s rotate_auto
	echo 'user pass' | $CTL user add dana@example.com >/dev/null
	A=$(token dana@example.com 'user pass')
	K0=$(kid "$A")
	td_until '[ "$(nkeys)" -ge 2 ]' 300 && [ "$(current)" != "$K0" ] &&
	    ok rotate_every_rotates || fail rotate_every_rotates "$($CTL key list 2>&1)"
	r=$(token dana@example.com 'user pass')
	[ "$(kid "$r")" = "$(current)" ] && ok rotate_every_new_kid ||
	    fail rotate_every_new_kid "$(hdr "$r")"
	expect rotate_every_old_verifies '200 *dana@example.com*' "$(me "$A")"
	stop
}

for job in "rotate_alg HS256" "rotate_alg EdDSA" "rotate_alg ES256" \
    rotate_kills rotate_load rotate_auto; do
	( $job ) > "$OUT/${job// /_}" 2>&1 &
done
wait
for f in "$OUT"/*; do cat "$f"; done
grep -q '^FAILED' "$OUT"/* && exit 1
exit 0
