#!/bin/sh
# Re-record the flame graph test capture (needs gcc and perf; run as root or with perf_event_paranoid <= 1).
# burn.perf.gz: `perf script` of `perf record -g` on src/burn.c; burn.folded: `flamekit collapse` of it.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
gcc -O0 -fno-omit-frame-pointer -o "$tmp/burn" src/burn.c
perf record -q -F 1999 -e cpu-clock -g -o "$tmp/perf.data" -- "$tmp/burn" 15000 >/dev/null 2>&1
perf script -i "$tmp/perf.data" 2>/dev/null | sed "s|$tmp/|/opt/demo/|g" | gzip -9n > burn.perf.gz
flamekit collapse burn.perf.gz -o burn.folded
rm -rf "$tmp"
