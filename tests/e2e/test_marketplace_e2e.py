"""`sfp plugin DIR --marketplace NAME` under the real client: add the marketplace, install sfp from it,
see its hooks fire, and `claude plugin update` take a new build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e.client import Sandbox, logged, sfp_log
from e2e.model_server import ModelServer, all_text, say

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0
NAME = "sfp-local"
MARK = "sfp-from-the-marketplace-7f3a"  # an identity line: its TAG reaches the model with the first prompt


def lay_out(sandbox: Sandbox, pyz: Path, market: Path) -> None:
    done = sandbox.sfp(pyz, "plugin", str(market), "--marketplace", NAME)
    assert done.code == 0, done.describe()


def test_a_marketplace_installs_sfp_and_its_hooks_fire(sandbox: Sandbox, model: ModelServer, sfp_pyz: Path) -> None:
    market = sandbox.root / "market"
    lay_out(sandbox, sfp_pyz, market)

    for folder in (market, market / "plugins" / "sfp"):
        checked = sandbox.client("plugin", "validate", str(folder))
        assert checked.code == 0 and "✘" not in checked.stdout, checked.describe()
    added = sandbox.client("plugin", "marketplace", "add", str(market))
    assert added.code == 0, added.describe()
    installed = sandbox.client("plugin", "install", f"sfp@{NAME}")
    assert installed.code == 0, installed.describe()
    settings = json.loads((sandbox.claude_dir / "settings.json").read_text(encoding="utf-8"))
    assert settings["enabledPlugins"] == {f"sfp@{NAME}": True}, settings

    context = sandbox.claude_dir / ".context"
    context.mkdir(parents=True, exist_ok=True)
    (context / "CLAUDE.md").write_text(f"# Identity\n{MARK}\n", encoding="utf-8")
    model.push(say("Hello."))
    session = sandbox.run("hi", timeout=RUN_TIMEOUT).session_id

    records = sfp_log(sandbox.claude_dir)
    for event in ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd"):
        assert logged(records, event, session), (event, [(r.get("event"), r.get("session")) for r in records])
    # The UserPromptSubmit hook's TAGs, from the context file, reached the model.
    assert MARK in all_text(model.main_requests()[0]), "sfp's TAGs did not reach the model"

    # sfp's doctor sees the marketplace route, and nothing broken about it.
    doctor = sandbox.sfp(sfp_pyz, "doctor", "--json", "--no-probe")
    findings = json.loads(doctor.stdout)["findings"]
    assert f"sfp runs as marketplace sfp@{NAME}" in [f["title"] for f in findings], doctor.describe()
    assert not [f for f in findings if f["status"] == "broken"], findings


def test_plugin_update_takes_a_new_build(sandbox: Sandbox, sfp_pyz: Path) -> None:
    market = sandbox.root / "market"
    lay_out(sandbox, sfp_pyz, market)
    assert sandbox.client("plugin", "marketplace", "add", str(market)).code == 0
    assert sandbox.client("plugin", "install", f"sfp@{NAME}").code == 0
    first = json.loads((market / ".claude-plugin" / "marketplace.json").read_text())["plugins"][0]["version"]

    newer = sandbox.root / "newer" / "sfp.pyz"  # another build: other bytes, same program
    newer.parent.mkdir()
    newer.write_bytes(sfp_pyz.read_bytes() + b"\0")
    lay_out(sandbox, newer, market)
    second = json.loads((market / ".claude-plugin" / "marketplace.json").read_text())["plugins"][0]["version"]
    assert second != first

    sandbox.client("plugin", "marketplace", "update", NAME)
    updated = sandbox.client("plugin", "update", f"sfp@{NAME}")
    assert updated.code == 0, updated.describe()
    listed = sandbox.client("plugin", "list")
    assert second in listed.stdout, listed.describe()
