#!/usr/bin/env bash
# Record a >= 90 MB `perf script` capture of a mixed workload for bench_perf_collapse.py.
#
# System-wide `perf record -F 2999 -a -g` while Python, gzip, sort, perl and a
# C program (deep recursion, built from tests/golden/perf/src/cdeep.c) run;
# anything else on the host is captured too, as on a real server.
# Output: benchmarks/data/perf-mixed.perf.txt (and perf-mixed.data).
# Usage: benchmarks/record_perf_capture.sh [SECONDS]   (default 50)
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-50}"
mkdir -p data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O1 -g -fno-omit-frame-pointer -o "$work/cdeep" ../tests/golden/perf/src/cdeep.c
head -c 64000000 /dev/urandom | base64 > "$work/blob.txt"
workload() {
  local end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    python3 -c 'import json, re
d = [{"k": i, "v": str(i) * 20} for i in range(150000)]
s = json.dumps(d); json.loads(s); re.findall(r"\d{5}", s); sorted(d, key=lambda x: x["v"])' &
    gzip -6 -c "$work/blob.txt" > /dev/null &
    sort "$work/blob.txt" > /dev/null &
    perl -e 'my %h; $h{$_ % 5000} .= "x" for 1..1500000;' &
    "$work/cdeep" 3 > /dev/null &
    wait
  done
}
perf record -F 2999 -a -g -o data/perf-mixed.data -- bash -c "$(declare -f workload); secs=$secs; work=$work; workload" 2> data/perf-record.log
perf script -i data/perf-mixed.data > data/perf-mixed.perf.txt 2> data/perf-script.log
ls -l data/perf-mixed.perf.txt
