#!/bin/bash
# Interop: @directus/sdk 18.0.3 items commands (readItems, readItem,
# createItem(s), updateItem(s), deleteItem(s)) against tokend, as an
# admin with a static token and as the public role.
. "$(dirname "$0")/../lib.sh"
IO="$TOP/regress/interop"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	skip sdk_items "node or npm missing"
	exit 0
fi
if [ ! -d "$IO/node_modules/@directus/sdk" ]; then
	(cd "$IO" && timeout 300 npm install --no-audit --no-fund \
	    --loglevel=error >/dev/null 2>&1) || {
		skip sdk_items "cannot install @directus/sdk from npm"
		exit 0
	}
fi
td_init
td_conf 'password {' '	memory 1M' '	iterations 1' '	parallelism 1' '}' \
    "items \"$T/empty/data/items.db\"" \
    'collection "articles" {' '	fields "title" "body" "status" "author"' '}' \
    'public {' \
    "	permission \"articles\" read { filter '{\"status\":{\"_eq\":\"published\"}}' }" '}'
td_start || { fail sdk_items_start "$(tail -5 $T/log)"; exit 1; }
CTL="$TOKENCTL -s $T/tokend.sock"
echo 'sdk password 1' | $CTL user add -r admin sdk@example.com >/dev/null 2>&1
STATIC=$($CTL user token sdk@example.com 2>&1)
(cd "$IO" && node items.mjs "$URL" "$STATIC")
