#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# tokend -n: "configuration OK" or every error with file and line.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf

out=$("$TOKEND" -n -f "$T/tokend.conf" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = "configuration OK" ] && ok config_n_ok ||
    fail config_n_ok "$rc $out"

printf 'prefork 0x\nbogus keyword\nlisten on 127.0.0.1 port 99999\n' > "$T/bad.conf"
chmod 600 "$T/bad.conf"
out=$("$TOKEND" -n -f "$T/bad.conf" 2>&1); rc=$?
[ $rc -eq 1 ] && ok config_n_bad_exit || fail config_n_bad_exit "$rc"
n=$(echo "$out" | grep -c "bad.conf:[0-9]")
[ "$n" -ge 3 ] && ok config_n_all_errors || fail config_n_all_errors "$out"
echo "$out" | grep -q "bad.conf:2:" && ok config_n_line_numbers ||
    fail config_n_line_numbers "$out"
echo "$out" | grep -q "configuration OK" && fail config_n_no_ok ||
    ok config_n_no_ok

printf 'p = "%s"\nlisten on 127.0.0.1 port $p\n' 8055 > "$T/macro.conf"
chmod 600 "$T/macro.conf"
out=$("$TOKEND" -n -D p=9000 -f "$T/macro.conf" 2>&1)
[ "$out" = "configuration OK" ] && ok config_n_macro_D || fail config_n_macro_D "$out"

conf_refused config_n_missing_file "$T/missing.conf" missing.conf

cp "$T/tokend.conf" "$T/gw.conf"
chmod 620 "$T/gw.conf"
out=$("$TOKEND" -n -f "$T/gw.conf" 2>&1); rc=$?
[ $rc -eq 1 ] && ok config_n_group_writable || fail config_n_group_writable "$rc $out"

printf 'include "%s"\nprefork 3\n' "$T/tokend.conf" > "$T/inc.conf"
chmod 600 "$T/inc.conf"
out=$("$TOKEND" -n -f "$T/inc.conf" 2>&1)
[ "$out" = "configuration OK" ] && ok config_n_include || fail config_n_include "$out"

out=$("$TOKEND" -x 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q usage && ok config_usage ||
    fail config_usage "$rc $out"

# A daemon refuses to start on a bad file, and says why.
"$TOKEND" -d -f "$T/bad.conf" > "$T/log" 2>&1; rc=$?
[ $rc -eq 1 ] && grep -q "bad.conf:1:" "$T/log" && ok config_start_refused ||
    fail config_start_refused "$rc"

# Collections, roles and permissions: -n on a good file and a bad one.
td_conf 'collection "articles" { fields "title" "body" "status" "author" }' \
    'role "editor" {' '	id "5a3c0f8e-2b1d-4c6e-9f7a-1b2c3d4e5f60"' \
    '	app-access yes' '	permission "articles" create read update' \
    "	permission \"articles\" delete { filter '{\"author\":{\"_eq\":\"\$CURRENT_USER\"}}' }" \
    '}' 'public {' \
    "	permission \"articles\" read { filter '{\"status\":{\"_eq\":\"published\"}}' }" '}'
out=$("$TOKEND" -n -f "$T/tokend.conf" 2>&1); rc=$?
[ $rc -eq 0 ] && [ "$out" = "configuration OK" ] && ok config_n_data_ok ||
    fail config_n_data_ok "$rc $out"
cat > "$T/data.conf" <<'CONF'
collection "articles" { fields "title" id }
role "editor" {
	permission "articles" read write
	permission "nope" read { filter '{"a":{"_eq":1}}' }
}
public { permission "articles" read { filter '[1]' } }
CONF
chmod 600 "$T/data.conf"
out=$("$TOKEND" -n -f "$T/data.conf" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'data.conf:1: collection "articles": field "id"' &&
    echo "$out" | grep -q 'data.conf:2: role "editor": missing id' &&
    echo "$out" | grep -q 'data.conf:3: .*unknown action "write"' &&
    echo "$out" | grep -q 'data.conf:4: permission "nope": no such collection' &&
    echo "$out" | grep -q 'data.conf:6: .*filter: not a JSON object' &&
    [ "$(echo "$out" | grep -c 'data.conf:')" -eq 5 ] &&
    ok config_n_data_errors || fail config_n_data_errors "$rc $out"
# Relations: to directus_users, to itself, to a collection declared
# before; a target that is none of these is an error with its line.
cat > "$T/rel.conf" <<'CONF'
collection "tags" { field "parent" references "tags" }
collection "articles" {
	fields "title"
	field "author" references "directus_users"
	field "tag" references "tags"
	field "later" references "comments"
	field "id" references "tags"
	field "tag" references "articles"
}
collection "comments" { fields "body" }
CONF
chmod 600 "$T/rel.conf"
out=$("$TOKEND" -n -f "$T/rel.conf" 2>&1); rc=$?
[ $rc -eq 1 ] &&
    echo "$out" | grep -q 'rel.conf:6: collection "articles": field "later" references "comments": no such collection' &&
    echo "$out" | grep -q 'rel.conf:7: collection "articles": field "id": the field of a relation' &&
    echo "$out" | grep -q 'rel.conf:8: collection "articles": field "tag": a field references one collection at most' &&
    [ "$(echo "$out" | grep -c 'rel.conf:')" -eq 3 ] &&
    ok config_n_relations || fail config_n_relations "$rc $out"
