"""Summarize a Claude Code transcript (JSON lines) quickly and in bounded memory.

Every hook gets `transcript_path`: a JSON-lines file, often tens of MB, that the
client keeps appending to while hooks run. `read_transcript` streams it once and
returns a frozen `Transcript`: the person's requests, files touched, commands,
tasks, failed tools and which of them were fixed later, refused tool uses,
commits and pushes, each subagent's work, the last assistant text and where
compaction happened.

Speed: most bytes are tool results (file contents, command output) that only
matter when they report an error or name a new task's id. A line is therefore
classified with cheap byte searches first and `json.loads`-ed only when it can
hold something we keep: an error, a new task's id, the commit a `git commit`
made, or the result of a rerun of a command that failed before. The byte searches rely on one fact of JSON: a `"`
inside a string is always escaped, so an unescaped `"type":"` is always a key.

Bounds: lines longer than `max_line_bytes` are skipped without being read into
memory whole, and only the most recent `MAX_ITEMS` prompts, commands, files and
failed tools are kept, each clipped to a documented length (`transcript_summary`).
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final

from sfp.claude.transcript_records import Calls, take_record
from sfp.claude.transcript_summary import DEFAULT_MAX_LINE_BYTES, Summary, Transcript
from sfp.errors import UsageError

_READ_CHUNK: Final = 1 << 20
_KEPT_RECORD_TYPES: Final = frozenset({b"user", b"assistant", b"system"})
_TYPE_KEY: Final = b'"type":"'
_TIMESTAMP_KEY: Final = b'"timestamp":"'
def read_transcript(
    path: Path | str,
    *,
    include_subagents: bool = True,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Transcript:
    """Summarize the transcript at `path` (and its subagents' transcripts).

    Raises UsageError when the file is missing, not a regular file or not
    readable; whatever the file contains, nothing else is raised.
    """
    return summarize_transcript(Path(path), include_subagents, max_line_bytes, skip_cheaply=True)


def summarize_transcript(
    path: Path, include_subagents: bool, max_line_bytes: int, *, skip_cheaply: bool
) -> Transcript:
    """`read_transcript`, with the byte-level shortcut switchable (tests compare both ways)."""
    if max_line_bytes < 1:
        raise UsageError(f"max_line_bytes must be at least 1, not {max_line_bytes}")
    summary = Summary()
    with _open_transcript(path) as stream:
        try:
            _read_stream(stream, summary, True, max_line_bytes, skip_cheaply)
            summary.bytes_read = stream.tell()
        except OSError as exc:
            raise UsageError(f"cannot read transcript {path}: {exc.strerror or exc}") from None
    if include_subagents:
        for sub_path in subagent_transcripts(path):
            _read_optional(sub_path, summary, max_line_bytes, skip_cheaply)
    return summary.freeze()


def subagent_transcripts(path: Path) -> list[Path]:
    """`<transcript without .jsonl>/subagents/agent-*.jsonl`, sorted by name."""
    folder = path.parent / path.name.removesuffix(".jsonl") / "subagents"
    try:
        return sorted(folder.glob("agent-*.jsonl"))
    except OSError:
        return []


def _read_optional(path: Path, summary: Summary, max_line_bytes: int, skip_cheaply: bool) -> None:
    # A subagent transcript is extra detail: one that vanished or can't be read is skipped.
    # `agent-acompact-*` is the client's own compaction summarizer, not work the session delegated.
    summary.file_number += 1
    if not path.name.startswith("agent-acompact"):
        summary.begin_subagent()
    try:
        with _open_transcript(path) as stream:
            _read_stream(stream, summary, False, max_line_bytes, skip_cheaply)
    except (UsageError, OSError):
        return
    finally:
        summary.end_subagent()


def _open_transcript(path: Path) -> BinaryIO:
    try:
        # O_NONBLOCK so that a FIFO given by mistake can't hang a hook in open().
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"transcript not found: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read transcript {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"transcript is not a regular file: {path}")
        return os.fdopen(fd, "rb", buffering=_READ_CHUNK)
    except BaseException:
        os.close(fd)
        raise


# --- reading lines ---------------------------------------------------------------------------


def _read_stream(
    stream: BinaryIO, summary: Summary, main: bool, max_line_bytes: int, skip_cheaply: bool
) -> None:
    """Read one transcript file into `summary`; `main` is False for a subagent's transcript."""
    calls = Calls()
    for line in _bounded_lines(stream, max_line_bytes):
        if line is None:
            summary.count_line(main)
            summary.skipped_lines += 1
            continue
        if line.isspace():
            continue
        summary.count_line(main)
        # A line without its newline may be torn: always parse it, so that it is counted if broken.
        if skip_cheaply and line.endswith(b"\n") and _skip_cheaply(line, summary, calls, main):
            continue
        record = parse_record(line)
        if record is None:
            summary.skipped_lines += 1
        else:
            take_record(record, summary, calls, main)


def _bounded_lines(stream: BinaryIO, max_line_bytes: int) -> Iterator[bytes | None]:
    """Yield each line (newline kept), or None for a line longer than `max_line_bytes`."""
    limit = max_line_bytes + 1
    readline = stream.readline
    while line := readline(limit):
        if len(line) == limit and not line.endswith(b"\n"):
            _discard_rest_of_line(stream)
            yield None
        else:
            yield line


def _discard_rest_of_line(stream: BinaryIO) -> None:
    while chunk := stream.readline(_READ_CHUNK):
        if chunk.endswith(b"\n"):
            return


def parse_record(line: bytes) -> dict[str, object] | None:
    """The JSON object on `line`, or None when it is not valid UTF-8 JSON holding an object."""
    try:
        value = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


# --- the byte-level shortcut -----------------------------------------------------------------


def cheap_record_type(line: bytes) -> bytes | None:
    """The record's top-level `type`, when a byte search can prove it; else None.

    The first `"type":"` is a top-level key when nothing before it opens an
    object or array: no `{` or `[` at all there, not even inside a string.
    """
    at = line.find(_TYPE_KEY)
    if at < 0 or not line.startswith(b"{"):
        return None
    if line.find(b"{", 1, at) >= 0 or line.find(b"[", 1, at) >= 0:
        return None
    start = at + len(_TYPE_KEY)
    end = line.find(b'"', start)
    if end < 0 or line.find(b"\\", start, end) >= 0:
        return None
    return line[start:end]


def _skip_cheaply(line: bytes, summary: Summary, calls: Calls, main: bool) -> bool:
    """True when `line` provably holds nothing we keep (timestamps aside, taken here)."""
    kind = cheap_record_type(line)
    if kind is None:
        return False
    if kind not in _KEPT_RECORD_TYPES:
        return True  # progress, file-history-snapshot, queue-operation, ... and unknown types
    if kind != b"user" or not calls.result_may_be_skipped(line):
        return False
    if main:
        summary.note_timestamp(cheap_timestamp(line))
    return True


def cheap_timestamp(line: bytes) -> str | None:
    """The first `"timestamp"` value on a line: in a tool-result record it is the record's own."""
    at = line.find(_TIMESTAMP_KEY)
    if at < 0:
        return None
    start = at + len(_TIMESTAMP_KEY)
    end = line.find(b'"', start, start + 64)
    if end < 0:
        return None
    return line[start:end].decode("ascii", "replace")
