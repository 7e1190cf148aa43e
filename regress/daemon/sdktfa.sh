#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# Interop: two-factor authentication with @directus/sdk 18.0.3 on Node
# (generateTwoFactorSecret, enableTwoFactor, login with otp,
# disableTwoFactor).
. "$(dirname "$0")/../lib.sh"
td_sdk sdktfa_interop
td_init
td_conf "${TD_FAST_PASSWORD[@]}" 'auth {' '	login-stall 50ms' '}'
td_up sdktfa
echo 'tfa password a' | $CTL user add tfa-a@example.com >/dev/null &&
    echo 'tfa password b' | $CTL user add tfa-b@example.com >/dev/null &&
    ok sdktfa_users || fail sdktfa_users
(cd "$IO" && node tfa.mjs "$URL" tfa-a@example.com 'tfa password a' \
    tfa-b@example.com 'tfa password b')
