"""Make a copy of BCC's profile tool that prints ONE capture both ways.

BCC's `profile` prints either the default multi-line report or, with -f,
folded lines.  To test that flamekit collapses both to the same Profile we
need the same stacks printed both ways, so this script rewrites the tool's
final output loop: the sorted (key, count) list is taken once, then printed
with args.folded=False into $OUT.default and with args.folded=True into
$OUT.folded.  Nothing else in the tool changes.

usage: python3 profile_both.py /usr/sbin/profile-bpfcc /tmp/profile_both
       BOTH_OUT=/tmp/cap /tmp/profile_both -p PID 2
"""
import sys

src, dst = sys.argv[1], sys.argv[2]
text = open(src).read()
loop = "for k, v in sorted(counts.items(), key=lambda counts: counts[1].value):\n"
start = text.index(loop)
end = text.index("# check missing")
body = text[start + len(loop):end]
new = (
    "import os as _os, sys as _sys\n"
    "_items = sorted(counts.items(), key=lambda counts: counts[1].value)\n"
    "for _mode in (False, True):\n"
    "    args.folded = _mode\n"
    "    _sys.stdout = open(_os.environ['BOTH_OUT'] + ('.folded' if _mode else '.default'), 'w')\n"
    "    if not _mode:\n"
    "        print()\n"
    "    for k, v in _items:\n"
    + "".join("    " + line + "\n" if line.strip() else "\n" for line in body.rstrip("\n").split("\n"))
    + "    _sys.stdout.close()\n"
    "_sys.stdout = _sys.__stdout__\n\n"
)
open(dst, "w").write(text[:start] + new + text[end:])
