#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# auth.sh once more, over TLS: its listener is a tls one with a
# certificate made for the run (lib.sh's TD_TLS), every request of it
# goes through https and checks the certificate.
TD_TLS=1 exec bash "$(dirname "$0")/auth.sh"
