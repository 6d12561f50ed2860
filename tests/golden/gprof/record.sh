#!/bin/sh
# Re-record the gprof fixtures in this directory on this machine.
# usage: sh tests/golden/gprof/record.sh   (needs gcc, g++, gprof)
# The call counts are fixed by the programs; the times change run to run, so
# re-recording means re-checking the expected_*.json time fields.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
gcc -pg -O1 -fno-inline -fno-optimize-sibling-calls -o calls "$here/src/calls.c"
./calls 1000 >/dev/null
gprof ./calls gmon.out        > "$here/calls.txt"
gprof -b ./calls gmon.out     > "$here/calls_b.txt"
gprof -b -q ./calls gmon.out  > "$here/calls_bq.txt"
gprof -b -p ./calls gmon.out  > "$here/calls_bp.txt"
gprof -T ./calls gmon.out     > "$here/calls_T.txt"
gprof -b -T ./calls gmon.out  > "$here/calls_bT.txt"
gprof -b -q -Qmix ./calls gmon.out > "$here/calls_bq_Qmix.txt"
# line granularity needs debug info: a separate -g build and run
gcc -pg -g -O1 -fno-inline -fno-optimize-sibling-calls -o calls_g "$here/src/calls.c"
./calls_g 1000 >/dev/null
gprof -b -l ./calls_g gmon.out > "$here/calls_bl.txt"
g++ -pg -O1 -fno-inline -fno-optimize-sibling-calls -o shapes "$here/src/shapes.cpp"
./shapes 400000 >/dev/null
gprof -b ./shapes gmon.out    > "$here/shapes_b.txt"
./shapes 30 >/dev/null
gprof -b ./shapes gmon.out    > "$here/shapes_notime_b.txt"
