"""TUN offloads (--offload, IFF_VNET_HDR): the app's kernel hands the
gateway TCP super-segments of up to 64 KiB and leaves checksums to it, and
the gateway sends super-segments back.

What a user would check: bulk bytes arrive exactly, both ways, over IPv4
and IPv6, with offloads and without, at the default MTU and the smallest;
and with offloads the TUN really carries super-segments in both directions
(the gateway's -v counters), without them none: the TUN has no virtio-net
header (ip -d link, inside) and the gateway reads at least as many packets
as MTU-sized ones would take to carry the bytes up. The workload is
clients/faultload.py: echo streams checked byte for byte (upload and
download at once) and an HTTP download checked by digest.
"""

import json
import re

import pytest

import servers as srv
import tgutil
from tgutil import py_client

BIG = 3 << 20
WORKLOAD = {
    "echo": [["203.0.113.9", BIG], ["2001:db8::9", BIG]],
    "get": [["2001:db8::80", BIG, srv.pattern_sha256(BIG)]],
    "timeout": 60,
}
SUPER = re.compile(r"offloads: (\d+) of the packets in and (\d+) of (\d+) out were TCP super-segments")
PACKETS_IN = re.compile(r"packets: (\d+) in, 0 malformed")
BYTES_UP = re.compile(r"streams: .*; (\d+) bytes up, \d+ down")
ACKS_MERGED = re.compile(r"(\d+) ACKs merged into a later one")
VNET_HDR = re.compile(r"^\s*tun type tun .*\bvnet_hdr (on|off)\b", re.M)


def run(run_torgate, *opts):
    """Runs the workload with torgate -v OPTS; returns the CompletedProcess
    and whether the TUN, as the command sees it, has IFF_VNET_HDR ("on"
    or "off", from ip -d link)."""
    show = 'ip -d link show dev tg0 && exec "$@"'
    cp = run_torgate(["-v", *opts, "--", "sh", "-c", show, "sh"]
                     + py_client("faultload.py", json.dumps(WORKLOAD)), timeout=90)
    assert cp.returncode == 0, tgutil.describe(cp)
    steps = tgutil.json_result(cp)["steps"]
    assert len(steps) == 3 and all(s["result"] == "ok" for s in steps), \
        "%r\n%s" % (steps, tgutil.describe(cp))
    vnet = VNET_HDR.search(cp.stdout)
    assert vnet, "no tun details from ip -d link:\n" + tgutil.describe(cp)
    return cp, vnet.group(1)


@pytest.mark.parametrize("mtu", ["1500", "1280"])
def test_offloads_carry_super_segments_both_ways(run_torgate, mtu):
    cp, vnet = run(run_torgate, "--mtu", mtu)
    assert vnet == "on", tgutil.describe(cp)
    m = SUPER.search(cp.stderr)
    assert m, "no offload counters (offloads off?):\n" + tgutil.describe(cp)
    rx, tx, out = (int(x) for x in m.groups())
    # 9 MB each way in packets of the MTU would be over 6,000 packets; a
    # handful of super-segments each way shows the offloads really work.
    assert rx >= 10 and tx >= 10, m.group(0)
    assert re.search(r"\b0 TUN writes failed", cp.stderr), tgutil.describe(cp)
    assert re.search(r"packets: \d+ in, 0 malformed", cp.stderr), tgutil.describe(cp)


@pytest.mark.parametrize("mtu", [1500, 1280])
def test_offload_off_is_a_plain_tun(run_torgate, mtu):
    cp, vnet = run(run_torgate, "--offload", "off", "--mtu", str(mtu))
    assert vnet == "off", tgutil.describe(cp)
    assert "offloads:" not in cp.stderr, tgutil.describe(cp)
    packets, up = PACKETS_IN.search(cp.stderr), BYTES_UP.search(cp.stderr)
    assert packets and up, tgutil.describe(cp)
    # Each packet in carries at most MTU - 40 bytes of stream (IPv4 and TCP
    # headers without options), so the bytes up need at least this many
    # packets in; super-segments bring 6 MiB up in a few hundred, this
    # needs over 4,000.
    fewest = int(up.group(1)) // (mtu - 40)
    assert int(packets.group(1)) >= fewest > 4000, (packets.group(0), up.group(0))
    # lwIP acknowledges every second segment, over 2,000 ACKs for this
    # upload, each a write of its own on a plain TUN; those a later ACK of
    # the same loop turn replaced were never written (the bytes above
    # arrived exactly all the same).
    merged = ACKS_MERGED.search(cp.stderr)
    assert merged and int(merged.group(1)) >= 10, tgutil.describe(cp)


def test_bad_offload_value(run_torgate):
    cp = run_torgate(["--offload", "maybe", "--", "true"])
    assert cp.returncode == 125
    assert "bad --offload 'maybe': use on or off" in cp.stderr
