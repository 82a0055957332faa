"""`sfp config show|init|parse` through the CLI."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from conftest import SfpRunner


def test_show_names_the_source_of_each_key(sfp: SfpRunner, claude_dir: Path, project: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "alerts.yaml").write_text("thresholds:\n  critical:\n    failure_rate: 0.7\n")
    run = sfp("config", "show", "alerts", cwd=project)
    assert run.code == 0
    line = next(l for l in run.out.splitlines() if "failure_rate: 0.7" in l)
    assert line.endswith(f"# {claude_dir / 'sfp' / 'alerts.yaml'}:3")
    assert "timeout_rate: 0.3  # built-in:alerts.yaml:" in run.out


def test_show_json_has_data_sources_and_layers(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "gates.yaml").write_text("settings:\n  max_workers: 3\n  typo: 1\n")
    sfp("trust", str(project))
    run = sfp("config", "show", "gates", "--json", "--project", str(project))
    document = json.loads(run.out)
    [shown] = document["configs"]
    assert document["schema"] == "sfp.config/1" and shown["name"] == "gates"
    assert shown["data"]["settings"]["max_workers"] == 3
    assert {"key": "settings.max_workers", "source": f"{project / '.sfp' / 'gates.yaml'}:2"} in shown["sources"]
    assert shown["layers"][0] == "built-in:gates.yaml"
    assert "unknown key `typo`" in shown["warnings"][0]


def test_show_reports_a_bad_value_with_file_line_and_exit_2(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    (project / ".sfp" / "fallback.yaml").write_text("policies:\n  Stop:\n    on_failure: explode\n")
    sfp("trust", str(project))
    run = sfp("config", "show", "fallback", cwd=project)
    assert run.code == 2
    assert f"{project / '.sfp' / 'fallback.yaml'}:3:5: `policies.Stop.on_failure` is 'explode'" in run.err


def test_init_writes_private_defaults_and_never_overwrites(sfp: SfpRunner, claude_dir: Path) -> None:
    run = sfp("config", "init")
    assert run.code == 0
    gates = claude_dir / "sfp" / "gates.yaml"
    assert stat.S_IMODE(gates.stat().st_mode) == 0o600
    assert stat.S_IMODE(gates.parent.stat().st_mode) == 0o700
    gates.write_text("# mine\n")
    again = sfp("config", "init")
    assert gates.read_text() == "# mine\n" and "kept" in again.out
    forced = sfp("config", "init", "--force")
    assert forced.code == 0 and gates.read_text() != "# mine\n"


def test_init_json_names_each_file_and_whether_it_was_written(sfp: SfpRunner, claude_dir: Path) -> None:
    (claude_dir / "sfp").mkdir()
    (claude_dir / "sfp" / "gates.yaml").write_text("# mine\n")
    document = sfp("config", "init", "--json").json()
    assert isinstance(document, dict) and document["schema"] == "sfp.config-init/1"
    files = {f["name"]: f for f in document["files"]}
    assert files["gates"] == {"name": "gates", "path": str(claude_dir / "sfp" / "gates.yaml"), "written": False}
    assert files["sfp"]["written"] is True and len(files) == 6


def test_parse_prints_json(sfp: SfpRunner, tmp_path: Path) -> None:
    doc = tmp_path / "x.yaml"
    doc.write_text("a: [1, 2.5, yes, ~]\nb: |\n  text\n")
    run = sfp("config", "parse", str(doc))
    assert json.loads(run.out) == {"a": [1, 2.5, True, None], "b": "text\n"}


def test_parse_error_is_file_line_col_and_exit_2(sfp: SfpRunner, tmp_path: Path) -> None:
    doc = tmp_path / "bad.yaml"
    doc.write_text("a: 1\nb: *alias\n")
    run = sfp("config", "parse", str(doc))
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"sfp: error: {doc}:2:4: ")


def test_show_and_parse_mask_secret_values(sfp: SfpRunner, project: Path) -> None:
    (project / ".sfp").mkdir()
    token = "ghp_" + "Ab3dE6gH9j" * 4  # sfp: allow-secret
    gates = project / ".sfp" / "gates.yaml"
    gates.write_text(f"gates:\n  - name: deploy\n    command: ./deploy\n    env:\n      GITHUB_TOKEN: {token}\n")
    sfp("trust", str(project))
    for run in (sfp("config", "show", "gates", cwd=project), sfp("config", "show", "gates", "--json", cwd=project),
                sfp("config", "parse", str(gates))):
        assert run.code == 0 and token not in run.out and "GITHUB_TOKEN" in run.out


def test_json_output_stays_json_with_secrets_masked_inside_its_strings(sfp: SfpRunner, claude_dir: Path) -> None:
    token = "ghp_" + "Zq7xW2vB5n" * 4  # sfp: allow-secret
    (claude_dir / "sfp").mkdir()
    gates = claude_dir / "sfp" / "gates.yaml"
    gates.write_text(
        "gates:\n  - name: deploy\n    command: 'export API_KEY=\"s3cr3tvalue9\" && ./deploy'\n"
        f"    env:\n      GITHUB_TOKEN: {token}\n      DB_PASSWORD: correct horse battery\n      DB_HOST: db.local\n"
    )
    show_one, show_all, parse = (sfp("config", "show", "gates", "--json"), sfp("config", "show", "--json"),
                                 sfp("config", "parse", str(gates)))
    for run in (show_one, show_all, parse):
        assert run.code == 0, run.err
    # Each parses ("GITHUB_TOKEN": *** would not), and the values are masked inside their strings.
    every = {c["name"]: c for c in json.loads(show_all.out)["configs"]}
    for data in (json.loads(show_one.out)["configs"][0]["data"], every["gates"]["data"], json.loads(parse.out)):
        gate = data["gates"][0]
        assert gate["env"] == {"GITHUB_TOKEN": "***", "DB_PASSWORD": "***", "DB_HOST": "db.local"}
        assert gate["command"] == "export API_KEY=*** && ./deploy"
    for run in (show_one, show_all, parse):
        for secret in (token, "s3cr3tvalue9", "correct horse"):
            assert secret not in run.out
