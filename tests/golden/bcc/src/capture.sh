#!/usr/bin/env bash
# Re-record the BCC captures in tests/golden/bcc/ (needs root, bcc tools and
# BCC_KERNEL_SOURCE pointing at Debian's 6.1 headers unpacked into one tree).
# The workload is tests/golden/bpftrace/src/spin.c.  The header tree, e.g.:
#   apt-get download linux-headers-6.1.0-50-common linux-headers-6.1.0-50-amd64
#   for d in *.deb; do dpkg-deb -x "$d" tree; done; mkdir ksrc
#   cp -a tree/usr/src/linux-headers-6.1.0-50-common/. ksrc/
#   cp -a tree/usr/src/linux-headers-6.1.0-50-amd64/{.config,Module.symvers,arch,include} ksrc/
#   export BCC_KERNEL_SOURCE=$PWD/ksrc
# Afterwards review each NAME.txt and write NAME.folded with `flamekit collapse --strict`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); out=$(dirname "$here"); tmp=$(mktemp -d)
gcc -O0 -fno-omit-frame-pointer -g -o "$tmp/spin" "$here/../../bpftrace/src/spin.c"
python3 "$here/profile_both.py" /usr/sbin/profile-bpfcc "$tmp/profile_both"
with_spin() { # run the command "$@ PID" against a fresh spin
  "$tmp/spin" 40 >/dev/null & local spin=$!; sleep 0.3
  "$@" $spin; kill $spin 2>/dev/null || true; wait $spin 2>/dev/null || true
}
both() { # name, profile args: one capture printed both ways
  local name=$1; shift
  with_spin sh -c "BOTH_OUT=$tmp/$name /usr/bin/python3 $tmp/profile_both $* 2 -p \"\$0\" > $tmp/$name.hdr"
}
both profile_both -F 199
both profile_both_d -d -a -F 999
for n in profile_both profile_both_d; do
  cat "$tmp/$n.hdr" "$tmp/$n.default" > "$out/$n.default.txt"; cp "$tmp/$n.folded" "$out/$n.folded.txt"
done
sc() { with_spin sh -c "stackcount-bpfcc $1 -D 2 t:syscalls:sys_enter_write -p \"\$0\" > $out/$2"; }
sc "" stackcount.txt
# -P (per process) has no effect with -p, so these trace the write syscall system-wide
scall() { "$tmp/spin" 3 >/dev/null & local spin=$!; sleep 0.3
  stackcount-bpfcc $1 -D 1 t:syscalls:sys_enter_write > "$out/$2"; wait $spin; }
scall "-P -d" stackcount_Pd.txt
scall "-P -d -f" stackcount_Pdf.txt
# system-wide captures are trimmed to their first 40 records (and the closing line)
python3 - "$out/stackcount_Pd.txt" "$out/stackcount_Pdf.txt" <<'PY'
import sys
pd, pdf = sys.argv[1], sys.argv[2]
text = open(pd).read()
head, *records = text.split("\n\n")
records = [r for r in records if r.strip() and not r.startswith("Detaching")]
open(pd, "w").write("\n\n".join([head, *records[:40], "Detaching...\n"]))
lines = open(pdf).read().splitlines(True)
open(pdf, "w").write("".join(lines[:40]))
PY
rm -rf "$tmp"
