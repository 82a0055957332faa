"""The secrets guard under the real client: a Write that would add an AWS key is refused before the file is
written, the model's next request carries the masked reason, and the same Write without the key goes through."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.client import Sandbox, logged, sfp_log
from e2e.model_server import ModelServer, all_text, call, say

pytestmark = pytest.mark.e2e

RUN_TIMEOUT = 120.0
AWS_KEY = "AKIA" + "Z7QXW3KD5MPLR2VN"


def test_a_write_with_a_secret_is_refused_and_the_model_told_why(claude_bin: Path, sfp_pyz: Path,
                                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    with ModelServer(limit=10) as model:
        sandbox = Sandbox(claude_bin, tmp_path_factory.mktemp("sfp-guard"), model.url)
        sandbox.install_sfp(sfp_pyz, context="# Context\n\nThe e2e project for the secrets guard.\n")
        target = sandbox.project / "settings.py"
        model.push(call("Write", file_path=str(target), content=f"AWS_ACCESS_KEY_ID = '{AWS_KEY}'\n"),
                   call("Write", file_path=str(target), content="import os\nKEY = os.environ['AWS_ACCESS_KEY_ID']\n"),
                   say("done, the key comes from the environment"))
        result = sandbox.run("write the settings", timeout=RUN_TIMEOUT)

        requests = model.main_requests()
        assert len(requests) == 3, f"expected the refused Write, the clean Write and the answer: {len(requests)}"
        after_refusal = all_text(requests[1])
        assert "sfp refused this edit" in after_refusal and "aws-access-key-id (AKIA***)" in after_refusal, \
            after_refusal[-2000:]
        assert AWS_KEY not in after_refusal.replace(f"AWS_ACCESS_KEY_ID = '{AWS_KEY}'", ""), \
            "the key reached the model outside its own tool call"
        assert target.read_text(encoding="utf-8") == "import os\nKEY = os.environ['AWS_ACCESS_KEY_ID']\n"
        assert AWS_KEY not in target.read_text(encoding="utf-8")
        guards = logged(sfp_log(sandbox.claude_dir), "PreToolUse", result.session_id)
        assert len(guards) == 2, guards
