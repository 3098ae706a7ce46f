#!/bin/sh
# torgate through real Tor: starts a private network (scripts/tornet) in a
# temporary directory, runs curl inside torgate against it, stops the network.
#   - a hostname resolved by the exit (tornet's zone), bodies byte-exact both ways
#   - the onion service
#   - unpublished, bad-checksum and client-auth onions fail fast, and torgate
#     logs Tor's extended error (0xF0, 0xF6, 0xF4 from the ExtendedErrors port)
#   - an unresolvable name fails fast (0x04)
# Usage: tests/e2e/smoke.sh [PATH-TO-TORGATE]     (default ./torgate; ~25 s)
# Ends with "N passed, N failed"; exit status 0 only if nothing failed. The
# network's directory (logs) is kept when something failed.
set -u
cd "$(dirname "$0")/../.."
TG=${1:-${TORGATE:-./torgate}}
dir=$(mktemp -d "${TMPDIR:-/tmp}/tornet-smoke.XXXXXX")
work=$dir.work
mkdir -p "$work"
pass=0
fail=0

finish() {
    scripts/tornet stop "$dir" >/dev/null 2>&1
    if [ "$fail" -eq 0 ]; then rm -rf "$dir" "$work"; else echo "smoke: logs kept in $dir and $work"; fi
}
trap finish EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); echo "ok:   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

if ! scripts/tornet start "$dir" >/dev/null; then
    bad "scripts/tornet start"
    echo "$pass passed, $fail failed"
    exit 1
fi
set -a
. "$dir/env"
set +a

# 1. A hostname the exit resolves through tornet's name server.
before=$(grep -c " web.tornet.test -> 127.0.0.1" "$TORNET_DIR/dns/queries.log")
body=$("$TG" --socks "$TORNET_SOCKS" -- curl -sS -m 30 "$TORNET_WEB_URL" 2>"$work/web.err")
after=$(grep -c " web.tornet.test -> 127.0.0.1" "$TORNET_DIR/dns/queries.log")
if [ "$body" = "$TORNET_WEB_BODY" ]; then ok "web.tornet.test by hostname"; else bad "web.tornet.test: got '$body'"; fi
if [ "$after" -gt "$before" ]; then ok "the exit resolved web.tornet.test in tornet's zone"; else bad "no query for web.tornet.test reached tornet's name server"; fi

# 2. Byte-exact bodies both ways: 3 MB down, 3 MB up.
python3 - "$work" <<'EOF'
import os, sys
n = 3 * 1000 * 1000
unit = bytes((i * 7 + 3) & 0xFF for i in range(256))
open(os.path.join(sys.argv[1], "down.expect"), "wb").write((unit * (n // 256 + 1))[:n])
open(os.path.join(sys.argv[1], "up"), "wb").write(os.urandom(n))
EOF
"$TG" --socks "$TORNET_SOCKS" -- curl -sS -m 60 -o "$work/down" "${TORNET_WEB_URL}bytes/3000000" 2>"$work/down.err"
if cmp -s "$work/down" "$work/down.expect"; then ok "3 MB download byte-exact"; else bad "3 MB download differs"; fi
"$TG" --socks "$TORNET_SOCKS" -- curl -sS -m 60 --data-binary @"$work/up" -H 'Content-Type: application/octet-stream' \
    -o "$work/echo" "${TORNET_WEB_URL}echo" 2>"$work/up.err"
if cmp -s "$work/up" "$work/echo"; then ok "3 MB upload echoed byte-exact"; else bad "3 MB upload/echo differs"; fi

# 3. The onion service.
body=$("$TG" --socks "$TORNET_SOCKS" -- curl -sS -m 30 "$TORNET_ONION_URL" 2>"$work/onion.err")
if [ "$body" = "$TORNET_ONION_BODY" ]; then ok "onion service"; else bad "onion service: got '$body'"; fi

# 4. Refusals: fast, and Tor's reply code in torgate's debug log.
refused() {   # $1 label, $2 socks, $3 url, $4 expected code (e.g. 0xf0)
    t0=$(date +%s)
    "$TG" -vv --socks "$2" -- curl -sS -m 30 "$3" >/dev/null 2>"$work/$1.err"
    rc=$?
    t=$(( $(date +%s) - t0 ))
    if [ "$rc" -ne 0 ] && [ "$t" -le 10 ] && grep -qi "($4)" "$work/$1.err"; then
        ok "$1: refused in ${t} s with $4"
    else
        bad "$1: exit $rc after ${t} s; Tor's replies: $(grep -o -i '(0x[0-9a-f]*)' "$work/$1.err" | sort -u | tr '\n' ' ')"
    fi
}
refused unpublished-onion "$TORNET_SOCKS_EXT" "http://$TORNET_ONION_UNPUBLISHED/" 0xf0
refused badsum-onion "$TORNET_SOCKS_EXT" "http://$TORNET_ONION_BADSUM/" 0xf6
refused auth-onion "$TORNET_SOCKS_EXT" "http://$TORNET_ONION_AUTH/" 0xf4
refused unresolvable-name "$TORNET_SOCKS_EXT" "http://nosuch.example/" 0x04
refused unpublished-onion-stock-port "$TORNET_SOCKS" "http://$TORNET_ONION_UNPUBLISHED/" 0x04

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
