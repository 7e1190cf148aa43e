#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# Copyright (c) 2026 The tokend authors; see the LICENSE file.
"""make demo-proxy's application: knows nothing of tokens, and greets the
user that nginx names in Remote-Email once tokend's forward auth let the
request through.  demo-app.py PORT; listens on 127.0.0.1 only."""
import html
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class App(BaseHTTPRequestHandler):
    def do_GET(self):
        email = self.headers.get("Remote-Email", "")
        name = self.headers.get("Remote-Name", "")
        role = self.headers.get("Remote-Groups", "")
        portal = PORTAL
        body = (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width'>"
            "<title>tokend demo application</title></head><body>"
            "<h1>Demo application</h1>"
            "<p>Signed in as <strong id=email>%s</strong>%s%s.</p>"
            "<p>This page knows nothing of tokens: nginx asked tokend "
            "(GET /auth/verify) and passed the user on in Remote-Email.</p>"
            "%s</body></html>\n"
            % (
                html.escape(email),
                " (%s)" % html.escape(name) if name else "",
                ", role %s" % html.escape(role) if role else "",
                "<p><a href='%s'>Account</a></p>" % html.escape(portal, True)
                if portal else "",
            )
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("demo-app: %s\n" % (fmt % args))


PORTAL = ""


def main():
    global PORTAL
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    PORTAL = sys.argv[2] if len(sys.argv) > 2 else ""
    ThreadingHTTPServer(("127.0.0.1", port), App).serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
