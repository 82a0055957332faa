"""`sfp report` as a person runs it: where the page goes, what it holds, and what is refused."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from conftest import SfpRunner
from report import lived_in


@pytest.fixture
def planted(claude_dir: Path, tmp_path: Path) -> lived_in.LivedIn:
    alpha, beta = tmp_path / "alpha", tmp_path / "beta"
    alpha.mkdir()
    beta.mkdir()
    return lived_in.plant(claude_dir, alpha, beta, time.time())


def test_out_writes_a_private_page_and_prints_its_path(sfp: SfpRunner, planted: lived_in.LivedIn,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    run = sfp("report", "--out", str(out))
    assert run.code == 0 and run.out == f"{out}\n" and run.err == ""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    html = out.read_text()
    assert html.startswith("<!doctype html>") and html.count('<svg class="chart"') > 10
    assert str(planted.alpha) in html and str(planted.beta) in html and "unknown project" in html


def test_the_default_place_is_under_the_claude_dir(sfp: SfpRunner, planted: lived_in.LivedIn) -> None:
    run = sfp("report", "--json")
    answer = json.loads(run.out)
    page = planted.claude_dir / "sfp" / "report.html"
    assert run.code == 0 and answer["schema"] == "sfp.report/1" and answer["path"] == str(page)
    counts = {key: answer[key] for key in answer if key.endswith("_count")}
    assert counts == {"gate_run_count": len(lived_in.all_runs()), "hook_call_count": len(lived_in.HOOK_TIMINGS),
                      "backup_count": 1, "handoff_count": 2, "project_count": 3}
    assert answer["created_at"].endswith("Z") and list(answer)[0] == "schema"
    assert answer["empty"] is False and answer["project"] is None and answer["since_days"] is None
    assert stat.S_IMODE(page.stat().st_mode) == 0o600 and stat.S_IMODE(page.parent.stat().st_mode) == 0o700


def test_an_empty_claude_dir_gives_a_page_saying_there_is_no_data_yet(sfp: SfpRunner, claude_dir: Path) -> None:
    run = sfp("report", "--json")
    assert run.code == 0 and json.loads(run.out)["empty"] is True
    assert "No data yet" in (claude_dir / "sfp" / "report.html").read_text()


def test_project_keeps_only_that_project(sfp: SfpRunner, planted: lived_in.LivedIn, tmp_path: Path) -> None:
    out = tmp_path / "alpha.html"
    answer = json.loads(sfp("report", "--project", str(planted.alpha), "--out", str(out), "--json").out)
    assert answer["project"] == str(planted.alpha)
    assert answer["gate_run_count"] == len(lived_in.ALPHA_RUNS) and answer["handoff_count"] == 1
    html = out.read_text()
    assert str(planted.beta) not in html and "All projects" not in html


def test_project_through_a_link_is_the_same_project(sfp: SfpRunner, planted: lived_in.LivedIn,
                                                    tmp_path: Path) -> None:
    link = tmp_path / "alpha-link"
    link.symlink_to(planted.alpha)
    answer = json.loads(sfp("report", "--project", str(link), "--out", str(tmp_path / "r.html"), "--json").out)
    assert answer["gate_run_count"] == len(lived_in.ALPHA_RUNS)


def test_since_leaves_older_records_out(sfp: SfpRunner, planted: lived_in.LivedIn, tmp_path: Path) -> None:
    answer = json.loads(sfp("report", "--since", "0.5", "--out", str(tmp_path / "r.html"), "--json").out)
    assert answer["since_days"] == 0.5
    assert answer["gate_run_count"] == sum(1 for days, _ in lived_in.all_runs() if days == 0)


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf", "soon"])
def test_since_must_be_a_positive_number_of_days(sfp: SfpRunner, claude_dir: Path, value: str) -> None:
    run = sfp("report", "--since", value)
    assert run.code == 2 and run.err.startswith("sfp: error: ") and "Traceback" not in run.err
    assert "--since" in run.err and len(run.err.splitlines()) == 1
    assert not (claude_dir / "sfp" / "report.html").exists()


def test_a_project_that_is_not_there_is_a_usage_error(sfp: SfpRunner, tmp_path: Path) -> None:
    run = sfp("report", "--project", str(tmp_path / "gone"))
    assert run.code == 2 and "--project" in run.err and "is not a folder" in run.err


def test_out_must_name_a_file_in_a_folder_that_exists(sfp: SfpRunner, tmp_path: Path) -> None:
    missing = sfp("report", "--out", str(tmp_path / "nowhere" / "r.html"))
    assert missing.code == 2 and "does not exist" in missing.err
    folder = sfp("report", "--out", str(tmp_path))
    assert folder.code == 2 and "is a folder" in folder.err


def test_a_report_that_cannot_be_written_is_one_line_and_exit_1(sfp: SfpRunner, claude_dir: Path) -> None:
    (claude_dir / "sfp").write_text("a file where sfp's folder goes\n")
    run = sfp("report")
    assert run.code == 1 and run.err.startswith("sfp: error: cannot use") and len(run.err.splitlines()) == 1


@pytest.mark.parametrize("kpi_line, log_line", [
    ('{"time": "2025-01-01T00:00:00Z", "kind": "quality_gates", "gates": 5}', None),
    ('{"time": "2025-01-01T00:00:00Z", "kind": "quality_gates", "gates": [{"name": "g", "status": "passed", '
     '"duration_ms": 1' + "0" * 400 + '}]}', None),
    ('{"time": "9999-12-31T23:59:59-05:00", "kind": "quality_gates", "gates": []}', None),
    (None, '{"time": "2025-01-01T00:00:00Z", "level": "info", "event": "Stop", "message": "handled", '
           '"duration_ms": 1e400}'),
    (None, '{"time": "2025-01-01T00:00:00Z", "level": "info", "event": "Stop", "message": "handled", '
           '"duration_ms": 1' + "0" * 400 + '}'),
    ("[" * 100000, "[" * 100000),
])
def test_damaged_records_are_left_out_not_a_crash(sfp: SfpRunner, claude_dir: Path, tmp_path: Path,
                                                  kpi_line: str | None, log_line: str | None) -> None:
    for folder, name, line in (("kpis", "events.jsonl", kpi_line), ("logs", "sfp.log", log_line)):
        if line is not None:
            (claude_dir / folder).mkdir(exist_ok=True)
            (claude_dir / folder / name).write_text(line + "\n")
    for args in (["report", "--out", str(tmp_path / "r.html")], ["kpi"], ["logs"]):
        run = sfp(*args)
        assert run.code in (0, 1) and "internal error" not in run.err and "Traceback" not in run.err, (args, run.err)
    assert (tmp_path / "r.html").read_text().lower().startswith("<!doctype html>")
