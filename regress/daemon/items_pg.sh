#!/bin/bash
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
# items.sh once more, its item store on PostgreSQL (lib.sh's TD_ITEMS_PG:
# a throwaway cluster, the item role tokend_items): the same answers
# from PostgreSQL's SQL as from SQLite's.
TD_NAME=items_pg TD_ITEMS_PG=1 exec bash "$(dirname "$0")/items.sh"
