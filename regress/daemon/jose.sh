#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: a real verifier, jose on Node, finds tokend's key set through
# /.well-known/openid-configuration, fetches it with createRemoteJWKSet
# and verifies tokend's access tokens, EdDSA and ES256; once the key is
# gone (a restart with a new key) it refuses the old token, as tokend
# does.
. "$(dirname "$0")/../lib.sh"
td_sdk jose_interop
td_init
me() { http GET /users/me -H "Authorization: Bearer $1"; }
for alg in EdDSA ES256; do
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
	    'signing {' "	algorithm $alg" '}'
	td_up "jose_$alg"
	echo 'user pass' | $CTL user add dana@example.com >/dev/null 2>&1
	OLD=$(token dana@example.com 'user pass')
	http GET '/users/me?fields=id' -H "Authorization: Bearer $OLD" >/dev/null
	ID=$(j id)
	r=$(cd "$IO" && node jwks.mjs "$URL" $alg "$OLD" 2>&1)
	[ "$r" = "verified $ID" ] && ok "jose_${alg}_verifies" ||
	    fail "jose_${alg}_verifies" "$r"
	# Another algorithm is refused by jose too.
	r=$(cd "$IO" && node jwks.mjs "$URL" $alg \
	    "$(printf %s "$OLD" | cut -d. -f1,2).AAAA" 2>&1)
	case "$r" in "refused "*) ok "jose_${alg}_bad_signature" ;;
	*) fail "jose_${alg}_bad_signature" "$r" ;; esac
	kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null
	# The key is gone: keyd makes a new one on its next start.
	rm -f "$T/secret-$(echo $alg | tr A-Z a-z).pem"
	td_up "jose_${alg}_new_key"
	NEW=$(token dana@example.com 'user pass')
	r=$(cd "$IO" && node jwks.mjs "$URL" $alg "$OLD" "$NEW" 2>&1)
	[ "$r" = "refused ERR_JWKS_NO_MATCHING_KEY
verified $ID" ] && ok "jose_${alg}_old_key_gone" || fail "jose_${alg}_old_key_gone" "$r"
	expect "jose_${alg}_tokend_refuses_old" '403 *INVALID_TOKEN*' "$(me "$OLD")"
	expect "jose_${alg}_tokend_takes_new" '200 *dana@example.com*' "$(me "$NEW")"
	kill -TERM "$TD_PID"; wait "$TD_PID" 2>/dev/null
	rm -rf "$T/keyd/db" "$T/secret-"*
done
