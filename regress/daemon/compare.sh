#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Issue 16's side by side: the @directus/sdk 18.0.3 calls of
# regress/interop/compare.mjs against tokend, compared with the answers
# of the real Directus 11.3.5 set up the same way (compare_setup.mjs):
# roles, policies, permissions, collections, users and items.  By
# default with the recording kept in the repository
# (regress/interop/recordings/directus-11.3.5.json); live:
#   COMPARE_LIVE=1	start a fresh Directus with DIRECTUS_SCRIPT
#			(../shared/reference/run-directus.sh) in a directory
#			of its own (a copy of COMPARE_DIRECTUS_TEMPLATE, an
#			installed one, saves the 3-minute install) on
#			DIRECTUS_PORT (8075), set it up and record it
#   DIRECTUS_URL=URL	use that fresh Directus instead (set up here)
# Live, the new recording is first compared with the kept one (Directus
# with itself: the normaliser must leave no difference), then tokend
# with the new one; COMPARE_REFRESH=1 also replaces the kept recording.
. "$(dirname "$0")/../lib.sh"
td_sdk compare
td_init
REC="$IO/recordings/directus-11.3.5.json"
EDITOR=5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60
MEMBER=0d7c4a2e-9b31-4f6a-8e25-6c1f3b9a7d40
MIXED=3e1a5b7c-9d2f-4a6b-8c0d-1e2f3a4b5c6d
AUTHORS=9a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c21
READERS=8b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d52
TITLES=7c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e63
DRAFTS=6d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f74
MINE="filter '{\"author\":{\"_eq\":\"\$CURRENT_USER\"}}'"
PUBLISHED="filter '{\"status\":{\"_eq\":\"published\"}}'"

# The directus side, live.
if [ "${COMPARE_LIVE:-0}" = 1 ] && [ -z "$DIRECTUS_URL" ]; then
	SCRIPT=${DIRECTUS_SCRIPT:-$TOP/../shared/reference/run-directus.sh}
	[ -x "$SCRIPT" ] || { fail compare_live "no $SCRIPT"; exit 1; }
	export DIRECTUS_DIR="$T/directus" DIRECTUS_PORT=${DIRECTUS_PORT:-8075}
	if [ -n "$COMPARE_DIRECTUS_TEMPLATE" ]; then
		cp -a "$COMPARE_DIRECTUS_TEMPLATE" "$DIRECTUS_DIR" &&
		    rm -f "$DIRECTUS_DIR/directus.pid" "$DIRECTUS_DIR"/data/*.db*
	fi
	"$SCRIPT" start > "$T/directus.txt" 2>&1 ||
	    { fail compare_live_start "$(tail -3 "$T/directus.txt")"; exit 1; }
	trap '"$SCRIPT" stop >/dev/null 2>&1; td_cleanup' EXIT
	DIRECTUS_URL=http://127.0.0.1:$DIRECTUS_PORT
fi
if [ -n "$DIRECTUS_URL" ]; then
	(cd "$IO" && node compare.mjs setup "$DIRECTUS_URL" &&
	    node compare.mjs record "$DIRECTUS_URL" "$T/live.json") \
	    > "$T/live.txt" 2>&1 ||
	    { fail compare_live_record "$(tail -3 "$T/live.txt")"; exit 1; }
	out=$(cd "$IO" && node compare.mjs diff "$REC" "$T/live.json")
	[ -z "$out" ] && ok compare_directus_with_itself ||
	    fail compare_directus_with_itself "$out"
	if [ "${COMPARE_REFRESH:-0}" = 1 ]; then
		cp "$T/live.json" "$REC" && ok compare_recording_refreshed
	fi
	REC="$T/live.json"
fi

# tokend, configured as compare_setup.mjs sets Directus up, with the
# policies of issue 16.
policy_conf() {
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
	    'collection "articles" {' '	fields "title" "body" "status" "rank" "author"' \
	    '	field "author" references "directus_users"' '}' \
	    'collection "news" {' '	fields "title"' '}' \
	    'policy "authors" {' "	id \"$AUTHORS\"" '	app-access yes' \
	    "	permission \"articles\" create { presets '{\"author\":\"\$CURRENT_USER\"}' }" \
	    '	permission "articles" read' \
	    "	permission \"articles\" update { $MINE }" \
	    "	permission \"articles\" delete { $MINE }" '}' \
	    'policy "readers" {' "	id \"$READERS\"" \
	    "	permission \"articles\" read { $PUBLISHED }" '}' \
	    'policy "titles" {' "	id \"$TITLES\"" \
	    "	permission \"articles\" read { fields \"id\" \"title\" \"status\"; $PUBLISHED }" '}' \
	    'policy "drafts" {' "	id \"$DRAFTS\"" \
	    "	permission \"articles\" read { fields \"id\" \"body\" \"status\"; filter '{\"status\":{\"_eq\":\"draft\"}}' }" '}' \
	    'role "editor" {' "	id \"$EDITOR\"" '	policy "authors"' \
	    '	policy "readers"' '}' \
	    'role "member" {' "	id \"$MEMBER\"" '	policy "readers"' '}' \
	    'role "mixed" {' "	id \"$MIXED\"" '	policy "titles"' \
	    '	policy "drafts"' '}' \
	    'public {' "	permission \"articles\" read { $PUBLISHED }" \
	    '	permission "news" read' '}'
}
# compare.mjs's check compare_conf says whether tokend took it.
policy_conf
if err=$("$TOKEND" -n -f "$T/tokend.conf" 2>&1); then
	export COMPARE_CONF=policies
else
	export COMPARE_CONF="tokend refuses the policy configuration: $(echo "$err" | head -1)"
fi
td_up compare
for u in 'admin:admin@example.com:secret' 'editor:ed@example.com:ed pass' \
    'editor:eve@example.com:eve pass' 'member:rita@example.com:rita pass' \
    'mixed:max@example.com:max pass' ':nora@example.com:nora pass'; do
	IFS=: read -r role email pw <<< "$u"
	echo "$pw" | $CTL user add ${role:+-r "$role"} "$email" > /dev/null ||
	    fail compare_user_add "$email"
done
(cd "$IO" && node compare.mjs check "$URL" "$REC")
rc=$?
exit $(( ${TD_FAILED:-0} | rc ))
