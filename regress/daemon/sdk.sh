#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: @directus/sdk 18.0.3 on Node against tokend (json mode login,
# readMe, createUser, readUsers, updateUser, readUser, deleteUser,
# refresh, logout, refresh refused, static token, error codes).
# The user and its static token are made with tokenctl.
. "$(dirname "$0")/../lib.sh"
td_sdk sdk_interop
td_init
td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 50ms' '}'
td_up sdk
echo 'sdk password 1' | $CTL user add -r admin sdk@example.com > "$T/id" 2>&1 &&
    ok sdk_tokenctl_user_add || fail sdk_tokenctl_user_add "$(cat $T/id)"
STATIC=$($CTL user token sdk@example.com 2>&1)
[ ${#STATIC} -eq 43 ] && ok sdk_tokenctl_token || fail sdk_tokenctl_token "$STATIC"
(cd "$IO" && node sdk.mjs "$URL" sdk@example.com 'sdk password 1' "$STATIC")
