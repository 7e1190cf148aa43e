#!/bin/bash
# Interop: @directus/sdk 18.0.3 on Node against tokend (json mode login,
# readMe, createUser, readUsers, updateUser, readUser, deleteUser,
# refresh, logout, refresh refused, static token, error codes).
# The user and its static token are made with tokenctl.
. "$(dirname "$0")/../lib.sh"
IO="$TOP/regress/interop"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	skip sdk_interop "node or npm missing"
	exit 0
fi
if [ ! -d "$IO/node_modules/@directus/sdk" ]; then
	(cd "$IO" && timeout 300 npm install --no-audit --no-fund \
	    --loglevel=error >/dev/null 2>&1) || {
		skip sdk_interop "cannot install @directus/sdk from npm"
		exit 0
	}
fi
td_init
td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    'auth {' '	login-stall 50ms' '}'
td_start || { fail sdk_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'sdk password 1' | $CTL user add -r admin sdk@example.com > "$T/id" 2>&1 &&
    ok sdk_tokenctl_user_add || fail sdk_tokenctl_user_add "$(cat $T/id)"
STATIC=$($CTL user token sdk@example.com 2>&1)
[ ${#STATIC} -eq 43 ] && ok sdk_tokenctl_token || fail sdk_tokenctl_token "$STATIC"
(cd "$IO" && node sdk.mjs "$URL" sdk@example.com 'sdk password 1' "$STATIC")
