"""TAG extraction: sections to types, inline tags, Markdown cleaning, cutting, dedup, and files that can't be read."""

from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import DATA
from sfp.context.tags import (
    DEFAULT_FILES,
    Tag,
    TagSettings,
    clean_value,
    context_files,
    cut_value,
    extract_tags,
    fingerprint,
    heading_section,
    render_block,
    load_tag_settings,
    scan_tags,
)
from sfp.errors import ConfigError

SAMPLE = DATA / "context"


def rendered(text: str, base: str | None = None, max_chars: int = 100) -> list[str]:
    return [t.render() for t in extract_tags(text, "f.md", base, max_chars)]


# --- sections ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("heading", "expected"), [
    ("Identity", "K:identity"), ("Projects", "K:projects"), ("Relationships", "K:relationships"),
    ("Rules", "U:rules"), ("Preferences", "U:preferences"),
    ("Constraints", "C:constraints"), ("Triggers", "C:triggers"),
])
def test_each_section_gives_its_type_and_category(heading: str, expected: str) -> None:
    assert rendered(f"## {heading}\n- a value\n") == [f"[{expected}] a value"]


@pytest.mark.parametrize("title", [
    "Rules", "rules", "RULES", "Rule", "Rules:", "**Rules**", "🔴 Rules", "1. Rules", "Rules ##", "`Rules`",
])
def test_heading_forms_that_name_a_section(title: str) -> None:
    assert heading_section(title) == "rules"


@pytest.mark.parametrize("title", ["Rules & Preferences", "My rules", "Ruleset", "", "Notes"])
def test_headings_that_name_no_section(title: str) -> None:
    assert heading_section(title) is None


def test_every_heading_level_counts() -> None:
    text = "# Identity\n- one\n###### Rules\n- two\n"
    assert rendered(text) == ["[K:identity] one", "[U:rules] two"]


def test_text_outside_any_section_is_not_a_tag() -> None:
    text = "Intro line\n- loose bullet\n## Setup\n- make build\n## Rules\n- r\n"
    assert rendered(text) == ["[U:rules] r"]


def test_a_heading_naming_no_section_ends_a_section_at_its_level() -> None:
    text = "## Rules\n- r1\n## Setup\n- not a rule\n"
    assert rendered(text) == ["[U:rules] r1"]


def test_a_deeper_heading_inside_a_section_stays_in_it() -> None:
    text = "## Rules\n### Git\n- no force-push\n#### Deep\n- deeper\n## Other\n- out\n"
    assert rendered(text) == ["[U:rules] no force-push", "[U:rules] deeper"]


def test_a_deeper_heading_naming_a_section_switches_and_returns() -> None:
    text = "# Identity\n- me\n## Constraints\n- c\n# Notes\n- out\n# Identity\n- again\n"
    assert rendered(text) == ["[K:identity] me", "[C:constraints] c", "[K:identity] again"]


def test_a_file_named_after_a_section_is_that_section_without_headings() -> None:
    assert rendered("Ana\n\n- likes tea\n", base="identity") == ["[K:identity] Ana", "[K:identity] likes tea"]


def test_in_a_named_file_unknown_headings_keep_the_file_section_and_known_ones_switch() -> None:
    text = "# About me\n- Ana\n## Rules\n- r\n# Hobbies\n- chess\n"
    assert rendered(text, base="identity") == ["[K:identity] Ana", "[U:rules] r", "[K:identity] chess"]


def test_scan_gives_files_named_after_sections_their_section(tmp_path: Path) -> None:
    (tmp_path / "triggers.md").write_text("- Friday deploy freeze\n")
    (tmp_path / "notes.md").write_text("- not a section file\n")
    scan = scan_tags([tmp_path / "triggers.md", tmp_path / "notes.md"], TagSettings())
    assert [t.render() for t in scan.tags] == ["[C:triggers] Friday deploy freeze"]


# --- inline tags ---------------------------------------------------------------------------------------

def test_inline_tags_keep_their_own_type_and_category_anywhere() -> None:
    text = ("- [K:stack] Python 3.12\n"
            "## Rules\n- [C:security] no secrets in prompts\n"
            "[EVIDENCIA:tests] 42 tests pass\n- [U:tech_identity] Scope Rule\n")
    assert rendered(text) == [
        "[K:stack] Python 3.12", "[C:security] no secrets in prompts",
        "[EVIDENCIA:tests] 42 tests pass", "[U:tech_identity] Scope Rule",
    ]


@pytest.mark.parametrize("line", ["[k:stack] lower type", "[K:] no category", "[K:stack]", "see [K:stack] later"])
def test_things_that_only_look_like_inline_tags(line: str) -> None:
    assert rendered(line + "\n") == []


def test_inline_tags_in_code_are_not_read() -> None:
    assert rendered("```\n[K:stack] in code\n```\n") == []


# --- Markdown --------------------------------------------------------------------------------------------

def test_a_bullet_takes_its_indented_continuation_lines_but_a_paragraph_line_stands_alone() -> None:
    text = "## Rules\n- first rule\n  continued here\n- second\nplain one\nplain two\n    indented plain\n"
    assert rendered(text) == [
        "[U:rules] first rule continued here", "[U:rules] second", "[U:rules] plain one",
        "[U:rules] plain two", "[U:rules] indented plain",
    ]


def test_nested_and_numbered_bullets_are_each_a_value() -> None:
    text = "## Rules\n1. one\n2) two\n   - nested\n* star\n+ plus\n"
    assert rendered(text) == ["[U:rules] one", "[U:rules] two", "[U:rules] nested", "[U:rules] star", "[U:rules] plus"]


@pytest.mark.parametrize(("markdown", "plain"), [
    ("**bold** and __strong__", "bold and strong"),
    ("*em* and _em_", "em and em"),
    ("keep snake_case_names and 2*3*4", "keep snake_case_names and 2*3*4"),
    ("run `make test`", "run make test"),
    ("see [the docs](https://x.example/a_b) and ![logo](l.png)", "see the docs and logo"),
    ("[ ] open task", "open task"),
    ("[x] done task", "done task"),
    ("> quoted", "quoted"),
    ("short, ~~long~~ answers", "short, answers"),
    ("tabs\tand   spaces", "tabs and spaces"),
    ("zero\u200bwidth", "zerowidth"),
    ("| a | b |", "a — b"),
])
def test_markdown_decoration_is_removed(markdown: str, plain: str) -> None:
    assert clean_value(markdown) == plain


def test_front_matter_code_fences_comments_and_rules_are_skipped() -> None:
    text = ("---\ntitle: Rules\n---\n## Rules\n- kept 1\n"
            "```python\n- not a tag\n```\n"
            "~~~~\n```\n- still code\n~~~~\n"
            "<!-- single line comment -->\n"
            "<!--\n- hidden\n-->\n"
            "***\n---\n- kept 2\n")
    assert rendered(text) == ["[U:rules] kept 1", "[U:rules] kept 2"]


def test_an_unclosed_code_fence_hides_the_rest() -> None:
    assert rendered("## Rules\n- r\n```\n- x\n") == ["[U:rules] r"]


def test_table_rows_are_values_but_the_header_row_is_not() -> None:
    text = "## Projects\n| Name | Stack |\n|:-----|------:|\n| api | Python |\n| web | TypeScript |\n"
    assert rendered(text) == ["[K:projects] api — Python", "[K:projects] web — TypeScript"]


def test_lines_that_clean_to_nothing_are_not_tags() -> None:
    assert rendered("## Rules\n- **\n- ` `\n-\n>\n") == []


# --- values: length, unicode, dedup ------------------------------------------------------------------

def test_a_long_value_is_cut_at_a_word_with_an_ellipsis() -> None:
    value = "word " * 40
    cut = cut_value(value.strip(), 100)
    assert len(cut) <= 100 and cut.endswith("word…") and " …" not in cut


def test_a_value_of_exactly_the_limit_is_kept_whole() -> None:
    value = "x" * 99 + "y"
    assert cut_value(value, 100) == value


def test_one_long_word_is_cut_hard() -> None:
    assert cut_value("a" * 300, 100) == "a" * 99 + "…"


def test_max_value_chars_applies_to_extraction() -> None:
    [tag] = extract_tags("## Rules\n- " + "alpha beta " * 20 + "\n", "f.md", None, 40)
    assert len(tag.value) <= 40 and tag.value.endswith("…")


def test_unicode_is_counted_in_characters_and_kept() -> None:
    text = "## Constraints\n- 日本語のドキュメントは翻訳しない\n- " + "é" * 150 + "\n- Überstunden 🚫\n"
    tags = extract_tags(text, "f.md", None, 100)
    assert tags[0].value == "日本語のドキュメントは翻訳しない"
    assert len(tags[1].value) == 100 and tags[1].value.endswith("…")
    assert tags[2].value == "Überstunden 🚫"


def test_decomposed_accents_are_normalised_so_repeats_are_found(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "García")
    assert nfd != "García"
    (tmp_path / "identity.md").write_text(f"- García\n- {nfd}\n")
    scan = scan_tags([tmp_path / "identity.md"], TagSettings())
    assert [t.value for t in scan.tags] == ["García"]


def test_repeats_are_dropped_across_files_ignoring_case_and_keeping_the_first(tmp_path: Path) -> None:
    (tmp_path / "CLAUDE.md").write_text("## Rules\n- Never force-push\n- b\n")
    (tmp_path / "rules.md").write_text("- never FORCE-push\n- a\n")
    scan = scan_tags([tmp_path / "CLAUDE.md", tmp_path / "rules.md"], TagSettings())
    assert [(t.value, Path(t.file).name, t.line) for t in scan.tags] == [
        ("Never force-push", "CLAUDE.md", 2), ("b", "CLAUDE.md", 3), ("a", "rules.md", 2)]


def test_the_same_text_in_two_categories_is_two_tags() -> None:
    assert len(extract_tags("## Rules\n- x\n## Preferences\n- x\n", "f.md")) == 2


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#-*_`[]()|>~ \n\tKUC:abcé日0123456789!<")), max_size=400),
       st.sampled_from([None, "identity", "rules"]), st.integers(min_value=10, max_value=120))
def test_any_text_gives_clean_one_line_values_within_the_limit(text: str, base: str | None, limit: int) -> None:
    for tag in extract_tags(text, "f.md", base, limit):
        assert tag.value and tag.value == tag.value.strip()
        assert "\n" not in tag.value and len(tag.value) <= limit
        assert 1 <= tag.line <= text.count("\n") + 1


# --- files ------------------------------------------------------------------------------------------------

def test_the_sample_context_folder(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    shutil.copytree(SAMPLE / "dot-context", claude / ".context")
    files = context_files(claude, SAMPLE / "project", TagSettings())
    scan = scan_tags(files, TagSettings())
    assert scan.warnings == ()
    by_line = {(Path(t.file).name, t.line): t.render() for t in scan.tags}
    assert by_line[("CLAUDE.md", 10)] == "[K:identity] Name: Ana García (she/her)"
    assert by_line[("CLAUDE.md", 11)] == "[K:identity] Backend developer at Acme, on the payments team"
    assert by_line[("CLAUDE.md", 15)] == "[K:identity] Ten years of Python; some Go."
    assert by_line[("CLAUDE.md", 21)] == \
        "[U:rules] Prefer standard-library solutions over new dependencies when the difference is small"
    assert by_line[("CLAUDE.md", 35)] == "[K:stack] Python 3.12, PostgreSQL 16, uv"
    assert by_line[("identity.md", 1)] == "[K:identity] Ana García, backend developer."
    assert by_line[("projects.md", 8)] == "[U:rules] Tag releases as vX.Y.Z"
    assert by_line[("triggers.md", 3)] == "[PROPUESTA:deploy] Move deploys to Wednesdays"
    rendered_all = [t.render() for t in scan.tags]
    assert "[C:constraints] Python 3.11 only: the servers run Debian 12" in rendered_all  # the project's CLAUDE.md
    assert not any("not a tag" in r or "rm -rf" in r or "hidden" in r or "Tool — Use" in r for r in rendered_all)
    assert rendered_all.count("[U:rules] Never force-push to main") == 1
    assert all(len(t.value) <= 100 for t in scan.tags)
    assert len(scan.tags) == 29
    files_in_order = [Path(f).name for f in dict.fromkeys(t.file for t in scan.tags)]
    assert files_in_order == ["CLAUDE.md", "identity.md", "projects.md", "relationships.md", "preferences.md",
                              "rules.md", "constraints.md", "triggers.md", "CLAUDE.md"]


def test_empty_and_blank_files_give_nothing_and_no_warning(tmp_path: Path) -> None:
    (tmp_path / "rules.md").write_text("")
    (tmp_path / "identity.md").write_text("\n  \n\t\n")
    scan = scan_tags([tmp_path / "rules.md", tmp_path / "identity.md", tmp_path / "absent.md"], TagSettings())
    assert scan.tags == () and scan.warnings == ()
    assert [p.name for p in scan.files] == ["rules.md", "identity.md"]


def test_files_that_cant_be_used_are_warnings_and_the_others_still_count(tmp_path: Path) -> None:
    (tmp_path / "rules.md").mkdir()
    (tmp_path / "identity.md").write_bytes(b"- caf\xe9 ole\n")
    (tmp_path / "projects.md").write_bytes(b"- x\x00y\n")
    (tmp_path / "triggers.md").write_text("- " + "z" * 2000 + "\n")
    loop = tmp_path / "constraints.md"
    loop.symlink_to(loop)
    (tmp_path / "preferences.md").write_text("- tea\n")
    names = ["rules.md", "identity.md", "projects.md", "triggers.md", "constraints.md", "preferences.md"]
    scan = scan_tags([tmp_path / n for n in names], TagSettings(max_file_bytes=1000))
    text = "\n".join(scan.warnings)
    assert "rules.md: not a regular file" in text
    assert "identity.md: not UTF-8 (bad byte at offset 5)" in text
    assert "projects.md: looks binary" in text
    assert "triggers.md: 2,003 bytes, over the 1,000-byte limit" in text
    assert "constraints.md: cannot read" in text
    assert len(scan.warnings) == 5
    assert [t.render() for t in scan.tags] == ["[K:identity] caf\ufffd ole", "[U:preferences] tea"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "rules.md"
    path.write_text("- r\n")
    path.chmod(0)
    scan = scan_tags([path], TagSettings())
    assert scan.tags == () and "cannot read" in scan.warnings[0]


def test_context_files_are_the_configured_list_then_the_project_files(tmp_path: Path) -> None:
    claude, project = tmp_path / "claude", tmp_path / "project"
    files = context_files(claude, project, TagSettings())
    assert files[: len(DEFAULT_FILES)] == [claude / ".context" / name for name in DEFAULT_FILES]
    assert files[len(DEFAULT_FILES):] == [project / "CLAUDE.md", project / ".claude" / "CLAUDE.md"]
    assert context_files(claude, project, TagSettings(project_claude_md=False)) == files[: len(DEFAULT_FILES)]
    assert context_files(claude, None, TagSettings(files=("a.md", "/abs/b.md", "a.md"))) == \
        [claude / ".context" / "a.md", Path("/abs/b.md")]


def test_fingerprint_changes_when_a_file_is_written_and_not_otherwise(tmp_path: Path) -> None:
    path = tmp_path / "rules.md"
    before = fingerprint([path])
    path.write_text("- r\n")
    written = fingerprint([path])
    assert written != before and fingerprint([path]) == written
    os.utime(path, ns=(1, 1))
    assert fingerprint([path]) != written


def test_the_built_in_config_says_what_the_code_defaults_say(claude_dir: Path) -> None:
    assert load_tag_settings(claude_dir, None) == TagSettings()


def test_tag_settings_out_of_bounds_are_errors_with_their_line(claude_dir: Path) -> None:
    (claude_dir / "sfp").mkdir(parents=True, exist_ok=True)
    config = claude_dir / "sfp" / "sfp.yaml"
    config.write_text("tags:\n  files: [a.md]\n  max_value_chars: 60\n  evidence: false\n")
    custom = load_tag_settings(claude_dir, None)
    assert custom.files == ("a.md",) and custom.max_value_chars == 60 and custom.evidence is False
    config.write_text("tags:\n  budget_chars: 10\n")  # too small to say anything
    with pytest.raises(ConfigError, match=r"sfp\.yaml:2:3: `tags\.budget_chars` is 10; it must be at least 200 and at most 9000"):
        load_tag_settings(claude_dir, None)


# --- the block -------------------------------------------------------------------------------------------

def make_tags(count: int, width: int = 30) -> list[Tag]:
    return [Tag("U", "rules", f"rule {i:03d} " + "x" * width, "f.md", i + 1) for i in range(count)]


def test_a_block_within_budget_is_the_header_and_every_tag() -> None:
    block = render_block(make_tags(3), "[sfp] header:", 2000)
    assert block.text.splitlines() == ["[sfp] header:"] + [t.render() for t in make_tags(3)]
    assert (block.shown, block.dropped) == (3, 0)


def test_over_budget_tags_are_dropped_from_the_end_and_counted() -> None:
    tags = make_tags(100)
    block = render_block(tags, "[sfp] header:", 2000)
    lines = block.text.splitlines()
    assert len(block.text) <= 2000
    assert lines[1:-1] == [t.render() for t in tags[: block.shown]]
    assert block.shown + block.dropped == 100 and block.dropped > 0
    assert lines[-1] == f"[sfp] {block.dropped} more tags left out to stay within 2,000 characters (`sfp tags` lists all)."
    bigger = render_block(tags, "[sfp] header:", 4000)
    assert bigger.shown > block.shown  # the budget, not a fixed count, decides


def test_one_tag_over_budget_says_tag() -> None:
    block = render_block(make_tags(1, width=500), "[sfp] header:", 300)
    assert block.shown == 0 and block.text.endswith("1 more tag left out to stay within 300 characters (`sfp tags` lists all).")


def test_secrets_in_a_context_file_never_reach_a_tag() -> None:
    key = "AKIA" + "Z7QXW3KD5MPLR2VN"
    token = "ghp_" + "a1B2" * 9  # sfp: allow-secret
    text = f"## Rules\n- deploy with key {key}\n- the bot token is {token}\n- always run tests\n"
    tags = extract_tags(text, "rules.md")
    shown = " ".join(tag.render() for tag in tags)
    assert key not in shown and token not in shown and shown.count("***") == 2 and "always run tests" in shown
