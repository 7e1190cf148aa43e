# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
"""A stand-in child's side of its channel to the parent (descriptor 3),
for the tests that play a hostile keyd: the message types of
shared/proto.h, and frames read and written in tokend's framing."""
import os
import re
import socket
import struct

_text = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "shared", "proto.h")).read()
_block = _text[_text.index("#define MSG_LIST(X)"):]
_block = _block[:_block.index("\n\n")]
_types = re.findall(r"X\((\w+),", _block)

s = socket.socket(fileno=3)


def t(name):
    """The type number of a message, by its name in MSG_LIST."""
    return _types.index(name) + 1


def read_frame():
    """One frame from the parent; its type (the payload is skipped)."""
    hdr = b""
    while len(hdr) < 16:
        hdr += s.recv(16 - len(hdr))
    typ, n, _, _ = struct.unpack("=IIII", hdr)
    while n > 0:
        n -= len(s.recv(min(n, 65536)))
    return typ


def frame(typ, payload=b""):
    """A frame of our own, as the framing writes it."""
    return struct.pack("=IIII", typ, len(payload), 0, os.getpid()) + payload
