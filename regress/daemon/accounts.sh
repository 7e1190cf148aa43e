#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Invites and public registration, through the outbox to the SMTP sink
# of regress/smtpsink.py: POST /users/invite and its checks in
# Directus's order, the invite mail and its token, POST
# /users/invite/accept once; POST /users/register with and without
# verification, the same answer for a new and a known address, the mail
# each gets, GET /users/register/verify-email once; a token of one kind
# refused by another; and the schema migration 6 -> 7 that keeps
# sessions and a live reset token.
. "$(dirname "$0")/../lib.sh"
need python3 sqlite3
td_init
SPORT=$(td_free_port)
SINK=
MEMBER=3b9f1c2e-6d4a-4e8b-9c1d-2f3a4b5c6d7e
INVITER=6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d
write_conf() {	# $1: register yes|no, $2: register-verify yes|no
	td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 150ms' \
	    '	invite-url-allow "http://localhost:3000/invite"' \
	    "	register $1" '	register-role "member"' \
	    '	register-email "*@example.com, *@corp.test"' \
	    "	register-verify $2" \
	    '	register-url-allow "http://localhost:3000/verify"' '}' \
	    'mail {' "	relay 127.0.0.1; port $SPORT" \
	    '	from "noreply@example.com"' '	project "Regress Co"' \
	    "	invite-template \"$TOP/etc/mail-invite.txt\"" \
	    "	verify-template \"$TOP/etc/mail-verify.txt\"" \
	    "	exists-template \"$TOP/etc/mail-exists.txt\"" '	timeout 5s' '}' \
	    "role \"member\" { id \"$MEMBER\" }" \
	    "role \"inviter\" { id \"$INVITER\"" \
	    '	permission "directus_users" create { fields "email" "role" "status" }' \
	    '}'
}
write_conf yes yes

# mail_to ADDR: the newest mail to ADDR.
mail_to() {
	grep -l "^X-Sink-To: <$1>" "$T"/sink/mail.* 2>/dev/null |
	    sort -t. -k2 -n | tail -1
}
# link_token FILE PREFIX: the token of the link that starts with PREFIX.
link_token() {
	sed -n "s|^$2?token=\([A-Za-z0-9._-]*\).*|\1|p" "$1" | tr -d '\r' |
	    tail -1
}
post() {
	http POST "$1" -H 'Content-Type: application/json' -d "$2"
}
invite() { with_token "$RA" POST /users/invite "$1"; }
status_of() {
	sqlite3 "$T/keyd/db/credentials.db" \
	    "SELECT status FROM users WHERE email = '$1' COLLATE NOCASE"
}
trap 'sink_stop; td_cleanup' EXIT

sink_start
td_up accounts
DB="$T/keyd/db/credentials.db"
echo 'admin pass' | $CTL user add -r admin root@example.com >/dev/null
echo 'inviter pass' | $CTL user add -r inviter ivy@example.com >/dev/null
echo 'plain pass' | $CTL user add pat@example.com >/dev/null
RA=$(token root@example.com 'admin pass')
IA=$(token ivy@example.com 'inviter pass')
PA=$(token pat@example.com 'plain pass')

# Invite: the body's faults first, in Directus's order and words.
r=$(invite "{\"role\":\"$MEMBER\"}")
expect invite_email_required '400 *Invalid payload. ?"email?" is required.*INVALID_PAYLOAD*' "$r"
r=$(invite '{"email":"new1@example.com"}')
expect invite_role_required '400 *?"role?" is required*' "$r"
r=$(invite "{\"email\":\"not-an-email\",\"role\":\"$MEMBER\"}")
expect invite_email_invalid '400 *?"email?" must be a valid email*' "$r"
r=$(invite "{\"email\":[\"a1@example.com\",\"bad\"],\"role\":\"$MEMBER\"}")
expect invite_email_array_invalid '400 *?"email\[1\]?" must be a valid email*' "$r"
r=$(invite '{"email":"new1@example.com","role":"abc"}')
expect invite_role_guid '400 *?"role?" must be a valid GUID*' "$r"
r=$(invite "{\"email\":\"new1@example.com\",\"role\":\"$MEMBER\",\"extra\":1}")
expect invite_extra_refused '400 *?"extra?" is not allowed*' "$r"
r=$(with_token "$RA" POST '/users/invite?fields=id' \
    "{\"email\":\"new1@example.com\",\"role\":\"$MEMBER\"}")
expect invite_query_refused '400 *INVALID_QUERY*' "$r"
# Then who asks: the public role and a role without create are refused,
# also with a URL off the list (the permission speaks first).
r=$(post /users/invite "{\"email\":\"new1@example.com\",\"role\":\"$MEMBER\"}")
expect invite_public_403 '403 *permission to ?"create?" from collection ?"directus_users?"*FORBIDDEN*' "$r"
r=$(with_token "$PA" POST /users/invite \
    "{\"email\":\"new1@example.com\",\"role\":\"$MEMBER\",\"invite_url\":\"http://evil.test/x\"}")
expect invite_no_permission_403 '403 *FORBIDDEN*' "$r"
r=$(invite "{\"email\":\"new1@example.com\",\"role\":\"$MEMBER\",\"invite_url\":\"http://evil.test/invite\"}")
expect invite_url_refused '400 *URL ?"http://evil.test/invite?" can?t be used to invite users.*INVALID_PAYLOAD*' "$r"
r=$(invite '{"email":"new1@example.com","role":"11111111-2222-4333-8444-555555555555"}')
expect invite_unknown_role '400 *INVALID_FOREIGN_KEY*' "$r"
r=$(with_token "$IA" POST /users/invite \
    '{"email":"new1@example.com","role":"a0000000-0000-4000-8000-000000000001"}')
expect invite_admin_role_by_non_admin_403 '403 *FORBIDDEN*' "$r"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE email = 'new1@example.com'")" = 0 ] &&
    [ "$(mails)" = 0 ] && ok invite_refused_writes_nothing ||
    fail invite_refused_writes_nothing "$(mails) mails"

# A good invite: 204, the user "invited" with the role and no password,
# one mail with a working link.
r=$(invite "{\"email\":\"new1@example.com\",\"role\":\"$MEMBER\",\"invite_url\":\"http://localhost:3000/invite\"}")
expect invite_204 '204 ' "$r"
row=$(sqlite3 "$DB" "SELECT status, role, coalesce(password, 'null') FROM users WHERE email = 'new1@example.com'")
[ "$row" = "invited|$MEMBER|null" ] && ok invite_user_invited || fail invite_user_invited "$row"
td_until '[ -n "$(mail_to new1@example.com)" ]' 50
M=$(mail_to new1@example.com)
[ -n "$M" ] && grep -q "^Subject: You've been invited" "$M" &&
    grep -q 'invited to Regress Co as new1@example.com' "$M" &&
    ok invite_mail || fail invite_mail "$(head -20 "$M" 2>/dev/null)"
T1=$(link_token "$M" 'http://localhost:3000/invite')
claims=$(jwt_payload "$T1")
case "$claims" in
*'"scope":"invite"'*'"iss":"directus"'*) ok invite_token_claims ;;
*) fail invite_token_claims "$claims" ;;
esac
# The user cannot sign in yet.
expect invite_no_login '401 *INVALID_CREDENTIALS*' "$(login new1@example.com x)"

# Re-invite: a new mail whose token ends the first; the role follows.
n=$(mails)
r=$(invite "{\"email\":\"NEW1@example.com\",\"role\":\"$INVITER\"}")
td_until "[ \$(mails) -gt $n ]" 50
M=$(mail_to new1@example.com)
T2=$(link_token "$M" 'http://localhost:3000/invite')
[ "$r" = '204 ' ] && [ -n "$T2" ] && [ "$T2" != "$T1" ] &&
    [ "$(sqlite3 "$DB" "SELECT role FROM users WHERE email = 'new1@example.com'")" = "$INVITER" ] &&
    ok invite_again_new_token || fail invite_again_new_token "$r $(mails)"
# An active user is left alone: 204, no mail, nothing changed.
n=$(mails)
r=$(invite "{\"email\":\"pat@example.com\",\"role\":\"$MEMBER\"}")
sleep 0.5
[ "$r" = '204 ' ] && [ "$(mails)" = "$n" ] && [ "$(status_of pat@example.com)" = active ] &&
    ok invite_active_user_untouched || fail invite_active_user_untouched "$r $(mails)/$n"
# An array: one user and one mail each, in one transaction; the
# inviter role may do it with its create permission.
n=$(mails)
r=$(with_token "$IA" POST /users/invite \
    "{\"email\":[\"arr1@example.com\",\"arr2@example.com\"],\"role\":\"$MEMBER\"}")
td_until "[ \$(mails) -ge $((n + 2)) ]" 50
[ "$r" = '204 ' ] && [ "$(status_of arr1@example.com)" = invited ] &&
    [ "$(status_of arr2@example.com)" = invited ] && ok invite_array_by_role ||
    fail invite_array_by_role "$r $(mails)/$n"
r=$(invite "{\"email\":[],\"role\":\"$MEMBER\"}")
expect invite_empty_array_204 '204 ' "$r"

# tokenctl user invite: the same invite, from the control socket.
n=$(mails)
o=$($CTL user invite -r member ctl1@example.com 2>&1)
td_until "[ \$(mails) -gt $n ]" 50
M=$(mail_to ctl1@example.com)
[ "$o" = 'invited, the mail is in the outbox' ] &&
    [ "$(sqlite3 "$DB" "SELECT status, role FROM users WHERE email = 'ctl1@example.com'")" = "invited|$MEMBER" ] &&
    [ -n "$(link_token "$M" 'http://localhost:3000/invite')" ] &&
    ok tokenctl_invite || fail tokenctl_invite "$o"
o=$($CTL user invite pat@example.com 2>&1); rc=$?
[ $rc = 1 ] && [ "$o" = 'the user has an account already: nothing done' ] &&
    ok tokenctl_invite_active_refused || fail tokenctl_invite_active_refused "$rc $o"
o=$($CTL user invite -u http://evil.test/invite ctl2@example.com 2>&1); rc=$?
[ $rc = 1 ] && [ "$(status_of ctl2@example.com)" = '' ] &&
    ok tokenctl_invite_url_refused || fail tokenctl_invite_url_refused "$rc $o"

# Accept: the body's faults, then the token.
r=$(post /users/invite/accept "{\"token\":\"$T2\"}")
expect accept_password_required '400 *?"password?" is required*' "$r"
r=$(post /users/invite/accept '{"token":"","password":"x"}')
expect accept_token_empty '400 *?"token?" is not allowed to be empty*' "$r"
r=$(post /users/invite/accept "{\"token\":\"$T2\",\"password\":\"x\",\"extra\":1}")
expect accept_extra_refused '400 *?"extra?" is not allowed*' "$r"
r=$(post /users/invite/accept '{"token":"abc.def.ghi","password":"x"}')
expect accept_bad_token '403 *INVALID_TOKEN*' "$r"
r=$(post /users/invite/accept "{\"token\":\"$T1\",\"password\":\"first pass\"}")
expect accept_superseded_token_403 '403 *FORBIDDEN*' "$r"
r=$(post /users/invite/accept "{\"token\":\"$T2\",\"password\":\"new1 pass\"}")
expect accept_204 '204 ' "$r"
[ "$(status_of new1@example.com)" = active ] && ok accept_active || fail accept_active "$(status_of new1@example.com)"
expect accept_login '200 *access_token*' "$(login new1@example.com 'new1 pass')"
r=$(post /users/invite/accept "{\"token\":\"$T2\",\"password\":\"again\"}")
expect accept_twice_400 "400 *Invalid payload. Email address new1@example.com hasn't been invited.*INVALID_PAYLOAD*" "$r"
# An invite token is no reset token, and no access token.
r=$(post /auth/password/reset "{\"token\":\"$T2\",\"password\":\"x\"}")
expect invite_token_not_reset '403 *FORBIDDEN*' "$r"
expect invite_token_not_access '403 *INVALID_TOKEN*' "$(http GET /users/me -H "Authorization: Bearer $T2")"

# Registration with verification.
r=$(post /users/register '{"password":"p"}')
expect register_email_required '400 *?"email?" is required*' "$r"
r=$(post /users/register '{"email":"reg1@example.com"}')
expect register_password_required '400 *?"password?" is required*' "$r"
r=$(post /users/register '{"email":"reg1@example.com","password":"p","role":"x"}')
expect register_role_not_allowed '400 *?"role?" is not allowed*' "$r"
r=$(post /users/register '{"email":"reg1@example.com","password":"p","first_name":""}')
expect register_name_empty '400 *?"first_name?" is not allowed to be empty*' "$r"
r=$(post /users/register '{"email":"reg1@example.com","password":"p","first_name":5}')
expect register_name_string '400 *?"first_name?" must be a string*' "$r"
# A long non-ASCII member or URL is quoted without cutting a character
# in two, which jansson would refuse (a 500; found by fuzz_register).
K="a$(printf '\303\251%.0s' $(seq 40))"
LU="http://localhost:3000/verify?$(printf '\303\251%.0s' $(seq 150))"
r=$(post /users/register "{\"$K\":1}")
expect register_utf8_key_400 "400 *?\"a$(printf '\303\251%.0s' $(seq 31))?\" is not allowed*" "$r"
r=$(post /users/register "{\"email\":\"reg1@example.com\",\"password\":\"p\",\"verification_url\":\"$LU\"}")
expect register_utf8_url_400 '400 *can?t be used to verify registered users*' "$r"
r=$(post /users/invite/accept "{\"$K\":1}")
expect accept_utf8_key_400 '400 *is not allowed*INVALID_PAYLOAD*' "$r"
r=$(post /auth/password/request "{\"email\":\"pat@example.com\",\"reset_url\":\"$LU\"}")
expect reset_utf8_url_400 '400 *can?t be used to reset passwords*' "$r"
r=$(post /users/register '{"email":"reg1@example.com","password":"p","verification_url":"http://evil.test/verify"}')
expect register_url_refused '400 *URL ?"http://evil.test/verify?" can?t be used to verify registered users.*' "$r"
t0=$(date +%s%N)
r=$(post /users/register '{"email":"x1@elsewhere.test","password":"p"}')
t1=$(date +%s%N)
[ "$(( (t1 - t0) / 1000000 ))" -ge 150 ] && [[ $r == '403 '*FORBIDDEN* ]] &&
    ok register_email_pattern_403_stalled || fail register_email_pattern_403_stalled "$r"
n=$(mails)
t0=$(date +%s%N)
r=$(post /users/register '{"email":"reg1@example.com","password":"reg1 pass","first_name":"Reg","last_name":"One","verification_url":"http://localhost:3000/verify?a=b"}')
t1=$(date +%s%N)
cp "$T/h" "$T/h.new"
expect register_204 '204 ' "$r"
row=$(sqlite3 "$DB" "SELECT status, role, first_name, last_name FROM users WHERE email = 'reg1@example.com'")
[ "$row" = "unverified|$MEMBER|Reg|One" ] && ok register_unverified || fail register_unverified "$row"
expect register_no_login_yet '401 *INVALID_CREDENTIALS*' "$(login reg1@example.com 'reg1 pass')"
td_until '[ -n "$(mail_to reg1@example.com)" ]' 50
M=$(mail_to reg1@example.com)
grep -q '^Subject: Verify your email address' "$M" 2>/dev/null &&
    ok register_verify_mail || fail register_verify_mail "$(head -20 "$M" 2>/dev/null)"
V1=$(sed -n 's|^http://localhost:3000/verify?a=b&token=\([A-Za-z0-9._-]*\).*|\1|p' "$M" | tr -d '\r' | tail -1)
case "$(jwt_payload "$V1")" in
*'"scope":"pending-registration"'*) ok register_token_scope ;;
*) fail register_token_scope "$(jwt_payload "$V1")" ;;
esac
# A known address: the same answer and headers in the same time, a mail
# that says so, nothing changed.
n=$(mails)
t2=$(date +%s%N)
r=$(post /users/register '{"email":"PAT@example.com","password":"other","first_name":"Changed"}')
t3=$(date +%s%N)
hn=$(grep -v -i '^date:' "$T/h.new" | cut -d: -f1 | sort | tr '\n' ' ')
hk=$(grep -v -i '^date:' "$T/h" | cut -d: -f1 | sort | tr '\n' ' ')
[ "$r" = '204 ' ] && [ "$hn" = "$hk" ] && ok register_known_same_answer ||
    fail register_known_same_answer "$r|$hn|$hk"
k=$(( (t3 - t2) / 1000000 )) u=$(( (t1 - t0) / 1000000 ))
[ $k -ge 150 ] && [ $u -ge 150 ] && ok register_stalled || fail register_stalled "new ${u}ms known ${k}ms"
td_until '[ -n "$(mail_to pat@example.com)" ]' 50
M=$(mail_to pat@example.com)
grep -q 'has an account already' "$M" 2>/dev/null && ! grep -q token= "$M" &&
    [ "$(sqlite3 "$DB" "SELECT coalesce(first_name,'-') FROM users WHERE email = 'pat@example.com'")" = - ] &&
    ok register_known_mail_says_so || fail register_known_mail_says_so "$(head -20 "$M" 2>/dev/null)"
expect register_known_password_kept '200 *access_token*' "$(login pat@example.com 'plain pass')"
# Unverified again: the verification mail again, a new token ending the
# first; the row does not change.
n=$(mails)
r=$(post /users/register '{"email":"reg1@example.com","password":"changed","verification_url":"http://localhost:3000/verify"}')
td_until "[ \$(mails) -gt $n ]" 50
M=$(mail_to reg1@example.com)
V2=$(link_token "$M" 'http://localhost:3000/verify')
[ "$r" = '204 ' ] && [ -n "$V2" ] && [ "$V2" != "$V1" ] && ok register_unverified_mail_again ||
    fail register_unverified_mail_again "$r"

# Verify: the query, the token, once.
r=$(http GET '/users/register/verify-email')
expect verify_no_token_403 '403 *INVALID_TOKEN*' "$r"
r=$(http GET "/users/register/verify-email?token=$V2&x=1")
expect verify_extra_param_400 '400 *INVALID_QUERY*' "$r"
r=$(http GET "/users/register/verify-email?token=$V2&token=$V2")
expect verify_token_twice_400 '400 *INVALID_QUERY*' "$r"
r=$(http GET "/users/register/verify-email?token=$T2")
expect verify_invite_token_403 '403 *FORBIDDEN*' "$r"
r=$(http GET "/users/register/verify-email?token=$V1")
expect verify_superseded_403 '403 *FORBIDDEN*' "$r"
r=$(http GET "/users/register/verify-email?token=$V2")
expect verify_204 '204 ' "$r"
expect verify_login '200 *access_token*' "$(login reg1@example.com 'reg1 pass')"
r=$(http GET "/users/register/verify-email?token=$V2")
expect verify_twice_400 '400 *Invalid payload. Invalid verification code.*INVALID_PAYLOAD*' "$r"
r=$(post /users/invite/accept "{\"token\":\"$V2\",\"password\":\"x\"}")
expect verify_token_not_invite '403 *FORBIDDEN*' "$r"

# Header injection: a CR or LF in any value that could reach a mail
# (the address, the link) is refused before anything is written.
n=$(mails)
r1=$(invite "{\"email\":\"inj1@example.com\\r\\nBcc: eve@evil.test\",\"role\":\"$MEMBER\"}")
r2=$(invite "{\"email\":\"inj2@example.com\",\"role\":\"$MEMBER\",\"invite_url\":\"http://localhost:3000/invite\\r\\nBcc: eve@evil.test\"}")
r3=$(post /users/register '{"email":"inj3@example.com\r\nBcc: eve@evil.test","password":"p"}')
r4=$(post /users/register '{"email":"inj4@example.com","password":"p","verification_url":"http://localhost:3000/verify?x=\nBcc:eve@evil.test"}')
r5=$(post /users/register '{"email":"inj5@example.com","password":"p","verification_url":"http://localhost:3000/verify?x=a b"}')
sleep 0.5
case "$r1|$r2|$r3|$r4|$r5" in
400*'|'400*'|'400*'|'400*'|'400*)
	[ "$(mails)" = "$n" ] && ! grep -ql 'eve@evil' "$T"/sink/mail.* &&
	    [ "$(sqlite3 "$DB" "SELECT count(*) FROM users WHERE email LIKE 'inj%'")" = 0 ] &&
	    ok accounts_header_injection_refused ||
	    fail accounts_header_injection_refused "mail or user written" ;;
*)	fail accounts_header_injection_refused "$r1|$r2|$r3|$r4|$r5" ;;
esac

# Registration off, then on without verification (a reload).
write_conf no yes
td_reload >/dev/null
r=$(post /users/register '{"email":"reg2@example.com","password":"p"}')
expect register_off_403 '403 *FORBIDDEN*' "$r"
write_conf yes no
td_reload >/dev/null
r=$(post /users/register '{"email":"reg2@example.com","password":"reg2 pass"}')
[ "$r" = '204 ' ] && [ "$(status_of reg2@example.com)" = active ] &&
    ok register_no_verify_active || fail register_no_verify_active "$r $(status_of reg2@example.com)"
expect register_no_verify_login '200 *access_token*' "$(login reg2@example.com 'reg2 pass')"
# register-role must name a role without admin access.
cp "$T/tokend.conf" "$T/bad.conf"
sed -i 's/register-role "member"/register-role "nosuch"/' "$T/bad.conf"
conf_refused register_role_unknown "$T/bad.conf" 'register-role "nosuch": no such role'

# The migration from schema 6: users rebuilt with the foreign keys off
# keep their sessions, and a live reset token stays live; the index of
# the sessions' expiry goes (11); a session of the token format before
# (64 random characters, found by its hash) still refreshes, and gets a
# token of the current format (12).
{ kill -TERM $TD_PID; wait $TD_PID; } 2>/dev/null
PR=$(head -c 48 /dev/urandom | base64 | tr '+/' '-_')
PRH=$(printf %s "$PR" | sha256sum | cut -c1-64)
sqlite3 "$DB" <<'EOF'
PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE audit;
DROP TABLE user_policies;
DROP TABLE sessions;
CREATE TABLE sessions (
  token_hash BLOB PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires INTEGER NOT NULL,
  ip TEXT, user_agent TEXT, origin TEXT,
  next_hash BLOB, family BLOB
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_family ON sessions(family);
CREATE INDEX sessions_expires ON sessions(expires);
CREATE TABLE users_old AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password TEXT,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN
    ('active','suspended','archived','draft','invited')),
  role TEXT,
  first_name TEXT, last_name TEXT, location TEXT, title TEXT,
  description TEXT, tags TEXT, avatar TEXT,
  language TEXT, appearance TEXT, theme_light TEXT,
  theme_dark TEXT, email_notifications INTEGER NOT NULL DEFAULT 1,
  token_hash BLOB UNIQUE,
  tfa_secret TEXT,
  last_access INTEGER, last_page TEXT,
  provider TEXT NOT NULL DEFAULT 'default',
  external_identifier TEXT,
  tfa_last_step INTEGER
);
INSERT INTO users SELECT * FROM users_old WHERE status != 'unverified';
DROP TABLE users_old;
CREATE TABLE password_resets (user_id TEXT PRIMARY KEY NOT NULL,
  jti TEXT NOT NULL, expires INTEGER NOT NULL);
INSERT INTO password_resets SELECT user_id, jti, expires FROM mail_tokens
  WHERE scope = 'password-reset';
DROP TABLE mail_tokens;
PRAGMA user_version = 6;
COMMIT;
EOF
sqlite3 "$DB" "INSERT INTO sessions (token_hash, user_id, expires, family)
    SELECT X'$PRH', id, (strftime('%s', 'now') + 3600) * 1000, X'$PRH'
    FROM users WHERE email = 'pat@example.com'"
v=$(sqlite3 "$DB" 'PRAGMA user_version')
td_start || { fail migrate_start "$(tail -5 "$T/log")"; exit 1; }
v2=$(sqlite3 "$DB" 'PRAGMA user_version')
r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$PR\",\"mode\":\"json\"}")
NR=$(j refresh_token)
[ "$v" = 6 ] && [ "$v2" = 12 ] && [[ $r == '200 '*access_token* ]] &&
    grep -q 'store: migrated to schema version 7' "$T/log" &&
    ok migrate_7_keeps_sessions || fail migrate_7_keeps_sessions "$v $v2 $r"
r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$NR\",\"mode\":\"json\"}")
[ ${#PR} = 64 ] && [ ${#NR} = 60 ] && [[ $r == '200 '*access_token* ]] &&
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM sessions WHERE token_hash
	IS NULL AND gen = 1 AND family = X'$PRH'")" = 1 ] &&
    ok migrate_12_legacy_token_upgraded ||
    fail migrate_12_legacy_token_upgraded "${#PR} ${#NR} $r"
sqlite3 "$DB" "UPDATE users SET status = 'unverified' WHERE email = 'reg2@example.com'" &&
    ok migrate_7_unverified_allowed || fail migrate_7_unverified_allowed
[ "$(sqlite3 "$DB" 'PRAGMA foreign_key_check' | wc -l)" = 0 ] &&
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'password_resets'")" = 0 ] &&
    ok migrate_7_clean || fail migrate_7_clean
[ "$(sqlite3 "$DB" "SELECT count(*) FROM sqlite_schema WHERE name = 'sessions_expires'")" = 0 ] &&
    grep -q 'store: migrated to schema version 11' "$T/log" &&
    ok migrate_11_no_expiry_index || fail migrate_11_no_expiry_index
