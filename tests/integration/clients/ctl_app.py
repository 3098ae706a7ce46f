#!/usr/bin/python3
"""An app driven line by line from stdin, inside torgate (test_control.py).
Each command prints one JSON line:

  open ID HOST PORT    connect a TCP stream, kept as ID
  echo ID TEXT         send TEXT on stream ID (to the echo service), read it back
  get HOST PATH        one HTTP GET to HOST:80 on a new connection
  quit

Results: {"ok": true, ...} or {"ok": false, "error": ERRNO_NAME}.
"""

import sys

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common

streams = {}


def run(cmd):
    if cmd[0] == "open":
        streams[cmd[1]] = common.connect(cmd[2], int(cmd[3]), timeout=10)
        return {"ok": True}
    if cmd[0] == "echo":
        s = streams[cmd[1]]
        data = cmd[2].encode()
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            b = s.recv(len(data) - len(got))
            if not b:
                return {"ok": False, "error": "EOF", "got": got.decode()}
            got += b
        return {"ok": got == data, "got": got.decode()}
    if cmd[0] == "get":
        status, body = common.http_get(cmd[1], 80, cmd[2], timeout=10)
        return {"ok": status == 200, "status": status, "bytes": len(body)}
    return {"ok": False, "error": "unknown command"}


def main():
    common.emit({"ready": True})
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        try:
            common.emit(run(cmd))
        except (OSError, ValueError) as e:
            common.emit({"ok": False, "error": common.err_name(e)})


if __name__ == "__main__":
    main()
