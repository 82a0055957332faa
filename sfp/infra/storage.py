"""Files the way every sfp feature writes them: atomic, private, safe under concurrent hooks."""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from pathlib import Path

from sfp.errors import StorageError

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700 folders; tighten `path` if it already exists."""
    try:
        missing = [p for p in (path, *path.parents) if not p.exists()]
        for folder in reversed(missing):  # mkdir(parents=True) would give the parents the umask's mode
            folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        if not path.is_dir():  # a file in the way is the person's: report it, don't touch it
            raise StorageError(f"cannot use {path} as a folder: a file of that name is in the way")
        if path.stat().st_mode & 0o077:
            path.chmod(PRIVATE_DIR)
    except OSError as exc:
        raise StorageError(f"cannot create folder {path}: {exc.strerror or exc}") from None
    return path


def write_atomic(path: Path, data: bytes | str, mode: int = PRIVATE_FILE) -> None:
    """Write `data` to `path` so a reader sees the old file or the new one, never a part.

    The temp file lives in the same folder (a rename across file systems is
    not atomic) and is fsynced before the rename so a crash can't leave an
    empty file behind the new name.
    """
    # "replace": text from a transcript may hold a lone surrogate (Node writes one when it cuts a string
    # mid-emoji); it becomes "?" rather than failing the write.
    payload = data.encode("utf-8", "replace") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            _write_all(fd, payload)
            os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:  # also a hook's budget running out mid-write: no stray temp file
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    _fsync_dir(path.parent)


def append_line(path: Path, line: str, mode: int = PRIVATE_FILE) -> None:
    """Append one line under an exclusive lock, so concurrent hooks never interleave."""
    import fcntl  # a C extension: loaded only by the hooks that append

    payload = (line.rstrip("\n") + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, mode)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _write_all(fd, payload)
        finally:
            os.close(fd)  # closing releases the lock
    except OSError as exc:
        raise StorageError(f"cannot append to {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 10.0) -> Iterator[None]:
    """Hold an exclusive advisory lock on `path` (created 0600) for the block.

    Polls instead of blocking so a hook with a deadline can give up.
    """
    import fcntl

    try:
        # O_NOFOLLOW: a link planted where the lock goes would have it created (and truncated) elsewhere.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK, PRIVATE_FILE)
    except OSError as exc:
        raise StorageError(f"cannot open lock {path}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StorageError(f"cannot lock {path}: {exc.strerror}") from None
                if time.monotonic() >= deadline:
                    raise StorageError(f"timed out waiting for lock {path}") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; some file systems refuse, which is harmless.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
