"""A cloned repository's `.sfp/` config under the real client: ignored until `sfp trust`, used after it,
ignored again once one of its files changes.

The project's gate is a critical one that leaves a marker file and fails, so when it runs the model is
sent the block reason; when it is ignored nothing runs and nothing reaches the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2e.client import Sandbox, logged, sfp_log
from e2e.model_server import ModelServer, call, say
from e2e.reached import stop_hook_answers

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0
CONTEXT_TEXT = "# Context\n\nThe e2e project for trust.\n"
GATE = "cloned-repo-gate"


def gates_yaml(marker: Path) -> str:
    return (f"tiers:\n  fast:\n    gates:\n      - name: {GATE}\n"
            f"        command: \"touch '{marker}'; exit 1\"\n        critical: true\n        timeout: 10000\n")


def session(sandbox: Sandbox, model: ModelServer, name: str, *, blocked: bool) -> tuple[str, list[str]]:
    """One session that writes a file and stops: its id, and the block reasons the model was sent."""
    before = len(model.main_requests())
    target = sandbox.project / f"{name}.py"
    model.push(call("Write", file_path=str(target), content="ANSWER = 42\n"), say("done"))
    if blocked:
        model.push(say("ok, left as is"))  # the answer to the block; its Stop has stop_hook_active
    result = sandbox.run(f"write {name}", timeout=RUN_TIMEOUT)
    assert model.remaining == 0, f"{model.remaining} scripted replies left: the gate ran when it should not have"
    return result.session_id, [reason for request in model.main_requests()[before:] for reason in stop_hook_answers(request)]


def test_a_cloned_repositorys_gate_runs_only_while_trusted(claude_bin: Path, sfp_pyz: Path,
                                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    with ModelServer(limit=30) as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-trust"), model.url)
        pyz = sandbox.install_sfp(sfp_pyz, context=CONTEXT_TEXT)
        first, second, third = (sandbox.root / f"ran-{n}" for n in (1, 2, 3))
        (sandbox.project / ".sfp").mkdir()
        config = sandbox.project / ".sfp" / "gates.yaml"
        config.write_text(gates_yaml(first), encoding="utf-8")

        untrusted, reasons = session(sandbox, model, "untrusted", blocked=False)
        assert reasons == [] and not first.exists(), "an untrusted gate ran"
        assert logged(sfp_log(sandbox.claude_dir), "Stop", untrusted), "sfp's Stop hook never ran"

        trusted = sandbox.sfp(pyz, "trust", str(sandbox.project))
        assert trusted.code == 0 and GATE in trusted.stdout, trusted.describe()
        _, reasons = session(sandbox, model, "trusted", blocked=True)
        assert first.exists(), "the trusted project's gate did not run at Stop"
        assert reasons and GATE in reasons[0], reasons

        config.write_text(gates_yaml(third), encoding="utf-8")  # the repository changes its gate
        _, reasons = session(sandbox, model, "edited", blocked=False)
        assert reasons == [] and not third.exists(), "an edited, untrusted gate ran"
        shown = sandbox.sfp(pyz, "trust", "--show", str(sandbox.project))
        assert "not trusted" in shown.stdout and "gates.yaml changed" in shown.stdout, shown.describe()
        assert not second.exists()
        assert json.loads((sandbox.claude_dir / "sfp" / "trust.json").read_text())["projects"]
