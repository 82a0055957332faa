"""What a prune must leave: the builds the hooks run, and the shiv extractions they unpack to."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sfp.cleanup.in_use import extraction_name, running_extraction


def test_a_shiv_build_names_its_extraction_a_lean_one_none(tmp_path: Path) -> None:
    shiv = tmp_path / "sfp.pyz"
    with zipfile.ZipFile(shiv, "w") as archive:
        archive.writestr("environment.json", json.dumps({"build_id": "c" * 64}))
    lean = tmp_path / "sfp-lean.pyz"
    with zipfile.ZipFile(lean, "w") as archive:
        archive.writestr("__main__.py", "")
    assert extraction_name(shiv) == "sfp.pyz_" + "c" * 64
    assert extraction_name(lean) is None and extraction_name(tmp_path / "missing.pyz") is None


def test_the_running_extraction_is_read_from_where_sfp_was_imported() -> None:
    module = f"/home/me/.shiv/sfp.pyz_{'d' * 64}/site-packages/sfp/__init__.py"
    assert running_extraction(module) == {f"sfp.pyz_{'d' * 64}"}
    assert running_extraction("/work/main/sfp/__init__.py") == set()
