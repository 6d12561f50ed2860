#!/usr/bin/env bash
# Re-record the BEFORE/AFTER captures of flamekit's differential end-to-end test.
# Needs gcc and perf (perf record -g, cpu-clock).  Writes perf script text,
# trimmed to the fields the perf collapser reads and gzip-compressed, beside
# this directory: ../before.perf.gz and ../after.perf.gz.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/flamekit-diff-rec.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rounds="${ROUNDS:-250}"
for side in before:1 after:3; do
    name="${side%%:*}"; cost="${side##*:}"
    gcc -O0 -g -fno-omit-frame-pointer -DHASH_COST="$cost" -o "$work/workload" "$here/workload.c"
    perf record -q -e cpu-clock -F 997 -g -o "$work/$name.data" -- "$work/workload" "$rounds" >/dev/null
    perf script -i "$work/$name.data" -F comm,pid,tid,time,event,ip,sym,dso 2>/dev/null \
        | sed "s#$work/#/opt/demo/#g" | gzip -9n > "$here/../$name.perf.gz"
done
ls -l "$here"/../*.perf.gz
