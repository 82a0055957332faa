"""TAGs: one-line facts taken from the person's context files, each typed and sourced.

`<claude-dir>/.context/*.md` (the list is `tags.files` in sfp.yaml) and the
project's CLAUDE.md are read as Markdown. A heading names a section:
Identity, Projects and Relationships give `K` (what is known), Rules and
Preferences `U` (how the person wants things done), Constraints and
Triggers `C` (limits and conditions). The category is the section's name,
lowercased (a singular heading, "Rule", counts as its plural).

Rules, chosen so a person's ordinary notes become sensible tags:
- A file named after a section (identity.md, rules.md, ...) is that
  section from its first line; its own headings keep it, unless a heading
  names another section. CLAUDE.md has no section until a heading names one.
- A heading that names no section starts an untagged part, except inside a
  section, where a deeper heading is a sub-part of it ("## Rules / ### Git").
- Each bullet item (with its indented continuation lines) is one value;
  each other non-empty line is one value. Markdown decoration (bullets,
  check boxes, emphasis, code ticks, links, quotes, table pipes) is removed.
- An item written `[TYPE:category] text` keeps its own type and category,
  wherever it stands, even outside any section.
- Code blocks, HTML comments and front matter are not read.
- Values are cut to `max_value_chars` at a word, ending in `…`; repeats
  (same type, category and text, ignoring case) are dropped; file order.

A file that can't be read, is too big, binary or not UTF-8 gives a warning,
never an exception.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from sfp.infra import paths
from sfp.infra.record import Record

SECTION_TYPES: Final[Mapping[str, str]] = {
    "identity": "K", "projects": "K", "relationships": "K",
    "rules": "U", "preferences": "U",
    "constraints": "C", "triggers": "C",
}
_SINGULAR: Final[Mapping[str, str]] = {name[:-1]: name for name in SECTION_TYPES if name.endswith("s")}

DEFAULT_FILES: Final = (
    "CLAUDE.md", "identity.md", "projects.md", "relationships.md",
    "preferences.md", "rules.md", "constraints.md", "triggers.md",
)
PROJECT_FILES: Final = ("CLAUDE.md", ".claude/CLAUDE.md")
ELLIPSIS: Final = "…"


# Records are NamedTuples: this module is imported on every prompt, and a dataclass costs ~6x more to define.
class Tag(Record):
    type: str
    category: str
    value: str
    file: str
    line: int

    def render(self) -> str:
        return f"[{self.type}:{self.category}] {self.value}"


class TagSettings(Record):
    files: tuple[str, ...] = DEFAULT_FILES
    project_claude_md: bool = True
    max_value_chars: int = 100
    max_file_bytes: int = 256 * 1024
    budget_chars: int = 2000
    enabled: bool = True  # false: the UserPromptSubmit hook adds nothing
    evidence: bool = True  # run the evidence checks when the tags go in
    state_keep_days: int = 7


class TagScan(Record):
    tags: tuple[Tag, ...]
    warnings: tuple[str, ...]
    files: tuple[Path, ...]  # the files that were read


def load_tag_settings(claude_dir: Path, project: Path | None) -> TagSettings:
    """The `tags:` section of sfp.yaml for this project."""
    from sfp.config.layers import load_config
    from sfp.config.typed import record

    return record(load_config("sfp", claude_dir, project).get("tags"), TagSettings)


# --- which files ---------------------------------------------------------------------------------

def context_files(claude_dir: Path, project: Path | None, settings: TagSettings) -> list[Path]:
    """The files to read, in order, whether or not they exist (no duplicates)."""
    folder = paths.context_dir(claude_dir)
    chosen = [folder / Path(name).expanduser() for name in settings.files]  # an absolute name stays itself
    if project is not None and settings.project_claude_md:
        chosen += [project / name for name in PROJECT_FILES]
    unique: dict[str, Path] = {}
    for path in chosen:
        unique.setdefault(os.path.normpath(path), path)
    return list(unique.values())


def fingerprint(files: Iterable[Path]) -> list[list[object]]:
    """[path, mtime_ns, size] per file (zeros when absent): changes whenever a file is written."""
    prints: list[list[object]] = []
    for path in files:
        try:
            info = os.stat(path)
            prints.append([str(path), info.st_mtime_ns, info.st_size])
        except OSError:
            prints.append([str(path), 0, 0])
    return prints


def section_of_file(path: Path) -> str | None:
    """identity.md → "identity": a file named after a section is that section."""
    return canonical_section(path.stem)


def canonical_section(name: str) -> str | None:
    key = name.strip().lower()
    if key in SECTION_TYPES:
        return key
    return _SINGULAR.get(key)


# --- reading ---------------------------------------------------------------------------------------

def read_context_file(path: Path, max_bytes: int) -> tuple[str | None, str | None]:
    """(text, warning): text None when the file is absent or unusable; a warning says why."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{path}: cannot read: {exc.strerror}"
    if not stat.S_ISREG(info.st_mode):
        return None, f"{path}: not a regular file; skipped"
    if info.st_size > max_bytes:
        return None, (f"{path}: {info.st_size:,} bytes, over the {max_bytes:,}-byte limit; skipped "
                      "(raise tags.max_file_bytes in sfp.yaml to read it)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"{path}: cannot read: {exc.strerror}"
    if b"\x00" in data:
        return None, f"{path}: looks binary (NUL bytes); skipped"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        return text, f"{path}: not UTF-8 (bad byte at offset {exc.start}); read with replacement characters"


def scan_tags(files: Sequence[Path], settings: TagSettings) -> TagScan:
    """Every tag of every readable file, deduplicated in file order, plus the warnings."""
    tags: list[Tag] = []
    warnings: list[str] = []
    read: list[Path] = []
    for path in files:
        text, warning = read_context_file(path, settings.max_file_bytes)
        if warning:
            warnings.append(warning)
        if text is None:
            continue
        read.append(path)
        tags += extract_tags(text, str(path), section_of_file(path), settings.max_value_chars)
    return TagScan(tuple(dedupe(tags)), tuple(warnings), tuple(read))


def dedupe(tags: Iterable[Tag]) -> list[Tag]:
    seen: set[tuple[str, str, str]] = set()
    kept: list[Tag] = []
    for tag in tags:
        key = (tag.type, tag.category, tag.value.casefold())
        if key not in seen:
            seen.add(key)
            kept.append(tag)
    return kept


# --- extraction (pure) -----------------------------------------------------------------------------

class _Item:
    __slots__ = ("line", "text", "section", "is_bullet")

    def __init__(self, line: int, text: str, section: str | None, is_bullet: bool) -> None:
        self.line = line
        self.text = text
        self.section = section
        self.is_bullet = is_bullet  # a bullet item takes the indented lines after it; a plain line stands alone


class _Patterns:
    """The regular expressions of the Markdown reading, compiled on first use (a prompt that injects nothing never pays)."""

    def __init__(self) -> None:
        self.heading = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
        self.fence = re.compile(r" {0,3}(`{3,}|~{3,})")
        self.bullet = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$")
        self.rule = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
        self.table_rule = re.compile(r"\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
        self.inline_tag = re.compile(r"\[([A-Z][A-Z0-9_]{0,15}):([A-Za-z0-9][\w.\-/]{0,40})\][ \t]+(\S.*)$")
        self.checkbox = re.compile(r"\[[ xX]\][ \t]+")
        self.image_or_link = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
        self.strong = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
        self.struck = re.compile(r"~~(?=\S).+?(?<=\S)~~")
        self.emphasis = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
        self.code = re.compile(r"`+([^`]*)`+")
        self.heading_decor = re.compile(r"^[\W\d_]+|[\W_]+$")
        self.controls = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]")


@functools.cache
def _patterns() -> _Patterns:
    return _Patterns()


def extract_tags(text: str, file: str, base_section: str | None = None, max_chars: int = 100) -> list[Tag]:
    """The tags of one Markdown text; `base_section` is the file's own section, if it is named after one."""
    from sfp.infra.redact import redact

    tags: list[Tag] = []
    # The whole text first: item by item, a key block's body lines would each be an item of their own.
    for item in markdown_items(redact(text, keep_lines=True), base_section):
        tag = item_tag(item, file, max_chars)
        if tag is not None:
            tags.append(tag)
    return tags


_KEPT_MASK = "\ue000"  # a private-use character no Markdown rule touches


def item_tag(item: _Item, file: str, max_chars: int) -> Tag | None:
    inline = _patterns().inline_tag.match(item.text)
    if inline:
        kind, category, text = inline.groups()
    elif item.section is not None:
        kind, category, text = SECTION_TYPES[item.section], item.section, item.text
    else:
        return None
    from sfp.infra.redact import MASK, redact

    # The file's masks kept through the Markdown clean-up (which reads `***` as emphasis), then
    # redacted again before it is cut: a cut could leave a secret too short to be recognised.
    value = redact(clean_value(text.replace(MASK, _KEPT_MASK)).replace(_KEPT_MASK, MASK))
    if not any(c.isalnum() for c in value):
        return None  # only punctuation or markup left: nothing to say
    return Tag(kind, category, cut_value(value, max_chars), file, item.line)


def markdown_items(text: str, base_section: str | None) -> Iterator[_Item]:
    """The values of a Markdown text with the section each stands in: lines and bullet items."""
    p = _patterns()
    # (heading level, section): level 0 is the file itself.
    stack: list[tuple[int, str | None]] = [(0, base_section)]
    lines = text.splitlines()
    number = _skip_front_matter(lines)
    fence: str | None = None
    in_comment = False
    item: _Item | None = None
    while number < len(lines):
        raw = lines[number]
        number += 1
        if fence is not None:
            if _closes_fence(raw, fence):
                fence = None
            continue
        if in_comment or raw.lstrip().startswith("<!--"):
            in_comment = "-->" not in raw
            continue
        stripped = raw.strip()
        opening = p.fence.match(raw)
        heading = None if opening else p.heading.match(raw)
        table_rule = "|" in raw and p.table_rule.match(raw)
        if table_rule and item is not None and item.text.startswith("|"):
            item = None  # a table's header row names columns; it is not a fact
        ends_item = opening or heading or not stripped or table_rule or p.rule.match(raw)
        bullet = None if ends_item else p.bullet.match(raw)
        if item is not None and (ends_item or bullet or not item.is_bullet or raw[:1] not in (" ", "\t")):
            yield item
            item = None
        if opening:
            fence = opening.group(1)
        elif heading:
            _enter_heading(stack, len(heading.group(1)), heading.group(2) or "")
        elif ends_item:
            pass
        elif bullet:
            item = _Item(number, bullet.group(1) or "", stack[-1][1], True)
        elif item is not None:
            item.text += " " + stripped  # an indented line under a bullet continues it
        else:
            item = _Item(number, stripped, stack[-1][1], False)
    if item is not None:
        yield item


def _closes_fence(line: str, fence: str) -> bool:
    marker = line.strip()
    return len(marker) >= len(fence) and not marker.strip(fence[0]) and len(line) - len(line.lstrip(" ")) < 4


def _skip_front_matter(lines: list[str]) -> int:
    """The index of the first line after YAML front matter (0 when there is none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


def _enter_heading(stack: list[tuple[int, str | None]], level: int, title: str) -> None:
    """A heading closes the parts at its level or deeper; one naming no section stays in its parent's."""
    while len(stack) > 1 and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, heading_section(title) or stack[-1][1]))


def heading_section(title: str) -> str | None:
    """The section a heading names ("## 🧭 **Rules:**" → "rules"), or None."""
    p = _patterns()
    plain = clean_value(title)
    return canonical_section(p.heading_decor.sub("", plain))


def clean_value(text: str) -> str:
    """One line of Markdown as plain text: no bullet, check box, emphasis, code ticks, link targets or pipes."""
    p = _patterns()
    value = p.controls.sub("", text.replace("\t", " ")).strip()
    while value.startswith(">"):
        value = value[1:].lstrip()
    value = p.checkbox.sub("", value, count=1) if value.startswith("[") else value
    if value.startswith("|") or value.endswith("|"):
        cells = [cell.strip() for cell in value.strip("|").split("|")]
        value = " — ".join(cell for cell in cells if cell)
    value = p.image_or_link.sub(r"\1", value)
    value = p.code.sub(r"\1", value)
    value = p.struck.sub("", value)  # struck-out text is what the person withdrew
    value = p.strong.sub(r"\2", value)
    value = p.emphasis.sub(r"\2", value)
    value = value.removesuffix("\\").rstrip()
    value = " ".join(value.split())
    return value if value.isascii() else _nfc(value)


def _nfc(text: str) -> str:
    # Files written on macOS may hold decomposed accents: one form, so repeats are recognised.
    import unicodedata

    return unicodedata.normalize("NFC", text)


def cut_value(value: str, limit: int) -> str:
    """`value` in at most `limit` characters, cut at a word and ending in `…` when it was longer."""
    if len(value) <= limit:
        return value
    head = value[: limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-–—") + ELLIPSIS


# --- the block the model sees ----------------------------------------------------------------------

class TagsBlock(Record):
    text: str
    shown: int
    dropped: int


def render_block(tags: Sequence[Tag], header: str, budget: int) -> TagsBlock:
    """The header and one tag per line within `budget` characters; tags left out from the end are counted."""
    lines = [header] + [tag.render() for tag in tags]
    text = "\n".join(lines)
    if len(text) <= budget:
        return TagsBlock(text, len(tags), 0)
    size = len(header)
    shown = 0
    for tag in tags:
        dropped = len(tags) - shown - 1
        if size + 1 + len(tag.render()) + 1 + len(_dropped_note(dropped, budget)) > budget:
            break
        size += 1 + len(tag.render())
        shown += 1
    dropped = len(tags) - shown
    return TagsBlock("\n".join(lines[: shown + 1] + [_dropped_note(dropped, budget)]), shown, dropped)


def _dropped_note(count: int, budget: int) -> str:
    noun = "tag" if count == 1 else "tags"
    return f"[sfp] {count} more {noun} left out to stay within {budget:,} characters (`sfp tags` lists all)."


def home_relative(path: Path, environ: Mapping[str, str] = os.environ) -> str:
    home = environ.get("HOME")
    if home:
        try:
            return "~/" + str(path.relative_to(home))
        except ValueError:
            pass
    return str(path)
