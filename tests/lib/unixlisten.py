"""Stand-ins for the host's unix-socket services (a desktop's, a daemon's):
each records every connection it accepts (the peer's uid and the line it
sent) and answers "seen", so a client's success is the listener's word,
not the client's. Used by the suites that test what the sandbox may reach
by path (integration's test_ipc, test_gui, test_dbus)."""

import os
import socket
import struct
import threading

# Run inside torgate (python3 -c PROBE PATH...): one line per path,
# "PATH seen" when the listener answered, "PATH ERR ERRNO" otherwise.
PROBE = """
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    try:
        s.connect(p)
        s.sendall(p.encode() + b'\\n')
        print(p, s.makefile().readline().strip() or 'EOF')
    except OSError as e:
        print(p, 'ERR', e.errno)
"""


def results(stdout):
    """{path: "seen" | "ERR N" | ...} from PROBE's output."""
    out = {}
    for ln in stdout.splitlines():
        path, _, rest = ln.partition(" ")
        if path.startswith("/"):
            out[path] = rest
    return out


class Listener:
    def __init__(self, path, mode=0o777):
        self.path, self.seen = path, []
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.bind(path)
        os.chmod(path, mode)
        self.sock.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return              # close()
            with c:
                c.settimeout(10)
                cred = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
                uid = struct.unpack("3i", cred)[1]
                try:
                    line = c.makefile("rb").readline().decode(errors="replace").strip()
                except OSError as e:
                    line = "error: %s" % e
                # Recorded before the answer: once a client has read "seen",
                # the record is there to be checked.
                self.seen.append((uid, line))
                try:
                    c.sendall(b"seen\n")
                except OSError:
                    pass

    def close(self):
        # shutdown, not close alone: it wakes the accept() in the thread.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(10)
        try:
            os.unlink(self.path)
        except OSError:
            pass
