"""The BCC, bpftrace, DTrace and ftrace stack-trace readers memoize whole keys,
records and frame blocks (bounded memos) and take block-at-a-time fast paths;
with the memos disabled or the fast paths turned off, every capture must give
exactly the same profile, skips and line numbers included."""

from __future__ import annotations

import io
import json

import pytest
from conftest import CORPUS, GOLDEN
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flamekit import folded
from flamekit.collapse import CollapseOptions, bpftrace, get
from flamekit.errors import Skips


def _files(fmt_dir: str, *globs: str) -> list:
    out = []
    for base in (GOLDEN / fmt_dir, CORPUS / "formats" / fmt_dir):
        for g in globs:
            out.extend(sorted(base.glob(g)) if base.is_dir() else [])
    return out


def _run(fmt: str, data: bytes, **params) -> tuple:
    skips = Skips()
    p = get(fmt).collapse(io.BytesIO(data), CollapseOptions(source="t", skips=skips, params=params))
    return folded.dumps(p), list(p.stacks), p.meta, skips.counts, skips.first


BPFTRACE = _files("bpftrace", "*.txt", "*.json")


@pytest.mark.parametrize("path", BPFTRACE, ids=[p.name for p in BPFTRACE])
def test_bpftrace_key_memo_changes_nothing(path, monkeypatch):
    data = path.read_bytes()
    for params in ({}, {"offsets": True}):
        whole = _run("bpftrace", data, **params)
        monkeypatch.setattr(bpftrace, "KEY_MEMO", 0)
        assert _run("bpftrace", data, **params) == whole
        monkeypatch.undo()


def test_bpftrace_key_memo_sees_each_printout():
    # the same key in two printouts (the value goes down): the memo must not merge them
    data = b"@[\n    a+1\n    b+2\n, x]: 5\n@[\n    a+1\n    b+2\n, x]: 3\n@[\n    a+3\n    b+2\n, x]: 4\n"
    got = _run("bpftrace", data)
    assert got[0] == b"x;b;a 7\n" and got[2]["printouts"] == "2"


FTRACE_STACK = [p for p in _files("ftrace", "stack_*.txt", "*stack*.txt", "*.trace") if p.stat().st_size < 5 << 20]


@pytest.mark.parametrize("path", FTRACE_STACK, ids=[p.name for p in FTRACE_STACK])
@pytest.mark.parametrize("size", [1, 13, 200])
def test_ftrace_stack_records_cut_anywhere_and_unmemoized_give_the_same(path, size, monkeypatch):
    from flamekit.collapse import _chunks, ftrace_stack

    data = path.read_bytes()
    if b"<stack trace" not in data and b"kernel_stack" not in data:
        pytest.skip("no stack records")
    for params in ({}, {"per_cpu": True, "per_task": True}):
        whole = _run("ftrace-stack", data, **params)
        monkeypatch.setattr(_chunks, "CHUNK", size)
        monkeypatch.setattr(ftrace_stack, "MEMO", 0)
        assert _run("ftrace-stack", data, **params) == whole
        monkeypatch.undo()


@pytest.mark.parametrize("path", FTRACE_STACK, ids=[p.name for p in FTRACE_STACK])
def test_ftrace_stack_inline_records_fold_as_the_general_path(path, monkeypatch):
    # head_task() answering None sends every line through the general path
    from flamekit.collapse import ftrace_stack

    data = path.read_bytes()
    for params in ({}, {"per_cpu": True}, {"per_task": True}):
        inline = _run("ftrace-stack", data, **params)
        monkeypatch.setattr(ftrace_stack._StackReader, "head_task", staticmethod(lambda head: None))
        assert _run("ftrace-stack", data, **params) == inline
        monkeypatch.undo()


_FT_TASK = st.sampled_from(["   cat-1 [000] d..2. ", "   cat-1 [001] d..2. ", "  kworker/0:1-7 [000] .... ",
                            " => x-1 [000] ", "# cat-1 [000] ", "  a] b-2 [001] ", "   cat-2 (   2) [000] d.... "])
_FT_REST = st.sampled_from(["<stack trace>", "<user stack trace>", "<stack trace>", "kernel_stack: ",
                            "sched_switch: prev_comm=cat", "f <-g", "function: h <-- i", "x: y: <stack trace>",
                            "<stack trace> caller=ARRAY[01, 00, 00, 00, 00, 00, 00, 00]"])
_FT_FRAME = st.sampled_from([" => a", " => b+0x1/0x2", " => <00007f0000001000>", "  => c", " => d (ffffffff81000000)"])
_FT_RECORD = st.one_of(
    st.tuples(_FT_TASK, st.sampled_from(["1.000001: ", "2.5: ", "3: ", "x: "]), _FT_REST,
              st.lists(_FT_FRAME, max_size=4)).map(lambda t: "".join(t[:3]) + "".join("\n" + f for f in t[3])),
    st.sampled_from(["", "# tracer: nop", "cpus=2", "CPU 1 is empty", "junk line", " => orphan"]))


def _fast_and_general(fmt: str, data: bytes, strict: bool, target: object, attr: str, general: object,
                      **params: object) -> list[object]:
    """What ``fmt``'s collapser makes of ``data`` as it is, then with ``target.attr`` replaced
    by ``general`` (which sends everything down the general path)."""
    import pytest as _pytest

    runs = []
    for use_general in (False, True):
        mp = _pytest.MonkeyPatch()
        if use_general:
            mp.setattr(target, attr, general)
        try:
            runs.append(_run_maybe_error(fmt, data, strict, **params))
        finally:
            mp.undo()
    return runs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FT_RECORD, min_size=1, max_size=12), st.booleans(), st.booleans())
@example(["   cat-1 [000] d..2. 1.000001: f <-g", "   cat-1 [000] d..2. 1.000002: <stack trace>\n => a",
          "   cat-1 [000] d..2. 1.000003: <stack trace>\n => b"], False, False)
def test_ftrace_stack_inline_records_agree_with_the_general_path(records, per_cpu, per_task):
    from flamekit.collapse import ftrace_stack

    data = ("\n".join(records) + "\n").encode()
    fast, general = _fast_and_general("ftrace-stack", data, False, ftrace_stack._StackReader, "head_task",
                                      staticmethod(lambda head: None), per_cpu=per_cpu, per_task=per_task)
    assert fast == general


def test_ftrace_stack_odd_frame_lines_and_orphans():
    # frames indented otherwise continue the record; frames before any record are skipped
    # with the line of each; a blank line ends a record
    data = (b" => orphan\n => orphan2\n"
            b"   cat-1 [000] d..2. 1.000001: <stack trace>\n => a\n   => b\n => c\n\n => late\n"
            b"   cat-1 [001] d..2. 1.000002: <stack trace>\n")
    got = _run("ftrace-stack", data)
    assert got[0] == b"c;b;a 1\n"
    assert got[3] == {"t": 3} and got[4]["t"][0] == 1
    assert got[2]["empty_stacks"] == "1"


# -- bpftrace: the common-entry loop and the ASCII JSON keys agree with the general code -----


_PIECES = st.sampled_from(["\n", ", ", ",", " ", "\t", "    f+1", "    g+2", "\tffffffff81000000 k+3", "comm",
                           "42", "a b", "[", "]: ", "@", "\u00e9", "x"])
_FRAMES = st.lists(st.sampled_from(["    f+1", "    g+2", "\tffffffff81000000 k+3", "\t7f0000001000 u+1 (/lib/x.so)",
                                     "    f+1"]), max_size=3).map(lambda fs: "\n" + "\n".join(fs) + "\n" if fs else "")
_FIELD = st.one_of(st.sampled_from(["comm", "42", "a b", "", "\u00e9", "x\ty", " 7"]), _FRAMES)
#: keys as bpftrace prints them (fields joined by ", ", stacks as newline-framed lines) or junk
_GOOD_KEY = st.lists(_FIELD, max_size=5).map(", ".join)
_KEY = st.one_of(_GOOD_KEY, _GOOD_KEY, _GOOD_KEY, st.lists(_PIECES, max_size=10).map("".join))


def _general_entries(self, parts, piece, line):
    start = len(parts[0]) + 2
    for entry in parts[1:]:
        at = start
        start += len(entry) + 2
        self._entry(entry, piece, line, at)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["@", "@", "@", "@m", "@", "@x y", ""]), _KEY,
                          st.sampled_from(["1", "5", "3", "-2", "10", "2", "x", "7 ", ""]),
                          st.sampled_from(["\n"] * 6 + ["\n\n", "\nLost 3 events\n", "\n[0, 1) 5 |@|\n"])),
                min_size=2, max_size=12), st.booleans())
@example([("@", "comm, \n    f+1\n, x", "1", "\n"), ("@", "comm, \n    f+1\n, x", "2", "\n")], False)
def test_bpftrace_common_entry_loop_agrees_with_the_general_one(entries, strict):
    data = "".join(f"{name}[{key}]: {value}{end}" for name, key, value, end in entries).encode()
    fast, general = _fast_and_general("bpftrace", data, strict, bpftrace._Reader, "_entries", _general_entries)
    assert fast == general


_TAIL = st.sampled_from(["1", "42", "007", "12345", "0", "comm", "", "4 2", "\u0663"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_KEY, min_size=1, max_size=3),
       st.lists(st.tuples(st.integers(0, 2), st.sampled_from([", ", ",", ",  ", ", \t", " , "]), _TAIL,
                          st.sampled_from(["1", "5", "3", "10", "-2", "7 ", "x"]),
                          st.sampled_from(["\n"] * 8 + ["\n\n"])), min_size=2, max_size=14),
       st.booleans())
@example(["\n    f+1\n, comm"], [(0, ", ", "1", "1", "\n"), (0, ", ", "2", "2", "\n"), (0, ", ", "2", "1", "\n")], False)
@example([""], [(0, ", ", "1", "1", "\n"), (0, ", ", "2", "2", "\n")], False)
@example(["\n    f+1\n, comm"], [(0, ", ", d, v, "\n") for d, v in
                                 [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("3", "5"), ("9", "6")]], False)
@example(["\n    f+1\n, comm"], [(0, ", ", d, v, "\n") for d, v in
                                 [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5"), ("2", "3 "), ("9", "7")]],
         False)
def test_bpftrace_keys_sharing_all_but_their_last_field_fold_as_the_general_loop(fronts, entries, strict):
    # the fast path folds a key 'FRONT, DIGITS' from a memo of FRONT filled by another key,
    # and a key seen before from a memo of the whole key: both must fold as the general code
    data = "".join(f"@[{fronts[i % len(fronts)]}{sep}{tail}]: {value}{end}"
                   for i, sep, tail, value, end in entries).encode("utf-8", "surrogateescape")
    fast, general = _fast_and_general("bpftrace", data, strict, bpftrace._Reader, "_entries", _general_entries)
    assert fast == general


def _run_maybe_error(fmt: str, data: bytes, strict: bool, **params) -> tuple:
    from flamekit.errors import InputError

    skips = Skips(strict=strict)
    try:
        p = get(fmt).collapse(io.BytesIO(data), CollapseOptions(source="t", skips=skips, params=params))
    except InputError as e:
        return ("error", str(e))
    return folded.dumps(p), list(p.stacks.items()), p.meta, skips.counts, skips.first


@settings(max_examples=300, deadline=None)
@given(_KEY)
def test_bpftrace_ascii_json_keys_fold_as_the_bytes_path(key):
    import json

    data = (json.dumps({"type": "map", "data": {"@": {key: 3}}}) + "\n").encode()
    reader = bpftrace._Reader(CollapseOptions(source="t"))
    expected = reader._key(key.encode("utf-8", "surrogateescape"))
    got = get("bpftrace").collapse(io.BytesIO(data), CollapseOptions(source="t"))
    assert list(got.stacks.items()) == [(expected[0], 3)]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=", \t\x0b\x0c\r\n\xa0\x1cab\u00e9\udc80", max_size=20))
def test_bpftrace_fields_shortcut_equals_stripping_each_field(text):
    s = text.strip(", ")
    expected = tuple(p for p in (x.strip(bpftrace.BLANKS) for x in s.split(",")) if p)
    assert bpftrace._fields(s) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=", \t\x0b\r\n\xa0ab1\u00e9\udc80", max_size=16))
def test_bpftrace_last_field_split_equals_the_whole_glue(glue):
    reader = bpftrace._Reader(CollapseOptions(source="t"))
    raw = glue.encode("utf-8", "surrogateescape")
    assert reader._post_fields(raw) == bpftrace._Reader(CollapseOptions(source="t"))._scalars(raw)
    if glue.isascii():
        assert reader._str_post_fields(glue) == reader._scalars(raw)


# -- bpftrace -f json: map lines cut without json.loads agree with json.loads ---------------

_POOL_KEY = st.tuples(st.sampled_from(["\n    f+1\n,comm,", ",\n    g+2\n,", "x,"]),
                      st.sampled_from(["1", "007", "42"])).map("".join)
_JSON_KEY = st.one_of(_POOL_KEY, _POOL_KEY, _KEY, st.sampled_from(['a"b', "a\\b", "x/y", "\x01", "\u00e9,1", "\udc80"]),
                      st.tuples(_KEY, st.sampled_from([",", ", ", ",\t"]), st.sampled_from(["1", "42", "007", "x"]))
                      .map("".join))
_JSON_VALUE = st.one_of(st.sampled_from(["1", "5", "3", "10", "0", "-3"]),
                        st.sampled_from(["1", "5", "3", "10", "0", "-3", "007", "1.5", "true", '"s"', "{}", "2 "]))


def _json_member(key: str, value: str, style: int) -> str:
    text = json.dumps(key, ensure_ascii=style & 1 == 0)
    if style & 2:
        text = text.replace("/", "\\/").replace("e", "\\u0065", 1)  # other spellings, same key
    return f"{text}: {value}"


def _json_fast_and_general(data: bytes, strict: bool) -> list[object]:
    from flamekit.collapse import _bpftrace_json

    return _fast_and_general("bpftrace", data, strict, _bpftrace_json.JsonMaps, "fold", lambda self, raw: False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(_JSON_KEY, _JSON_VALUE, st.integers(0, 3)), max_size=6), min_size=1, max_size=4),
       st.sampled_from([", ", ",", ", "]), st.sampled_from(["@", "@m", "@", 'a"b']), st.booleans(),
       st.sampled_from(["", "", "", "", ", ", "}"]))
@example([[("\n    f+1\n,comm,1", "1", 0), ("\n    f+1\n,comm,2", "2", 0)],
          [("\n    f+1\n,comm,3", "1", 0), ("\n    f+1\n,comm,3", "2", 0)]], ", ", "@", False, "")
@example([[("\n    f+1\n,comm,1", "1", 0), ("\n    f+1\n,comm,007", "2", 0)]], ", ", "@", False, "")
@example([[("\n    f+1\n,é", "1", 0), ("\n    f+1\n,é", "2", 1)]], ", ", "@", False, "")
@example([[("\n    f+2\n,x", "1", 0), ("\n    f+1\n,x", "2", 0), ("\n    f+1\n,x", "4", 2)]], ", ", "@", False, "")
def test_bpftrace_json_map_lines_cut_without_json_loads_fold_as_json_loads(lines, sep, name, strict, tail):
    # keys that repeat (whole, or but their pid), escapes with two spellings, duplicate keys,
    # values that are not JSON integers, other separators, a trailing comma or brace
    data = b'{"type": "attached_probes", "data": {"probes": 1}}\n'
    for members in lines:
        body = sep.join(_json_member(k, v, style) for k, v, style in members)
        line = f'{{"type": "map", "data": {{{json.dumps(name)}: {{{body}{tail}}}}}}}\n'
        data += line.encode("utf-8", "surrogateescape")
    fast, general = _json_fast_and_general(data, strict)
    assert fast == general
