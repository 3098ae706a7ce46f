"""--onion-service VPORT[:PORT]: an onion service of the command's, served
by Tor, reached through the TUN (the --publish path). Tested with the
network's onion-service tor as the host's Tor (--tor-control at its
control port) and its client tor as the outside client.

What a user would check:
- torgate says, in one line, the .onion address once Tor has published
  it; a client elsewhere fetches the command's page through Tor at that
  address and port VPORT;
- --onion-key FILE: made 0600 when missing, the same address after a
  restart; a key file others may read is refused before anything runs;
- once torgate stops, the service is gone: the client cannot reach it;
- --onion-auth FILE: only a client holding that key's private half
  reaches the service.
"""

import base64
import importlib.util
import os
import re
import select
import subprocess
import time
import uuid
from pathlib import Path

import pytest

import tornet_ctl
from tgutil import describe

SERVER = ("import http.server,sys\n"
          "class H(http.server.BaseHTTPRequestHandler):\n"
          " def do_GET(self):\n"
          "  b=sys.argv[1].encode()+b'\\n'; self.send_response(200)\n"
          "  self.send_header('Content-Length',str(len(b))); self.end_headers(); self.wfile.write(b)\n"
          " def log_message(self,*a): pass\n"
          "http.server.HTTPServer(('0.0.0.0',8080),H).serve_forever()\n")
PUBLISHED = re.compile(r"torgate: onion service ([a-z2-7]{56})\.onion is published "
                       r"\(port 80 -> the command's 8080\)")


def start(tg_popen, tornet, body, *opts):
    return tg_popen(["--tor-control", tornet["TORNET_HS_CONTROL"], "--onion-service", "80:8080", *opts,
                     "--", "python3", "-c", SERVER, body])


def wait_published(p, timeout=120):
    """The address from torgate's line; fails with what it said."""
    said, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([p.stderr], [], [], 1)
        if r:
            line = p.stderr.readline()
            if line == "":
                break
            said += line
            m = PUBLISHED.search(line)
            if m:
                return m.group(1)
    p.kill()
    pytest.fail("no 'onion service ... is published' line; torgate said:\n" + said + p.stderr.read())


def fetch(tornet, onion, timeout=90):
    return subprocess.run(["curl", "-sS", "-m", str(timeout), "--socks5-hostname", tornet["TORNET_SOCKS"],
                           "http://%s.onion/" % onion], capture_output=True, text=True,
                          timeout=timeout + 30)


def stop(p):
    p.terminate()
    out, err = p.communicate(timeout=30)
    return p.returncode, err


def fetched(tornet, onion, body, tries=3):
    """A fresh service's first fetch can meet a descriptor not on every
    HSDir yet: a few tries."""
    cp = None
    for _ in range(tries):
        cp = fetch(tornet, onion)
        if cp.returncode == 0:
            break
        time.sleep(2)
    assert cp.returncode == 0 and cp.stdout == body + "\n", describe(cp)


def test_onion_service_with_a_kept_key(tg_popen, tornet, tmp_path):
    key = tmp_path / "web.key"
    body = "from-inside-%s" % uuid.uuid4().hex[:8]
    p = start(tg_popen, tornet, body, "--onion-key", str(key))
    onion = wait_published(p)
    st = os.stat(key)
    assert st.st_mode & 0o777 == 0o600 and open(key).read().startswith("ED25519-V3:"), oct(st.st_mode)
    fetched(tornet, onion, body)
    code, err = stop(p)
    assert code == 128 + 15, err

    # Gone with torgate: Tor took the service down.
    cp = fetch(tornet, onion, timeout=60)
    assert cp.returncode != 0, "the onion service outlived torgate: " + describe(cp)

    # The same key: the same address, serving again.
    body2 = body + "-again"
    p = start(tg_popen, tornet, body2, "--onion-key", str(key))
    assert wait_published(p) == onion
    fetched(tornet, onion, body2)
    stop(p)


def test_onion_service_refusals(tg, tornet, tmp_path):
    key = tmp_path / "loose.key"
    key.write_text("ED25519-V3:" + "A" * 86 + "==\n")
    os.chmod(key, 0o644)
    # Where the command could leave a mark the host sees (not the
    # sandbox's private /tmp).
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    marker = Path(top, "build", "test-logs", "onion-ran-" + uuid.uuid4().hex[:8])
    marker.parent.mkdir(parents=True, exist_ok=True)
    args = ["--tor-control", tornet["TORNET_HS_CONTROL"], "--onion-service", "80:8080",
            "--onion-key", str(key), "--", "touch", str(marker)]
    cp = tg(args)
    assert cp.returncode == 125 and "--onion-key %s may be read by others" % key in cp.stderr, describe(cp)
    assert not marker.exists(), "the command ran though its onion service could not be made"
    # No control port there: one line, and nothing runs.
    cp = tg(["--tor-control", "127.0.0.1:9", "--onion-service", "80", "--", "touch", str(marker)])
    assert cp.returncode == 125 and "--onion-service needs Tor's control port" in cp.stderr, describe(cp)
    assert len([ln for ln in cp.stderr.splitlines() if "error" in ln]) == 1, cp.stderr
    assert not marker.exists()


def test_onion_service_nothing_listening_inside(tg_popen, tornet):
    """The command does not listen on PORT: the client's connection is
    closed, and torgate says why in one line, without -v."""
    p = tg_popen(["--tor-control", tornet["TORNET_HS_CONTROL"], "--onion-service", "80:8080", "--",
                  "sleep", "300"])
    onion = wait_published(p)
    # A fresh descriptor may not be on every HSDir yet: Tor then refuses
    # the CONNECT (curl 97) before anything reaches torgate. Once it does,
    # the connection is closed after it was made (curl 52 or 56).
    for _ in range(5):
        cp = fetch(tornet, onion, timeout=60)
        if cp.returncode != 97:
            break
        time.sleep(2)
    assert cp.returncode in (52, 56), describe(cp)
    code, err = stop(p)
    assert "a connection to the command's port 8080 was refused: nothing listens there" in err, err


def onionkeys():
    """scripts/tornet.d/onionkeys.py (the network's own key maker)."""
    path = os.path.join(tornet_ctl.TOP, "scripts", "tornet.d", "onionkeys.py")
    spec = importlib.util.spec_from_file_location("onionkeys", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_onion_service_with_client_authorization(tg_popen, tornet, control, tmp_path):
    priv, pub = onionkeys().x25519_keypair()
    auth = tmp_path / "alice.auth"
    auth.write_text("descriptor:x25519:%s\n" % pub)
    body = "for-alice-%s" % uuid.uuid4().hex[:8]
    p = start(tg_popen, tornet, body, "--onion-auth", str(auth))
    onion = wait_published(p)
    # Without the key the descriptor cannot be read: no way in.
    cp = fetch(tornet, onion, timeout=30)
    assert cp.returncode != 0, "reached without client authorization: " + describe(cp)
    key = base64.b64encode(base64.b32decode(priv + "====")).decode()
    code, lines = control.command("ONION_CLIENT_AUTH_ADD %s x25519:%s" % (onion, key))
    assert code in ("250", "252"), lines      # 252: the fetched descriptor now decrypts
    try:
        fetched(tornet, onion, body)
    finally:
        control.command("ONION_CLIENT_AUTH_REMOVE %s" % onion)
    stop(p)
