"""``perf.data`` files as input: recognized by their magic, streamed through ``perf script``.

So ``flamekit collapse perf.data`` works like ``perf script | flamekit collapse -``
for every command.  perf needs a seekable file: data on stdin is spooled to a
temporary file first.  The text is read as perf writes it (a pipe), never
buffered whole.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import tempfile
from typing import Any, BinaryIO

from .errors import InputError, UsageError

MAGICS = (b"PERFILE2", b"PERFFILE")
HEAD_SIZE = 8192


def is_perf_data(head: bytes) -> bool:
    """True when ``head`` starts like a perf.data file (either perf header version)."""
    return head[:8] in MAGICS


def script_args(perf: str, path: str, params: dict[str, Any]) -> list[str]:
    """The ``perf script`` command line that prints what the options need."""
    args = [perf, "script", "-i", path]
    extra = []
    if params.get("pid") or params.get("tid"):
        extra.append("+pid")
    if params.get("srcline"):
        extra.append("+srcline")
    if extra:
        args += ["-F", ",".join(extra)]
    return args


class _ScriptOutput(io.RawIOBase):
    """perf script's stdout; closing it reaps perf, and a failure of perf is an InputError."""

    def __init__(self, proc: subprocess.Popen[bytes], source: str, cleanup: list[str], errors: Any) -> None:
        self.proc = proc
        self.source = source
        self.cleanup = cleanup
        self.errors = errors  # perf's stderr, in a file so a chatty perf never blocks
        self.prefix = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        assert self.proc.stdout is not None
        if self.prefix:
            n = min(len(b), len(self.prefix))
            b[:n] = self.prefix[:n]
            self.prefix = self.prefix[n:]
            return n
        n = self.proc.stdout.readinto(b)  # type: ignore[attr-defined]
        if n == 0:
            self._check()
        return n

    def _check(self) -> None:
        rc = self.proc.wait()
        if rc != 0:
            self.errors.seek(0)
            err = self.errors.read().decode("utf-8", "replace").strip()
            last = err.splitlines()[-1] if err else f"exit status {rc}"
            raise InputError(self.source, None, f"perf script failed: {last}")

    def close(self) -> None:
        if not self.closed:
            with contextlib.suppress(OSError):
                if self.proc.poll() is None:
                    self.proc.kill()
                self.proc.wait()
                if self.proc.stdout is not None:
                    self.proc.stdout.close()
                self.errors.close()
            for path in self.cleanup:
                with contextlib.suppress(OSError):
                    os.unlink(path)
        super().close()


def open_perf_data(path: str, source: str, stream: BinaryIO, params: dict[str, Any]) -> tuple[BinaryIO, bytes]:
    """``perf script`` output for the perf.data at ``path`` (``-``: read from ``stream``)."""
    perf = shutil.which("perf")
    if perf is None:
        raise UsageError(f"{source} is a perf.data file, and reading it needs perf: install it "
                         "(Debian/Ubuntu: apt-get install linux-perf) or run "
                         f"'perf script -i {source} | flamekit ... -' where perf is")
    cleanup: list[str] = []
    if path != "-":
        with open(path, "rb") as f:
            compressed = f.read(8) not in MAGICS
    if path == "-" or compressed:
        fd, tmp = tempfile.mkstemp(prefix="flamekit-perf-", suffix=".data")
        with os.fdopen(fd, "wb") as f:
            shutil.copyfileobj(stream, f, 1 << 20)
        path = tmp
        cleanup.append(tmp)
    errors = tempfile.TemporaryFile()
    proc = subprocess.Popen(script_args(perf, path, params), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=errors)
    raw = _ScriptOutput(proc, source, cleanup, errors)
    assert proc.stdout is not None
    head = proc.stdout.read(HEAD_SIZE)
    raw.prefix = head
    if not head:
        raw._check()
    return io.BufferedReader(raw, 1 << 20), head  # type: ignore[return-value]
