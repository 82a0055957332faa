"""Stop: the fast gates on the files this session changed; what Claude must fix goes to it once.

The feedback is the Stop's `hookSpecificOutput.additionalContext`: it reaches the model once on every
client version (2.1.332 gives a `decision: "block"` reason to the model twice), the model goes on,
and the next Stop has `stop_hook_active`: that Stop is never judged again, or the session would never end.
While a background task (a subagent) still runs, the work isn't finished: no gate runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from typing import TYPE_CHECKING

from sfp.gates.alerts import Alert, has_critical
from sfp.hooks import HookContext
from sfp.hooks.protocol import HookEvent, HookResult

if TYPE_CHECKING:
    from sfp.gates.run import GateRun

# What the hook keeps back from its budget to answer, log and record the run.
ANSWER_RESERVE_S = 1.0
STATE_KEY = "gates"


def handle(event: HookEvent, ctx: HookContext) -> HookResult:
    if event.flag("stop_hook_active") or still_running(event.payload.get("background_tasks")):
        return HookResult()
    project = ctx.project_dir(event.cwd)
    if project is None or not project.is_dir():
        return HookResult()
    files = _session_files(project, event.transcript_path)
    if not files:
        return HookResult()
    from sfp.config.layers import lenient_layers
    from sfp.errors import ConfigError

    # The runner's own lenient_layers only logs a broken layer; here the person and Claude hear of it too.
    with lenient_layers() as left_out:
        try:
            result = _judge(project, files, ctx, event)
        except ConfigError as exc:  # no gate can run with this config: say why, never block for it
            return with_config_problems(HookResult(), [*left_out, str(exc)], ran=False, ctx=ctx, event=event)
    return with_config_problems(result, left_out, ran=True, ctx=ctx, event=event)


def _judge(project: Path, files: list[str], ctx: HookContext, event: HookEvent) -> HookResult:
    from sfp.gates.session import anything_applies, record_kpi, run_for_project, run_notes

    if not anything_applies(ctx.claude_dir, project, None, files):
        return HookResult()
    run = run_for_project(ctx.claude_dir, project, tier=None, changed=files,
                          time_limit_s=max(ctx.remaining() - ANSWER_RESERVE_S, 0.5))
    notes = run_notes(run) + record_kpi(ctx.claude_dir, run, event.session_id)
    if notes:
        from sfp.infra.log import write_notes

        write_notes(ctx.claude_dir, "gates", notes, session=event.session_id)
    return answer(run, ctx.claude_dir, event.session_id)


def with_config_problems(result: HookResult, problems: Sequence[str], *, ran: bool, ctx: HookContext,
                         event: HookEvent) -> HookResult:
    """`result` plus one line per config file sfp couldn't use: for the person at every Stop (their gates
    are not what they configured until it is fixed), for Claude once a session (each Stop it is told
    something keeps it working, and a config error is not work to finish). Logged as before."""
    if not problems:
        return result
    from sfp.infra.log import write_notes
    from sfp.infra.notes import Note
    from sfp.infra.redact import redact

    shown = [redact(problem) for problem in problems]
    verb = "left out, the layers below used" if ran else "no gate ran"
    write_notes(ctx.claude_dir, event.name, [Note("warning", f"config: {verb}: {p}") for p in shown],
                session=event.session_id)
    lines = [config_line(problem, ran) for problem in shown]
    message = "\n".join(filter(None, [result.message, *lines]))
    new = _not_told_yet(shown, ctx.claude_dir, event.session_id)
    context = "\n".join(filter(None, [result.context, *(config_context(p, ran) for p in new)])) or None
    return result._replace(message=message, context=context)


def config_line(problem: str, ran: bool) -> str:
    """`⚠️ sfp: FILE:LINE:COL: MESSAGE — <what happened>; <what to do>`, one line for the person."""
    from sfp.hooks.protocol import one_line

    outcome = "that file was left out, the gates ran without it" if ran else "no gate ran"
    return one_line(f"⚠️ sfp: {problem} — {outcome}; fix it, then check with `sfp config show {config_name(problem)}`")


def config_context(problem: str, ran: bool) -> str:
    outcome = "sfp ran the gates without that file" if ran else "so no quality gate ran"
    return (f"sfp could not use a config file: {problem} ({outcome}). If this session edited that file, fix it; "
            f"otherwise mention it to the user, who can check it with `sfp config show {config_name(problem)}`.")


def config_name(problem: str) -> str:
    """The config a problem (`/p/.sfp/alerts.yaml:3:1: …`) is about: what `sfp config show` takes."""
    from sfp.config.layers import NAMES

    head = problem.split(": ", 1)[0].split(":", 1)[0]
    stem = Path(head).stem
    return stem if stem in NAMES else "gates"


def _not_told_yet(problems: Sequence[str], claude_dir: Path, session_id: str | None) -> list[str]:
    """The problems Claude hasn't been told of this session, remembered as told."""
    if not session_id:
        return list(problems)
    from sfp.errors import SfpError
    from sfp.infra.session_state import read_section, write_section

    section = read_section(claude_dir, session_id, STATE_KEY)
    told = [p for p in section.get("told_config", []) if isinstance(p, str)]
    new = [p for p in problems if p not in told]
    if new:
        try:
            write_section(claude_dir, session_id, STATE_KEY, {**section, "told_config": [*told, *new][-20:]})
        except SfpError:
            pass  # worst case Claude hears it again
    return new


def _session_files(project: Path, transcript_path: str | None) -> list[str]:
    """What this session changed. A transcript that can't be read says nothing: nothing is judged. An event
    that names none (made by hand: the client always names one) gets `sfp gates`'s changed files."""
    from sfp.errors import SfpError
    from sfp.gates.changes import changed_files
    from sfp.gates.session import session_work

    if not transcript_path:
        return changed_files(project)
    try:
        return list(session_work(project, Path(transcript_path)).files)
    except SfpError:
        return []


def answer(run: GateRun, claude_dir: Path, session_id: str | None) -> HookResult:
    """Feedback for Claude when a critical gate failed or a CRITICAL alert fired; for the person, a line only
    when a gate failed or was cut short, and once a session each gate skipped for want of its tool."""
    from sfp.gates.report import block_reason, one_line

    lines = [one_line(run)] if run.failed() or run.cut_short() else []
    lines += _missing_tools_once(run, claude_dir, session_id)
    message = "\n".join(lines) or None
    if run.blocking() or has_critical(own_alerts(run)):
        failing = [r.name for r in run.failed() if not r.cut_by_run_limit]
        return HookResult(context=block_reason(run, rerun=rerun_command(run.project, failing, session_id)),
                          message=message)
    return HookResult(message=message)


def still_running(tasks: object) -> bool:
    """Whether the Stop payload's `background_tasks` lists a task that is still running."""
    if not isinstance(tasks, list):
        return False
    return any(isinstance(t, dict) and t.get("status") in ("running", "pending") for t in tasks)


def own_alerts(run: GateRun) -> list[Alert]:
    """The run's alerts, leaving out gates that sfp's own time budget cut short: Claude can't fix a
    hook budget, so those never send it back (they still count in `sfp gates` and the KPIs)."""
    from sfp.gates.alerts import evaluate

    cut = run.cut_short()
    if not cut:
        return list(run.alerts)
    return evaluate([r.status for r in run.results if r not in cut], run.thresholds)


def rerun_command(project: Path, names: Sequence[str], session_id: str | None) -> str:
    """The command line that runs just these gates again, on this session's files."""
    import shlex

    words = [*_sfp_words(), "gates", *names]
    if session_id:
        words += ["--session", session_id]
    return shlex.join([*words, "--project", str(project)])


def _sfp_words() -> list[str]:
    """`sfp` when that is this sfp on PATH, else the words that run it from any shell."""
    import shutil

    from sfp.infra.runtime import running_zipapp, standalone_self_command

    pyz, on_path = running_zipapp(), shutil.which("sfp")
    if pyz is not None and on_path is not None and Path(on_path).resolve() == pyz.resolve():
        return ["sfp"]
    return list(standalone_self_command())


def _missing_tools_once(run: GateRun, claude_dir: Path, session_id: str | None) -> list[str]:
    """`⏭️ sfp: NAME skipped (TOOL not installed)` for gates this session hasn't heard about yet."""
    from sfp.gates.runner import SKIPPED

    missing = {r.name: r.missing_tool for r in run.results if r.status == SKIPPED and r.missing_tool}
    if not missing:
        return []
    told: list[str] = []
    if session_id:
        from sfp.errors import SfpError
        from sfp.infra.session_state import read_section, write_section

        section = read_section(claude_dir, session_id, STATE_KEY)
        told = [n for n in section.get("told_missing", []) if isinstance(n, str)]
        try:
            write_section(claude_dir, session_id, STATE_KEY,
                          {**section, "told_missing": sorted(set(told) | set(missing))})
        except SfpError:
            pass  # worst case the person hears it again
    return [f"⏭️ sfp: {name} skipped ({tool} not installed)" for name, tool in missing.items() if name not in told]
