"""Rebuilding calls from classified ftrace ``function_graph`` lines (see :mod:`.ftrace`
for the rules): per task, in a trie of call paths, with per-node memos of what a
repeated line does.  Kept apart from :mod:`.ftrace` so that format detection, which
imports every format module, does not import the fold's machinery.
"""

from __future__ import annotations

from collections import defaultdict
from operator import length_hint
from typing import Any, BinaryIO, cast

from ..errors import InputError
from ..profile import Profile
from ._fgraph_fast import LIMIT, FastLines
from ._fgraph_lines import (
    BAD,
    BANNER,
    ENTRY,
    EVENT,
    EXIT,
    IGNORE,
    LEAF,
    Classifier,
    Record,
    iter_graph_lines,
)
from ._ftrace_common import cpu_frame, task_frame
from .base import CollapseOptions

_PAD = "[unknown]\x00pad"
#: what the action memos give for a line they do not hold: its task is no task
_MISS = (object(), 0, 0, 0)


class Rebuilder:
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
        fast = self_mode and not rooted  # the inlined common case below applies

        # call paths live in a trie: node 0 is the empty path; children[name]
        # maps a parent node to its child of that name, so pushing a call is one
        # dict lookup on an int, and weights add up per node, without building
        # or hashing whole stacks
        children: dict[str, dict[int, int]] = {}
        node_parent: list[int] = [-1]
        node_name: list[str] = [""]
        acc: list[int] = [0]  # weight per node (unrooted)
        racc: defaultdict[tuple[tuple[str, ...], int], int] = defaultdict(int)  # (root frames, node) -> weight

        lines_ = FastLines(children)
        fast_memo = lines_.memo
        fast_get = fast_memo.get
        timed_get = lines_.timed.get
        duration = lines_.duration
        lookup = lines_.lookup
        intern_task = lines_.task
        cache: dict[bytes, Record] = {}
        cache_get = cache.get
        MISS = _MISS
        # task key -> its stack: slot 0 is a sentinel [0, saved running measure],
        # then one (node, running measure at entry) per open call
        stacks: dict[Any, list[Any]] = {}
        current: dict[int, Any] = {}  # CPU -> key of the task it runs
        comms: dict[Any, bytes] = {}
        pids: dict[Any, bytes] = {}
        roots_cache: dict[tuple[Any, Any], tuple[str, ...]] = {}
        pad_names: dict[str, str | None] = {}
        unknown_task_root: dict[int, str] = {}  # CPU -> root placeholder of its untold task
        counters = {"clamped": 0, "lost": 0, "events": 0, "unclosed": 0, "mismatched": 0}
        clamped = 0
        records = False  # a leaf or exit was seen (bare traces then keep their mode)
        recognized = 0
        first_bad: tuple[int, str] | None = None

        # actions remembered per node: at node t, a line of task T that would be
        # handled by the common cases below maps to (T, kind, node, ns) -- the
        # child a leaf weighs on or an entry pushes, or t itself for the exit
        # that closes it.  That holds whenever T's stack has t on top (the depth
        # check is the node's depth; nodes never change), so a repeated line
        # costs one lookup in the small memo of the current top node.
        no_actions: dict[bytes, Any] = {}  # never filled: the memo of nodes without actions
        node_actions: list[dict[bytes, Any] | None] = [None]
        getters: list[Any] = [no_actions.get]  # node -> its memo's get
        room_at = LIMIT  # actions that may still be remembered (bound on all memos together)

        def remember(at: int, line: bytes, action: tuple[Any, int, int, int]) -> Any:
            """Remember what ``line`` does on top of node ``at``; its memo's get."""
            m = node_actions[at]
            if m is None:
                m = node_actions[at] = {}
                getters[at] = m.get
            m[line] = action
            return getters[at]

        def forget() -> None:
            """Drop every remembered action (they hold self-weight durations)."""
            for i in range(len(getters)):
                node_actions[i] = None
                getters[i] = no_actions.get

        def node(parent: int, name: str) -> int:
            nid = len(node_name)
            kids = children.get(name)
            if kids is None:
                kids = children[name] = {}
            kids[parent] = nid
            node_parent.append(parent)
            node_name.append(name)
            acc.append(0)
            node_actions.append(None)
            getters.append(no_actions.get)
            return nid

        def record(r: Record, lineno: int) -> bool:
            """Count or apply a record that is not a call; True if it moved or reset stacks."""
            nonlocal first_bad, recognized
            kind = r[0]
            if kind == BAD:
                if first_bad is None:
                    first_bad = (lineno, r[5])
                skips.skip(source, lineno, r[5])
                return False
            if kind == EVENT:
                counters["events"] += 1
                return False
            recognized += 1
            bcpu = cast(int, r[1])  # banners and LOST lines always name their CPU
            if kind == BANNER:
                ppid, pcomm = r[5]
                pkey = ppid if ppid != b"0" else (b"idle", bcpu)
                nkey = r[2] if r[2] != b"0" else (b"idle", bcpu)
                unknown = ("cpu", bcpu)
                if current.get(bcpu) is None:
                    if unknown in stacks and pkey not in stacks:
                        stacks[pkey] = stacks.pop(unknown)
                    ph = unknown_task_root.get(bcpu)
                    if ph is not None and pad_names[ph] is None:
                        pad_names[ph] = task_frame(pcomm, ppid)
                comms.setdefault(pkey, pcomm)
                pids.setdefault(pkey, ppid)
                comms.setdefault(nkey, r[3] or b"")
                pids.setdefault(nkey, r[2] or b"")
                current[bcpu] = nkey
                return True
            counters["lost"] += r[6]  # LOST
            for k in (current.get(bcpu), ("cpu", bcpu)):
                lost_stack = stacks.get(k)
                if lost_stack is not None and len(lost_stack) > 1:
                    counters["unclosed"] += len(lost_stack) - 1
                    del lost_stack[1:]
            return True

        def placeholder() -> str:
            ph = f"{_PAD}{len(pad_names)}"
            pad_names[ph] = None
            return ph

        def pad(st: list[Any], d: int, run: int) -> None:
            """Placeholder frames up to d - 1 open calls (the trace began mid-call)."""
            while len(st) < d:
                st.append((node(st[-1][0], placeholder()), run))

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

        def task_key(cpu: int | None, pid: bytes | None, comm: bytes | None) -> Any:
            """The task a call line belongs to: its pid, else the task its CPU runs, else the CPU."""
            if pid is not None:
                key = pid if pid != b"0" else (b"idle", cpu)
                if key not in comms:
                    comms[key] = comm or b""
                    pids[key] = pid
                if cpu is not None:
                    current[cpu] = key
                return key
            if cpu is None:
                return None
            key = current.get(cpu)
            return ("cpu", cpu) if key is None else key

        classify = Classifier(cache).classify
        ENTRY_, LEAF_, EXIT_ = ENTRY, LEAF, EXIT  # locals: the loop compares with them on every line
        parent_of = node_parent  # a plain local: the closures above make node_parent a cell
        weights = acc  # (the same list under a name the loop reads as a fast local)
        # the task of the line before (an interned (cpu, pid, comm)): lines of the
        # same task and CPU in a row reuse its stack without looking it up
        last_task: Any = None
        key: Any = None
        cpu: Any = None
        st: list[Any] = [[0, 0]]
        top = 0  # the current stack's top node (st[-1][0])
        at_top = getters[0]  # the action memo of the top node (see remember)
        # ``run`` is the running measure of the current stack: it grows by the
        # duration (self weights) or by 1 (total weights) of every completed call,
        # and a frame keeps its value at entry.  So run - frame's value = what its
        # completed children add up to, with no per-parent bookkeeping; cutting
        # unclosed frames rewinds it to the outermost cut frame's value.
        run = 0
        for lineno0, lines in iter_graph_lines(stream):
            room = max(0, LIMIT - len(fast_memo))  # lines the loop may still add to the memo
            todo = iter(lines)  # its length_hint numbers a bad line without enumerate() on every line
            for line in todo:
                # a line met before on this call path, of the task running: what it
                # does is known (self weights without root frames only; see remember)
                task, kind, nid, dur = at_top(line, MISS)
                if task is last_task:
                    if kind == LEAF_:
                        weights[nid] += dur
                        run += dur
                        continue
                    if kind == ENTRY_:
                        st.append((nid, run))
                        top = nid
                        at_top = getters[nid]
                        continue
                    r0 = st.pop()[1]  # an exit closing the top frame, nid
                    w = dur - run + r0
                    run = r0 + dur
                    if w < 0:
                        clamped += 1
                        w = 0
                    weights[nid] += w
                    top = parent_of[nid]
                    at_top = getters[top]
                    continue
                c = fast_get(line)
                if c is not None:
                    kind, task, d, kids, dur, name = c
                else:
                    # a leaf or exit whose shape (the line minus its duration) is known
                    # is completed here with its token's duration: traces whose
                    # durations never repeat are mostly such lines
                    shape = None
                    u = line.find(b" us ")
                    if u > 0:
                        t = line.rfind(b" ", 0, u) + 1  # where the duration token begins
                        shape = timed_get(line[:t] + line[u:])
                        if shape is not None:
                            tok = line[t:u]
                            if len(tok) > 4 and tok[-4] == 46:  # the kernel's %lu.%03lu ("." is 46)
                                digits = tok.replace(b".", b"", 1)
                                dur = int(digits) if digits.isdigit() else None
                            else:
                                dur = duration(tok)
                            if dur is None:
                                shape = None
                    if shape is not None:
                        kind, task, d, kids, name = shape
                        records = True
                        if room:  # while the memo has room, a repeat of this line hits it
                            room -= 1
                            fast_memo[line] = (kind, task, d, kids, dur, name)
                    else:
                        c = lookup(line)
                        if c is None:  # not the common layout: the general classifier
                            r = cache_get(line)
                            if r is None:
                                r = classify(line)
                            kind = r[0]
                            if kind > EXIT_:
                                if kind != IGNORE:
                                    lineno = lineno0 + len(lines) - length_hint(todo) - 1
                                    if record(r, lineno):
                                        last_task = None  # the stacks of a CPU were moved or reset
                                continue
                            name = r[5]
                            dur = r[6]
                            if dur < 0:  # a layout without durations (bare, nofuncgraph-duration)
                                dur = 0
                                if auto and not records and kind != ENTRY_:
                                    calls_mode, self_mode, mode, fast = True, False, "calls", False
                                    forget()  # the actions remembered were those of self weights
                                    at_top = getters[0]
                            kids = None if kind == EXIT_ else children.setdefault(name, {})
                            c = (kind, intern_task(r[1], r[2], r[3]), r[4] + 1, kids, dur, name)
                        if c[0] != ENTRY_:
                            records = True
                        kind, task, d, kids, dur, name = c
                if task is not last_task:  # another task or CPU: find its stack
                    st[0][1] = run
                    cpu = task[0]
                    key = task_key(cpu, task[1], task[2])
                    st = stacks.get(key)  # type: ignore[assignment]
                    if st is None:
                        st = stacks[key] = [[0, 0]]
                    run = st[0][1]
                    top = st[-1][0]
                    at_top = getters[top]
                    last_task = task
                # c is None only for a line completed from its shape: its duration
                # makes it unlikely to come again, so it is not remembered
                if fast:  # self weights, no root frames: the common cases inline
                    if kind == LEAF_:
                        if len(st) == d:
                            nid = kids.get(top)
                            if nid is not None:
                                if c is not None and room_at:
                                    room_at -= 1
                                    at_top = remember(top, line, (task, LEAF_, nid, dur))
                                weights[nid] += dur
                                run += dur
                                continue
                    elif kind == ENTRY_:
                        if len(st) == d:
                            nid = kids.get(top)
                            if nid is not None:
                                if c is not None and room_at:
                                    room_at -= 1
                                    remember(top, line, (task, ENTRY_, nid, 0))
                                st.append((nid, run))
                                top = nid
                                at_top = getters[nid]
                                continue
                    elif len(st) == d + 1 and name is None:  # an exit closing the top frame
                        nid, r0 = st.pop()
                        if c is not None and room_at:
                            room_at -= 1
                            remember(nid, line, (task, EXIT_, nid, dur))
                        w = dur - run + r0
                        run = r0 + dur
                        if w < 0:
                            clamped += 1
                            w = 0
                        weights[nid] += w
                        top = parent_of[nid]
                        at_top = getters[top]
                        continue
                # the general case: any weight mode, depth changes, new nodes, named exits
                n = len(st)
                if kind == EXIT_:
                    if n > d + 1:  # deeper frames whose exit was lost stay unclosed
                        counters["unclosed"] += n - d - 1
                        run = st[d + 1][1]
                        del st[d + 1 :]
                        n = d + 1
                    if n == d + 1:
                        nid, r0 = st.pop()
                        if name is not None:  # the exit names its function
                            own = node_name[nid]
                            if own in pad_names:
                                pad_names[own] = name
                            elif own.split(" ", 1)[0] != name:
                                counters["mismatched"] += 1
                        if calls_mode:
                            w = 1
                        elif self_mode:
                            w = dur - run + r0
                            run = r0 + dur
                            if w < 0:
                                clamped += 1
                                w = 0
                        else:
                            w = dur if run == r0 else 0
                            run = r0 + 1
                    else:  # nothing to close: an orphan exit is a call of its own
                        pad(st, d, run)
                        parent_node = st[-1][0]
                        own = name if name is not None else placeholder()
                        kids = children.get(own)
                        nid = None if kids is None else kids.get(parent_node)
                        if nid is None:
                            nid = node(parent_node, own)
                        w = 1 if calls_mode else dur
                        run += 1 if not self_mode else dur
                else:  # an entry or a leaf: the stack is cut or padded to its depth
                    if n != d:
                        if n > d:
                            counters["unclosed"] += n - d
                            run = st[d][1]
                            del st[d:]
                        else:
                            pad(st, d, run)
                    parent_node = st[-1][0]
                    nid = kids.get(parent_node)
                    if nid is None:
                        nid = node(parent_node, name)
                    if kind == ENTRY_:
                        st.append((nid, run))
                        w = 0
                    else:
                        w = 1 if calls_mode else dur
                        run += dur if self_mode else 1
                top = st[-1][0]
                at_top = getters[top]
                if w:
                    if rooted:
                        racc[(roots(cpu, key), nid)] += w
                    else:
                        weights[nid] += w

        if not recognized and len(node_name) == 1 and first_bad is not None:
            raise InputError(source, first_bad[0], f"no function_graph records found ({first_bad[1]})")
        counters["clamped"] = clamped
        for st in stacks.values():
            counters["unclosed"] += len(st) - 1
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
