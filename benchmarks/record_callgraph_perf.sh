#!/usr/bin/env bash
# Record the `perf script` input for bench_callgraph.py: a real capture of a
# C compiler and Python at work, cut at a sample boundary to about 42 MB.
#
# `perf record -F 2999 -g` of gcc -O2 compiling the generated 10,000-function
# program (benchmarks/data/gprof_10000.c, from gen_gprof.py) and a Python
# workload, repeated until the text is large enough.
# Output: benchmarks/data/callgraph-perf.txt
# Usage: benchmarks/record_callgraph_perf.sh [MB]   (default 42)
set -euo pipefail
cd "$(dirname "$0")"
mb="${1:-42}"
mkdir -p data
[ -f data/gprof_10000.c ] || python3 gen_gprof.py 10000 42
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: > "$work/all.txt"
round=0
while [ "$(stat -c %s "$work/all.txt")" -lt $((mb * 1000000)) ] && [ $round -lt 20 ]; do
  round=$((round + 1))
  perf record -q -F 2999 -g -o "$work/p.data" -- bash -c "
    gcc -O2 -c -o $work/x.o data/gprof_10000.c &
    python3 -c 'import json, re
d = [{\"k\": i, \"v\": str(i) * 20} for i in range(200000)]
s = json.dumps(d); json.loads(s); re.findall(r\"\\d{5}\", s); sorted(d, key=lambda x: x[\"v\"])' &
    wait" 2>> "$work/record.log"
  perf script -i "$work/p.data" >> "$work/all.txt" 2>> "$work/script.log"
done
# cut at the first sample boundary (blank line) after MB megabytes
python3 - "$work/all.txt" data/callgraph-perf.txt "$mb" <<'PY'
import sys
src, dst, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
cut = data.find(b"\n\n", mb * 1000000)
open(dst, "wb").write(data if cut < 0 else data[: cut + 2])
PY
ls -l data/callgraph-perf.txt
