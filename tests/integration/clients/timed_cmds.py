#!/usr/bin/python3
"""Runs the commands given as one JSON argument (a list of argv lists) one
after the other and prints [{"argv", "rc", "stdout", "stderr", "elapsed"}]."""

import json
import subprocess
import sys
import time

import libpath  # noqa: F401  (tests/lib/clients on sys.path)
import common


def main():
    res = []
    for argv in json.loads(sys.argv[1]):
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, capture_output=True, timeout=60)
            r = {"rc": p.returncode, "stdout": p.stdout.decode("latin-1"),
                 "stderr": p.stderr.decode("latin-1")}
        except subprocess.TimeoutExpired:
            r = {"rc": None, "stdout": "", "stderr": "timed out after 60 s"}
        r["argv"] = argv
        r["elapsed"] = time.monotonic() - t0
        res.append(r)
    common.emit(res)


if __name__ == "__main__":
    main()
