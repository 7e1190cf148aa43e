#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The audit trail (keyd/audit.c): every authentication event once, with
# its user, subject, address and user agent, never a token, password,
# code or secret; the reason of a failed login for the operator only;
# GET /activity in Directus's shape for administrators only, with
# filter, sort, paging and meta; tokenctl audit and audit -f; rows
# nothing may change; pruning after audit-retention.
. "$(dirname "$0")/../lib.sh"
need python3 sqlite3
td_init
SPORT=$(td_free_port)
write_conf() {	# $1: audit-retention
	td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 10ms' \
	    '	session-grace 0' "	audit-retention $1" \
	    '	invite-url-allow "http://localhost:3000/invite"' \
	    '	register yes' '	register-verify yes' \
	    '	register-email "*@example.com"' \
	    '	register-url-allow "http://localhost:3000/verify"' \
	    '	reset-url-allow "http://localhost:3000/reset"' '}' \
	    'mail {' "	relay 127.0.0.1; port $SPORT" \
	    '	from "noreply@example.com"' '	project "Regress Co"' \
	    "	reset-template \"$TOP/etc/mail-reset.txt\"" \
	    "	invite-template \"$TOP/etc/mail-invite.txt\"" \
	    "	verify-template \"$TOP/etc/mail-verify.txt\"" \
	    "	exists-template \"$TOP/etc/mail-exists.txt\"" '	timeout 5s' '}'
}
write_conf 90d
python3 "$TOP/regress/smtpsink.py" -q "$SPORT" "$T/sink" &
TD_PIDS="$TD_PIDS $!"
td_until "(exec 3<>/dev/tcp/127.0.0.1/$SPORT) 2>/dev/null" 50
td_up audit
CDB="$T/keyd/db/credentials.db"
sql() { sqlite3 -cmd '.timeout 5000' "$CDB" "$1"; }
post() { http POST "$1" -H 'Content-Type: application/json' "${@:3}" -d "$2"; }
mail_to() {
	grep -l "^X-Sink-To: <$1>" "$T"/sink/mail.* 2>/dev/null |
	    sort -t. -k2 -n | tail -1
}
link_token() {
	sed -n "s|^$2?token=\([A-Za-z0-9._-]*\).*|\1|p" "$1" | tr -d '\r' |
	    tail -1
}
# Every password, token and code used: none may be stored anywhere in
# the database; the tokens of mails (MAILED) not in the audit trail (the
# outbox holds the mails themselves until they are sent).
SECRETS=()
MAILED=()
code() { td_totp "$1" "$2"; }
UA='audit-test/1.0'

# The events, one of each (and a few twice).
ANN=$(echo 'ann pass 1' | $CTL user add -r admin ann@example.com)
BOB=$(echo 'bob pass 1' | $CTL user add bob@example.com)
SECRETS+=('ann pass 1' 'bob pass 1')
r=$(login ann@example.com 'ann pass 1'); RT1=$(j refresh_token)
SECRETS+=("$RT1" "$(j access_token)")
r=$(http POST /auth/login -A "$UA" -H 'Origin: http://app.example' \
    -H 'Content-Type: application/json' \
    -d '{"email":"ann@example.com","password":"wrong pass 9"}')
r=$(login nobody@example.com 'nobody pass 9')
SECRETS+=('wrong pass 9' 'nobody pass 9')
r=$(post /auth/refresh "{\"refresh_token\":\"$RT1\"}" -A "$UA"); RT2=$(j refresh_token)
SECRETS+=("$RT2")
sleep 0.01
r=$(post /auth/refresh "{\"refresh_token\":\"$RT1\"}")	# reused: ends it
expect audit_reuse_refused '401 *' "$r"
r=$(login ann@example.com 'ann pass 1'); RT3=$(j refresh_token); SECRETS+=("$RT3")
r=$(post /auth/logout "{\"refresh_token\":\"$RT3\"}" -A "$UA")
r=$(post /auth/logout "{\"refresh_token\":\"$RT3\"}")	# nothing to end
AT=$(token ann@example.com 'ann pass 1'); SECRETS+=("$AT")
AUTH=(-H "Authorization: Bearer $AT")
patch_bob() {
	http PATCH "/users/$BOB" "${AUTH[@]}" -A "$UA" \
	    -H 'Content-Type: application/json' -d "$1"
}
r=$(patch_bob '{"password":"bob pass 2"}'); SECRETS+=('bob pass 2')
expect audit_patch_password '200 *' "$r"
r=$(patch_bob '{"token":"static-token-0123456789-abcdef"}')
SECRETS+=('static-token-0123456789-abcdef')
r=$(patch_bob '{"status":"suspended"}')
r=$(patch_bob '{"status":"active"}')
BT=$(token bob@example.com 'bob pass 2'); SECRETS+=("$BT")
r=$(http POST /users/me/tfa/generate -H "Authorization: Bearer $BT" \
    -H 'Content-Type: application/json' -d '{"password":"bob pass 2"}')
TS=$(j secret); SECRETS+=("$TS")
C0=$(code "$TS" 0)
r=$(http POST /users/me/tfa/enable -H "Authorization: Bearer $BT" -A "$UA" \
    -H 'Content-Type: application/json' -d "{\"secret\":\"$TS\",\"otp\":\"$C0\"}")
expect audit_tfa_enabled '204 *' "$r"
C1=$(code "$TS" 1)
r=$(http POST /users/me/tfa/disable -H "Authorization: Bearer $BT" \
    -H 'Content-Type: application/json' -d "{\"otp\":\"$C1\"}")
expect audit_tfa_disabled '204 *' "$r"
SID=$($CTL session list bob@example.com | cut -f1 | head -1)
$CTL session revoke "$SID" >/dev/null
$CTL user token ann@example.com >/dev/null
r=$(post /users '{"email":"carl@example.com","password":"carl pass 1"}' "${AUTH[@]}")
CARL=$(j id); SECRETS+=('carl pass 1')
r=$(http DELETE "/users/$CARL" "${AUTH[@]}")
expect audit_api_delete '204 *' "$r"
$CTL user delete bob@example.com >/dev/null
td_reload >/dev/null
$CTL user invite dora@example.com >/dev/null
td_until '[ -n "$(mail_to dora@example.com)" ]' 50
IT=$(link_token "$(mail_to dora@example.com)" 'http://localhost:3000/invite')
MAILED+=("$IT"); SECRETS+=('dora pass 1')
r=$(post /users/invite/accept "{\"token\":\"$IT\",\"password\":\"dora pass 1\"}")
expect audit_invite_accepted '204 *' "$r"
DORA=$(sql "SELECT id FROM users WHERE email = 'dora@example.com'")
r=$(post /users/register '{"email":"eve@example.com","password":"eve pass 1","verification_url":"http://localhost:3000/verify"}')
td_until '[ -n "$(mail_to eve@example.com)" ]' 50
VT=$(link_token "$(mail_to eve@example.com)" 'http://localhost:3000/verify')
MAILED+=("$VT"); SECRETS+=('eve pass 1')
r=$(http GET "/users/register/verify-email?token=$VT")
expect audit_verified '204 *' "$r"
EVE=$(sql "SELECT id FROM users WHERE email = 'eve@example.com'")
r=$(post /auth/password/request '{"email":"ann@example.com","reset_url":"http://localhost:3000/reset"}')
td_until '[ -n "$(mail_to ann@example.com)" ]' 50
PT=$(link_token "$(mail_to ann@example.com)" 'http://localhost:3000/reset')
MAILED+=("$PT"); SECRETS+=('ann pass 2')
r=$(post /auth/password/reset "{\"token\":\"$PT\",\"password\":\"ann pass 2\"}")
expect audit_reset_done '204 *' "$r"

# row ACTION USER ITEM [COUNT] [MORE SQL]: the rows of ACTION by USER
# ("" for NULL) to ITEM ("" for NULL) number COUNT (1).
row() {
	local u i n
	[ -n "$2" ] && u="user_id = '$2'" || u='user_id IS NULL'
	[ -n "$3" ] && i="item = '$3' AND collection = 'directus_users'" ||
	    i='item IS NULL AND collection IS NULL'
	n=$(sql "SELECT count(*) FROM audit WHERE action = '$1' AND $u AND $i ${5:-}")
	[ "$n" = "${4:-1}" ] && ok "audit_row_$1${6:-}" ||
	    fail "audit_row_$1${6:-}" "$n rows: $(sql "SELECT * FROM audit WHERE action = '$1'")"
}
L="AND ip = '127.0.0.1'"
row create '' "$ANN" 1 '' _ann
row create '' "$BOB" 1 '' _bob
row create "$ANN" "$CARL" 1 "$L" _api
row login "$ANN" "$ANN" 3 "$L"
row login "$BOB" "$BOB" 1 "$L" _bob
row login_failed '' "$ANN" 1 "$L AND user_agent = '$UA' AND origin = 'http://app.example' AND reason = 'wrong password'"
row login_failed '' '' 1 "$L AND reason = 'unknown email'" _unknown
row refresh "$ANN" "$ANN" 1 "$L AND user_agent = '$UA'"
row refresh_reuse '' "$ANN" 1 "$L"
row logout "$ANN" "$ANN" 1 "$L AND user_agent = '$UA'"
row password "$ANN" "$BOB" 1 "$L AND user_agent = '$UA'"
row static_token "$ANN" "$BOB" 1 "$L" _api
row static_token '' "$ANN" 1 "AND ip IS NULL" _ctl
row suspend "$ANN" "$BOB" 1 "$L"
row activate "$ANN" "$BOB" 1 "$L"
row tfa_enable "$BOB" "$BOB" 1 "$L AND user_agent = '$UA'"
row tfa_disable "$BOB" "$BOB" 1 "$L"
row session_revoke '' '' 1 "AND reason = 'session $SID'"
row delete "$ANN" "$CARL" 1 "$L" _api
row delete '' "$BOB" 1 '' _ctl
row config_reload '' '' 1
row invite '' "$DORA" 1
row invite_accept '' "$DORA" 1 "$L"
row register '' "$EVE" 1 "$L"
row verify_email '' "$EVE" 1 "$L"
row password_reset_request '' "$ANN" 1 "$L"
row password_reset '' "$ANN" 1 "$L"
n=$(sql "SELECT count(*) FROM audit")
[ "$n" = 29 ] && ok audit_no_other_rows ||
    fail audit_no_other_rows "$n: $(sql 'SELECT action FROM audit')"

# Nothing of a password, token, code or secret in the database files.
bad=
for s in "${SECRETS[@]}"; do
	[ -n "$s" ] || continue
	grep -qaF -- "$s" "$CDB" "$CDB-wal" 2>/dev/null && bad="$bad [$s]"
	sql "SELECT * FROM audit" | grep -qF -- "$s" && bad="$bad audit[$s]"
done
for s in "${MAILED[@]}"; do
	sql "SELECT * FROM audit" | grep -qF -- "$s" && bad="$bad audit[$s]"
	sql "SELECT * FROM audit" | grep -qF -- "${s##*.}" && bad="$bad mac[$s]"
done
[ -z "$bad" ] && [ "${#SECRETS[@]}" -ge 15 ] && ok audit_no_secret_stored ||
    fail audit_no_secret_stored "${#SECRETS[@]}:$bad"

# Append-only: the database itself refuses a change of a row.
sql "UPDATE audit SET action = 'x' WHERE id = 1" 2>/dev/null &&
    fail audit_rows_unchangeable || ok audit_rows_unchangeable

# GET /activity: Directus's shape, for administrators only.
AT=$(token ann@example.com 'ann pass 2')
AUTH=(-H "Authorization: Bearer $AT")
r=$(http GET /activity "${AUTH[@]}")
echo "${r#* }" | python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
keys = ["id", "action", "user", "timestamp", "ip", "user_agent",
    "collection", "item", "origin", "revisions"]
assert len(d) == 30, len(d)
assert all(list(x) == keys for x in d), d[0]
assert [x["id"] for x in d] == sorted(x["id"] for x in d)
f = [x for x in d if x["action"] == "login_failed" and x["item"]][0]
assert f["user"] is None and f["ip"] == "127.0.0.1", f
assert f["user_agent"] == "audit-test/1.0" and f["origin"] == "http://app.example"
assert f["revisions"] == [] and f["collection"] == "directus_users"
import re
assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", f["timestamp"]), f
' 2>"$T/py" && ok audit_activity_shape || fail audit_activity_shape "$(cat "$T/py") ${r:0:200}"
case "$r" in *"wrong password"*|*"unknown email"*|*reason*)
	fail audit_reason_internal ;; *) ok audit_reason_internal ;; esac
r=$(http GET '/activity?filter=%7B%22action%22:%7B%22_eq%22:%22login_failed%22%7D%7D&fields=action,item&meta=total_count,filter_count' "${AUTH[@]}")
expect audit_activity_filter "200 {\"data\":[{\"action\":\"login_failed\",\"item\":\"$ANN\"},{\"action\":\"login_failed\",\"item\":null}],\"meta\":{\"total_count\":30,\"filter_count\":2}}" "$r"
r=$(http GET '/activity?sort=-id&limit=1&fields=id,action' "${AUTH[@]}")
expect audit_activity_sort_limit '200 {"data":[{"id":30,"action":"login"}]}' "$r"
r=$(http GET '/activity?sort=id&limit=2&page=2&fields=id' "${AUTH[@]}")
expect audit_activity_page '200 {"data":[{"id":3},{"id":4}]}' "$r"
r=$(http GET '/activity?sort=id&limit=1&offset=5&fields=id' "${AUTH[@]}")
expect audit_activity_offset '200 {"data":[{"id":6}]}' "$r"
r=$(http GET '/activity/2?fields=action,item' "${AUTH[@]}")
expect audit_activity_one "200 {\"data\":{\"action\":\"create\",\"item\":\"$BOB\"}}" "$r"
r=$(http GET '/activity/9999' "${AUTH[@]}")
expect audit_activity_one_missing '403 *FORBIDDEN*' "$r"
r=$(http GET '/activity?filter=%7B%22timestamp%22:%7B%22_gte%22:%222000-01-01%22%7D%7D&meta=filter_count&limit=0' "${AUTH[@]}")
expect audit_activity_filter_time '200 {"data":[],"meta":{"filter_count":30}}' "$r"
r=$(http GET '/activity?filter=%7B%22user%22:%7B%22_eq%22:%22$CURRENT_USER%22%7D%7D&meta=filter_count&limit=0' "${AUTH[@]}")
expect audit_activity_current_user '200 {"data":[],"meta":{"filter_count":12}}' "$r"
r=$(http GET '/activity?sort=nosuch' "${AUTH[@]}")
same audit_activity_bad_sort '403 {"errors":[{"message":"You don'"'"'t have permission to access field \"nosuch\" in collection \"directus_activity\" or it does not exist.","extensions":{"code":"FORBIDDEN"}}]}' "$r"
r=$(http GET '/activity?fields=reason' "${AUTH[@]}")
case "$r" in '403 '*'field \"reason\" in collection'*) ok audit_activity_no_reason_field ;;
*) fail audit_activity_no_reason_field "$r" ;; esac
r=$(http GET '/activity?filter=%7B%22reason%22:%7B%22_nnull%22:true%7D%7D' "${AUTH[@]}")
expect audit_activity_no_reason_filter '403 *FORBIDDEN*' "$r"
r=$(http GET '/activity?limit=abc' "${AUTH[@]}")
expect audit_activity_bad_limit '400 *INVALID_QUERY*' "$r"
r=$(http GET '/activity?filter=nojson' "${AUTH[@]}")
expect audit_activity_bad_filter '400 *INVALID_QUERY*' "$r"
r=$(http GET '/activity?fields=user.email' "${AUTH[@]}")
case "$r" in 4[0-9][0-9]" "*) ok audit_activity_relation_refused ;;
*) fail audit_activity_relation_refused "$r" ;; esac
r=$(http GET '/activity?search=login' "${AUTH[@]}")
same audit_activity_search_refused '400 {"errors":[{"message":"Invalid query. \"search\" is not a parameter of /activity.","extensions":{"code":"INVALID_QUERY"}}]}' "$r"
r=$(http GET '/activity?aggregate%5Bcount%5D=*' "${AUTH[@]}")
case "$r" in '400 '*'aggregate\" is not a parameter'*) ok audit_activity_aggregate_refused ;;
*) fail audit_activity_aggregate_refused "$r" ;; esac
r=$(http GET "/activity?limit=1&fields=id&access_token=$AT")
expect audit_activity_access_token '200 {"data":[{"id":1}]}' "$r"
for m in DELETE PATCH POST; do
	r=$(http $m /activity/1 "${AUTH[@]}" -H 'Content-Type: application/json' -d '{}')
	expect "audit_activity_${m}_none" '404 *' "$r"
done
DT=$(token dora@example.com 'dora pass 1')
r=$(http GET /activity -H "Authorization: Bearer $DT")
same audit_activity_not_admin '403 {"errors":[{"message":"You don'"'"'t have permission to access collection \"directus_activity\" or it does not exist.","extensions":{"code":"FORBIDDEN"}}]}' "$r"
r=$(http GET /activity)
expect audit_activity_public '403 *FORBIDDEN*' "$r"

# tokenctl audit: every row, with the reason; -f follows.
n=$(sql "SELECT count(*) FROM audit")
out=$($CTL audit)
[ "$(echo "$out" | wc -l)" = "$n" ] &&
    echo "$out" | grep -q "	login_failed	-	$ANN	127.0.0.1	wrong password	" &&
    ok tokenctl_audit || fail tokenctl_audit "$n: $(echo "$out" | tail -3)"
: > "$T/follow"
$CTL audit -f >> "$T/follow" 2>&1 &
FOLLOW=$!
td_until "[ \$(wc -l < '$T/follow') -ge $n ]" 50
r=$(login dora@example.com 'dora pass 1')
td_until "[ \$(wc -l < '$T/follow') -gt $n ]" 50 &&
    tail -1 "$T/follow" | grep -q "^$((n + 1))	.*	login	$DORA	$DORA	" &&
    ok tokenctl_audit_follow || fail tokenctl_audit_follow "$(tail -2 "$T/follow")"
kill "$FOLLOW"; wait "$FOLLOW" 2>/dev/null
$CTL audit -x >/dev/null 2>&1 && fail tokenctl_audit_usage ||
    ok tokenctl_audit_usage

# A login the lockout refuses (its first refusal): a failure with the
# lockout's reason.
for i in 1 2 3; do r=$(login eve@example.com "eve wrong $i"); done
r=$(login eve@example.com 'eve wrong 4')
expect audit_lockout_refused '429 *' "$r"
[ "$(sql "SELECT count(*) FROM audit WHERE action = 'login_failed' AND item = '$EVE' AND reason = 'wrong password'")" = 3 ] &&
    [ "$(sql "SELECT count(*) FROM audit WHERE action = 'login_failed' AND item = '$EVE' AND reason LIKE 'a failure on this account%'")" = 1 ] &&
    ok audit_row_lockout || fail audit_row_lockout "$(sql "SELECT reason FROM audit WHERE item = '$EVE'")"

# A short retention: keyd prunes what is older, and only that.
write_conf 2s
td_reload >/dev/null
td_until "[ \$(sql 'SELECT count(*) FROM audit WHERE id <= $n') = 0 ]" 80 &&
    ok audit_pruned || fail audit_pruned "$(sql 'SELECT count(*) FROM audit')"
r=$(login dora@example.com 'dora pass 1')
[ "$(sql "SELECT count(*) FROM audit WHERE action = 'login' AND timestamp > (strftime('%s','now') - 1) * 1000")" = 1 ] &&
    ok audit_new_rows_kept || fail audit_new_rows_kept
grep -q "schema version 8" "$T/log" && ok audit_schema_8 ||
    fail audit_schema_8 "$(grep 'schema' "$T/log" | tail -1)"
