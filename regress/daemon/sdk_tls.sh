#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# sdk.sh once more, over TLS: @directus/sdk on Node talks https to a
# tls listener whose certificate, made for the run, Node is told to
# trust (lib.sh's TD_TLS).
TD_TLS=1 exec bash "$(dirname "$0")/sdk.sh"
