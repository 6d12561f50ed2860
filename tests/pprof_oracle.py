"""Run ``go tool pprof`` offline and parse what it prints, as an oracle for flamekit's pprof files."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from conftest import require_tool

SEPARATOR = "-----------+-------------------------------------------------------"
#: pprof's printed units -> nanoseconds (or bytes multipliers)
_SCALE = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "mins": 60 * 10**9, "hrs": 3600 * 10**9,
          "B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3}


def go_pprof(tmp: Path, *args: str) -> str:
    """stdout of ``go tool pprof -symbolize=none ARGS`` with HOME/PPROF_TMPDIR in ``tmp``; fails loudly."""
    return go_pprof_bytes(tmp, *args).decode("utf-8", "surrogateescape")


def go_pprof_bytes(tmp: Path, *args: str) -> bytes:
    """Like :func:`go_pprof`, the raw stdout (``-proto`` writes binary)."""
    go = require_tool("go", "golang-go")
    home = tmp / "gohome"
    (home / "pprof").mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, HOME=str(home), PPROF_TMPDIR=str(home / "pprof"), GOCACHE=str(home / "cache"),
               GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
    proc = subprocess.run([go, "tool", "pprof", "-symbolize=none", *args], capture_output=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def parse_value(text: str) -> int:
    """A value as pprof prints it (``10``, ``70ms``, ``1.50s``) in the base unit."""
    m = re.fullmatch(r"(-?[0-9.]+)([a-zA-Zµ]*)", text)
    assert m, text
    number, unit = m.groups()
    scale = _SCALE[unit] if unit else 1
    return int(round(float(number) * scale))


def parse_traces(text: str, strip_inline: bool = False) -> tuple[dict[tuple[str, ...], int], list[dict[str, str]]]:
    """Stacks (root first) -> summed weight, and the labels of each sample, from ``-traces`` output."""
    blocks = text.split(SEPARATOR + "\n")[1:]
    stacks: dict[tuple[str, ...], int] = {}
    labels: list[dict[str, str]] = []
    for block in blocks:
        if not block:
            continue  # the output ends with a separator
        lines = block.split("\n")
        assert lines[-1] == "", block
        frames: list[str] = []
        value = None
        sample_labels: dict[str, str] = {}
        for line in lines[:-1]:
            if value is None and line[10:13] == ":  ":
                sample_labels[line[:10].strip()] = line[13:]
                continue
            if value is None:
                head = line.lstrip(" ")
                token = head.split(" ", 1)[0]
                value = parse_value(token)
                name = head[len(token) + 3:]
            else:
                assert line.startswith(" " * 13), line
                name = line[13:]
            if name == "<unknown>":
                name = ""  # how pprof shows a function without a name
            if strip_inline and name.endswith(" (inline)"):
                name = name[: -len(" (inline)")]
            frames.append(name)
        assert value is not None, block
        stack = tuple(reversed(frames))
        stacks[stack] = stacks.get(stack, 0) + value
        labels.append(sample_labels)
    return stacks, labels


def top_total(text: str) -> int:
    """T from the ``Showing nodes accounting for X, P% of T total`` line of ``-top``."""
    m = re.search(r"Showing nodes accounting for \S+, \S+ of (\S+) total", text)
    assert m, text
    return parse_value(m.group(1))
