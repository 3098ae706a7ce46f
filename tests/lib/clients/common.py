"""Shared code for the client programs that run inside torgate."""

import errno
import hashlib
import json
import os
import socket
import sys
import time


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def err_name(e):
    n = getattr(e, "errno", None)
    if n is None:
        return type(e).__name__
    return errno.errorcode.get(n, str(n))


def connect(host, port, timeout=30.0):
    s = socket.socket(family_of(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((host, port))
    except BaseException:
        s.close()
        raise
    return s


def recv_all(s):
    chunks = []
    while True:
        b = s.recv(262144)
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


def parse_http(data):
    """Returns (status, headers dict, body) of a Connection: close response."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise ValueError("no end of headers in %d bytes" % len(data))
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers and int(headers["content-length"]) != len(body):
        raise ValueError("content-length %s but %d body bytes"
                         % (headers["content-length"], len(body)))
    return status, headers, body


def http_get(host, port, path, timeout=30.0, sock_info=None):
    """GET path over a new connection; returns (status, body). The server
    closes first. sock_info (a dict) receives the local port."""
    s = connect(host, port, timeout)
    try:
        if sock_info is not None:
            sock_info["local_port"] = s.getsockname()[1]
        hosthdr = "[%s]" % host if ":" in host else host
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (path, hosthdr)).encode())
        data = recv_all(s)
    finally:
        s.close()
    status, _, body = parse_http(data)
    return status, body


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def wait_for_file(path, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError("%s did not appear within %ss" % (path, timeout))
        time.sleep(0.01)


def touch(path):
    with open(path, "w") as f:
        f.write("%d\n" % os.getpid())


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
