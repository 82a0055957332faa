"""`sfp trust --json`: a project's trust after trusting, showing or revoking, and the list of trusted ones."""

from __future__ import annotations

from pathlib import Path

from conftest import SfpRunner


def with_config(project: Path) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "gates.yaml").write_text("gates:\n  - name: lint\n    command: 'ruff check'\n")


def test_show_trust_and_revoke_print_the_state_after(sfp: SfpRunner, project: Path) -> None:
    with_config(project)
    shown = sfp("trust", "--show", "--json", str(project)).json()
    assert isinstance(shown, dict) and shown["schema"] == "sfp.trust/1" and shown["action"] == "show"
    assert shown["path"] == str(project) and shown["has_config"] is True and shown["trusted"] is False
    assert any("ruff check" in line for line in shown["would_run"]) and shown["revoked"] is None
    trusted = sfp("trust", "--json", str(project)).json()
    assert isinstance(trusted, dict) and trusted["trusted"] is True and trusted["action"] == "trust"
    revoked = sfp("trust", "--revoke", "--json", str(project)).json()
    assert isinstance(revoked, dict) and revoked["trusted"] is False and revoked["revoked"] is True
    again = sfp("trust", "--revoke", "--json", str(project)).json()
    assert isinstance(again, dict) and again["revoked"] is False


def test_list_json_wraps_the_projects_with_when_each_was_trusted(sfp: SfpRunner, project: Path) -> None:
    assert sfp("trust", "--list", "--json").json() == {"schema": "sfp.trust-list/1", "projects": []}
    with_config(project)
    sfp("trust", str(project))
    listed = sfp("trust", "--list", "--json").json()
    assert isinstance(listed, dict)
    [entry] = listed["projects"]
    assert entry["path"] == str(project.resolve()) and entry["trusted"] is True
    assert entry["trusted_at"].endswith("Z") and len(entry["trusted_at"]) == len("2026-02-10T10:59:52Z")
