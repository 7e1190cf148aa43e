#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Every setting of the table (config_fields[] in shared/config.c) is
# documented: tokend.conf.5 has it in the section of its block, and,
# when the row says CONF_FIELD_RESTART, in the list of RELOADING that
# needs a restart; etc/tokend.conf shows it in its block.  Reads the
# sources only, no daemon.
. "$(dirname "$0")/../lib.sh"
man="$TOP/man/tokend.conf.5"
sample="$TOP/etc/tokend.conf"

# One line per row: block|word|R or -.
rows=$(awk '/_SETTING\(/ { row = ""; on = 1 }
    on { row = row " " $0 }
    on && /\),[[:space:]]*$/ { on = 0; print row }' "$TOP/shared/config.c" |
    awk -F'"' '{ print $4 "|" $6 "|" ($0 ~ /RESTART/ ? "R" : "-") }')
n=$(printf '%s\n' "$rows" | grep -c '|')
want=$(grep -c '_SETTING("' "$TOP/shared/config.c")
[ "$n" -gt 60 ] && [ "$n" -eq "$want" ] && ok confdoc_table_read ||
    fail confdoc_table_read "$n rows of $want"

# section NAME: the lines of the man page's section NAME.
section() {
	awk -v s=".Sh $1" '$0 == s { on = 1; next } /^\.Sh / { on = 0 } on' \
	    "$man"
}
# restart_list: RELOADING's paragraph of the settings that need a restart.
restart_list() {
	section RELOADING | awk '/^Every other setting needs a restart/ {
	    on = 1 } /^A reload that changes one of them/ { on = 0 } on'
}
# sample_block BLOCK: the lines of the sample inside that block ("" the
# top level), commented or not.
sample_block() {
	awk -v b="$1" '
	    /^[a-z][a-z -]*"?[a-z]*"? *\{/ { cur = $0; sub(/ *\{.*/, "", cur)
		gsub(/"/, "", cur); next }
	    /^\}/ { cur = ""; next }
	    cur == b' "$sample"
}

missing_man=""
missing_restart=""
missing_sample=""
restart=$(restart_list)
while IFS='|' read -r block word flag; do
	first=${word%% *}
	case "$block" in
	"")		sec="GLOBAL CONFIGURATION" ;;
	keyd)		sec="KEYD" ;;
	limits|timeout)	sec="LIMITS AND TIMEOUTS" ;;
	auth)		sec="AUTHENTICATION" ;;
	mail)		sec="MAIL" ;;
	tls)		sec="TLS" ;;
	signing)	sec="SIGNING" ;;
	password)	sec="PASSWORD HASHING" ;;
	cookie*)	sec="COOKIES" ;;
	cors)		sec="CORS" ;;
	forward-auth)	sec="FORWARD AUTH" ;;
	portal)		sec="PORTAL" ;;
	*)		sec="?" ;;
	esac
	section "$sec" | grep -q "^\.It Ic $first\( \|$\)" ||
	    missing_man="$missing_man ${block:+$block:}$word"
	# The keyd block is named as a whole ("everything in the keyd block").
	if [ "$flag" = R ] && [ "$block" != keyd ] &&
	    ! printf '%s\n' "$restart" | grep -q "^\.Ic $first\( \|$\)"; then
		missing_restart="$missing_restart ${block:+$block:}$word"
	fi
	sample_block "$block" |
	    grep -q "^[[:space:]]*#\{0,1\}[[:space:]]*$first\([[:space:]]\|$\)" ||
	    missing_sample="$missing_sample ${block:+$block:}$word"
done <<< "$rows"
[ -z "$missing_man" ] && ok confdoc_man_every_setting ||
    fail confdoc_man_every_setting "not in tokend.conf.5:$missing_man"
[ -z "$missing_restart" ] && ok confdoc_man_restart_list ||
    fail confdoc_man_restart_list "restart, not in RELOADING:$missing_restart"
[ -z "$missing_sample" ] && ok confdoc_sample_every_setting ||
    fail confdoc_sample_every_setting "not in etc/tokend.conf:$missing_sample"

# Every template of the mail block is a file of etc/ and of FILES.
files=$(section FILES)
bad=""
for p in $(printf '%s\n' "$rows" | sed -n 's/^mail|\([a-z]*-template\)|.*/\1/p'); do
	def=$(grep -A3 "\"$p\"" "$TOP/shared/config.c" |
	    sed -n 's/.*\(CONF_MAIL_[A-Z_]*TEMPLATE\).*/\1/p' | head -1)
	# A path below the installed configuration's directory is written
	# CONF_SYSCONFDIR "/tokend/...": the man page has it under /etc.
	path=$(sed -n -e "s|^#define $def[[:space:]]*CONF_SYSCONFDIR \"\(.*\)\"|/etc\1|p" \
	    -e "s|^#define $def[[:space:]]*\"\(.*\)\"|\1|p" "$TOP/shared/config.h")
	[ -n "$path" ] && [ -f "$TOP/etc/${path##*/}" ] &&
	    printf '%s\n' "$files" | grep -q "^\.It Pa $path\$" ||
	    bad="$bad $p:${path:-?}"
done
[ -z "$bad" ] && ok confdoc_templates_in_files ||
    fail confdoc_templates_in_files "$bad"
exit ${TD_FAILED:-0}
