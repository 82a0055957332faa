"""The secrets gate: hard-coded secrets in a project's files, found fast enough for every deep gate run.

Which files: git's list when the folder is in a work tree (so .gitignore
counts), else a walk; either way without the folders that hold other people's
code, caches or build output, and without binary or oversized files. How: each
file is searched for the anchors of sfp/redact.py's table (a few passes of
byte regexes that each start with a literal), and only the lines around a hit
are decoded and given to `find_secrets` - the redaction code itself, so the
gate reports exactly what redaction would mask.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Final

from sfp.errors import UsageError
from sfp.infra.record import Record
from sfp.infra.redact import anchors, find_secrets, mask_value

# Folders of other people's code, caches and build output; also any folder holding pyvenv.cfg (a virtualenv).
SKIP_DIRS: Final = frozenset({
    ".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", "__pycache__", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", "site-packages", "dist", "build", "target", ".next", ".nuxt", ".cache",
})
ALLOW_MARKER: Final = b"sfp: allow-secret"
BINARY_PROBE_BYTES: Final = 8192  # a NUL byte in these makes a file binary, as git and grep decide
DEFAULT_MAX_FILE_BYTES: Final = 5 * 1024 * 1024
PARALLEL_MIN_FILES: Final = 1000  # below this, starting worker processes costs more than it saves
GIT_TIMEOUT_S: Final = 60


class SecretFinding(Record):
    path: str
    line: int
    kind: str
    masked: str  # the value's first characters and ***, never the whole value


class ScanSettings(Record):
    exclude: tuple[str, ...] = ()  # project-relative globs (sfp/gates/globs.py)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    jobs: int | None = None  # worker processes; None: one per CPU when there are many files


class ScanReport(Record):
    findings: tuple[SecretFinding, ...]  # sorted by path, then line
    files_scanned: int
    skipped_binary: int
    skipped_large: int

    def files_with_findings(self) -> int:
        return len({f.path for f in self.findings})


def load_scan_settings(claude_dir: Path, project: Path | None) -> ScanSettings:
    """The `secrets:` section of sfp.yaml for this project."""
    from sfp.config.layers import load_config
    from sfp.config.typed import record

    return record(load_config("sfp", claude_dir, project).get("secrets"), ScanSettings)


# --- which files --------------------------------------------------------------------------------------------


def iter_files(roots: Sequence[str], *, project: str = ".", exclude: Sequence[str] = ()) -> Iterator[str]:
    """The files to scan under `roots`, as paths that start with the root they came from.

    Folders are listed by git or walked; a file named in `roots` is taken even when ignored.
    `exclude` globs match paths relative to `project`, and a folder they match is left out whole.
    """
    from sfp.gates.globs import matches

    project_abs = os.path.abspath(project)
    excluded_dirs: dict[str, bool] = {}

    def excluded(path: str) -> bool:
        rel = _relative_to(path, project_abs)
        return matches(rel, exclude) or _dir_excluded(os.path.dirname(rel), exclude, excluded_dirs)

    seen: set[str] = set()
    for root in roots:
        found = _files_under(root) if os.path.isdir(root) else [root]
        for path in found:
            if len(roots) > 1:
                key = os.path.abspath(path)
                if key in seen:
                    continue
                seen.add(key)
            if not (exclude and excluded(path)):
                yield path


def _relative_to(path: str, project_abs: str) -> str:
    absolute = os.path.abspath(path)
    if absolute.startswith(project_abs + os.sep):
        return absolute[len(project_abs) + 1:].replace(os.sep, "/")
    return path.replace(os.sep, "/")


def _dir_excluded(folder: str, patterns: Sequence[str], cache: dict[str, bool]) -> bool:
    if not folder or folder in (".", "/"):
        return False
    if folder not in cache:
        from sfp.gates.globs import matches

        cache[folder] = matches(folder, patterns) or _dir_excluded(os.path.dirname(folder), patterns, cache)
    return cache[folder]


def _files_under(root: str) -> Iterable[str]:
    from sfp.infra.git import find_root

    listed = _git_files(root) if find_root(Path(root)) is not None else None
    if listed is None:
        return _walk(root)
    return _without_skipped_dirs(root, listed)


def _git_files(root: str) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files under `root`, relative to it; None when git can't say."""
    import subprocess

    try:
        done = subprocess.run(["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                              capture_output=True, timeout=GIT_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    # An unmerged file is listed once per stage.
    return list(dict.fromkeys(os.fsdecode(p) for p in done.stdout.split(b"\0") if p))


def _without_skipped_dirs(root: str, listed: list[str]) -> Iterator[str]:
    prefix = "" if root in (".", "./") else root.rstrip("/") + "/"
    skipped: dict[str, bool] = {}

    def skip(folder: str) -> bool:
        if not folder:
            return False
        if folder not in skipped:
            parent, _, name = folder.rpartition("/")
            skipped[folder] = (_is_skipped_name(name) or os.path.exists(f"{prefix}{folder}/pyvenv.cfg")
                               or skip(parent))
        return skipped[folder]

    for rel in listed:
        path = prefix + rel
        # git lists a symlink as a file: reading it would scan what it points at, maybe outside the project.
        if not skip(rel.rpartition("/")[0]) and not os.path.islink(path):
            yield path


def _walk(root: str) -> Iterator[str]:
    strip_dot = root in (".", "./")
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        if folder != root and any(e.name == "pyvenv.cfg" for e in entries):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not _is_skipped_name(entry.name):
                    stack.append(entry.path)
            elif entry.is_file(follow_symlinks=False):
                yield entry.path[2:] if strip_dot and entry.path.startswith("./") else entry.path


def _is_skipped_name(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info")


# --- what is in a file ----------------------------------------------------------------------------------------


def scan_bytes(data: bytes, path: str) -> list[SecretFinding]:
    """The secrets in one file's contents, by line, less those on lines allowed by the marker."""
    spans = _anchor_spans(data)
    if not spans:
        return []
    findings = []
    line, counted = 1, 0
    for start, end in _line_regions(data, spans):
        line += data.count(b"\n", counted, start)
        counted = start
        text = data[start:end].decode("utf-8", "replace")
        # Lines counted on from the previous match (they come leftmost first): one long line stays linear.
        where, seen = line, 0
        for match in find_secrets(text):
            where += text.count("\n", seen, match.start)
            seen = match.start
            findings.append(SecretFinding(path, where, match.kind, mask_value(text[match.start:match.end])))
    return _without_allowed(findings, data) if findings else findings


def scan_text(text: str, path: str = "<text>") -> list[SecretFinding]:
    return scan_bytes(text.encode("utf-8"), path)


def _anchor_spans(data: bytes) -> list[tuple[int, int]]:
    """Where any row's anchor matches: every secret lies on the lines of one of these spans."""
    spans = []
    lowered = None
    for anchor in anchors():
        if anchor.lowercase:
            if lowered is None:
                lowered = data.lower()
            text = lowered
        else:
            text = data
        search = anchor.regex.search
        match = search(text)
        while match is not None:
            spans.append(match.span())
            # On from the next byte, not the match's end: a long anchor must not hide one that starts inside it.
            match = search(text, match.start() + 1)
    return spans


def _line_regions(data: bytes, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans widened to whole lines, overlapping ones merged, in order."""
    regions: list[tuple[int, int]] = []
    last = -1  # where the current region ends (a newline, or the end of the data)
    for start, end in sorted(spans):
        if start <= last:  # on the current region's lines: extend it, looking only past its end
            if end > last:
                last = _line_end(data, end)
                regions[-1] = (regions[-1][0], last)
            continue
        # Looking back no further than the previous region's end, which is a newline.
        first = data.rfind(b"\n", max(last, 0), start) + 1
        last = _line_end(data, end)
        regions.append((first, last))
    return regions


def _line_end(data: bytes, at: int) -> int:
    found = data.find(b"\n", at)
    return len(data) if found < 0 else found


def _without_allowed(findings: list[SecretFinding], data: bytes) -> list[SecretFinding]:
    """Drop findings on a line with the marker, or right below a marker line that has no finding of its own."""
    marked = set()
    line, counted = 1, 0
    at = data.find(ALLOW_MARKER)
    while at >= 0:
        line += data.count(b"\n", counted, at)
        counted = at
        marked.add(line)
        at = data.find(ALLOW_MARKER, at + len(ALLOW_MARKER))
    if not marked:
        return findings
    with_findings = {f.line for f in findings}
    return [f for f in findings
            if f.line not in marked and not (f.line - 1 in marked and f.line - 1 not in with_findings)]


class _Read(Record):
    status: str  # "text", "binary", "large" or "unreadable" (gone, a folder, a pipe, no permission)
    data: bytes = b""


_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def read_candidate(path: str, max_bytes: int) -> _Read:
    """A file's bytes when it is a regular text file of at most `max_bytes`."""
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer.
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return _Read("unreadable")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _Read("unreadable")
        if info.st_size > max_bytes:
            return _Read("large")
        head = os.read(fd, BINARY_PROBE_BYTES if info.st_size > 65536 else info.st_size + 1)
        if b"\0" in head[:BINARY_PROBE_BYTES]:
            return _Read("binary")
        data = head + _read_rest(fd, info.st_size - len(head)) if len(head) < info.st_size else head
    except OSError:
        return _Read("unreadable")
    finally:
        os.close(fd)
    return _Read("large", b"") if len(data) > max_bytes else _Read("text", data)


def _read_rest(fd: int, expected: int) -> bytes:
    chunks = []
    while expected >= 0:
        chunk = os.read(fd, expected + 1)  # one byte more: a file that grew is read to its end too
        if not chunk:
            break
        chunks.append(chunk)
        expected -= len(chunk)
    return b"".join(chunks)


# --- a whole scan ------------------------------------------------------------------------------------------


class _Tally(Record):
    findings: list[SecretFinding]
    scanned: int
    binary: int
    large: int


def scan_files(paths: Sequence[str], max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> _Tally:
    findings: list[SecretFinding] = []
    counts = {"text": 0, "binary": 0, "large": 0, "unreadable": 0}
    for path in paths:
        read = read_candidate(path, max_bytes)
        counts[read.status] += 1
        if read.status == "text":
            findings += scan_bytes(read.data, path)
    return _Tally(findings, counts["text"], counts["binary"], counts["large"])


def scan(paths: Sequence[str], settings: ScanSettings = ScanSettings(), *, project: str = ".") -> ScanReport:
    """Scan files and folders (default: the current folder); a path that doesn't exist is a usage error."""
    roots = list(paths) or ["."]
    for root in roots:
        if not os.path.lexists(root):
            raise UsageError(f"no such file or folder: {root}")
    files = list(iter_files(roots, project=project, exclude=settings.exclude))
    tally = _scan_in_parallel(files, settings) if _workers(len(files), settings.jobs) > 1 else \
        scan_files(files, settings.max_file_bytes)
    findings = tuple(sorted(tally.findings, key=lambda f: (f.path, f.line)))
    return ScanReport(findings, tally.scanned, tally.binary, tally.large)


def _workers(file_count: int, jobs: int | None) -> int:
    if jobs is not None:
        wanted = jobs
    elif file_count < PARALLEL_MIN_FILES:
        return 1
    else:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(wanted, max(file_count, 1)) if _can_fork() else 1


def _can_fork() -> bool:
    # fork starts a worker in milliseconds with sfp already imported (even from a zipapp); it is only safe
    # without other threads, and only Linux's is safe with the system's libraries.
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def _scan_in_parallel(files: list[str], settings: ScanSettings) -> _Tally:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from itertools import repeat

    workers = _workers(len(files), settings.jobs)
    # Interleaved slices, several per worker: big files and small ones spread evenly, and a worker that
    # drew slow files doesn't hold up the rest.
    slices = [files[i::workers * 4] for i in range(workers * 4)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                             initializer=_ignore_interrupts) as pool:
        tallies = list(pool.map(scan_files, slices, repeat(settings.max_file_bytes)))
    return _Tally([f for t in tallies for f in t.findings], sum(t.scanned for t in tallies),
                  sum(t.binary for t in tallies), sum(t.large for t in tallies))


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent alone answers it, without a traceback per worker.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
