"""ftrace ``function_graph`` traces (tracefs ``trace``/``trace_pipe``, console
dumps, and ``trace-cmd report``) collapsed into time-weighted stacks.

Every line is classified once (lines repeat a lot, so the classification is
memoized on the raw bytes; time columns are cut off first so lines that differ
only by a timestamp share an entry).  Calls are then rebuilt per **task**:
the proc column or the trace-cmd prefix names the task of each line,
otherwise the context-switch banners (``3) kworker-32 => chromiu-919``) tell
which task a CPU runs, otherwise the CPU stands for its task, so lines of
interleaved CPUs never mix stacks.

Rebuilding (the indentation after the duration column gives each line's depth d):

* an entry ``f() {`` or leaf ``f();`` at depth d first truncates the task's
  stack to d frames (deeper frames whose exit was lost stay unclosed) and pads
  missing levels with placeholder frames (the trace began mid-call);
* an exit ``}`` at depth d closes the frame at depth d.  A placeholder frame
  takes the name an exit prints (``} /* f */``, funcgraph-tail or retval);
  those never named become ``[unknown]``.  An exit with no frame to close
  (tracing_thresh traces print only exits) becomes a call of its own, and the
  exits that follow at shallower depth adopt it: post-order is rebuilt.

Weights (``params['weight']``; the Profile's unit says which):

* ``self`` (default, ``auto``): nanoseconds.  A leaf weighs its duration; a
  closed frame weighs its duration minus the durations of its closed children
  (clamped at 0 when rounding of the printed µs makes children exceed their
  parent; ``meta['clamped']`` counts those).  So the total equals the summed
  durations of the completed calls that have no completed caller.
* ``total``: nanoseconds; only calls without completed children weigh, by
  their inclusive duration (a frame's own time outside its children is dropped).
* ``calls`` (or ``samples``): 1 per completed call, unit ``calls``.

Entries never closed (trace ended, events lost) have no duration and weigh
nothing themselves; ``meta['unclosed']`` counts them, and
``meta['mismatched']`` the named exits that close a frame of another name.  ``CPU:N [LOST M EVENTS]``
resets that CPU's stacks (``meta['lost_events']``).  ``params['per_cpu']`` /
``params['per_task']`` add ``CPU n`` / ``comm-pid`` root frames.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, BinaryIO, ClassVar, cast

from ..errors import InputError, UsageError
from ..profile import Profile
from ._ftrace_common import (
    BUFFER_STARTED,
    EVENT_PREFIX,
    LOST_EVENTS,
    cpu_frame,
    decode,
    iter_chunks,
    task_frame,
)
from .base import CollapseOptions

# record kinds
IGNORE, ENTRY, LEAF, EXIT, BANNER, LOST, BAD, EVENT = range(8)

#: a record: (kind, cpu, pid, comm, depth, name-or-reason, duration ns)
Record = tuple[int, int | None, bytes | None, bytes | None, int, Any, int]

_IGNORED: Record = (IGNORE, None, None, None, 0, None, 0)

# prefixes cut off before classification (they differ on every line)
_DMESG = re.compile(rb"^\s*\[\s*\d+\.\d+\]\s?")
_ABSTIME = re.compile(rb"^\s*\d+\.\d+\s+\|")
_RELTIME = re.compile(rb"^\s*\d+\s+us\s+\|")

# tracefs graph line: CPU, proc, latency flags, duration columns, then the body
_GRAPH = re.compile(
    rb"""^\s*(?:(?P<cpu>\d+)\)\s*)?
        (?:(?P<proc>[^|]*?-\d+)\s*\|)?
        (?:\s*[^\s|]{3,6}\s*\|)?
        \s*(?:[-+!\#*@$]\s*)?(?:(?P<dur>\d+(?:\.\d*)?)\s*us)?\s*\|(?P<body>.*)$""",
    re.X | re.S,
)
# layouts without a duration column: ``1) f() {`` (nofuncgraph-duration), bare
_NODUR = re.compile(rb"^(?:\s*(?P<cpu>\d+)\)\s)?(?P<body>.*)$", re.S)
_BANNER = re.compile(rb"^\s*(\d+)\)\s+(\S.*?-\d+)\s+=>\s+(\S.*?-\d+)\s*$")
_DASHES = re.compile(rb"^\s*-{6,}\s*$")
_OVERRUN = re.compile(rb"^\s*\(Overruns:\s*\d+\)\s*$")
# trace-cmd report appends `` (N)`` with -O fgraph:depth and `` (ret=...)``
_TC_SUFFIX = re.compile(rb"\s\((?:\d+|ret=[^()]*)\)$")
# headerless detection: a graph line with a duration column and a call body
_LOOKS_GRAPH = re.compile(rb"^\s*(?:\[[\d. ]+\]\s*)?(?:[\d.]+\s+\|\s+)?(?:\d+ us\s+\|\s+)?\d+\)\s.*\|\s\s+(?:\S[^(]*\(.*\)\s*[{;]|\})")
_LOOKS_BARE = re.compile(rb"^ *(?:[A-Za-z_.$0-9]+\(\)\s*[{;]|\})\s*$")

_PAD = "[unknown]\x00pad"
_NO_CPU = object()  # "no line seen yet" for the per-line task memo
#: bound on each memo (whole lines, shapes, durations): memory stays small on traces
#: whose lines never repeat
_MAX_CACHE = 1 << 16


_ABSTIME_ALL = re.compile(rb"^[ \t]*\d+\.\d+ +\|(?=[ \t]+\d+\))", re.M)


_DMESG_ALL = re.compile(rb"^\[\s*\d+\.\d+\]\s?", re.M)


def _strip_abstime(chunk: bytes) -> bytes:
    """Cut the abstime column (``6.077379 |  0) ...``) and console timestamps
    (``[  210.283454] ``) off every line of a chunk, in one C pass each, so
    lines differing only by time share a cache entry."""
    if chunk[:1] == b"[" or b"\n[" in chunk[:4096]:
        if _DMESG_ALL.search(chunk, 0, 4096):
            chunk = _DMESG_ALL.sub(b"", chunk)
    if b" |   " in chunk[:4096] and _ABSTIME_ALL.search(chunk, 0, 4096):
        return _ABSTIME_ALL.sub(b"", chunk)
    return chunk


def _duration_ns(tok: bytes) -> int:
    """``12.345`` µs as printed (3 decimals, sometimes fewer) → nanoseconds."""
    whole, _, frac = tok.partition(b".")
    return int(whole) * 1000 + int((frac + b"000")[:3])


def _body(body: bytes, cpu: int | None, pid: bytes | None, comm: bytes | None, depth: int) -> Record:
    """Classify a function body (indentation already measured)."""
    b = body.strip()
    m = _TC_SUFFIX.search(b)
    if m and (b.startswith(b"}") or b[: m.start()].rstrip().endswith((b"{", b";"))):
        b = b[: m.start()].rstrip()
    if not b:
        return _IGNORED
    c = b[0]
    if c == 0x2F and b.startswith(b"/*"):  # trace_printk or an event shown as a comment
        return _IGNORED
    if c == 0x7D:  # '}'
        tail = b[1:].strip()
        name = None
        if tail.startswith(b"/*") and tail.endswith(b"*/"):
            words = tail[2:-2].split()
            if words and not words[0].startswith((b"<-", b"=")):
                tok = words[0]
                if tok.endswith(b"()"):
                    tok = tok[:-2]
                name = decode(tok) if tok else None
        elif tail:
            return (BAD, None, None, None, 0, "text after '}' is not a comment", 0)
        return (EXIT, cpu, pid, comm, depth, name, 0)
    if b.endswith(b"*/"):
        i = b.rfind(b"/*")
        if i > 0:
            b = b[:i].rstrip()
    last = b[-1:]
    if last == b"{":
        kind = ENTRY
    elif last == b";":
        kind = LEAF
    else:
        return (BAD, None, None, None, 0, "not a function_graph line", 0)
    p = b.find(b"(")
    raw = (b[:p] if p > 0 else b[:-1]).strip()
    if not raw or raw[:1] in b"{};(":
        return (BAD, None, None, None, 0, "function_graph line without a function name", 0)
    return (kind, cpu, pid, comm, depth, decode(raw), 0)


def _split_task(proc: bytes) -> tuple[bytes, bytes]:
    comm, _, pid = proc.strip().rpartition(b"-")
    return comm, pid


def _graph_columns(s: bytes, cpu: int | None, pid: bytes | None, comm: bytes | None) -> Record | None:
    """A line with a duration column (tracefs, or trace-cmd after its event name)."""
    m = _GRAPH.match(s)
    if m is None:
        return None
    if m["cpu"] is not None:
        cpu = int(m["cpu"])
    if m["proc"] is not None:
        comm, pid = _split_task(m["proc"])
    body = m["body"]
    n = len(body) - len(body.lstrip(b" "))
    r = _body(body, cpu, pid, comm, max(0, n // 2 - 1))
    if m["dur"] is not None and r[0] in (LEAF, EXIT):
        r = r[:6] + (_duration_ns(m["dur"]),)
    elif r[0] == EXIT:
        return (BAD, None, None, None, 0, "function exit without a duration", 0)
    return r


def _classify(line: bytes) -> tuple[Record, bool]:
    """(record, cacheable): the slow path, run once per distinct line."""
    s = line.rstrip()
    stripped = s.lstrip()
    if not stripped:
        return _IGNORED, True
    if stripped[:1] == b"#":
        m = BUFFER_STARTED.match(stripped)
        if m:
            return (LOST, int(m[1]), None, None, 0, None, 0), True
        return _IGNORED, True
    cacheable = True
    m = _DMESG.match(s)
    if m:
        s, cacheable = s[m.end() :], False
    if b"==========>" in s or b"<==========" in s or _DASHES.match(s) or _OVERRUN.match(s):
        return _IGNORED, cacheable
    m = LOST_EVENTS.match(s)
    if m:
        return (LOST, int(m[1]), None, None, 0, None, int(m[2] or 0)), cacheable
    for col in (_ABSTIME, _RELTIME):
        m = col.match(s)
        if m:
            s, cacheable = s[m.end() :], False
    if b": funcgraph_" in s:
        ev = EVENT_PREFIX.match(s)
        rest = s[ev.end() :] if ev is not None else b""
        if ev is not None and rest.startswith((b"funcgraph_entry:", b"funcgraph_exit:")):
            cpu = int(ev["cpu"] if ev["cpu"] is not None else ev["lcpu"])
            r = _graph_columns(rest[rest.index(b":") + 1 :], cpu, ev["pid"], ev["comm"].strip())
            if r is not None:
                return r, False
            return (BAD, None, None, None, 0, "malformed trace-cmd funcgraph record", 0), False
    m = _BANNER.match(s)
    if m:
        pcomm, ppid = _split_task(m[2])
        ncomm, npid = _split_task(m[3])
        return (BANNER, int(m[1]), npid, ncomm, 0, (ppid, pcomm), 0), cacheable
    r = _graph_columns(s, None, None, None)
    if r is not None:
        return r, cacheable
    if b": " in s and EVENT_PREFIX.match(s):
        return (EVENT, None, None, None, 0, None, 0), False  # another event (trace-cmd report)
    if stripped.startswith((b"cpus=", b"version =")) or (stripped.startswith(b"CPU ") and stripped.endswith(b"is empty")):
        return _IGNORED, cacheable  # trace-cmd report preamble
    m = _NODUR.match(s)
    body = m["body"] if m else s
    n = len(body) - len(body.lstrip(b" "))
    r = _body(body, int(m["cpu"]) if m and m["cpu"] else None, None, None, n // 2)
    if r[0] in (LEAF, EXIT):
        r = r[:6] + (-1,)  # no duration column: only calls can be counted
    return r, cacheable


class _Classifier:
    """Memoized classification for lines the whole-line cache missed.

    Lines that differ only in their timestamp (abstime column) or their
    duration share a *shape*: the line with that field cut out.  The shape is
    classified once; the duration is parsed (and memoized) per line.
    """

    def __init__(self, cache: dict[bytes, Record]) -> None:
        self.cache = cache
        self.shapes: dict[bytes, Record] = {}
        self.durations: dict[bytes, int] = {}
        self.room = 1 << 16  # whole-line entries the fast path may still add

    def classify(self, line: bytes) -> Record:
        # fast: a leaf/exit whose shape (the line minus its duration) was seen
        u = line.find(b" us ")
        if u > 0:
            k = line.rfind(b" ", 0, u) + 1
            r = self.shapes.get(line[:k] + line[u:])
            if r is not None:
                tok = line[k:u]
                ns = self.durations.get(tok)
                if ns is None:
                    ns = self._duration(tok)
                    if ns is None:
                        return _classify(line)[0]
                r = r[:6] + (ns,)
                if self.room:
                    self.room -= 1
                    self.cache[line] = r  # verbatim repeats then hit the whole-line cache
                return r
        cache = self.cache
        cacheable = True
        j = line.find(b"|")
        if j > 0:
            head = line[:j]
            if b")" not in head and b"." in head and b"[" not in head and head.strip().replace(b".", b"", 1).isdigit():
                # an abstime column the per-chunk pass did not cut: the rest is what repeats
                line = line[j + 1 :]
                r = cache.get(line)
                if r is not None:
                    return r
                cacheable = False
                u = line.find(b" us ")
        r, ok = _classify(line)
        if ok and u > 0 and r[0] in (LEAF, EXIT) and len(self.shapes) < _MAX_CACHE:
            k = line.rfind(b" ", 0, u) + 1
            # remember the shape only if the cut-out token is the duration the slow path read
            if k > 0 and self._duration(line[k:u]) == r[6]:
                self.shapes[line[:k] + line[u:]] = r
        if ok and cacheable and len(cache) < _MAX_CACHE:
            cache[line] = r
        return r

    def _duration(self, tok: bytes) -> int | None:
        if not tok[:1].isdigit():
            return None
        try:
            ns = _duration_ns(tok)
        except ValueError:
            return None
        if len(self.durations) < _MAX_CACHE:
            self.durations[tok] = ns
        return ns


class FtraceGraphCollapser:
    """ftrace function_graph text → stacks weighted by time (see module doc)."""

    name: ClassVar[str] = "ftrace"
    priority: ClassVar[int] = 80  # before perf: its sniffing also accepts funcgraph text
    description: ClassVar[str] = "ftrace function_graph (tracefs trace/trace_pipe, trace-cmd report)"

    def detect(self, head: bytes) -> bool | None:
        if b"# tracer: function_graph" in head or b": funcgraph_entry:" in head or b": funcgraph_exit:" in head:
            return True
        lines = head.split(b"\n")[:-1] if len(head) >= 4096 else head.split(b"\n")
        graph = bare = content = 0
        for line in lines:
            s = line.strip()
            if not s or s[:1] == b"#":
                continue
            content += 1
            if _LOOKS_GRAPH.match(line):
                graph += 1
            elif _LOOKS_BARE.match(line):
                bare += 1
        if graph >= 5 or (graph >= 2 and graph * 2 >= content):
            return True
        if bare >= 5 and bare * 5 >= content * 4:
            return None
        return False

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        mode = str(options.get("weight", "auto"))
        auto = mode == "auto"
        if mode in ("auto", "self"):
            mode = "self"
        elif mode == "samples":
            mode = "calls"
        elif mode not in ("total", "calls"):
            raise UsageError(f"ftrace: --weight {mode} does not apply to function_graph (use self, total or calls)")
        return _Rebuilder(options, mode, auto).run(stream)


class _Rebuilder:
    """Rebuilds calls per task from classified records and accumulates weights."""

    def __init__(self, options: CollapseOptions, mode: str, auto: bool) -> None:
        self.options = options
        self.mode = mode
        self.auto = auto  # bare traces (no durations) switch to counting calls
        self.per_cpu = bool(options.get("per_cpu", False))
        self.per_task = bool(options.get("per_task", False))

    def run(self, stream: BinaryIO) -> Profile:
        options = self.options
        source = options.source
        skips = options.skips
        mode = self.mode
        auto = self.auto
        self_mode = mode == "self"
        calls_mode = mode == "calls"
        rooted = self.per_cpu or self.per_task
        per_cpu, per_task = self.per_cpu, self.per_task

        # call paths live in a trie: node 0 is the empty path; a frame holds its
        # node id, so pushing a call is one dict lookup on (parent node, name) and
        # weights add up per node, without building or hashing whole stacks
        trie: dict[tuple[int, str], int] = {}
        trie_get = trie.get
        node_parent: list[int] = [-1]
        node_name: list[str] = [""]
        acc: list[int] = [0]  # weight per node (unrooted)
        racc: defaultdict[tuple[tuple[str, ...], int], int] = defaultdict(int)  # (root frames, node) -> weight

        cache: dict[bytes, Record] = {}
        cache_get = cache.get
        stacks: dict[Any, list[list[int]]] = {}  # task key -> frames [node, child ns, child count]
        current: dict[int, Any] = {}  # CPU -> key of the task it runs
        comms: dict[Any, bytes] = {}
        pids: dict[Any, bytes] = {}
        roots_cache: dict[tuple[Any, Any], tuple[str, ...]] = {}
        pad_names: dict[str, str | None] = {}
        unknown_task_root: dict[int, str] = {}  # CPU -> root placeholder of its untold task
        counters = {"clamped": 0, "lost": 0, "events": 0, "unclosed": 0, "mismatched": 0}
        records = 0
        recognized = 0
        first_bad: tuple[int, str] | None = None

        def node(parent: int, name: str) -> int:
            nid = len(node_name)
            trie[(parent, name)] = nid
            node_parent.append(parent)
            node_name.append(name)
            acc.append(0)
            return nid

        def placeholder() -> str:
            ph = f"{_PAD}{len(pad_names)}"
            pad_names[ph] = None
            return ph

        def pad(st: list[list[int]], depth: int) -> None:
            base = st[-1][0] if st else 0
            while len(st) < depth:
                base = node(base, placeholder())
                st.append([base, 0, 0])

        def roots(cpu: int | None, key: Any) -> tuple[str, ...]:
            r = roots_cache.get((cpu, key))
            if r is None:
                parts: list[str] = []
                if per_cpu:
                    parts.append(cpu_frame(cpu))
                if per_task:
                    if isinstance(key, tuple) and key[0] == "cpu":
                        # task not told yet: a later banner may name it (see BANNER)
                        ph = unknown_task_root.get(key[1])
                        if ph is None:
                            ph = unknown_task_root[key[1]] = placeholder()
                        parts.append(ph)
                    else:
                        parts.append(task_frame(comms.get(key), pids.get(key)))
                r = roots_cache[(cpu, key)] = tuple(parts)
            return r

        classify = _Classifier(cache).classify
        last_key: Any = _NO_CPU
        last_cpu: Any = _NO_CPU
        key: Any = None
        st: list[list[int]] = []
        for lineno0, lines in iter_chunks(stream, transform=_strip_abstime):
            for i, line in enumerate(lines):
                r = cache_get(line)
                if r is None:
                    r = classify(line)
                kind, cpu, pid, comm, depth, name, dur = r
                if kind == IGNORE:
                    continue
                if kind >= BANNER:
                    if kind == BAD:
                        if first_bad is None:
                            first_bad = (lineno0 + i, name)
                        skips.skip(source, lineno0 + i, name)
                    elif kind == EVENT:
                        counters["events"] += 1
                    elif kind == BANNER:
                        recognized += 1
                        bcpu = cast(int, cpu)  # banners and LOST lines always name their CPU
                        ppid, pcomm = name
                        pkey = ppid if ppid != b"0" else (b"idle", bcpu)
                        nkey = pid if pid != b"0" else (b"idle", bcpu)
                        unknown = ("cpu", bcpu)
                        if current.get(bcpu) is None:
                            if unknown in stacks and pkey not in stacks:
                                stacks[pkey] = stacks.pop(unknown)
                            ph = unknown_task_root.get(bcpu)
                            if ph is not None and pad_names[ph] is None:
                                pad_names[ph] = task_frame(pcomm, ppid)
                        comms.setdefault(pkey, pcomm)
                        pids.setdefault(pkey, ppid)
                        comms.setdefault(nkey, comm or b"")
                        pids.setdefault(nkey, pid or b"")
                        current[bcpu] = nkey
                        last_key = last_cpu = _NO_CPU
                    else:  # LOST
                        recognized += 1
                        bcpu = cast(int, cpu)
                        counters["lost"] += dur
                        last_key = last_cpu = _NO_CPU
                        for k in (current.get(bcpu), ("cpu", bcpu)):
                            lost_stack = stacks.get(k)
                            if lost_stack:
                                counters["unclosed"] += len(lost_stack)
                                lost_stack.clear()
                    continue
                # a call record: find its task's stack
                if pid is not None:
                    last_cpu = _NO_CPU
                    key = pid if pid != b"0" else (b"idle", cpu)
                    if key not in comms:
                        comms[key] = comm or b""
                        pids[key] = pid
                    if cpu is not None:
                        current[cpu] = key
                    if key != last_key:
                        st = stacks.get(key)  # type: ignore[assignment]
                        if st is None:
                            st = stacks[key] = []
                        last_key = key
                elif cpu != last_cpu:  # same CPU as the line before: same task, same stack
                    last_cpu = cpu
                    if cpu is not None:
                        key = current.get(cpu)
                        if key is None:
                            key = ("cpu", cpu)
                    else:
                        key = None
                    st = stacks.get(key)  # type: ignore[assignment]
                    if st is None:
                        st = stacks[key] = []
                    last_key = key
                recognized += 1
                n = len(st)
                if kind == ENTRY:
                    if n > depth:
                        counters["unclosed"] += n - depth
                        del st[depth:]
                    elif n < depth:
                        pad(st, depth)
                    parent_node = st[-1][0] if st else 0
                    nid = trie_get((parent_node, name))
                    if nid is None:
                        nid = node(parent_node, name)
                    st.append([nid, 0, 0])
                    continue
                if dur < 0:  # a layout without durations (bare, nofuncgraph-duration)
                    dur = 0
                    if auto and not records:
                        calls_mode, self_mode, mode = True, False, "calls"
                if kind == LEAF:
                    if n > depth:
                        counters["unclosed"] += n - depth
                        del st[depth:]
                    elif n < depth:
                        pad(st, depth)
                    parent_node = st[-1][0] if st else 0
                    nid = trie_get((parent_node, name))
                    if nid is None:
                        nid = node(parent_node, name)
                    w = 1 if calls_mode else dur
                else:  # EXIT
                    if n > depth + 1:
                        counters["unclosed"] += n - depth - 1
                        del st[depth + 1 :]
                        n = depth + 1
                    if n == depth + 1:
                        frame = st.pop()
                        nid = frame[0]
                        if name is not None:  # the exit names its function
                            own = node_name[nid]
                            if own in pad_names:
                                pad_names[own] = name
                            elif own.split(" ", 1)[0] != name:
                                counters["mismatched"] += 1
                        if calls_mode:
                            w = 1
                        elif self_mode:
                            w = dur - frame[1]
                            if w < 0:
                                counters["clamped"] += 1
                                w = 0
                        else:
                            w = dur if frame[2] == 0 else 0
                    else:  # nothing to close: an orphan exit is a call of its own
                        pad(st, depth)
                        parent_node = st[-1][0] if st else 0
                        own = name if name is not None else placeholder()
                        nid = trie_get((parent_node, own))
                        if nid is None:
                            nid = node(parent_node, own)
                        w = 1 if calls_mode else dur
                if st:
                    parent = st[-1]
                    parent[1] += dur
                    parent[2] += 1
                records += 1
                if w:
                    if rooted:
                        racc[(roots(cpu, key), nid)] += w
                    else:
                        acc[nid] += w

        if recognized == 0 and first_bad is not None:
            raise InputError(source, first_bad[0], f"no function_graph records found ({first_bad[1]})")
        for st in stacks.values():
            counters["unclosed"] += len(st)
        profile = Profile(self._materialize(acc, racc, node_parent, node_name),
                          unit="calls" if calls_mode else "nanoseconds", event="function_graph")
        if pad_names:
            names = {ph: (nm or "[unknown]") for ph, nm in pad_names.items()}
            profile = profile.map_frames(lambda f: names.get(f, f))
        profile.meta["tracer"] = "function_graph"
        profile.meta["weight"] = mode
        for k in ("clamped", "lost", "events", "unclosed", "mismatched"):
            if counters[k]:
                profile.meta["lost_events" if k == "lost" else k] = str(counters[k])
        return profile

    @staticmethod
    def _materialize(acc: list[int], racc: dict[tuple[tuple[str, ...], int], int], node_parent: list[int],
                     node_name: list[str]) -> dict[tuple[str, ...], int]:
        """Stacks (root first) and weights from the trie's per-node sums."""
        paths: list[tuple[str, ...]] = [()]
        for nid in range(1, len(node_name)):  # a parent is always created before its children
            paths.append(paths[node_parent[nid]] + (node_name[nid],))
        out: dict[tuple[str, ...], int] = {}
        for nid, w in enumerate(acc):
            if w:
                out[paths[nid]] = w
        for (roots, nid), w in racc.items():
            path = roots + paths[nid]
            out[path] = out.get(path, 0) + w
        return out


COLLAPSER = FtraceGraphCollapser()
