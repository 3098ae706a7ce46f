"""A real browser inside torgate: Debian's chromium, headless, loads pages
from the private Tor network, one by a clearnet-style name through an exit
and one from an onion service. Each page is words on a background of its
server's own colour; the screenshot must show that colour and the words
(white pixels where the heading is), and the DOM chromium built must hold
the words. Nothing but Tor carries it: the sandbox has no other way out."""

import os
import shutil
import struct
import subprocess
import uuid
import zlib

import pytest

import tgutil
from tgutil import describe

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLORS = {"web": (46, 139, 87), "onion": (139, 46, 111)}
CHROMIUM = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--window-size=800,600"]


def png_pixels(data):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, hdr
    bpp = 3 if ctype == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def check_shot(shot, which, url):
    """An 800x600 screenshot of the page: its server's colour fills the
    window below the heading, and the heading's words are drawn in white
    at its top left."""
    w, h, rows = png_pixels(open(shot, "rb").read())
    assert (w, h) == (800, 600), (w, h)
    want = COLORS[which]
    for x, y in ((400, 400), (100, 550), (700, 300)):
        assert rows[y][x] == want, "pixel (%d,%d) is %r, not %r: %s" % (x, y, rows[y][x], want, url)
    white = sum(1 for y in range(0, 70) for x in range(0, 400) if min(rows[y][x]) > 230)
    assert white > 500, "no heading drawn (%d white pixels)" % white


@pytest.fixture
def shots():
    d = os.path.join(TOP, "build", "test-logs", "browser-" + uuid.uuid4().hex[:8])
    os.makedirs(d)
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("which", ["web", "onion"])
def test_chromium_shows_the_page(tg, tornet, shots, which):
    assert shutil.which("chromium"), "chromium is missing: scripts/install-deps --tests installs it"
    url = (tornet["TORNET_WEB_URL"] if which == "web" else tornet["TORNET_ONION_URL"]) + "page.html"
    shot = os.path.join(shots, "shot.png")
    home = os.path.join(shots, "home")
    os.makedirs(home, mode=0o777)
    env = {"HOME": home}
    cp = tg(["--"] + CHROMIUM + ["--user-data-dir=" + os.path.join(home, "a"), "--screenshot=" + shot, url],
            timeout=150, env=env)
    assert cp.returncode == 0 and os.path.exists(shot), describe(cp)
    check_shot(shot, which, url)
    cp = tg(["--"] + CHROMIUM + ["--user-data-dir=" + os.path.join(home, "b"), "--dump-dom", url],
            timeout=150, env=env)
    assert cp.returncode == 0 and "tornet %s ok" % which in cp.stdout, describe(cp)


def test_chromium_with_its_shipped_profile(tg, tornet, shots):
    """torgate's own chromium profile (a private home, a circuit per host)
    with nothing else: no --user-data-dir, so Chromium makes its data
    directory in the private home; the onion page must still render, and
    nothing is left in the real home afterwards."""
    assert shutil.which("chromium"), "chromium is missing: scripts/install-deps --tests installs it"
    url = tornet["TORNET_ONION_URL"] + "page.html"
    shot = os.path.join(shots, "shot.png")
    home = os.path.join(shots, "home")
    os.makedirs(home, mode=0o777)
    cp = tg(["-v", "--profile", os.path.join(TOP, "profiles", "chromium.conf"), "--"] + CHROMIUM +
            ["--screenshot=" + shot, url], timeout=150, env={"HOME": home})
    assert cp.returncode == 0 and os.path.exists(shot), describe(cp)
    assert "profiles/chromium.conf" in cp.stderr and "is a private, empty home" in cp.stderr, describe(cp)
    w, h, rows = png_pixels(open(shot, "rb").read())
    assert rows[400][400] == COLORS["onion"], rows[400][400]
    assert os.listdir(home) == [], "the private home leaked onto the host: %r" % os.listdir(home)


@pytest.mark.parametrize("which", ["web", "onion"])
def test_firefox_with_its_shipped_profile(tg, tornet, shots, which):
    """torgate's firefox-esr profile (a private home; a Firefox profile in
    it with torgate's user.js: .onion allowed, DoH off): the page by name
    through an exit and the onion page render. Firefox refuses .onion
    names by default, so without the profile's preferences the onion page
    never loads."""
    assert shutil.which("firefox-esr"), "firefox-esr is missing: scripts/install-deps --tests installs it"
    url = (tornet["TORNET_WEB_URL"] if which == "web" else tornet["TORNET_ONION_URL"]) + "page.html"
    shot = os.path.join(shots, "shot.png")
    home = os.path.join(shots, "home")
    os.makedirs(home, mode=0o777)
    # Run as root (this suite), Firefox's own sandbox maps uid 0 into a user
    # namespace of its own, which needs CAP_SETFCAP, and its content
    # processes die; as a user it needs nothing.
    root = ["--setenv", "MOZ_DISABLE_CONTENT_SANDBOX=1"] if os.geteuid() == 0 and not tgutil.get_test_user() else []
    cp = tg(["-v", "--profile", os.path.join(TOP, "profiles", "firefox-esr.conf")] + root +
            ["--", "firefox-esr", "--headless", "--window-size=800,600", "--screenshot", shot, url],
            timeout=150, env={"HOME": home})
    assert cp.returncode == 0 and os.path.exists(shot), describe(cp)
    assert "profiles/firefox-esr.conf" in cp.stderr, describe(cp)
    check_shot(shot, which, url)
    assert os.listdir(home) == [], "the private home leaked onto the host: %r" % os.listdir(home)
