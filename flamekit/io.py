"""Opening inputs and writing outputs.

Inputs are a path or ``-`` (stdin), transparently decompressed by their magic
bytes (gzip, xz, and zstd when the ``zstandard`` package is installed).
Outputs are written atomically: to a temporary file beside the target, renamed
into place only when the whole output was produced.

The decompressors are imported when an input needs them, and the temporary
output file is made without ``tempfile``: every command imports this module,
most never decompress, and tempfile's imports cost start-up.
"""

from __future__ import annotations

import io
import os
import sys
import time

from ._records import TYPE_CHECKING
from .errors import InputError, UsageError

if TYPE_CHECKING:
    from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
XZ_MAGIC = b"\xfd7zXZ\x00"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

#: how many bytes detection looks at
HEAD_SIZE = 8192

#: inputs at least this large get a progress bar on a terminal
PROGRESS_MIN_BYTES = 32 << 20


def source_name(path: str | os.PathLike[str]) -> str:
    p = os.fspath(path)
    return "<stdin>" if p == "-" else p


def _raw_open(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise InputError(path, None, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, None, "is a directory") from None
    except PermissionError:
        raise InputError(path, None, "permission denied") from None
    except OSError as e:
        raise InputError(path, None, e.strerror or str(e)) from None


def _decompressor(raw: BinaryIO, head: bytes, name: str) -> BinaryIO:
    if head.startswith(GZIP_MAGIC):
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if head.startswith(XZ_MAGIC):
        import lzma

        return lzma.LZMAFile(raw, "rb")  # type: ignore[return-value]
    if head.startswith(ZSTD_MAGIC):
        try:
            import zstandard  # type: ignore[import-not-found]
        except ImportError:
            raise InputError(
                name, None, "zstd-compressed input needs the 'zstandard' package (pip install zstandard)"
            ) from None
        return zstandard.ZstdDecompressor().stream_reader(raw)  # type: ignore[no-any-return]
    return raw


class ProgressReader(io.RawIOBase):
    """Wraps a stream and draws a byte counter with rate on stderr."""

    def __init__(self, inner: BinaryIO, total: int | None, label: str) -> None:
        self.inner = inner
        self.total = total
        self.label = label
        self.done = 0
        self.start = time.monotonic()
        self.last = 0.0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        data = self.inner.read(len(b))
        n = len(data)
        b[:n] = data
        self.done += n
        now = time.monotonic()
        if now - self.last > 0.2 or n == 0:
            self.last = now
            self._draw(final=n == 0)
        return n

    def _draw(self, final: bool) -> None:
        mb = self.done / 1e6
        rate = mb / max(time.monotonic() - self.start, 1e-6)
        if self.total:
            pct = 100.0 * self.done / self.total
            width = 30
            fill = int(width * min(pct, 100) / 100)
            bar = f"[{'#' * fill}{'.' * (width - fill)}] {pct:5.1f}% "
        else:
            bar = ""
        sys.stderr.write(f"\r{self.label}: {bar}{mb:,.1f} MB {rate:,.1f} MB/s")
        if final:
            sys.stderr.write("\n")
        sys.stderr.flush()


class _Replay(io.RawIOBase):
    """Yields ``head`` again, then the rest of ``inner`` (read straight into the caller's buffer)."""

    def __init__(self, head: bytes, inner: BinaryIO) -> None:
        self.head = memoryview(head)
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(b), len(self.head))
            b[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        readinto = getattr(self.inner, "readinto", None)
        if readinto is not None:
            return readinto(b) or 0
        data = self.inner.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        """What is left, in one read of ``inner`` (readers that want the whole
        input call ``read()``; RawIOBase's readall would loop in 8 KB steps)."""
        head, self.head = bytes(self.head), memoryview(b"")
        rest = self.inner.read()
        return head + rest if head else rest

    def close(self) -> None:
        self.inner.close()
        super().close()


def open_input(path: str | os.PathLike[str], progress: bool = False) -> tuple[BinaryIO, bytes]:
    """Open ``path`` for binary reading, decompressing as needed.

    Returns the stream positioned at the start and the first HEAD_SIZE bytes
    of the (decompressed) content, for format detection.
    """
    p = os.fspath(path)
    name = source_name(p)
    raw = _raw_open(p)
    size: int | None = None
    if p != "-":
        try:
            size = os.fstat(raw.fileno()).st_size
        except OSError:
            pass
    stream: BinaryIO = raw
    if progress and sys.stderr.isatty() and (size is None or size >= PROGRESS_MIN_BYTES):
        stream = io.BufferedReader(ProgressReader(raw, size, name), 1 << 20)  # type: ignore[arg-type,type-var]
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream, 1 << 20)  # type: ignore[arg-type,type-var]
    try:
        magic = buffered.peek(6)[:6]
        inner = _decompressor(buffered, magic, name)
        # peek() only returns what one read brought in (4 KB from a pipe, say):
        # read the head for real, then hand on a stream that replays it
        parts = []
        got = 0
        while got < HEAD_SIZE:
            chunk = inner.read(HEAD_SIZE - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        head = b"".join(parts)
    except _read_errors() as e:
        raise InputError(name, None, f"cannot read: {e}") from None
    return io.BufferedReader(_Replay(head, inner), 1 << 20), head  # type: ignore[return-value,type-var]


def _read_errors() -> tuple[type[BaseException], ...]:
    """What a corrupt or truncated (compressed) input raises while being read.

    ``lzma.LZMAError`` only when lzma is loaded: an xz input is the only way
    to meet one, and it imports lzma first.
    """
    lzma = sys.modules.get("lzma")
    return (OSError, EOFError) if lzma is None else (OSError, EOFError, lzma.LZMAError)


def read_all(path: str | os.PathLike[str]) -> bytes:
    """The whole decompressed content of an input (for small inputs)."""
    stream, _ = open_input(path)
    try:
        return stream.read()
    except _read_errors() as e:
        raise InputError(source_name(path), None, f"cannot read: {e}") from None


class atomic_output:  # (lower case: used as the function it was)
    """A binary stream that lands at ``path`` only if the block succeeds.

    ``None`` or ``-`` write to stdout.  (A class rather than a
    ``contextlib.contextmanager`` generator: contextlib is ~1 % of a small flame
    graph's start, and nothing else on that path needs it.)
    """

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = None if path is None else os.fspath(path)
        self.tmp: str | None = None  # the temporary file beside the target, None for stdout
        self.out: BinaryIO | None = None

    def __enter__(self) -> BinaryIO:
        p = self.path
        if p is None or p == "-":
            self.out = sys.stdout.buffer
            return self.out
        directory = os.path.dirname(os.path.abspath(p))
        try:
            fd, self.tmp = _temp_beside(directory)
        except OSError as e:
            raise UsageError(f"cannot write {p}: {e.strerror or e}") from None
        try:
            self.out = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            _remove(self.tmp)
            raise
        return self.out

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        out, tmp = self.out, self.tmp
        assert out is not None
        if tmp is None:  # stdout: flushed only after a block that succeeded
            if kind is None:
                out.flush()
            return
        try:
            out.close()
            if kind is None:
                os.chmod(tmp, 0o666 & ~_umask())
                os.replace(tmp, self.path)  # type: ignore[arg-type]
                return
        except BaseException:
            _remove(tmp)
            raise
        _remove(tmp)  # the block failed: its error propagates


def _remove(path: str) -> None:
    """Remove ``path`` if it can be (cleaning up after a failure that is being reported)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def _temp_beside(directory: str) -> tuple[int, str]:
    """A new private file in ``directory`` (so os.replace is atomic), opened for writing.

    What tempfile.mkstemp does, without importing tempfile (and shutil, random)
    on every command's start-up: the name holds the pid, O_EXCL refuses to reuse one.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for n in range(10_000):
        tmp = os.path.join(directory, f".flamekit-{os.getpid()}-{n}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: str | os.PathLike[str] | None, data: bytes) -> None:
    with atomic_output(path) as out:
        out.write(data)
