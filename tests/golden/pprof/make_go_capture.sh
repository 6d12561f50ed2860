#!/usr/bin/env bash
# Re-record the Go CPU profile flamekit's pprof reader is checked against.
# Offline: the module has no dependencies.  Writes, next to this script:
#   go-burn.cpu.pb.gz          what the Go runtime wrote (go test -cpuprofile)
#   go-burn.proto.pb.gz        the same re-serialised by go tool pprof -proto
#   go-burn.traces.txt         go tool pprof -traces (default sample type: cpu)
#   go-burn.samples.traces.txt go tool pprof -traces -sample_index=samples
#   go-burn.heap.pb.gz         go test -memprofile (4 sample types, default alloc_space, numeric labels)
#   go-burn.heap.TYPE.traces.txt  its -traces in bytes/counts for the default type and inuse_objects
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export HOME=$tmp/home GOCACHE=$tmp/cache GOPATH=$tmp/gopath GOFLAGS=-mod=mod GOPROXY=off PPROF_TMPDIR=$tmp/pprof
mkdir -p "$HOME" "$PPROF_TMPDIR"
cp "$here"/goburn/go.mod "$here"/goburn/*.go "$tmp"/
cd "$tmp"
go test -count=1 -cpuprofile cpu.pprof -o burn.test . >/dev/null
go test -count=1 -memprofile mem.pprof -memprofilerate=512 -o burn.test . >/dev/null
cp mem.pprof "$here/go-burn.heap.pb.gz"
go tool pprof -symbolize=none -traces -unit=B "$here/go-burn.heap.pb.gz" > "$here/go-burn.heap.default.traces.txt"
go tool pprof -symbolize=none -traces -sample_index=inuse_objects "$here/go-burn.heap.pb.gz" \
  > "$here/go-burn.heap.inuse_objects.traces.txt"
cp cpu.pprof "$here/go-burn.cpu.pb.gz"
go tool pprof -proto cpu.pprof > "$here/go-burn.proto.pb.gz"
go tool pprof -symbolize=none -traces "$here/go-burn.cpu.pb.gz" > "$here/go-burn.traces.txt"
go tool pprof -symbolize=none -traces -sample_index=samples "$here/go-burn.cpu.pb.gz" > "$here/go-burn.samples.traces.txt"
