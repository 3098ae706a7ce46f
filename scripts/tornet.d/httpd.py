#!/usr/bin/env python3
"""tornet's web servers (one for web.tornet.test, one behind the onion services).

    httpd.py --fd N --name NAME --log FILE

The listening socket is bound by `scripts/tornet` and inherited. Routes:
  GET  /            text/plain "tornet NAME ok\\n" (the page `start` checks)
  GET  /bytes/N     N bytes (N <= 64 MiB): byte i is (i * 7 + 3) & 0xff
  GET  /page.html   an HTML page for browsers: the same words on a background
                    of the server's own colour (PAGE_COLORS), for screenshots
  POST /echo        the request body back, byte for byte (Content-Length only)
  anything else     404
Every response closes the connection. One log line per request.
Standard library only.
"""

import argparse
import http.server
import socket
import socketserver
import sys


# The background of /page.html: one colour per server, so a screenshot
# tells which one a browser reached.
PAGE_COLORS = {"web": (46, 139, 87), "onion": (139, 46, 111)}


def pattern(n):
    unit = bytes((i * 7 + 3) & 0xFF for i in range(256))
    return (unit * (n // 256 + 1))[:n]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "tornet-httpd"
    sys_version = ""

    def send_body(self, code, body, ctype="text/plain; charset=utf-8"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            return self.send_body(200, ("tornet %s ok\n" % self.server.tornet_name).encode())
        if path == "/page.html":
            rgb = PAGE_COLORS.get(self.server.tornet_name, (0, 0, 0))
            page = ('<!doctype html><html><head><title>tornet %s</title></head>'
                    '<body style="margin:0;background:rgb(%d,%d,%d)">'
                    '<h1 style="color:white;font:bold 48px sans-serif">tornet %s ok</h1></body></html>\n'
                    % ((self.server.tornet_name,) + rgb + (self.server.tornet_name,)))
            return self.send_body(200, page.encode(), "text/html; charset=utf-8")
        if path.startswith("/bytes/"):
            try:
                n = int(path[len("/bytes/"):])
            except ValueError:
                n = -1
            if 0 <= n <= 64 << 20:
                return self.send_body(200, pattern(n), "application/octet-stream")
        self.send_body(404, b"not found\n")

    do_HEAD = do_GET

    def do_POST(self):
        if self.path.split("?", 1)[0] != "/echo":
            return self.send_body(404, b"not found\n")
        try:
            n = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self.send_body(411, b"Content-Length required\n")
        if n < 0 or n > 64 << 20:
            return self.send_body(413, b"too large\n")
        body = self.rfile.read(n)
        self.send_body(200, body, "application/octet-stream")

    def log_message(self, fmt, *args):
        self.server.tornet_log.write("%s %s\n" % (self.log_date_time_string(), fmt % args))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, sock, name, log):
        socketserver.TCPServer.__init__(self, None, Handler, bind_and_activate=False)
        self.socket = sock
        self.server_address = sock.getsockname()
        self.server_name, self.server_port = self.server_address[:2]
        self.tornet_name = name
        self.tornet_log = log


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fd", type=int, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    sock = socket.socket(fileno=a.fd)
    sock.setblocking(True)
    log = open(a.log, "a", buffering=1)
    Server(sock, a.name, log).serve_forever()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
