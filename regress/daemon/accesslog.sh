#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# The access log (issue 15, point 7): one line per request in the
# combined format or as JSON, written by the parent to its file or to
# syslog; every line parses; no token, password or secret parameter in
# it; the client behind a trusted proxy; a rotated file let go on
# SIGHUP.
. "$(dirname "$0")/../lib.sh"
need python3
td_init
AL="$T/logs/access.log"
mkdir -p "$T/logs"
conf() {	# conf FORMAT [DEST]
	td_conf "${TD_FAST_PASSWORD[@]}" "${TD_FAST_AUTH[@]}" \
	    'trusted-proxy "127.0.0.1"' "access-log \"${2:-$AL}\"" \
	    "access-log-format $1"
}
conf combined
td_up accesslog
echo 'secret pass word' | $CTL user add -r admin pat@example.com >/dev/null
lines() { [ -f "$AL" ] && wc -l < "$AL" || echo 0; }
# A request whose line must be written: wait for the batch (1 s).
settle() { td_until "[ \$(lines) -ge $1 ]" 40; }
# The start's own requests (td_start's ping and health) first.
sleep 1.2
N0=$(lines)

login pat@example.com 'secret pass word' >/dev/null
JWT=$(j access_token) RT=$(j refresh_token)
http GET "/users/me?access_token=$JWT&fields=id" >/dev/null
http GET "/users/me?fields=id&access%5Ftoken=$JWT" >/dev/null
http GET '/users/register/verify-email?token=sekrit.mail.token' >/dev/null
http GET /server/ping -H 'Referer: http://app.test/reset?token=refsekrit&x=1' \
    -H 'User-Agent: regress "agent"' -H 'X-Forwarded-For: 198.51.100.7' >/dev/null
http POST /auth/refresh -H 'Content-Type: application/json' \
    -d "{\"refresh_token\":\"$RT\"}" >/dev/null
http GET /nowhere >/dev/null
http SEARCH /users -H "Authorization: Bearer $JWT" -d '{"query":{"fields":["id"]}}' >/dev/null
settle $((N0 + 8))
[ "$(lines)" = $((N0 + 8)) ] && ok access_one_line_per_request || fail access_one_line_per_request "$N0 $(lines)"
# host ident user [time] "request" status bytes "referer" "agent"
RE='^[0-9a-f.:]+ - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2} [-+][0-9]{4}\] "[A-Z]+ [^ ]+ HTTP/1\.[01]" [0-9]{3} ([0-9]+|-) "[^"]*" "([^"\\]|\\.)*"$'
bad=$(grep -Evc "$RE" "$AL")
[ "$bad" = 0 ] && ok access_combined_parses || fail access_combined_parses "$(grep -Ev "$RE" "$AL" | head -2)"
leak=$(grep -c -e "$JWT" -e "$RT" -e 'secret pass' -e sekrit "$AL")
[ "$leak" = 0 ] && grep -q 'access_token=REDACTED&fields=id' "$AL" &&
    grep -q 'access%5Ftoken=REDACTED' "$AL" &&
    grep -q 'verify-email?token=REDACTED' "$AL" &&
    grep -q '"http://app.test/reset?token=REDACTED&x=1"' "$AL" &&
    ok access_secrets_redacted || fail access_secrets_redacted "$leak: $(head -c 600 "$AL")"
grep -q '^198\.51\.100\.7 .*"GET /server/ping HTTP/1.1" 200 4 ' "$AL" &&
    grep -q 'regress \\x22agent\\x22' "$AL" &&
    ok access_client_behind_proxy || fail access_client_behind_proxy "$(grep ping "$AL")"
grep -q '"POST /auth/login HTTP/1.1" 200 ' "$AL" &&
    grep -q '"GET /nowhere HTTP/1.1" 404 ' "$AL" &&
    grep -q '"SEARCH /users HTTP/1.1" 200 ' "$AL" &&
    ok access_status_and_bytes || fail access_status_and_bytes "$(cat "$AL")"

# Rotation: the file moved away, a reload opens a new one.
mv "$AL" "$AL.1"
td_reload >/dev/null
http GET /server/ping >/dev/null
settle 1
[ "$(lines)" = 1 ] && [ "$(wc -l < "$AL.1")" = $((N0 + 8)) ] && ok access_rotated_on_reload ||
    fail access_rotated_on_reload "$(lines) $(wc -l < "$AL.1")"

# JSON, after a reload: every line an object with the fields.
rm -f "$AL"
conf json
td_reload >/dev/null
http GET "/users/me?access_token=$JWT" -H 'User-Agent: caf\xe9' >/dev/null
login pat@example.com 'secret pass word' >/dev/null
http GET /server/ping -H 'X-Forwarded-For: 2001:db8::7' >/dev/null
settle 3
python3 - "$AL" <<'EOF' && ok access_json_parses || fail access_json_parses "$(cat "$AL")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, rows
for r in rows:
    for k in ("time", "client", "method", "uri", "status", "bytes", "duration_ms"):
        assert k in r, (k, r)
# Two workers send their batches apart: the order is not the requests'.
by = {r["uri"]: r for r in rows}
assert "/users/me?access_token=REDACTED" in by, rows
assert by["/auth/login"]["method"] == "POST", rows
assert by["/auth/login"]["status"] == 200, rows
assert by["/server/ping"]["client"] == "2001:db8::7", rows
EOF
! grep -q -e "$JWT" -e 'secret pass' "$AL" && ok access_json_no_secret || fail access_json_no_secret

# syslog: in the foreground the parent's log is its standard error.
conf combined syslog
td_reload >/dev/null
http GET '/server/ping?token=sysekrit' >/dev/null
td_until 'grep -q "access\[[0-9]*\]: .*GET /server/ping?token=REDACTED" "$T/log"' 40 &&
    ! grep -q sysekrit "$T/log" && ok access_syslog || fail access_syslog "$(grep access "$T/log" | tail -3)"

# Bad values are refused.
sed 's|^access-log .*|access-log "relative/path"|' "$T/tokend.conf" > "$T/bad.conf"
conf_refused access_log_relative_refused "$T/bad.conf" 'access-log "relative/path"'
sed 's|^access-log-format .*|access-log-format xml|' "$T/tokend.conf" > "$T/bad.conf"
conf_refused access_log_format_refused "$T/bad.conf" 'access-log-format "xml"'
