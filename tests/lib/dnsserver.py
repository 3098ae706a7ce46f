#!/usr/bin/python3
"""A small DNS server for the tests (UDP and TCP on one port, standard
library only), in two roles:

  canary     the name server the host (the wrapper's /etc/resolv.conf)
             points at: any query it receives from a sandboxed program is a
             leak. It answers A 203.0.113.66 so a leak is visible.
  responder  the server behind the SOCKS server's port 53: what a program
             that hard-codes a name server reaches through Tor over TCP.

    dnsserver.py --host 127.0.0.1 --port 0 --log FILE [--a ADDR] [--aaaa ADDR]

Every query is logged as one JSON line {"transport", "name", "qtype", "id",
"peer"} (unparsable messages as {"transport", "bad": hex}); A gets --a,
AAAA gets --aaaa, anything else an empty NOERROR answer. Prints "ready PORT"
once both sockets are bound; a bind failure prints "error: ..." on stderr
and exits 2.
"""

import argparse
import asyncio
import json
import os
import socket
import struct
import sys

from clients import dnswire


class Dns:
    def __init__(self, args):
        self.a, self.aaaa = args.a, args.aaaa
        self.log_fd = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def log(self, rec):
        os.write(self.log_fd, (json.dumps(rec, sort_keys=True) + "\n").encode())

    def answer(self, buf, transport, peer):
        q = dnswire.parse_query_loose(buf)
        if q is None:
            self.log({"transport": transport, "bad": buf.hex(), "peer": str(peer[0])})
            return None
        m, name, t = q
        self.log({"transport": transport, "name": name, "id": m["id"],
                  "qtype": dnswire.TYPE_NAMES.get(t, t), "peer": str(peer[0])})
        addrs = []
        if t == dnswire.TYPES["A"] and self.a:
            addrs = [self.a]
        elif t == dnswire.TYPES["AAAA"] and self.aaaa:
            addrs = [self.aaaa]
        return dnswire.build_response(buf, 0, addrs)


class Udp(asyncio.DatagramProtocol):
    def __init__(self, dns):
        self.dns = dns

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        out = self.dns.answer(data, "udp", addr)
        if out:
            self.transport.sendto(out, addr)


def tcp_handler(dns):
    async def handle(reader, writer):
        peer = writer.get_extra_info("peername")
        try:
            while True:
                (n,) = struct.unpack(">H", await reader.readexactly(2))
                out = dns.answer(await reader.readexactly(n), "tcp", peer)
                if out:
                    writer.write(struct.pack(">H", len(out)) + out)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            writer.close()
    return handle


def bind_pair(host, port):
    """UDP and TCP sockets bound to the same port (port 0: a free one)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((host, port))
        p = u.getsockname()[1]
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind((host, p))
        except OSError:
            u.close()
            t.close()
            if port:
                raise
            continue
        t.listen(64)
        return u, t, p
    raise OSError("no free port pair")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--a")
    ap.add_argument("--aaaa")
    args = ap.parse_args()
    try:
        u, t, port = bind_pair(args.host, args.port)
    except OSError as e:
        sys.stderr.write("error: cannot bind %s:%d: %s\n" % (args.host, args.port, e))
        sys.exit(2)
    dns = Dns(args)

    async def run():
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: Udp(dns), sock=u)
        srv = await asyncio.start_server(tcp_handler(dns), sock=t)
        sys.stdout.write("ready %d\n" % port)
        sys.stdout.flush()
        async with srv:
            await srv.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
