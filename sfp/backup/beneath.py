"""Files below a root folder, reached from the root's open descriptor one folder at a time.

A restore must never write outside the claude dir or the project, even when someone swaps a
folder on the way for a symlink while it runs. So no path is ever resolved again by name: each
folder is opened with O_NOFOLLOW relative to the one before (`dir_fd=`), and every mkdir, open and
rename happens relative to an open folder. A symlink met on the way is read, not followed: its
target is worked out by hand and walked again from the root, and a target outside the root is
refused. What is opened is therefore always a real folder reached through real folders.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from sfp.errors import SfpError
from sfp.infra.storage import PRIVATE_DIR, PRIVATE_FILE

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
MAX_LINKS = 40
CHUNK = 1 << 20


class Outside(SfpError):
    """A path below a root leads out of it (through a symlink, or `..`)."""


class Root:
    """A root folder, opened once. The root itself may be a symlink: it is what the person named."""

    def __init__(self, path: Path, *, follow: bool = True) -> None:
        self.path = Path(os.path.abspath(path))
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW))
        self.real = Path(os.path.realpath(self.path))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> Root:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@contextlib.contextmanager
def opened_root(path: Path, *, follow: bool = True) -> Iterator[Root]:
    root = Root(path, follow=follow)
    try:
        yield root
    finally:
        root.close()


def locate(root: Root, relative: str, *, create: bool, follow_links: bool = True) -> tuple[int, str] | None:
    """(an open fd of the folder holding `relative`, the file's name in it), the caller closes the fd.

    Links (when `follow_links`) are followed by hand and only while they stay inside the root;
    None when a folder on the way is missing and `create` is False. Raises Outside when the path
    leaves the root, SfpError when a file stands where a folder should be.
    """
    parts = _normal([], relative.split("/"), root, relative)
    for _hop in range(MAX_LINKS):
        if not parts:
            raise SfpError(f"{root.path / relative}: names the folder {root.path} itself, not a file")
        found = _walk_once(root, parts, create=create, follow_links=follow_links)
        if not isinstance(found, list):
            return found
        parts = found
    raise Outside(f"{root.path / relative}: more than {MAX_LINKS} links on the way")


def _walk_once(root: Root, parts: list[str], *, create: bool,
               follow_links: bool) -> tuple[int, str] | list[str] | None:
    """One walk from the root: the holding folder and name, or the path a link led to, or None (missing)."""
    fd = os.dup(root.fd)
    try:
        for index, part in enumerate(parts[:-1]):
            child = _open_folder(fd, part, create)
            if child is None:
                os.close(fd)
                return None
            if isinstance(child, str):
                if not follow_links:
                    raise Outside(f"{root.path.joinpath(*parts[:index + 1])}: a symlink, not a folder")
                os.close(fd)
                return _normal(parts[:index], [*child.split("/"), *parts[index + 1:]], root, "/".join(parts))
            os.close(fd)
            fd = child
        name = parts[-1]
        link = _readlink(fd, name)
        if link is None or not follow_links:
            return fd, name
        os.close(fd)
        return _normal(parts[:-1], link.split("/"), root, "/".join(parts))
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise


def _open_folder(fd: int, name: str, create: bool) -> int | str | None:
    """The folder `name` in `fd` opened (made 0700 when missing and `create`), or a link's text, or None."""
    for _attempt in range(3):
        try:
            return os.open(name, DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                return None
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, PRIVATE_DIR, dir_fd=fd)
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            link = _readlink(fd, name)
            if link is not None:
                return link
            raise SfpError(f"{name}: a file stands where a folder should be") from None
    raise SfpError(f"{name}: the folder keeps changing while it is opened")


def _readlink(fd: int, name: str) -> str | None:
    try:
        return os.readlink(name, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.ENOENT):
            return None
        raise


def _normal(base: list[str], more: list[str], root: Root, what: str) -> list[str]:
    """`more` (a link's target, or a path) taken from the folder `base` below the root: plain parts."""
    if more and more[0] == "":  # an absolute link: it must name a place below the root
        text = "/".join(more)
        for prefix in (str(root.path), str(root.real)):
            if text == prefix or text.startswith(prefix.rstrip("/") + "/"):
                return _normal([], text[len(prefix):].split("/"), root, what)
        raise Outside(f"{root.path / what}: leads to {text}, outside {root.path}")
    parts = list(base)
    for part in more:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise Outside(f"{root.path / what}: leads out of {root.path}")
            parts.pop()
        else:
            parts.append(part)
    return parts


# -- reading and writing at a folder fd -------------------------------------------------------------


def open_regular(fd: int, name: str) -> tuple[int, os.stat_result]:
    """`name` in folder `fd` opened for reading without following a link; SfpError unless a plain file."""
    file_fd = os.open(name, READ_FLAGS, dir_fd=fd)
    info = os.fstat(file_fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(file_fd)
        raise SfpError(f"{name}: not a plain file")
    return file_fd, info


def stream(file_fd: int, limit: int, sink: Callable[[bytes], None] | None = None) -> tuple[str, int]:
    """(sha256, bytes read) of `file_fd`, read in chunks; stops one byte past `limit`."""
    digest = hashlib.sha256()
    total = 0
    while total <= limit:
        chunk = os.read(file_fd, min(CHUNK, limit + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        digest.update(chunk)
        if sink is not None and total <= limit:
            sink(chunk)
    return digest.hexdigest(), total


def write_file_at(fd: int, name: str, fill: Callable[[int], None], *, mode: int, mtime_ns: int | None) -> None:
    """Write `name` in folder `fd` atomically: a 0600 temp file beside it, filled by `fill(temp_fd)`,
    given `mode` and the time, fsynced, then renamed over `name` within the same folder."""
    tmp = f".sfp-{secrets.token_hex(6)}.tmp"
    file_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE,
                      dir_fd=fd)
    try:
        try:
            os.fchmod(file_fd, PRIVATE_FILE)
            fill(file_fd)
            os.fchmod(file_fd, mode)
            if mtime_ns is not None:
                with contextlib.suppress(OSError):
                    os.utime(file_fd, ns=(mtime_ns, mtime_ns))
            os.fsync(file_fd)
        finally:
            os.close(file_fd)
        os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=fd)
        raise
    with contextlib.suppress(OSError):
        os.fsync(fd)


def write_all(file_fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(file_fd, view):]
