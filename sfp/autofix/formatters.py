"""auto_fix.yaml as data: the formatters, which one a file gets, and the cheap look on the hot path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sfp.infra.record import Record

if TYPE_CHECKING:  # a type only: the notes module loads when a note is made
    from sfp.infra.notes import Note


FORMATTED: Final = "formatted"
UNCHANGED: Final = "unchanged"
SKIPPED: Final = "skipped"
FAILED: Final = "failed"
TIMEOUT: Final = "timeout"

DEFAULT_TIMEOUT_S: Final = 15.0
KILL_GRACE_S: Final = 1.0
OUTPUT_CAP_BYTES: Final = 64 * 1024
KPI_KIND: Final = "auto_fix"
NO_SUCH_FILE: Final = "no such file"
OUTSIDE_PROJECT: Final = "outside the project"


# NamedTuples rather than frozen dataclasses: this module loads after every edit Claude makes,
# and building a dataclass costs several times more at import.
class Formatter(Record):
    name: str  # the key under `formatters:` (python, typescript)
    command: str  # as configured, without the file: "ruff format"
    extensions: tuple[str, ...]  # lower case, each starting with "."
    enabled: bool = True
    requires: tuple[str, ...] = ()  # more programs that must be on PATH


class AutoFixSettings(Record):
    enabled: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    formatters: tuple[Formatter, ...] = ()
    exclude_dirs: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    verbose: bool = False


class AutoFixResult(Record):
    path: Path
    status: str  # formatted | unchanged | skipped | failed | timeout
    formatter: str | None  # the command, e.g. "ruff format"
    reason: str | None
    duration_ms: float
    file_type: str | None = None  # the formatter's name, e.g. "python"
    changed: bool = False
    output: str | None = None  # the formatter's first line of output, redacted (failed / timeout)
    verbose: bool = False  # options.verbose: failures are worth a message even when the file is untouched
    notes: tuple[Note, ...] = ()  # for sfp's log: the caller writes them


class Invocation(Record):
    argv: tuple[str, ...]
    cwd: Path
    env: Mapping[str, str]


class Missing(Record):
    program: str
    hint: str


class Outcome(Record):
    exit_code: int | None  # None: killed on timeout, or could not start
    output: str
    timed_out: bool = False
    error: str | None = None  # why it could not start


# --- settings --------------------------------------------------------------------------------------


def settings_from(data: Mapping[str, Any]) -> AutoFixSettings:
    """AutoFixSettings from a merged auto_fix config; the schema has checked every value."""
    options = data.get("options") or {}
    return AutoFixSettings(
        enabled=data.get("enabled", True),
        timeout_s=float(data.get("timeout", DEFAULT_TIMEOUT_S)),
        formatters=tuple(formatter_from(name, raw) for name, raw in (data.get("formatters") or {}).items()),
        exclude_dirs=tuple(folder.strip("/") for folder in data.get("exclude_dirs", ())),
        exclude_patterns=tuple(data.get("exclude_patterns", ())),
        verbose=options.get("verbose", False),
    )


def formatter_from(name: str, raw: Mapping[str, Any]) -> Formatter:
    return Formatter(
        name=name,
        command=raw.get("command", "").strip(),
        extensions=tuple(normalise_extension(e) for e in raw.get("extensions", ()) if e.strip(".")),
        enabled=raw.get("enabled", True),
        requires=tuple(raw.get("requires", ())),
    )


def normalise_extension(extension: str) -> str:
    """`py`, `.py` and `.PY` all mean `.py`."""
    bare = extension.strip().lower()
    return bare if bare.startswith(".") else "." + bare


def load_settings(claude_dir: Path, project: Path | None) -> AutoFixSettings:
    from sfp.config.layers import load_config

    return settings_from(load_config("auto_fix", claude_dir, project).data)


def formatter_for(file_name: str, settings: AutoFixSettings) -> tuple[Formatter | None, Formatter | None]:
    """(the enabled formatter for `file_name`, else a disabled one that would have matched).

    The longest matching extension wins, so `.d.ts` can differ from `.ts`; on a tie the later
    formatter wins, so one a user or project layer adds beats a built-in one.
    """
    name = file_name.lower()
    best: tuple[int, Formatter] | None = None
    disabled: Formatter | None = None
    for formatter in settings.formatters:
        length = max((len(e) for e in formatter.extensions if name.endswith(e) and len(name) > len(e)), default=0)
        if not length:
            continue
        if not formatter.enabled or not formatter.command:
            disabled = disabled or formatter
        elif best is None or length >= best[0]:
            best = (length, formatter)
    return (best[1] if best else None), disabled


# --- the cheap check on the hot path ---------------------------------------------------------------


def extension_token(file_name: str) -> str | None:
    """What any configured extension matching `file_name` must contain: its last suffix, without the dot."""
    dot = file_name.rfind(".")
    token = file_name[dot + 1:].lower() if dot >= 0 else ""
    return token or None


def may_have_formatter(file_name: str, config_texts: Sequence[str]) -> bool:
    """False only when no config layer can name a formatter for `file_name`: then nothing needs parsing.

    An extension that matches `x.tar.gz` ends in `gz`, so `gz` must appear in
    some layer as a word of its own. A layer holding a backslash might spell
    it with a YAML escape, so such a layer always counts as a maybe.
    """
    token = extension_token(file_name)
    if token is None:
        return False
    return any("\\" in text or has_word(text.lower(), token) for text in config_texts)


_WORD_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def has_word(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` not touching a letter, digit or `_` (`rs` is not in `formatters`)."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or text[start - 1] not in _WORD_CHARS) and (end == len(text) or text[end] not in _WORD_CHARS):
            return True
        start = text.find(word, start + 1)
    return False


def config_texts(claude_dir: Path, project: Path | None) -> list[str]:
    """The raw text of every auto_fix layer that exists: built-in, user, project."""
    from sfp.config.layers import default_text, layer_files

    texts = [default_text("auto_fix")]
    for path in layer_files("auto_fix", claude_dir, project):
        try:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts
