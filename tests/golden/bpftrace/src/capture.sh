#!/usr/bin/env bash
# Re-record the bpftrace captures in tests/golden/bpftrace/ (needs root and
# bpftrace 0.17).  Each runs against a fresh `spin` (src/spin.c) for ~2 s;
# stdout is kept, stderr (a harmless RLIMIT_MEMLOCK warning) is not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); out=$(dirname "$here"); tmp=$(mktemp -d)
gcc -O0 -fno-omit-frame-pointer -g -o "$tmp/spin" "$here/spin.c"
run() { # output name, bpftrace args (the script gets the spin pid as $1)
  local name=$1; shift
  "$tmp/spin" 6 >/dev/null & local spin=$!; sleep 0.3
  bpftrace "$@" $spin > "$out/$name" 2>/dev/null || true
  kill $spin 2>/dev/null || true; wait $spin 2>/dev/null || true
}
stop='interval:s:2 { exit(); }'
run kstack_ustack_comm.txt -e "profile:hz:499 /pid == \$1/ { @[kstack, ustack, comm] = count(); } $stop"
run named_maps.txt -e "profile:hz:99 /pid == \$1/ { @cpu_stacks[ustack] = count(); @by_comm[comm] = count(); @kstacks[kstack] = count(); } $stop"
run print_midrun.txt -e "profile:hz:99 /pid == \$1/ { @samples[ustack(4)] = count(); } interval:ms:800 { print(@samples); } $stop"
run json_kstack_ustack_comm.json -f json -e "profile:hz:99 /pid == \$1/ { @[kstack, ustack, comm] = count(); } $stop"
run json_maps_print_hist.json -f json -e "profile:hz:99 /pid == \$1/ { @cpu[ustack(3)] = count(); @lat = hist(5); @n[comm] = count(); } interval:ms:800 { print(@cpu); } $stop"
run perf_mode.txt -e "profile:hz:99 /pid == \$1/ { @[kstack(perf), ustack(perf)] = count(); } $stop"
run sum_hist.txt -e "profile:hz:99 /pid == \$1/ { @us[ustack, pid] = sum(1000); @lat = hist(5); } interval:s:1 { exit(); }"
rm -rf "$tmp"
