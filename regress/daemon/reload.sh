#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# SIGHUP and tokenctl reload: new limits apply without dropping
# connections; a broken file keeps the old configuration; the first
# collection makes the parent create the items directory.
. "$(dirname "$0")/../lib.sh"
td_init
td_conf 'limits {' '	header-size 8K' '}'
td_start || { fail reload_start "$(tail -5 $T/log)"; exit 1; }

big=$(head -c 3000 /dev/zero | tr '\0' a)
r=$(http GET /server/ping -H "X-Big: $big")
[ "$r" = "200 pong" ] && ok reload_big_header_before || fail reload_big_header_before "$r"

# A keep-alive connection opened before the reload survives it.
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /server/ping HTTP/1.1\r\nHost: x\r\n\r\n' >&5
read -r -t 5 line <&5
td_conf 'limits {' '	header-size 2K' '}'
kill -HUP "$TD_PID"
td_until 'grep -q "configuration reloaded" "$T/log"' 50 &&
    ok reload_logged || fail reload_logged
# Each worker says when it has the new configuration.
td_until '[ "$(td_reloads)" -ge 2 ]' 50
r=$(http GET /server/ping -H "X-Big: $big")
case "$r" in
4*) ok reload_header_limit_applied ;;
*) fail reload_header_limit_applied "$r" ;;
esac
# Drain the rest of the first answer, then reuse the connection.
timeout 1 cat <&5 >/dev/null
printf 'GET /server/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&5
resp=$(timeout 5 cat <&5)
exec 5<&-
echo "$resp" | grep -q pong && ok reload_keeps_connections ||
    fail reload_keeps_connections "$resp"

# A broken file: old configuration stays, the reason is logged.
cp "$T/tokend.conf" "$T/good.conf"
printf 'prefork banana\n' >> "$T/tokend.conf"
kill -HUP "$TD_PID"
td_until 'grep -q "reload failed" "$T/log"' 50 && ok reload_error_logged ||
    fail reload_error_logged
r=$(http GET /server/ping)
[ "$r" = "200 pong" ] && ok reload_error_keeps_running || fail reload_error_keeps_running "$r"

# A setting that needs a restart is refused and named.
cp "$T/good.conf" "$T/tokend.conf"
sed -i "s/prefork 2/prefork 3/" "$T/tokend.conf"
out=$("$TOKENCTL" -s "$T/tokend.sock" reload 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q prefork && ok reload_restart_setting_refused ||
    fail reload_restart_setting_refused "$rc $out"
[ "$(td_servers | wc -w)" -eq 2 ] && ok reload_refused_unchanged ||
    fail reload_refused_unchanged

cp "$T/good.conf" "$T/tokend.conf"
out=$("$TOKENCTL" -s "$T/tokend.sock" reload 2>&1); rc=$?
[ $rc -eq 0 ] && ok tokenctl_reload || fail tokenctl_reload "$rc $out"
out=$("$TOKENCTL" -s "$T/tokend.sock" status 2>&1)
[ "$(echo "$out" | grep -c '^server [0-9] pid [0-9]')" -eq 2 ] &&
    echo "$out" | grep -q '^keyd pid [1-9]' && ok tokenctl_status ||
    fail tokenctl_status "$out"
out=$("$TOKENCTL" -s "$T/nonexistent.sock" status 2>&1); rc=$?
[ $rc -ne 0 ] && ok tokenctl_no_daemon || fail tokenctl_no_daemon

# The first collection, declared by a reload: the parent (sandboxed by
# now) makes the items directory, and the reload applies.
[ -e "$T/empty/data" ] && fail reload_items_dir_absent_before ||
    ok reload_items_dir_absent_before
td_conf 'limits {' '	header-size 8K' '}' 'collection "articles"' \
    'public { permission "articles" read }'
out=$("$TOKENCTL" -s "$T/tokend.sock" reload 2>&1); rc=$?
[ $rc -eq 0 ] && ok reload_first_collection || fail reload_first_collection "$rc $out"
items_dir_made reload_items_dir_made
