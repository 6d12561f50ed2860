"""bpftrace map printouts (text and ``-f json``) whose keys hold stacks.

An entry is ``@name[key]: value``; a stack field prints as a newline, one
frame per line (leaf first; 4 spaces, or a TAB and an address in ``perf``
mode) and a newline, so the ``, `` between key fields starts a line.  A key
folds as ``scalars;stacks`` with the stacks in reverse key order, each root
first: ``@[kstack, ustack, comm]`` gives ``comm;user...;kernel...`` (in perf
mode kernel stacks, told by their addresses, go on top whatever the order).
Raw mode frames (bare addresses) are kept as printed.  The unit is ``count``:
the text does not say whether the map counted samples, events or summed time.

One map is folded: ``--map NAME`` (``@`` is the unnamed map), else the first
map printed whose keys hold a stack, else the first with integer values.
``print()`` prints a map mid-run and exit prints it again: the last printout
wins.  Printouts follow each other without a separator, so a new one is
recognised by another map or a blank line coming between, by a key coming
again with a smaller value (bpftrace prints a map in ascending order of value,
so within one printout values never go down), or, for a map without keys, by
its next line.
Offsets (``+123``) are stripped so frames merge, unless ``offsets`` is set.
"""

from __future__ import annotations

import json

from .._records import TYPE_CHECKING, Record
from ..errors import InputError
from ..gcpause import no_gc
from ..profile import Profile, Stack
from ._bpftrace_json import JsonMaps
from ._chunks import chunks, decode, with_head
from ._head import has_line_starting
from ._lazy_re import lazy
from .base import CollapseOptions

if TYPE_CHECKING:
    from typing import BinaryIO, ClassVar

JSON_TYPES = {b"attached_probes", b"map", b"hist", b"stats", b"printf", b"time", b"value",
              b"lost_events", b"join", b"syscall", b"helper_error", b"cat"}
JSON_HEAD_RX = lazy(rb'\{"type": ?"(\w+)", ?"data"')
ATTACH_RX = lazy(rb"Attaching \d+ probes?\.\.\.")
#: a complete entry: ``@name[...]: N`` on one line, or a map whose key opens a stack
ENTRY_RX = lazy(rb"(?m)^@\w*(?:\[[^\n]*\]: -?\d+$|: -?\d+$|\[\n(?:    |\t)\S)")
WORD_RX = lazy(rb"\w*")
#: cuts a piece at every ``\n@`` (as ``bytes.split``; the regex engine finds the separator
#: among the frame lines' newlines about a third faster)
ENTRY_SEP = lazy(rb"\n@")
OFFSET_RX = lazy(rb"\+\d+$")
#: most distinct keys memoized (whole keys, then their parts)
KEY_MEMO = 1 << 16
#: what ``bytes.strip()`` strips
BLANKS = " \t\n\r\x0b\x0c"
#: perf mode: ``ADDR sym+OFF (module)`` (kernel frames have no module)
PERF_FRAME_RX = lazy(rb"^[0-9a-f]{6,16} (.+?)(?: \((?:/|\[)[^()]*\))?$")
#: chatter of bpftrace and of its bundled tools (profile.bt, offcputime.bt: "Sampling at ...", "Tracing ...")
NOISE = (b"Attaching ", b"Detaching", b"^C", b"Lost ", b"WARNING:", b"ERROR:", b"Tracing ", b"Sampling ")


class _Map(Record):
    """What is known of one map: its latest printout and whether it folds.

    (A plain class rather than a dataclass: detection imports this module, start-up.)"""

    _fields = ("name", "stacks", "foldable", "has_stack", "printouts", "last_value")

    def __init__(self, name: str) -> None:
        self.name = name
        self.stacks: dict[Stack, int] = {}
        self.foldable = True
        self.has_stack = False
        self.printouts = 0
        self.last_value = 0


class BpftraceCollapser:
    """bpftrace ``@map[key]: value`` printouts and ``-f json`` output."""

    name: ClassVar[str] = "bpftrace"
    priority: ClassVar[int] = 210
    description: ClassVar[str] = "bpftrace map printouts (text or -f json) keyed by kstack/ustack"

    def detect(self, head: bytes) -> bool | None:
        head = head.replace(b"\r\n", b"\n")
        s = head.lstrip()
        if s[:1] == b"{":
            m = JSON_HEAD_RX.match(s)
            return bool(m and m.group(1) in JSON_TYPES)
        if ATTACH_RX.match(s):
            return True
        # an entry's line starts with "@" (a substring search first: the regex tries every line)
        return has_line_starting(head, b"@") and bool(ENTRY_RX.search(head))

    def collapse(self, stream: BinaryIO, options: CollapseOptions) -> Profile:
        stream, head = with_head(stream, options.params)
        reader = _Reader(options)
        with no_gc():
            if head.lstrip()[:1] == b"{":
                reader.read_json(stream)
            else:
                reader.read_text(stream)
        return reader.result()


class _Reader:
    def __init__(self, options: CollapseOptions) -> None:
        self.options = options
        self.source = options.source
        self.offsets = bool(options.get("offsets"))
        #: resolves perf-mode ``ADDR [unknown]`` frames (flamekit symbolize / --elf ...), when set
        self.resolver = options.resolver
        self.maps: dict[str, _Map] = {}
        self.frames: dict[bytes, str] = {}
        self.middles: dict[bytes, tuple[tuple[str, ...], Stack]] = {}
        self.glue: dict[bytes, tuple[str, ...]] = {}
        #: the text fast path's memos (see _learn): an entry up to the digits that end its
        #: key -> (map, its fold before and after them); a whole key -> (map, its fold)
        self.fronts: dict[bytes, tuple[_Map, tuple[str, ...], Stack]] = {}
        self.wholes: dict[bytes, tuple[_Map, Stack]] = {}
        #: text key up to its last newline -> see _head
        self.heads: dict[bytes, tuple[tuple[str, ...], Stack]] = {}
        #: ASCII JSON glue -> its scalars (see _str_scalars)
        self.sglue: dict[str, tuple[str, ...]] = {}
        #: glue before its last comma -> its fields (see _post_fields), as bytes and str
        self.prefixes: dict[bytes, tuple[str, ...]] = {}
        self.sprefixes: dict[str, tuple[str, ...]] = {}
        #: the text reader's state between entries: maps by raw name, the map of the last
        #: entry, and whether something (a blank line, chatter) came after that entry
        self.by_raw: dict[bytes, _Map] = {}
        self.prev: _Map | None = None
        self.gap = False

    # -- the chosen map ---------------------------------------------------------
    def result(self) -> Profile:
        want = self.options.get("map")
        maps = self.maps
        if want:
            name = want if want.startswith("@") else "@" + want
            m = maps.get(name)
            if m is None:
                found = ", ".join(maps) or "none"
                raise InputError(self.source, None, f"no map {name} in this output (maps: {found})")
            if not m.foldable:
                raise InputError(self.source, None, f"map {name} holds histograms or stats, which do not fold")
        else:
            m = next((x for x in maps.values() if x.has_stack and x.foldable), None)
            if m is None:
                m = next((x for x in maps.values() if x.foldable), None)
            if m is None:
                if maps:
                    raise InputError(self.source, None, f"no map with integer values (maps: {', '.join(maps)})")
                return Profile(unit="count", sources=[self.source], meta={"tool": "bpftrace"})
        meta = {"tool": "bpftrace", "map": m.name}
        others = [x for x in maps if x != m.name]
        if others:
            meta["other_maps"] = ",".join(others)
        if m.printouts > 1:
            meta["printouts"] = str(m.printouts)
        return Profile(dict(m.stacks), unit="count", sources=[self.source], meta=meta)

    def _map(self, name: str) -> _Map:
        m = self.maps.get(name)
        if m is None:
            m = self.maps[name] = _Map(name)
        return m

    # -- text ---------------------------------------------------------------------
    def read_text(self, stream: BinaryIO) -> None:
        """Fold the text in pieces cut before a ``\n@``: each starts with the newline before
        its first entry (the input's first piece may start with an entry: a newline is put
        before it), so that splitting at ``\n@`` gives its entries and the text before them."""
        for piece, line in chunks(stream, b"\n@", cut=0):
            if piece[:1] == b"@":
                piece = b"\n" + piece
                line -= 1
            parts = ENTRY_SEP.split(piece)
            self._chatter(parts[0], line)
            self._entries(parts, piece, line)

    def _entries(self, parts: list[bytes], piece: bytes, line: int) -> None:
        """Fold the entries ``parts[1:]`` of ``piece`` (whose first line is ``line``).

        The common entry (a known map, ``[key]: N`` and nothing after the value) is
        folded here; any other goes to :meth:`_entry`.  A key that ends with a decimal
        field (``, 1234``: a pid, which makes keys distinct) is looked up as the entry
        up to that field (the map name, the stacks, the comm: these repeat) in a memo,
        the field put in between; any other key is looked up whole (printouts repeat
        them).  The memos are filled by the general code below (see :meth:`_learn`),
        which folds a key from its parts: the part up to its last newline (memoized)
        and its last line (the scalars after the last stack).
        """
        prev, gap = self.prev, self.gap
        by_raw = self.by_raw
        heads = self.heads
        fronts = self.fronts
        wholes = self.wholes
        glue = self.glue
        scalars = self._scalars
        post_fields = self._post_fields
        start = len(parts[0]) + 2  # offset of the current entry in piece (after "\n@")
        # the fast path keeps the last entry's map's stacks, their number and its last value
        # in locals (fresh) instead of reading and writing them through the map every entry
        fresh = False
        stacks: dict[Stack, int] = {}
        size = last_value = 0
        for entry in parts[1:]:
            at = start
            start += len(entry) + 2
            # fast path (the memos hold no ']: ', so with digits after it, k is the first)
            k = entry.rfind(b"]: ")
            c = entry.rfind(b",", 0, k)
            pid = entry[c + 2:k]
            if pid.isdigit():
                got = fronts.get(entry[:c + 2])
                stack = None if got is None else got[1] + (pid.decode(),) + got[2]
            else:
                got = wholes.get(entry[:k])
                stack = None if got is None else got[1]
            if stack is not None:
                v = entry[k + 3:]
                if v.isdigit():  # nothing after the value
                    value = int(v)
                    m = got[0]
                    if not fresh and prev is not None:  # the entry before took the general path
                        stacks, size, last_value = prev.stacks, len(prev.stacks), prev.last_value
                    fresh = True
                    if prev is not m or gap:
                        if prev is not None:
                            prev.last_value = last_value
                        stacks = m.stacks = {}
                        size = 0
                        m.printouts += 1
                        gap = False
                    elif value < last_value and stack in stacks:
                        stacks = m.stacks = {}
                        size = 0
                        m.printouts += 1
                    last_value = value
                    old = stacks.setdefault(stack, value)  # one hash for a new stack
                    if len(stacks) == size:  # it was there: add
                        stacks[stack] = old + value
                    else:
                        size += 1
                    prev = m
                    continue
            # general path: the fast path's state of the last entry's map goes back to it
            if fresh:
                if prev is not None:
                    prev.last_value = last_value
                fresh = False
            k = entry.find(b"]: ")
            b = entry.find(b"[", 0, k)
            m = by_raw.get(entry[:b]) if b >= 0 else None
            nl = entry.find(b"\n", k)
            if m is None or k < 0 or 0 <= nl < len(entry) - 1:
                self.prev, self.gap = prev, gap
                self._entry(entry, piece, line, at)
                prev, gap = self.prev, self.gap
                continue
            try:
                value = int(entry[k + 3:])  # int() ignores the newline that may end the piece
            except ValueError:
                self.prev, self.gap = prev, gap
                self._entry(entry, piece, line, at)
                prev, gap = self.prev, self.gap
                continue
            last = entry.rfind(b"\n", b, k)
            if last < 0:
                post = entry[b + 1:k]
                stack = glue.get(post) or scalars(post)
                self._learn(entry, k, m, (), stack, ())
            else:
                head = entry[b + 1:last + 1]
                got = heads.get(head)
                if got is None:
                    got = self._head(head)
                    if len(heads) < KEY_MEMO:
                        heads[head] = got
                pre_fields, stack = got
                post_stack = post_fields(entry[last + 1:k]) if last + 1 < k else ()
                self._learn(entry, k, m, pre_fields, post_stack, stack)
                stack = post_stack + stack
                if pre_fields:
                    stack = pre_fields + stack
                m.has_stack = True
            stacks = m.stacks
            if prev is not m or gap or (value < m.last_value and stack in stacks):
                stacks = m.stacks = {}
                m.printouts += 1
                gap = False
            m.last_value = value
            stacks[stack] = stacks.get(stack, 0) + value
            prev = m
        if fresh and prev is not None:
            prev.last_value = last_value
        self.prev, self.gap = prev, gap

    def _learn(self, entry: bytes, k: int, m: _Map, pre: tuple[str, ...], post: tuple[str, ...],
               back: Stack) -> None:
        """Remember a common entry of map ``m`` for the fast path of :meth:`_entries`.

        ``k`` is its first ``]: ``; its key folds as ``pre + post + back``, ``post``
        being the fields of the key's last line.  When that line ends with ``, DIGITS``
        (and the digits are its last field), any other digits in their place give the
        same fold with those digits instead (the fields before them are folded the same
        whatever follows the comma, see :meth:`_post_fields`): the entry up to the
        digits is memoized with the fold's parts before and after them.  Otherwise the
        key is memoized whole.  Neither memo key holds a ``]: ``, as the fast path needs."""
        c = entry.rfind(b",", 0, k)
        digits = entry[c + 2:k]
        if entry[c + 1:c + 2] == b" " and digits.isdigit():
            if post[-1:] == (digits.decode(),) and len(self.fronts) < KEY_MEMO:
                self.fronts[entry[:c + 2]] = (m, pre + post[:-1], back)
        elif len(self.wholes) < KEY_MEMO:
            self.wholes[entry[:k]] = (m, pre + post + back)

    def _entry(self, entry: bytes, piece: bytes, line: int, at: int) -> None:
        """Fold one entry of any shape (``entry`` is at offset ``at`` of ``piece``)."""
        name_end = WORD_RX.match(entry).end()  # type: ignore[union-attr]
        if entry[name_end:name_end + 1] == b"[":
            k = entry.find(b"]: ", name_end)
            if k < 0:
                self._bad(line + piece.count(b"\n", 0, at), "map entry without ']: value'")
                self.prev, self.gap = None, True
                return
            keyed = True
            vstart = k + 3
        elif entry.startswith(b": ", name_end):
            keyed = False
            vstart = name_end + 2
        else:
            self._bad(line + piece.count(b"\n", 0, at), "not a bpftrace map entry")
            self.prev, self.gap = None, True
            return
        raw_name = entry[:name_end]
        m = self.by_raw.get(raw_name)
        if m is None:
            m = self.by_raw[raw_name] = self._map(decode(b"@" + raw_name))
        nl = entry.find(b"\n", vstart)
        value_b = entry[vstart:] if nl < 0 else entry[vstart:nl]
        try:
            value = int(value_b)
        except ValueError:
            m.foldable = False  # hist(), lhist(), stats(): their bucket lines follow
            self.prev, self.gap = m, True
            return
        if keyed:
            stack, has_stack = self._text_key(entry[name_end + 1:k])
        else:
            stack, has_stack = (), False
        stacks = m.stacks
        if self.prev is not m or self.gap or (value < m.last_value and stack in stacks) or (not keyed and stacks):
            stacks = m.stacks = {}
            m.printouts += 1
        if has_stack:
            m.has_stack = True
        m.last_value = value
        stacks[stack] = stacks.get(stack, 0) + value
        self.prev = m
        # a blank line (or anything) before the next entry ends a printout
        self.gap = 0 <= nl < len(entry) - 1
        if self.gap and entry[nl + 1:].strip():
            self._chatter(entry[nl + 1:], line + piece.count(b"\n", 0, at + nl + 1))

    def _chatter(self, text: bytes, line: int) -> None:
        """Lines outside map entries: tool chatter is fine, anything else is skipped."""
        bad = 0
        first = None
        for i, raw in enumerate(text.split(b"\n")):
            s = raw.strip()
            if not s or s.startswith(NOISE):
                continue
            if first is None:
                first = line + i
            bad += 1
        if bad:
            self.options.skips.add(self.source, bad, first, "not part of a bpftrace map printout")

    def _bad(self, line: int, reason: str) -> None:
        self.options.skips.skip(self.source, line, reason)

    def _text_key(self, key: bytes) -> tuple[Stack, bool]:
        """Fold a text map key (between ``[`` and ``]: ``): scalar fields around the stacks
        first, then those between them, then the stacks in reverse key order, root first."""
        last = key.rfind(b"\n")
        if last < 0:
            return self._scalars(key), False
        head = key[:last + 1]
        got = self.heads.get(head)
        if got is None:
            got = self._head(head)
            if len(self.heads) < KEY_MEMO:
                self.heads[head] = got
        pre_fields, stack = got
        if last + 1 < len(key):
            stack = self._scalars(key[last + 1:]) + stack
        return pre_fields + stack, True

    def _head(self, head: bytes) -> tuple[tuple[str, ...], Stack]:
        """A text key up to its last newline: the scalars before its first newline, and the
        scalars between the stacks followed by the stacks (reverse key order, root first)."""
        first = head.find(b"\n")
        middle = head[first:]
        got = self.middles.get(middle)
        if got is None:
            got = self.middles[middle] = self._middle(middle)
        return (self._scalars(head[:first]) if first else ()), got[0] + got[1]

    def _key(self, key: bytes) -> tuple[Stack, bool]:
        """Fold a map key: scalar fields first, then stacks in reverse key order, root first.

        The lines between the first and last newline (the stacks) are memoized
        apart from the scalars around them, which vary more (pids, comms).
        """
        first = key.find(b"\n")
        if first < 0:
            return self._scalars(key), False
        last = key.rfind(b"\n")
        middle = key[first:last + 1]
        got = self.middles.get(middle)
        if got is None:
            got = self.middles[middle] = self._middle(middle)
        mid_scalars, stack = got
        pre = self._scalars(key[:first]) if first else ()
        post = self._scalars(key[last + 1:]) if last + 1 < len(key) else ()
        return pre + mid_scalars + post + stack, True

    def _post_fields(self, glue: bytes) -> tuple[str, ...]:
        """:meth:`_scalars` of the glue after a key's last stack, which pids make new
        every time (``, comm, 1234``): its fields before the last comma come from a
        memo (comms repeat), the last field is just stripped (see :func:`_strip_fields`)."""
        before, comma, last = glue.rpartition(b",")
        last = last.strip()
        if comma and last:
            fields = self.prefixes.get(before)
            if fields is None:
                fields = _strip_fields(decode(before))
                if len(self.prefixes) < KEY_MEMO:
                    self.prefixes[before] = fields
            if fields:
                return fields + (last.decode("utf-8", "surrogateescape"),)
        return self._scalars(glue)

    def _str_post_fields(self, glue: str) -> tuple[str, ...]:
        """:meth:`_post_fields` of an ASCII JSON glue given as str (``,comm,1234``)."""
        before, comma, last = glue.rpartition(",")
        last = last.strip(BLANKS)
        if comma and last:
            fields = self.sprefixes.get(before)
            if fields is None:
                fields = _strip_fields(before)
                if len(self.sprefixes) < KEY_MEMO:
                    self.sprefixes[before] = fields
            if fields:
                return fields + (last,)
        return self._str_scalars(glue)

    def _scalars(self, glue: bytes) -> tuple[str, ...]:
        """The scalar fields in the text between stacks (``, comm, 42, ``)."""
        got = self.glue.get(glue)
        if got is not None:
            return got
        s = glue.strip(b", ")
        if not s:
            got = ()
        elif b"," not in s:
            got = (s.decode("utf-8", "surrogateescape"),)
        else:
            # split after decoding: one decode, and str.strip of the ASCII blanks bytes.strip
            # removes gives the same fields (UTF-8 never hides a comma or blank inside a character)
            got = _fields(decode(s))
        if len(self.glue) < KEY_MEMO:  # pids make many distinct; keep the memo bounded
            self.glue[glue] = got
        return got

    def _middle(self, middle: bytes) -> tuple[tuple[str, ...], Stack]:
        """Scalars and the folded stacks of a key's multi-line part.

        Stacks go in reverse key order (``kstack, ustack`` gives user then
        kernel); a perf-mode stack whose addresses are kernel ones
        (``ffff...``) always goes after the others, whatever the key order.
        """
        scalars: tuple[str, ...] = ()
        stacks: list[tuple[bool, list[str]]] = []
        current: list[str] = []
        kernel = False
        for line in middle.split(b"\n"):
            if line[:1] in (b",", b""):
                if current:
                    stacks.append((kernel, current))
                    current = []
                kernel = False
                scalars += self._scalars(line)
            else:
                if line.startswith(b"\tffff"):
                    kernel = True
                name = self.frames.get(line)
                if name is None:
                    name = self.frames[line] = self._frame(line)
                if name:
                    current.append(name)
        if current:
            stacks.append((kernel, current))
        stacks.reverse()
        stacks.sort(key=lambda ks: ks[0])  # stable: user stacks first, in reverse key order
        out: list[str] = []
        for _, st in stacks:
            out.extend(reversed(st))
        return scalars, tuple(out)

    def _frame(self, line: bytes) -> str:
        s = line.strip()
        if line[:1] == b"\t":
            m = PERF_FRAME_RX.match(s)
            if m:
                if self.resolver is not None and m.group(1) == b"[unknown]":
                    from ..symbolize.frames import raw_address_name

                    found = raw_address_name(self.resolver, s[: s.index(b" ")])
                    if found is not None:
                        return found
                s = m.group(1)
        if not self.offsets:
            s = OFFSET_RX.sub(b"", s)
        return decode(s)

    # -- JSON -----------------------------------------------------------------------
    def read_json(self, stream: BinaryIO) -> None:
        skeys: dict[str, tuple[Stack, bool]] = {}
        sheads: dict[str, tuple[tuple[str, ...], Stack]] = {}
        akeys: dict[str, Stack] = {}  # ASCII key with a newline -> its stack
        sglue = self.sglue
        str_scalars = self._str_scalars
        str_post_fields = self._str_post_fields
        fast = JsonMaps(self).fold  # map lines of the common shape, without json.loads
        for lineno, raw in enumerate(stream, 1):
            raw = raw.strip()
            if not raw or fast(raw):
                continue
            try:
                try:
                    obj = json.loads(raw)
                except UnicodeDecodeError:  # bytes that are not UTF-8 survive as surrogates
                    obj = json.loads(decode(raw))
                kind = obj["type"]
                data = obj.get("data")
            except (ValueError, KeyError, TypeError):
                self._bad(lineno, "not a bpftrace JSON record")
                continue
            if kind in ("hist", "stats") and isinstance(data, dict):
                for name in data:
                    self._map(str(name)).foldable = False
                continue
            if kind != "map" or not isinstance(data, dict):
                continue
            for name, entries in data.items():
                m = self._map(str(name))
                m.printouts += 1
                m.stacks = {}
                if isinstance(entries, bool) or not isinstance(entries, (int, dict)):
                    m.foldable = False
                    continue
                if isinstance(entries, int):
                    m.stacks[()] = entries
                    continue
                stacks = m.stacks
                use_keys = len(akeys) < KEY_MEMO
                seen_stack = False  # a key holds a stack (set on the map after the loop)
                for key, value in entries.items():
                    if type(value) is not int:
                        m.foldable = False
                        break
                    # ASCII keys are folded as str, without encoding them back: whole keys
                    # memoized (printouts repeat them) until the memo is full (pids make them
                    # distinct), else their last line (comm, pid...) apart from the rest, which
                    # repeats (see _json_head)
                    stack = akeys.get(key) if use_keys else None
                    if stack is not None:
                        seen_stack = True
                    elif key.isascii():
                        last = key.rfind("\n")
                        if last < 0:
                            stack = sglue.get(key) or str_scalars(key)
                        else:
                            head = key[:last + 1]
                            got_head = sheads.get(head)
                            if got_head is None:
                                got_head = self._json_head(head)
                                if len(sheads) < KEY_MEMO:
                                    sheads[head] = got_head
                            stack = got_head[1]
                            post = key[last + 1:]
                            if post:
                                stack = str_post_fields(post) + stack
                            if got_head[0]:
                                stack = got_head[0] + stack
                            if use_keys and len(akeys) < KEY_MEMO:
                                akeys[key] = stack
                            seen_stack = True
                    else:
                        got = skeys.get(key)
                        if got is None:
                            got = self._key(key.encode("utf-8", "surrogateescape"))
                            if len(skeys) < KEY_MEMO:
                                skeys[key] = got
                        stack, has_stack = got
                        if has_stack:
                            seen_stack = True
                    stacks[stack] = stacks.get(stack, 0) + value
                if seen_stack:
                    m.has_stack = True

    def _json_head(self, head: str) -> tuple[tuple[str, ...], Stack]:
        """An ASCII JSON key up to its last newline: its scalars (before the first newline,
        then between the stacks) and its stacks, as :meth:`_key` folds them."""
        first = head.find("\n")
        middle = head[first:].encode("ascii")
        got = self.middles.get(middle)
        if got is None:
            got = self.middles[middle] = self._middle(middle)
        pre = self._str_scalars(head[:first]) if first else ()
        return pre + got[0], got[1]

    def _str_scalars(self, glue: str) -> tuple[str, ...]:
        """:meth:`_scalars` of an ASCII glue given as str (the same fields: for ASCII,
        decoding is the identity and ``BLANKS`` is what ``bytes.strip()`` strips)."""
        s = glue.strip(", ")
        if not s:
            got: tuple[str, ...] = ()
        elif "," not in s:
            got = (s,)
        else:
            got = _fields(s)
        if len(self.sglue) < KEY_MEMO:
            self.sglue[glue] = got
        return got


def _strip_fields(s: str) -> tuple[str, ...]:
    """The fields of ``s`` cut at every comma, stripped of ``BLANKS``, empty ones dropped.

    For glue ``before + "," + last`` whose ``before`` has such a field and whose
    ``last`` is not blank, :meth:`_Reader._scalars` gives ``_strip_fields(before)``
    followed by ``last`` stripped: the comma between them is a separator, so
    every field is cut and stripped alike (the whole glue is never the single
    unstripped field of a glue without separator)."""
    return tuple([p for p in [x.strip(BLANKS) for x in s.split(",")] if p])


def _fields(s: str) -> tuple[str, ...]:
    """The non-empty fields of comma-separated ``s``, stripped of ``BLANKS``.

    Most have no blank but the one space after each comma and no empty field
    (``comm, 1234`` in text, ``comm,1234`` in JSON): then the split itself is the
    answer, which saves stripping each field.
    """
    t = s.replace(", ", ",")
    if ",," not in t and t.split() == [t]:  # t holds no whitespace at all
        parts = t.split(",")
        if parts[0] and parts[-1]:
            return tuple(parts)  # no whitespace left, no empty field: nothing to strip or drop
    return _strip_fields(s)


COLLAPSER = BpftraceCollapser()
