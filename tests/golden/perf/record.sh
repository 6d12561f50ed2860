#!/usr/bin/env bash
# Re-record the perf golden captures of this folder on this machine (root, linux-perf, gcc, g++, node).
# Writes NAME.perf.txt (trimmed `perf script` text); the expected .folded files are then
# regenerated and re-checked by hand as README.md describes.  Also refreshes examples/perf-cdeep.perf.txt.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/opt"
gcc -O1 -g -fno-omit-frame-pointer -o "$work/opt/cdeep" src/cdeep.c
g++ -O1 -g -fno-omit-frame-pointer -o "$work/opt/cpptmpl" src/cpptmpl.cpp
rec() { perf record -q -g "$@" > /dev/null 2>&1; }
rec -F 999 -o "$work/cdeep.data" "$work/opt/cdeep" 1.5
rec -F 999 -o "$work/cpp.data" "$work/opt/cpptmpl" 2
(src=$PWD/src; cd "$work" && rec -F 499 -o "$work/node.data" node --perf-basic-prof "$src/nodeburn.js" 1)
rec -F 199 -a -o "$work/sys.data" -- sleep 1
for n in cdeep cpp node sys; do perf script -i "$work/$n.data" > "$work/$n.txt" 2> /dev/null; done
# keep the first N records (those with a PREFER frame first); paths to the build dir become /opt/demo
trim() {  # trim IN OUT N [PREFER]
  python3 - "$@" <<'PY'
import sys
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
recs = [r for r in open(src, "rb").read().split(b"\n\n") if r.strip()]
if len(sys.argv) > 4:
    want = sys.argv[4].encode()
    recs = [r for r in recs if want in r] + [r for r in recs if want not in r]
open(out, "wb").write(b"\n\n".join(recs[:n]) + b"\n\n")
PY
}
for n in cdeep cpp node sys; do sed -i "s#$work/opt/#/opt/demo/#g" "$work/$n.txt"; done
trim "$work/cdeep.txt" cdeep.perf.txt 40
trim "$work/cpp.txt" cpptmpl.perf.txt 60
trim "$work/node.txt" node.perf.txt 40 /tmp/perf-
trim "$work/sys.txt" systemwide.perf.txt 40 "[kernel.kallsyms]"
# a tracepoint, with callchains and without (-G): the same samples, one record each / one line each
perf record -q -g -e sched:sched_switch -a -o "$work/tp.data" -- sleep 0.3 > /dev/null 2>&1
perf script -i "$work/tp.data" > "$work/tp.txt" 2> /dev/null
perf script -G -i "$work/tp.data" > "$work/tpG.txt" 2> /dev/null
trim "$work/tp.txt" tracepoint.perf.txt 40
head -n 40 "$work/tpG.txt" > tracepoint.G.perf.txt
mkdir -p ../../../examples
trim "$work/cdeep.txt" ../../../examples/perf-cdeep.perf.txt 250
ls -l ./*.perf.txt ../../../examples/perf-cdeep.perf.txt
