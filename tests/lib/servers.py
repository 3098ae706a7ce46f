#!/usr/bin/python3
"""Test servers for torgate's integration and leak suites (standard library
only).

Run one server per process:

    python3 servers.py socks --port 0 --workers 8 --log FILE \
        --map 80=127.0.0.1:HP --map 7=127.0.0.1:HCP --map 9=127.0.0.1:EP \
        --default 127.0.0.1:HP
        [--resolve web.example=203.0.113.80,2001:db8::80] [--resolve-file F.json]
    python3 servers.py http --port 0 --workers 4
    python3 servers.py echo --port 0 --workers 4
    python3 servers.py halfclose --port 0 --workers 2

Each server binds HOST:PORT (port 0 picks a free port), forks N workers that
each listen on that port with SO_REUSEPORT and run their own asyncio loop,
and prints "ready PORT" on stdout (and writes it to --ready-file when given)
once every worker listens. SIGTERM/SIGINT stop the whole server; the test
fixtures start it in its own process group and kill the group.

The SOCKS server also answers Tor's RESOLVE (command 0xF0: a name, ATYP 3,
is answered with REP 0 and its first address, ATYP 1 or 4, in BND.ADDR; an
address, as ATYP 1 or 4 or written as a name, is answered with itself, at
once, as Tor does) and RESOLVE_PTR (0xF1: an address, ATYP 1
or 4, is answered with ATYP 3 and the first name that lists it) from the
table of --resolve NAME=ADDR[,ADDR...] and --resolve-file (a JSON object
{name: [addresses]}); names are matched case-insensitively without the
trailing dot; a name or address not in the table gets REP 4 (host
unreachable). They are logged like CONNECTs ("cmd": 240 or 241).

The module also defines pattern(n), the deterministic content GET /bytes/N
serves, for the tests to compute expected digests.
"""

import argparse
import asyncio
import hashlib
import ipaddress
import json
import os
import random
import resource
import signal
import socket
import struct
import sys

import tortiming

# ---------------------------------------------------------------- content

BLOCK_SIZE = 65536


def pattern_block(k):
    """Block k (64 KiB) of the deterministic stream: every block differs, so
    a dropped, duplicated or reordered block changes the digest."""
    return random.Random(0x746F7267617465 + k).randbytes(BLOCK_SIZE)


def pattern_chunks(n):
    """Yields the first n bytes of the stream in blocks."""
    k = 0
    while n > 0:
        b = pattern_block(k)
        if n < BLOCK_SIZE:
            b = b[:n]
        yield b
        n -= len(b)
        k += 1


def pattern(n):
    """The first n bytes served by GET /bytes/N."""
    return b"".join(pattern_chunks(n))


def pattern_sha256(n):
    h = hashlib.sha256()
    for b in pattern_chunks(n):
        h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------- helpers

def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def log_err(msg):
    sys.stderr.write("servers[%d]: %s\n" % (os.getpid(), msg))
    sys.stderr.flush()


async def close_writer(w):
    try:
        w.close()
        await w.wait_closed()
    except Exception:
        pass


def abort_writer(w):
    try:
        w.transport.abort()
    except Exception:
        pass


# ---------------------------------------------------------------- SOCKS5

REP_GARBAGE_PORT = 60300
REP_TRUNCATED_PORT = 60301
REP_SILENT_PORT = 60302
GARBAGE_REPLY = b"HTTP/1.0 400 Bad\r\n\r\n"
TRUNCATED_REPLY = b"\x05\x00\x00"


CMD_CONNECT, CMD_RESOLVE, CMD_RESOLVE_PTR = 0x01, 0xF0, 0xF1
REP_HOST_UNREACHABLE, REP_CMD_UNSUPPORTED, REP_ATYP_UNSUPPORTED = 4, 7, 8


def socks_reply_name(rep, name, port=0):
    b = name.encode("latin-1")
    return bytes([5, rep, 0, 3, len(b)]) + b + struct.pack(">H", port)


def socks_reply(rep, addr=("0.0.0.0", 0)):
    host, port = addr[0], addr[1]
    ip = ipaddress.ip_address(host)
    if ip.version == 4:
        return bytes([5, rep, 0, 1]) + ip.packed + struct.pack(">H", port)
    return bytes([5, rep, 0, 4]) + ip.packed + struct.pack(">H", port)


class SocksServer:
    def __init__(self, args):
        self.maps = {}
        for m in args.map or []:
            p, _, hp = m.partition("=")
            self.maps[int(p)] = parse_hostport(hp)
        self.default = parse_hostport(args.default) if args.default else None
        self.log_fd = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) \
            if args.log else None
        self.names, self.ptrs = load_resolve_table(args.resolve or [], args.resolve_file)
        self.rtt = (args.rtt_ms or 0) / 1000.0

    def log(self, rec):
        if self.log_fd is None:
            return
        line = (json.dumps(rec, sort_keys=True) + "\n").encode()
        # One write() per line on an O_APPEND descriptor: lines from the
        # workers never interleave.
        os.write(self.log_fd, line)

    async def handle(self, reader, writer):
        try:
            await self._handle(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except Exception as e:  # a bug in the test server: say so
            log_err("socks handler: %r" % (e,))
        finally:
            await close_writer(writer)

    async def _handle(self, reader, writer):
        ver, nmethods = await reader.readexactly(2)
        if ver != 5:
            return
        methods = await reader.readexactly(nmethods)
        if 2 in methods:
            method = 2
        elif 0 in methods:
            method = 0
        else:
            writer.write(b"\x05\xff")
            await writer.drain()
            return
        writer.write(bytes([5, method]))
        await writer.drain()
        user = passwd = None
        if method == 2:
            aver, ulen = await reader.readexactly(2)
            if aver != 1:
                writer.write(b"\x01\x01")
                await writer.drain()
                return
            user = (await reader.readexactly(ulen)).decode("latin-1")
            (plen,) = await reader.readexactly(1)
            passwd = (await reader.readexactly(plen)).decode("latin-1")
            writer.write(b"\x01\x00")
            await writer.drain()
        ver, cmd, rsv, atyp = await reader.readexactly(4)
        if ver != 5:
            return
        if atyp == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif atyp == 4:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        elif atyp == 3:
            (n,) = await reader.readexactly(1)
            host = (await reader.readexactly(n)).decode("latin-1")
        else:
            writer.write(socks_reply(8))
            await writer.drain()
            return
        (port,) = struct.unpack(">H", await reader.readexactly(2))
        self.log({"method": method, "user": user, "pass": passwd, "cmd": cmd,
                  "rsv": rsv, "atyp": atyp, "host": host, "port": port,
                  "pid": os.getpid()})
        if cmd in (CMD_RESOLVE, CMD_RESOLVE_PTR):
            if self.rtt > 0 and not is_address(host):
                await asyncio.sleep(self.rtt)     # Tor asks an exit: a circuit round trip
            writer.write(self.resolve_reply(cmd, atyp, host))
            await writer.drain()
            return
        if cmd != CMD_CONNECT:
            writer.write(socks_reply(REP_CMD_UNSUPPORTED))
            await writer.drain()
            return
        if 60001 <= port <= 60255:
            writer.write(socks_reply(port - 60000))
            await writer.drain()
            return
        if port == REP_GARBAGE_PORT:
            writer.write(GARBAGE_REPLY)
            await writer.drain()
            return
        if port == REP_TRUNCATED_PORT:
            writer.write(TRUNCATED_REPLY)
            await writer.drain()
            return
        if port == REP_SILENT_PORT:
            await asyncio.sleep(2)
            return
        target = self.maps.get(port, self.default)
        if target is None:
            writer.write(socks_reply(5))
            await writer.drain()
            return
        if self.rtt > 0:
            await self.tor_timed(reader, writer, target, host, port)
            return
        try:
            ureader, uwriter = await asyncio.wait_for(
                asyncio.open_connection(target[0], target[1]), 10)
        except (OSError, asyncio.TimeoutError):
            writer.write(socks_reply(5))
            await writer.drain()
            return
        try:
            writer.write(socks_reply(0, uwriter.get_extra_info("sockname")))
            await writer.drain()
            await splice(reader, writer, ureader, uwriter)
        finally:
            await close_writer(uwriter)


    async def tor_timed(self, reader, writer, target, host, port):
        """A CONNECT with Tor's timing (--rtt-ms; tortiming.py), logged with
        how many bytes the client sent before the reply."""
        early = await tortiming.connect(reader, writer, target, self.rtt, socks_reply, close_writer)
        self.log({"timed": True, "host": host, "port": port, "early": early,
                  "rtt_ms": int(self.rtt * 1000)})

    def resolve_reply(self, cmd, atyp, host):
        """Tor's answer to RESOLVE / RESOLVE_PTR, from the table."""
        if cmd == CMD_RESOLVE:
            if atyp != 3 or is_address(host):
                return socks_reply(0, (host, 0))   # as Tor: an address, even as a name, is itself
            addrs = self.names.get(norm_name(host))
            return socks_reply(0, (addrs[0], 0)) if addrs else socks_reply(REP_HOST_UNREACHABLE)
        if atyp == 3:
            return socks_reply(REP_ATYP_UNSUPPORTED)
        name = self.ptrs.get(ipaddress.ip_address(host))
        return socks_reply_name(0, name) if name else socks_reply(REP_HOST_UNREACHABLE)


def is_address(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def norm_name(name):
    return name.rstrip(".").lower()


def load_resolve_table(specs, path):
    """({name: [address, ...]}, {ip_address: name}) from --resolve
    NAME=ADDR[,ADDR...] options and a JSON file {name: [addresses]}."""
    table = {}
    if path:
        with open(path) as f:
            for name, addrs in json.load(f).items():
                table[norm_name(name)] = [str(ipaddress.ip_address(a)) for a in addrs]
    for spec in specs:
        name, _, addrs = spec.partition("=")
        table[norm_name(name)] = [str(ipaddress.ip_address(a)) for a in addrs.split(",") if a]
    ptrs = {}
    for name, addrs in table.items():
        for a in addrs:
            ptrs.setdefault(ipaddress.ip_address(a), name)
    return table, ptrs


async def splice(r1, w1, r2, w2):
    """Copies r1->w2 and r2->w1; an EOF on one side becomes a shutdown(SHUT_WR)
    on the other; returns when both directions are done. An error on either
    side aborts both connections."""
    failed = False

    async def pump(r, w, other_w):
        nonlocal failed
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                w.write(data)
                await w.drain()
            if w.can_write_eof() and not w.transport.is_closing():
                w.write_eof()
        except (ConnectionError, OSError):
            failed = True
            abort_writer(w)
            abort_writer(other_w)

    await asyncio.gather(pump(r1, w2, w1), pump(r2, w1, w2))
    if not failed:
        # Both directions saw EOF and shutdown was sent: let the buffered
        # bytes go out before closing.
        for w in (w1, w2):
            try:
                await w.drain()
            except (ConnectionError, OSError):
                pass


def parse_hostport(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


# ---------------------------------------------------------------- HTTP

def http_response(status, body=b"", extra=""):
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found",
              405: "Method Not Allowed", 411: "Length Required"}.get(status, "X")
    head = ("HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
            "%sConnection: close\r\n\r\n" % (status, reason, len(body), extra))
    return head.encode() + body


class HttpServer:
    def __init__(self, args):
        pass

    async def handle(self, reader, writer):
        try:
            await self._handle(reader, writer)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ConnectionError, OSError):
            pass
        except Exception as e:
            log_err("http handler: %r" % (e,))
        finally:
            await close_writer(writer)

    async def _handle(self, reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        if len(parts) != 3:
            writer.write(http_response(400, b"bad request line\n"))
            await writer.drain()
            return
        method, path, _ = parts
        headers = {}
        for ln in lines[1:]:
            if ":" in ln:
                k, _, v = ln.partition(":")
                headers[k.strip().lower()] = v.strip()
        if method == "GET" and path == "/hello":
            writer.write(http_response(200, b"hello\n"))
            await writer.drain()
        elif method == "GET" and path.startswith("/bytes/"):
            try:
                n = int(path[len("/bytes/"):])
            except ValueError:
                writer.write(http_response(400, b"bad length\n"))
                await writer.drain()
                return
            writer.write(("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Length: %d\r\nConnection: close\r\n\r\n" % n).encode())
            for chunk in pattern_chunks(n):
                writer.write(chunk)
                await writer.drain()
        elif method == "POST" and path == "/sha256":
            if "content-length" not in headers:
                writer.write(http_response(411, b"content-length required\n"))
                await writer.drain()
                return
            n = int(headers["content-length"])
            if headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await writer.drain()
            h = hashlib.sha256()
            left = n
            while left > 0:
                data = await reader.read(min(left, 262144))
                if not data:
                    raise ConnectionError("body truncated")
                h.update(data)
                left -= len(data)
            writer.write(http_response(200, (h.hexdigest() + "\n").encode()))
            await writer.drain()
        elif method == "GET" and path == "/hold":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            while await reader.read(65536):
                pass
        else:
            writer.write(http_response(404, b"not found\n"))
            await writer.drain()


# ---------------------------------------------------------------- echo / half-close

class EchoServer:
    def __init__(self, args):
        pass

    async def handle(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            await close_writer(writer)


class HalfCloseServer:
    def __init__(self, args):
        pass

    async def handle(self, reader, writer):
        try:
            h = hashlib.sha256()
            n = 0
            while True:
                data = await reader.read(262144)
                if not data:
                    break
                h.update(data)
                n += len(data)
            writer.write(("%d %s\n" % (n, h.hexdigest())).encode())
            await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            await close_writer(writer)


class BannerServer:
    """A server that speaks first, as SSH, SMTP and IMAP do: a banner line
    on connect, then each line echoed."""

    def __init__(self, args):
        pass

    async def handle(self, reader, writer):
        try:
            writer.write(b"SSH-2.0-torgate-test\r\n")
            await writer.drain()
            while True:
                line = await reader.readline()
                if not line:
                    break
                writer.write(line)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            await close_writer(writer)


# ---------------------------------------------------------------- process model

KINDS = {"socks": SocksServer, "http": HttpServer, "echo": EchoServer,
         "halfclose": HalfCloseServer, "banner": BannerServer}


def make_listener(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind((host, port))
    return s


def worker_main(args, port, ready_w):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    raise_nofile()
    server = KINDS[args.kind](args)
    sock = make_listener(args.host, port)
    sock.listen(4096)

    async def run():
        srv = await asyncio.start_server(server.handle, sock=sock, limit=1 << 20)
        os.write(ready_w, b"r")
        os.close(ready_w)
        async with srv:
            await srv.serve_forever()

    asyncio.run(run())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=sorted(KINDS))
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--ready-file")
    ap.add_argument("--log", help="socks: JSON line per request (CONNECT, RESOLVE, RESOLVE_PTR)")
    ap.add_argument("--map", action="append", metavar="PORT=HOST:PORT",
                    help="socks: where CONNECTs to PORT go")
    ap.add_argument("--default", metavar="HOST:PORT",
                    help="socks: where other CONNECTs go")
    ap.add_argument("--resolve", action="append", metavar="NAME=ADDR[,ADDR...]",
                    help="socks: what RESOLVE / RESOLVE_PTR answer for NAME")
    ap.add_argument("--rtt-ms", type=int, default=0,
                    help="socks: Tor's timing, a circuit round trip of this many ms (tor_timed)")
    ap.add_argument("--resolve-file", metavar="JSON",
                    help="socks: more of the table, as {name: [addresses]}")
    args = ap.parse_args(argv)
    raise_nofile()

    # Holds the port (bound, never listening, so it takes no connections)
    # while the workers bind their own SO_REUSEPORT listeners to it.
    holder = make_listener(args.host, args.port)
    port = holder.getsockname()[1]

    ready_r, ready_w = os.pipe()
    children = []
    for _ in range(max(1, args.workers)):
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            try:
                worker_main(args, port, ready_w)
            except BaseException as e:  # noqa: BLE001
                if not isinstance(e, (KeyboardInterrupt, SystemExit)):
                    log_err("worker died: %r" % (e,))
            finally:
                os._exit(1)
        children.append(pid)
    os.close(ready_w)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        for c in children:
            try:
                os.kill(c, signal.SIGKILL)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    got = b""
    while len(got) < len(children):
        b = os.read(ready_r, 64)
        if not b:
            log_err("a worker exited before it was ready")
            stop(0, None)
            sys.exit(1)
        got += b
    os.close(ready_r)
    line = "ready %d\n" % port
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(line)
        os.rename(tmp, args.ready_file)
    sys.stdout.write(line)
    sys.stdout.flush()

    status = 0
    for c in children:
        while True:
            try:
                _, st = os.waitpid(c, 0)
                if not stopping:
                    log_err("worker %d exited with status %d" % (c, st))
                    status = 1
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
    sys.exit(status)


if __name__ == "__main__":
    main()
