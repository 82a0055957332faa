"""A JSON-lines file bounded by size: whole lines from concurrent writers, full files rotated away.

`path` is the file being written; when the next line would take it past
`max_bytes` it becomes `path.1`, `path.1` becomes `path.2`, and so on up to
`path.<keep>`, the oldest, which the next rotation drops. The newest lines
are always kept.

Concurrent hooks append: each line goes out in one write(2) on an O_APPEND
descriptor, so the kernel puts it whole at the end of the file whatever else
is appending. A write that comes up short (a full disk, a file size limit)
is cut back off, so a reader never meets half a line left by this module.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from sfp.errors import StorageError
from sfp.infra.record import Record
from sfp.infra.storage import PRIVATE_FILE, ensure_private_dir, file_lock

ROTATE_LOCK_TIMEOUT_S = 2.0
# O_NOFOLLOW: a link planted at the path is refused, not written through.
# O_NONBLOCK: a FIFO planted at the path can't hang a hook (no effect on a regular file).
_WRITE_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class JsonLines(Record):
    """`path`, written up to `max_bytes`, and its `keep` (at least 1) rotated files `path.1` (newest) … `path.<keep>`."""

    path: Path
    keep: int
    max_bytes: int

    def rotated(self, index: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{index}")

    def files(self) -> list[Path]:
        """Every file the lines can be in, oldest first."""
        return [self.rotated(index) for index in range(self.keep, 0, -1)] + [self.path]

    def append(self, line: str) -> None:
        """Add `line` and a newline as one whole line, rotating first if it would pass `max_bytes`.

        Creates the folder (0700) and the file (0600). Raises StorageError, having written nothing.
        """
        payload = encode_line(line)
        try:
            fd = _open_for_append(self.path)
            try:
                if _is_full(_checked_size(fd, self.path), len(payload), self.max_bytes):
                    os.close(fd)
                    fd = -1
                    self.rotate(len(payload))
                    fd = _open_for_append(self.path)
                write_line(fd, payload)
            finally:
                if fd >= 0:
                    os.close(fd)
        except OSError as exc:
            raise StorageError(f"cannot append to {self.path}: {exc.strerror or exc}") from None

    def rotate(self, incoming: int = 0) -> None:
        """Shift the files one place down, unless `path` has room for `incoming` more bytes after all.

        The size is read again under the lock: the writers that found the file
        full together rotate it once, not once each. A rotation that can't be
        done is skipped: a file a line too long beats a lost line.
        """
        try:
            with file_lock(self.path.with_name(f".{self.path.name}.lock"), timeout=ROTATE_LOCK_TIMEOUT_S):
                if _is_full(_size(self.path), incoming, self.max_bytes):
                    self._shift()
        except (OSError, StorageError):
            pass

    def lines(self) -> Iterator[str]:
        """Every line, oldest first across the files, without its newline; bytes that aren't UTF-8 are replaced."""
        for path in self.files():
            yield from _lines_of(path)

    def _shift(self) -> None:
        for index in range(self.keep - 1, 0, -1):
            try:
                os.replace(self.rotated(index), self.rotated(index + 1))
            except FileNotFoundError:
                pass
        os.replace(self.path, self.rotated(1))


def encode_line(line: str) -> bytes:
    if "\n" in line.rstrip("\n"):
        raise ValueError("a JSON line can't hold a newline")
    # backslashreplace: a lone surrogate from odd input becomes a JSON escape, not a lost line.
    return (line.rstrip("\n") + "\n").encode("utf-8", "backslashreplace")


def write_line(fd: int, payload: bytes) -> None:
    """Write `payload` to the O_APPEND `fd` in one write(2); on a short write, cut the file back to its old size.

    The lock (released when `fd` is closed) is what makes cutting back safe: no
    other writer's line can have landed after ours in between.
    """
    import fcntl  # a C extension: loaded only by the processes that write

    fcntl.flock(fd, fcntl.LOCK_EX)
    before = os.fstat(fd).st_size
    try:
        written = os.write(fd, payload)
    except BaseException:
        _cut_back(fd, before)  # also a hook's deadline striking mid-write
        raise
    if written != len(payload):
        _cut_back(fd, before)
        raise OSError(f"only {written} of {len(payload)} bytes could be written (disk full or file too big?)")


def _cut_back(fd: int, size: int) -> None:
    try:
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
    except OSError:
        pass


def _open_for_append(path: Path) -> int:
    try:
        return os.open(path, _WRITE_FLAGS, PRIVATE_FILE)
    except FileNotFoundError:
        ensure_private_dir(path.parent)
        return os.open(path, _WRITE_FLAGS, PRIVATE_FILE)


def _checked_size(fd: int, path: Path) -> int:
    """The open file's size, once it is known to be a regular file, made private if it was not."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise StorageError(f"cannot append to {path}: not a regular file")
    if info.st_mode & 0o077:
        os.fchmod(fd, PRIVATE_FILE)
    return info.st_size


def _is_full(size: int, incoming: int, max_bytes: int) -> bool:
    # An empty file is never full: a line longer than max_bytes still gets written, and nothing is rotated away for it.
    return size > 0 and size + incoming > max_bytes


def _size(path: Path) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def _lines_of(path: Path) -> Iterator[str]:
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return
    try:
        with open(fd, "rb") as handle:
            for raw in handle:  # split on b"\n" only: a U+2028 inside a JSON string is not a line break
                yield raw.rstrip(b"\n").decode("utf-8", "replace")
    except OSError:
        return
