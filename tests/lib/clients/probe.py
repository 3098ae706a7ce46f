#!/usr/bin/python3
"""Runs a list of steps given as one JSON argument and prints one JSON line
with a result per step. Steps:

  {"op": "connect", "host": H, "port": P}      connect() then close; reports
                                                ok / errno and the time taken
  {"op": "get", "host": H, "port": P, "path": X} HTTP GET; reports status, body
                                                (if < 4 KiB), length, sha256
  {"op": "touch", "path": F}                   create file F
  {"op": "wait", "path": F, "timeout": T}      wait until F exists

Every network step has a 30 s timeout (reported as an error, never a hang).
"""

import json
import sys
import time

import common


def run_step(st):
    op = st["op"]
    r = {"op": op}
    if op in ("connect", "get"):
        r["host"], r["port"] = st["host"], st["port"]
    t0 = time.monotonic()
    try:
        if op == "connect":
            s = common.connect(st["host"], st["port"], st.get("timeout", 30.0))
            s.close()
        elif op == "get":
            status, body = common.http_get(st["host"], st["port"], st["path"],
                                           st.get("timeout", 30.0))
            r["status"] = status
            r["length"] = len(body)
            r["sha256"] = common.sha256(body)
            if len(body) < 4096:
                r["body"] = body.decode("latin-1")
        elif op == "touch":
            common.touch(st["path"])
        elif op == "wait":
            common.wait_for_file(st["path"], st.get("timeout", 60))
        else:
            raise ValueError("unknown op %r" % op)
        r["ok"] = True
    except Exception as e:  # noqa: BLE001
        r["ok"] = False
        r["error"] = common.err_name(e)
        r["detail"] = str(e)
    r["elapsed"] = time.monotonic() - t0
    return r


def main():
    steps = json.loads(sys.argv[1])
    common.emit({"steps": [run_step(st) for st in steps]})


if __name__ == "__main__":
    main()
