#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
"""An SMTP sink for the tests (RFC 5321 server side, standard library only).

    smtpsink.py [-q] [-t CERT KEY] PORT DIR

Listens on 127.0.0.1:PORT.  Each mail accepted with 250 is written to
DIR/mail.N (N from 1, as received, dot-stuffing undone) and each session's
commands are appended to DIR/sessions.  The file DIR/mode, read at the end
of each DATA, says how to answer it:

    ok (or no file)   250
    tempfail          451, every time
    tempfail-once     451 once, then the mode becomes ok
    permfail          554

-t: STARTTLS is offered (RFC 3207) with that certificate and key; a mail
that came over TLS has the header X-Sink-TLS: yes.  -q: the mail is not
printed.  Without it each accepted mail is printed on
the standard output (make mailsink).  The sink is "down" when it does not
run: the tests start and stop it.
"""
import os
import socketserver
import ssl
import sys
import threading

LINE_MAX = 1000
DATA_MAX = 1024 * 1024
lock = threading.Lock()


class Session(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def log(self, line):
        with lock, open(os.path.join(self.server.dir, "sessions"), "a") as f:
            f.write(line + "\n")

    def mode(self):
        path = os.path.join(self.server.dir, "mode")
        try:
            with open(path) as f:
                mode = f.read().strip()
        except OSError:
            return "ok"
        if mode == "tempfail-once":
            with open(path, "w") as f:
                f.write("ok\n")
            return "tempfail"
        return mode

    def data(self):
        lines = []
        size = 0
        while True:
            line = self.rfile.readline(LINE_MAX + 2)
            if not line:
                return None
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            if line.startswith(b"."):
                line = line[1:]
            size += len(line)
            if size > DATA_MAX:
                return None
            lines.append(line)

    def handle(self):
        self.reply("220 sink.test ESMTP regress sink")
        rcpt = []
        sender = None
        self.tls = False
        while True:
            raw = self.rfile.readline(LINE_MAX + 2)
            if not raw:
                return
            line = raw.decode("latin-1").rstrip("\r\n")
            self.log("C: " + line)
            verb = line[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-sink.test hello")
                if self.server.tls is not None and not self.tls:
                    self.reply("250-STARTTLS")
                self.reply("250-8BITMIME")
                self.reply("250 SIZE 1048576")
            elif line.upper().startswith("MAIL FROM:"):
                sender = line[10:]
                rcpt = []
                self.reply("250 2.1.0 ok")
            elif line.upper().startswith("RCPT TO:"):
                if sender is None:
                    self.reply("503 5.5.1 MAIL first")
                    continue
                rcpt.append(line[8:])
                self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                if not rcpt:
                    self.reply("503 5.5.1 RCPT first")
                    continue
                self.reply("354 go ahead")
                body = self.data()
                if body is None:
                    return
                mode = self.mode()
                self.log("D: %d bytes, %s" % (len(body), mode))
                if mode == "tempfail":
                    self.reply("451 4.3.0 try again later")
                elif mode == "permfail":
                    self.reply("554 5.7.1 refused for the test")
                else:
                    with lock:
                        self.server.count += 1
                        n = self.server.count
                        name = os.path.join(self.server.dir, "mail.%d" % n)
                        with open(name + ".tmp", "wb") as f:
                            f.write(("X-Sink-From: %s\r\nX-Sink-To: %s\r\n"
                                     % (sender, ",".join(rcpt))).encode())
                            if self.tls:
                                f.write(b"X-Sink-TLS: yes\r\n")
                            f.write(body)
                        os.rename(name + ".tmp", name)
                    if self.server.show:
                        sys.stdout.write("--- mail %d from %s to %s\n%s\n"
                                         % (n, sender, ",".join(rcpt),
                                            body.decode("utf-8", "replace")))
                        sys.stdout.flush()
                    self.reply("250 2.0.0 queued as %d" % n)
                sender = None
                rcpt = []
            elif line.upper() == "STARTTLS" and \
                    self.server.tls is not None and not self.tls:
                self.reply("220 2.0.0 ready to start TLS")
                try:
                    conn = self.server.tls.wrap_socket(self.connection,
                                                       server_side=True)
                except (ssl.SSLError, OSError) as e:
                    self.log("T: handshake failed: %s" % e)
                    return
                self.connection = conn
                self.rfile = conn.makefile("rb")
                self.wfile = conn.makefile("wb")
                self.tls = True
                self.log("T: TLS started")
                sender = None
                rcpt = []
            elif verb == "RSET":
                sender = None
                rcpt = []
                self.reply("250 ok")
            elif verb == "NOOP":
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("500 5.5.2 unknown command")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    args = sys.argv[1:]
    show = True
    tls = None
    while args and args[0] in ("-q", "-t"):
        if args[0] == "-q":
            show = False
            args = args[1:]
        else:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(args[1], args[2])
            args = args[3:]
    if len(args) != 2:
        sys.exit("usage: smtpsink.py [-q] [-t cert key] port dir")
    os.makedirs(args[1], exist_ok=True)
    srv = Server(("127.0.0.1", int(args[0])), Session)
    srv.dir = args[1]
    srv.show = show
    srv.tls = tls
    srv.count = len([n for n in os.listdir(args[1])
                     if n.startswith("mail.") and not n.endswith(".tmp")])
    with open(os.path.join(args[1], "pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    srv.serve_forever()


if __name__ == "__main__":
    main()
