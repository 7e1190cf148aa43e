#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Session mode without the refresh token inside the JWT: the session
# claim names the session by the SHA-256 of its refresh token, the
# refresh token travels in the refresh cookie only, and a leaked session
# token cannot refresh.  The whole session flow still works: /users/me
# with the session cookie, refresh (also from several tabs at once),
# logout, a new password, tokenctl session revoke.
. "$(dirname "$0")/../lib.sh"
need sha256sum
td_init
td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 10ms' \
    '	session-grace 1s' '}'
td_up session
echo 'sam pass' | $CTL user add sam@example.com >/dev/null

# cookie NAME [FILE]: the value a Set-Cookie of the last answer gave NAME.
cookie() {
	sed -n "s/^[Ss]et-[Cc]ookie: $1=\([^;]*\);.*/\1/p" "${2:-$T/h}" |
	    tr -d '\r' | tail -1
}
claim() {
	jwt_payload "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"
}
# The session key a refresh token names (keyd/auth.c, auth_session_key()):
# its session's id, generation and salt, then 12 zero bytes, in base64url.
skey() {
	python3 -c 'import base64, sys
t = sys.argv[1]
b = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
print(base64.urlsafe_b64encode(b[1:21] + bytes(12)).decode().rstrip("="))' "$1"
}
# cookies SESSION REFRESH: the Cookie header a browser would send (with
# its Origin: a cookie alone does not pass the cross-site check).
cookies() {
	echo "Cookie: directus_session_token=$1; directus_refresh_token=$2"
}
refresh_session() {
	http POST /auth/refresh -H 'Content-Type: application/json' \
	    -H "Origin: $URL" -d '{"mode":"session"}' "$@"
}

r=$(login sam@example.com 'sam pass' session)
[ "$r" = '200 {"data":{"expires":86400000}}' ] && ok session_login ||
    fail session_login "$r"
SK=$(cookie directus_session_token); RK=$(cookie directus_refresh_token)
SID=$(claim "$SK" session)
payload=$(jwt_payload "$SK")

# The JWT names its session without carrying the refresh token: the
# refresh token is in its own cookie, and neither the claim nor any
# part of the JWT, decoded or not, holds it.
if [ -n "$SID" ] && [ ${#RK} -eq 60 ] && [ "$SID" != "$RK" ] &&
    [[ $SID != *"$RK"* && $payload != *"$RK"* && $SK != *"$RK"* ]]; then
	ok session_claim_not_refresh_token
else
	fail session_claim_not_refresh_token "claim $SID, refresh cookie '$RK'"
fi
# ... it is the session key the refresh token names, not its MAC.
[ "$SID" = "$(skey "$RK")" ] && ok session_claim_is_key ||
    fail session_claim_is_key "$SID"
grep -i '^set-cookie: directus_refresh_token=' "$T/h" | grep -qi 'HttpOnly' &&
    ok session_refresh_cookie_httponly ||
    fail session_refresh_cookie_httponly "$(grep -i '^set-cookie' "$T/h")"

# The claim is no refresh token, in the body or in the refresh cookie.
r=$(http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$SID\"}")
case "$r" in "401 "*INVALID_CREDENTIALS*) ok session_claim_refused_as_refresh ;;
*) fail session_claim_refused_as_refresh "$r" ;; esac
r=$(refresh_session -H "$(cookies "$SK" "$SID")")
case "$r" in "401 "*INVALID_CREDENTIALS*) ok session_claim_refused_as_refresh_cookie ;;
*) fail session_claim_refused_as_refresh_cookie "$r" ;; esac
# The session token alone (leaked through a URL or a log) cannot refresh.
r=$(refresh_session -H "Cookie: directus_session_token=$SK")
case "$r" in "400 "*INVALID_PAYLOAD*) ok session_jwt_alone_cannot_refresh ;;
*) fail session_jwt_alone_cannot_refresh "$r" ;; esac
r=$(http GET "/users/me?fields=email&access_token=$SK")
[ "$r" = '200 {"data":{"email":"sam@example.com"}}' ] && ok session_jwt_is_access ||
    fail session_jwt_is_access "$r"
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "200 "*sam@example.com*) ok session_cookie_me ;; *) fail session_cookie_me "$r" ;; esac

# Refresh with the browser's cookies: both rotate; tabs refreshing at
# once all get the same successor; the old session cookie lives out the
# grace period, then dies.
pids=""
for i in 1 2 3 4; do
	curl -s -m 10 -D "$T/sh$i" -o /dev/null -X POST -H "Origin: $URL" \
	    -H 'Content-Type: application/json' -d '{"mode":"session"}' \
	    -H "$(cookies "$SK" "$RK")" "$URL/auth/refresh" &
	pids="$pids $!"
done
wait $pids
# (asked at once, before anything else: the grace is 1s)
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "200 "*) ok session_old_cookie_within_grace ;; *) fail session_old_cookie_within_grace "$r" ;; esac
n=$(for i in 1 2 3 4; do cookie directus_refresh_token "$T/sh$i"; done | sort -u | grep -c .)
SK2=$(cookie directus_session_token "$T/sh1"); RK2=$(cookie directus_refresh_token "$T/sh1")
SID2=$(claim "$SK2" session)
[ "$n" = 1 ] && [ ${#RK2} -eq 60 ] && [ "$RK2" != "$RK" ] &&
    [ "$SID2" = "$(skey "$RK2")" ] && ok session_refresh_rotates ||
    fail session_refresh_rotates "$n successors, claim $SID2"
sids=$(for i in 1 2 3 4; do
	claim "$(cookie directus_session_token "$T/sh$i")" session; echo
done | sort -u)
[ "$sids" = "$SID2" ] && ok session_grace_same_successor ||
    fail session_grace_same_successor "$sids"
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK2")
case "$r" in "200 "*) ok session_new_cookie_me ;; *) fail session_new_cookie_me "$r" ;; esac
sleep 1.2
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "401 "*) ok session_old_cookie_after_grace ;; *) fail session_old_cookie_after_grace "$r" ;; esac

# A new password ends the other sessions and keeps the caller's own.
login sam@example.com 'sam pass' session >/dev/null
OTHER=$(cookie directus_session_token)
r=$(http PATCH /users/me -H "Origin: $URL" \
    -H "Cookie: directus_session_token=$SK2" \
    -H 'Content-Type: application/json' -d '{"password":"sam new pass"}')
case "$r" in "200 "*) ok session_patch_password ;; *) fail session_patch_password "$r" ;; esac
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK2")
case "$r" in "200 "*) ok session_password_keeps_own ;; *) fail session_password_keeps_own "$r" ;; esac
r=$(http GET /users/me -H "Cookie: directus_session_token=$OTHER")
case "$r" in "401 "*) ok session_password_ends_others ;; *) fail session_password_ends_others "$r" ;; esac

# Logout with the browser's cookies ends the session and clears both.
r=$(http POST /auth/logout -H 'Content-Type: application/json' \
    -H "Origin: $URL" -d '{"mode":"session"}' -H "$(cookies "$SK2" "$RK2")")
[ "${r%% *}" = 204 ] && [ -z "$(cookie directus_session_token)" ] &&
    [ -z "$(cookie directus_refresh_token)" ] &&
    grep -qi '^set-cookie: directus_refresh_token=;' "$T/h" &&
    ok session_logout || fail session_logout "$r"
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK2")
case "$r" in "401 "*INVALID_CREDENTIALS*) ok session_dies_on_logout ;; *) fail session_dies_on_logout "$r" ;; esac
r=$(refresh_session -H "$(cookies "$SK2" "$RK2")")
case "$r" in "401 "*) ok session_refresh_after_logout ;; *) fail session_refresh_after_logout "$r" ;; esac

# tokenctl lists the session and its revocation ends the session token.
login sam@example.com 'sam new pass' session >/dev/null
SK=$(cookie directus_session_token)
http GET /users/me -H "Cookie: directus_session_token=$SK" >/dev/null
id=$($CTL session list sam@example.com | tail -1 | cut -f1)
[ -n "$id" ] && $CTL session revoke "$id" >/dev/null && ok session_tokenctl_revoke ||
    fail session_tokenctl_revoke "$id"
r=$(http GET /users/me -H "Cookie: directus_session_token=$SK")
case "$r" in "401 "*) ok session_revoked_jwt_refused ;; *) fail session_revoked_jwt_refused "$r" ;; esac
