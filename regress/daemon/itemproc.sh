#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The item process: it alone holds the item store (the workers have no
# descriptor of it and, as root, cannot open it: another user's 0700
# directory), it runs as its own user in its chroot, and it believes a
# worker only what keyd's ticket says.  A compromised worker is played
# by the selftest build, which tampers with the ticket it passes on
# (header X-Selftest-Ticket, see server/items.c): every change to the
# ticket is refused and logged, a dropped ticket is the public role.
. "$(dirname "$0")/../lib.sh"
need sqlite3
td_init
READER=6b4d1f9f-3c2e-4d7f-8a8b-2c3d4e5f6071
SELFTEST="$TOP/server/tokend-selftest"
[ -x "$SELFTEST" ] || { fail itemproc_selftest "no $SELFTEST: make check builds it"; exit 1; }
TOKEND=$SELFTEST
td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
    'collection "articles" {' '	fields "title" "status"' '}' \
    'role "reader" {' "	id \"$READER\"" \
    '	permission "articles" read {' '		fields "id" "title"' \
    "		filter '{\"status\":{\"_eq\":\"published\"}}'" '	}' '}' \
    'public {' '}'
td_start || { fail itemproc_start "$(grep -v restarting $T/log | head -20)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'reader pass' | $CTL user add -r reader rita@example.com >/dev/null
AD=$(token root@example.com 'admin pass')
RD=$(token rita@example.com 'reader pass')
http GET /users/me -H "Authorization: Bearer $AD" >/dev/null; AD_ID=$(j id)
DB="$T/empty/data/items.db"
td_until td_items_ready 50

# Who holds the store: a descriptor of items.db in each item process,
# none in any worker.
holds() { ls -l /proc/$1/fd 2>/dev/null | grep -c "items\.db$"; }
bad=
for p in $(td_items); do [ "$(holds $p)" -ge 1 ] || bad="$bad items:$p"; done
for p in $(td_servers); do [ "$(holds $p)" -eq 0 ] || bad="$bad server:$p"; done
[ -n "$(td_items)" ] && [ -z "$bad" ] && ok itemproc_only_items_hold_store ||
    fail itemproc_only_items_hold_store "items [$(td_items)] servers [$(td_servers)]$bad"
[ "$(td_items | wc -w)" -eq "$(td_servers | wc -w)" ] &&
    ok itemproc_one_per_worker ||
    fail itemproc_one_per_worker "$(td_items | wc -w) $(td_servers | wc -w)"
if is_root; then
	iu=$(id -u _tokend_items) su=$(id -u _tokend)
	bad=
	for p in $(td_items); do
		[ "$(awk '/^Uid:/ { print $2 }' /proc/$p/status)" = "$iu" ] &&
		    [ "$(readlink /proc/$p/root)" = "$T/empty" ] || bad="$bad $p"
	done
	[ -z "$bad" ] && ok itemproc_own_user_chroot ||
	    fail itemproc_own_user_chroot "$bad"
	st=$(stat -c '%a %U' "$T/empty/data")
	r=$(setpriv --reuid=_tokend --regid=_tokend --init-groups \
	    cat "$DB" 2>&1 >/dev/null)
	[ "$st" = "700 _tokend_items" ] && [ -n "$r" ] &&
	    ok itemproc_worker_user_cannot_open || fail itemproc_worker_user_cannot_open "$st $r"
	bad=
	for p in $(td_items); do
		grep -q '^Seccomp:[[:space:]]*2' /proc/$p/status || bad="$bad $p"
	done
	[ -z "$bad" ] && ok itemproc_sandboxed || fail itemproc_sandboxed "$bad"
else
	skip itemproc_own_user_chroot "not root"
	skip itemproc_worker_user_cannot_open "not root"
	skip itemproc_sandboxed "not root"
fi

# Honest requests first: the ticket works.
as() {	# TOKEN TAMPER METHOD PATH [curl args]
	_t=$1 _x=$2 _m=$3 _p=$4
	shift 4
	[ -n "$_t" ] && set -- "$@" -H "Authorization: Bearer $_t"
	[ -n "$_x" ] && set -- "$@" -H "X-Selftest-Ticket: $_x"
	http "$_m" "$_p" "$@"
}
post() {	# TOKEN TAMPER BODY
	as "$1" "$2" POST /items/articles -H 'Content-Type: application/json' -d "$3"
}
r=$(post "$AD" "" '{"title":"one","status":"published"}')
r2=$(post "$AD" "" '{"title":"two","status":"draft"}')
case "$r $r2" in "200 "*'"title":"one"'*"200 "*'"title":"two"'*)
	ok itemproc_admin_writes ;;
*) fail itemproc_admin_writes "$r $r2" ;; esac
r=$(as "$RD" "" GET /items/articles)
case "$r" in '200 {"data":[{"id":1,"title":"one"}]}') ok itemproc_reader_reads ;;
*) fail itemproc_reader_reads "$r" ;; esac
r=$(as "" "" GET /items/articles)
case "$r" in "403 "*FORBIDDEN*) ok itemproc_public_refused ;;
*) fail itemproc_public_refused "$r" ;; esac

# A compromised worker: each change to a ticket is refused, and said.
forged() {	# NAME TOKEN TAMPER METHOD PATH [curl args]
	_n=$1
	shift
	_r=$(as "$@")
	case "$_r" in "403 "*'"code":"FORBIDDEN"'*) ok "$_n" ;;
	*) fail "$_n" "$_r" ;; esac
}
forged itemproc_forged_admin_read "$RD" admin GET /items/articles
forged itemproc_forged_admin_write "$RD" admin POST /items/articles \
    -H 'Content-Type: application/json' -d '{"title":"evil"}'
forged itemproc_forged_role "$RD" "role=admin" GET /items/articles
forged itemproc_forged_user "$RD" "user=$AD_ID" GET /items/articles
forged itemproc_forged_expiry "$RD" later GET /items/articles
forged itemproc_forged_mac "$AD" mac DELETE /items/articles/2
rows=$(sqlite3 "$DB" 'SELECT count(*) FROM items_articles' 2>&1)
[ "$rows" = 2 ] && ok itemproc_forgeries_wrote_nothing ||
    fail itemproc_forgeries_wrote_nothing "$rows"
td_until 'grep -q "with a forged ticket" "$T/log"' 20 &&
    ok itemproc_forgery_logged || fail itemproc_forgery_logged "$(tail -3 $T/log)"
# Without its ticket an admin's request is the public role's.
r=$(as "$AD" none GET /items/articles)
case "$r" in "403 "*FORBIDDEN*) ok itemproc_no_ticket_is_public ;;
*) fail itemproc_no_ticket_is_public "$r" ;; esac
# The worker's honest requests still work after all that.
r=$(as "$AD" "" GET '/items/articles/2')
case "$r" in '200 {"data":{"id":2,"title":"two","status":"draft"}}')
	ok itemproc_still_serves ;;
*) fail itemproc_still_serves "$r" ;; esac
# No process died of it.
grep -q "killed by signal\|exited with status" "$T/log" &&
    fail itemproc_nothing_died "$(grep 'killed by signal\|exited with' $T/log | head -3)" ||
    ok itemproc_nothing_died

# A killed item process is replaced and linked again: to its worker and
# to keyd, whose key it needs for the next ticket.
victim=$(td_items | head -1)
kill -9 "$victim"
td_until "[ \"\$(td_items | wc -w)\" -eq 2 ] && ! td_items | grep -qx $victim" 50
td_until td_items_ready 50
good=0
for i in $(seq 1 20); do
	r=$(as "$AD" "" GET '/items/articles/1')
	case "$r" in "200 "*'"title":"one"'*) good=$((good + 1)) ;; esac
done
[ $good -eq 20 ] && ok itemproc_respawned_serves || fail itemproc_respawned_serves "$good of 20: $r"
