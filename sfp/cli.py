"""The `sfp` command line: one parser, a dispatch table, one error handler.

`sfp hook` is on Claude Code's hot path, so it skips argparse and the
command table entirely.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

EXIT_CODES_HELP = """\
exit codes:
  0  ok
  1  what was checked is unhealthy or failed (or an operation failed)
  2  usage or input error
  3  internal error: a bug in sfp (SFP_DEBUG=1 shows the traceback)
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if sys.version_info < (3, 11):
        return _too_old(args)
    hook = _hook_invocation(args)
    if hook is not None:
        return _run_hook(*hook)
    _tolerant(sys.stdout)
    _tolerant(sys.stderr)
    return _run_command(args, sys.stdout, sys.stderr)


def _tolerant(stream: IO[str]) -> None:
    """Text that UTF-8 can't carry (a lone surrogate from a YAML escape or a transcript) is printed as
    an escape instead of failing the command halfway through its output."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass


def _too_old(args: list[str]) -> int:
    """On an old Python nothing else of sfp can be trusted to import: say so, in the form the caller reads."""
    import json

    found = f"Python {sys.version.split()[0]} ({sys.executable})"
    fix = "run `python3.11 sfp.pyz install` (or any Python 3.11+) so the hooks use a newer one"
    if "hook" in args:
        # The person sees this; exit 0 so Claude Code goes on.
        sys.stdout.write(json.dumps({"systemMessage": f"⚠️ sfp needs Python 3.11 or newer; this hook ran {found}. {fix}"}) + "\n")
        return 0
    sys.stderr.write(f"sfp: error: sfp needs Python 3.11 or newer; this is {found}. {fix}\n")
    return 1


def _hook_invocation(args: list[str]) -> tuple[str | None, str | None] | None:
    """(claude_dir, event) when `args` is a plain `[--claude-dir DIR] hook [EVENT]`, else None."""
    claude_dir = None
    if args[:1] == ["--claude-dir"] and len(args) >= 2:
        claude_dir, args = args[1], args[2:]
    elif args and args[0].startswith("--claude-dir="):
        claude_dir, args = args[0].split("=", 1)[1], args[1:]
    if not args or args[0] != "hook" or len(args) > 2 or any(a.startswith("-") for a in args[1:]):
        return None
    return claude_dir, (args[1] if len(args) == 2 else None)


def _run_hook(claude_dir: str | None, event: str | None) -> int:
    from sfp.infra.paths import claude_dir as resolve_claude_dir

    try:
        from sfp.hooks.runner import run_hook

        return run_hook(event, resolve_claude_dir(claude_dir), sys.stdin.buffer, sys.stdout, sys.stderr)
    except BaseException as exc:  # noqa: BLE001 - the client must never see a traceback from a hook
        if isinstance(exc, KeyboardInterrupt):
            return 130
        if os.environ.get("SFP_DEBUG"):
            raise
        return 0


def _run_command(args: list[str], out: IO[str], err: IO[str]) -> int:
    from sfp.errors import EXIT_USAGE, SfpError

    try:
        parser = build_parser()
        if not [a for a in args if not a.startswith("--claude-dir")] or args == ["help"]:
            out.write(parser.format_help())  # bare `sfp` is a request for help, as with pip
            return 0
        namespace = parse(parser, args)
        return dispatch(namespace, out)
    except SfpError as exc:
        err.write(f"sfp: error: {exc}\n")
        return exc.exit_code
    except _UsageExit as exc:
        err.write(f"sfp: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("sfp: interrupted\n")
        return 130
    except BrokenPipeError:
        # `sfp logs | head`: the reader left, which is not an error.
        _silence_stdout()
        return 0
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("SFP_DEBUG"):
            raise
        err.write(f"sfp: error: internal error: {type(exc).__name__}: {exc} (SFP_DEBUG=1 shows the traceback)\n")
        return 3


class _UsageExit(Exception):
    pass


def parse(parser: argparse.ArgumentParser, args: list[str]) -> argparse.Namespace:
    """`parser.parse_args`, with the errors people meet most said better: a mistyped command gets
    the nearest ones, and an unknown option points at the command's own help, not sfp's."""
    commands = _command_names(parser)
    word = next((a for a in args if not a.startswith("-") and a not in _option_values(args)), None)
    if word is not None and word not in commands:
        import difflib

        close = difflib.get_close_matches(word, commands, n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else " See `sfp --help`."
        raise _UsageExit(f"{word!r} is not a command.{hint}")
    namespace, extra = parser.parse_known_args(args)
    if extra:
        where = " ".join(filter(None, ("sfp", getattr(namespace, "command", None))))
        raise _UsageExit(f"unrecognized arguments: {' '.join(extra)} (see `{where} --help`)")
    return namespace


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    import argparse

    for action in parser._actions:  # argparse keeps its subcommands here and nowhere public
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def _option_values(args: list[str]) -> set[str]:
    """The values of sfp's own options before the command (`--claude-dir DIR`)."""
    return {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--claude-dir"}


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from sfp import __version__

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise _UsageExit(f"{message} (see `{self.prog} --help`)")

    def formatter(prog: str) -> argparse.HelpFormatter:
        return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)

    parser = Parser(
        prog="sfp",
        description="Skills-Fabrik Patterns for Claude Code: health, context, gates, handoffs and backups.",
        epilog=EXIT_CODES_HELP,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"sfp {__version__}")
    parser.add_argument("--claude-dir", metavar="DIR",
                        help="Claude Code's folder (default: $CLAUDE_CONFIG_DIR, else ~/.claude)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name, help=help, description=help, epilog=EXIT_CODES_HELP, formatter_class=formatter)
        return sub

    status = command("status", "the daily checks at a glance: health, the last gate runs, the newest backup and handoff")
    status.add_argument("--json", action="store_true", help="print as JSON (schema sfp.status/1)")
    status.add_argument("--project", metavar="DIR", help="project whose settings files count (default: current folder)")

    health = command("health", "check Python, sfp itself, context files, memory and disk")
    health.add_argument("--json", action="store_true", help="print the runbook's JSON shape")
    health.add_argument("--project", metavar="DIR", help="project whose config applies (default: current folder)")

    hook = command("hook", "answer one Claude Code hook event read as JSON from stdin")
    hook.add_argument("event", nargs="?", help="event name (default: the payload's hook_event_name)")

    config = command("config", "show, create or check sfp's YAML config files")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", parser_class=Parser)
    config_commands.required = True
    show = config_commands.add_parser("show", help="print the effective config and where each part came from")
    show.add_argument("name", nargs="?", help="one config: sfp, gates, alerts, evidence, fallback, auto_fix")
    show.add_argument("--json", action="store_true", help="print as JSON with the source of each key")
    show.add_argument("--project", metavar="DIR", help="project whose .sfp/ layer applies (default: current folder)")
    init = config_commands.add_parser("init", help="write the default configs into <claude-dir>/sfp/ for editing")
    init.add_argument("--force", action="store_true", help="overwrite files that already exist")
    parse = config_commands.add_parser("parse", help="print a YAML file parsed by sfp, as JSON")
    parse.add_argument("file", help="the YAML file")

    logs = command("logs", "show sfp's log (<claude-dir>/logs/sfp.log)")
    logs.add_argument("-n", "--lines", type=int, default=20, metavar="N", help="how many records (default 20)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new records")
    logs.add_argument("--json", action="store_true", help="print the raw JSON records")

    for name, help in (("install", "add sfp's hooks to a Claude Code settings file"),
                       ("uninstall", "remove exactly sfp's hooks from a Claude Code settings file")):
        sub = command(name, help)
        sub.add_argument("--scope", choices=("user", "project", "local"), default="user",
                         help="user: <claude-dir>/settings.json (default); project: .claude/settings.json; "
                              "local: .claude/settings.local.json")
        sub.add_argument("--settings", metavar="FILE", help="this settings file instead of the scope's")
        sub.add_argument("--project", metavar="DIR", help="the project for --scope project|local (default: current folder)")
        sub.add_argument("--dry-run", action="store_true", help="print the change as a diff, write nothing")

    plugin = command("plugin", "write a Claude Code plugin folder holding sfp (for `claude --plugin-dir`), or a marketplace")
    plugin.add_argument("dir", help="the plugin folder to write (with --marketplace: the marketplace folder)")
    plugin.add_argument("--force", action="store_true", help="write into a non-empty folder")
    plugin.add_argument("--marketplace", metavar="NAME",
                        help="lay DIR out as marketplace NAME holding sfp: `claude plugin marketplace add DIR`, "
                             "then `claude plugin install sfp@NAME`")

    doctor = command("doctor", "diagnose why hooks might not fire, with a fix for each finding")
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    doctor.add_argument("--no-probe", action="store_true", help="don't run each installed hook on a sample payload")
    doctor.add_argument("--project", metavar="DIR", help="project whose settings files to check (default: current folder)")

    gates = command("gates", "run a tier of quality gates on the project's changed files")
    gates.add_argument("names", nargs="*", metavar="NAME", help="run only these gates of the tier")
    gates.add_argument("--session", metavar="ID",
                       help="judge what this Claude Code session changed (its transcript under <claude-dir>/projects/)")
    gates.add_argument("--tier", help="fast or deep (default: settings.hook_tier in gates.yaml, i.e. fast)")
    gates.add_argument("--json", action="store_true", help="print the run as JSON (schema sfp.gates/1, see README)")
    gates.add_argument("--all", action="store_true", help="run every gate of the tier, whatever changed")
    gates.add_argument("--files", nargs="+", metavar="F", help="treat these files as the changed ones")
    gates.add_argument("--project", metavar="DIR", help="the project (default: current folder)")

    handoff = command("handoff", "write a handoff and a backup now (list / show the handoffs kept)")
    handoff.add_argument("action", nargs="?", choices=("list", "show"), help="list the handoffs, or show one")
    handoff.add_argument("id", nargs="?", help="for show: a handoff id, or `latest` (default)")
    handoff.add_argument("--json", action="store_true", help="for list and show: print JSON")
    handoff.add_argument("--transcript", metavar="FILE", help="build from this transcript (default: the project's newest)")
    handoff.add_argument("--project", metavar="DIR", help="the project (default: current folder)")

    kpi = command("kpi", "quality-gate KPIs: pass rate, failures by gate, slowest gates")
    kpi.add_argument("--since", type=float, metavar="DAYS", help="only runs of the last DAYS days")
    kpi.add_argument("--json", action="store_true", help="print JSON")

    tags = command("tags", "list the TAGs drawn from your context files, with the file and line of each")
    tags.add_argument("--json", action="store_true", help="print the tags as JSON")
    tags.add_argument("--project", metavar="DIR", help="project whose CLAUDE.md and config apply (default: current folder)")
    evidence = command("evidence", "check a project is ready: manifests, installed dependencies, required files")
    evidence.add_argument("project", nargs="?", metavar="PROJECT", help="the project's folder (default: current folder)")
    evidence.add_argument("--json", action="store_true", help="print the report as JSON")
    inject = command("inject", "print exactly what the UserPromptSubmit hook would add to a prompt")
    inject.add_argument("--prompt", metavar="TEXT", required=True, help="the prompt (the tags do not depend on it)")
    inject.add_argument("--session", metavar="ID",
                        help="act as the hook in this session: add once and remember it, so the hook then adds "
                             "nothing more in that session (default: no session, add every time)")
    inject.add_argument("--project", metavar="DIR", help="the project (default: current folder)")

    backup = command("backup", "make, list, show, verify or prune backups of the context files")
    backup_actions = backup.add_subparsers(dest="backup_command", metavar="ACTION", parser_class=Parser)
    backup_actions.required = True
    backup_create = backup_actions.add_parser("create", help="back up the context files, CLAUDE.md files and newest handoff now")
    backup_create.add_argument("--reason", default="manual", help="why, recorded in metadata.json (default: manual)")
    backup_create.add_argument("--json", action="store_true", help="print what was stored as JSON")
    backup_list = backup_actions.add_parser("list", help="the backups, newest first: id, time, reason, files, size")
    backup_list.add_argument("--json", action="store_true", help="print as JSON")
    backup_show = backup_actions.add_parser("show", help="one backup: its metadata and every file in it")
    backup_show.add_argument("id", help="a backup id (`sfp backup list`)")
    backup_show.add_argument("--json", action="store_true", help="print its metadata.json")
    backup_verify = backup_actions.add_parser("verify", help="re-hash every stored file; exit 1 on any problem")
    backup_verify.add_argument("id", nargs="?", help="one backup (default: all of them)")
    backup_prune = backup_actions.add_parser("prune", help="remove all but the newest backups")
    backup_prune.add_argument("--keep", type=int, metavar="N", help="how many to keep (default: backup.keep in sfp.yaml, 10)")
    backup_prune.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    for sub in (backup_create, backup_verify, backup_prune):
        sub.add_argument("--project", metavar="DIR", help="the project (default: current folder)")

    restore = command("restore", "put a backup's files back; the files as they are now are backed up first")
    restore.add_argument("id", nargs="?", help="a backup id (`sfp backup list`)")
    restore.add_argument("--latest", action="store_true", help="the newest backup")
    restore.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    restore.add_argument("-y", "--yes", action="store_true", help="don't ask (needed when stdin is not a terminal)")
    restore.add_argument("--project", metavar="DIR", help="project whose sfp.yaml applies (default: current folder)")

    prune = command("prune", "the weekly clean-up: keep the newest backups and handoffs, remove the rest")
    prune.add_argument("--keep-backups", type=int, metavar="N", help="default: backup.keep in sfp.yaml (10)")
    prune.add_argument("--keep-handoffs", type=int, metavar="N", help="default: backup.keep_handoffs in sfp.yaml (20)")
    prune.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")
    prune.add_argument("--project", metavar="DIR", help="project whose sfp.yaml applies (default: current folder)")

    autofix = command("autofix", "format files with the formatter auto_fix.yaml names for their type, as the hook does")
    autofix.add_argument("files", nargs="+", metavar="FILE", help="the files to format")
    autofix.add_argument("--project", metavar="DIR", help="the project the files must be in (default: current folder)")
    autofix.add_argument("--json", action="store_true", help="print one JSON object per file")

    scan_secrets = command("scan-secrets", "find hard-coded secrets (keys, tokens, passwords) in files; exit 1 if any")
    scan_secrets.add_argument("paths", nargs="*", metavar="PATH",
                              help="files and folders to scan (default: --project, else the current folder)")
    scan_secrets.add_argument("--json", action="store_true", help="print the findings and counts as JSON")
    scan_secrets.add_argument("--project", metavar="DIR",
                              help="project whose sfp.yaml (secrets:) applies and whose files are scanned by default")

    trust = command("trust", "let a project's .sfp/ config be used (it is ignored until you trust it)")
    trust.add_argument("project", nargs="?", metavar="PROJECT", help="the project (default: current folder)")
    what = trust.add_mutually_exclusive_group()
    what.add_argument("--show", action="store_true", help="what the project's config would run, and whether it is trusted")
    what.add_argument("--list", action="store_true", help="the projects you trusted, and whether each still is")
    what.add_argument("--revoke", action="store_true", help="stop trusting the project")

    command("demo", "run every hook event against a sample project and show what comes back")
    return parser


def dispatch(ns: argparse.Namespace, out: IO[str]) -> int:
    from pathlib import Path

    from sfp.infra.paths import claude_dir as resolve_claude_dir

    root = resolve_claude_dir(ns.claude_dir)
    name: str = ns.command
    if name == "status":
        from sfp.commands.status import status

        return status(root, _project(ns.project), as_json=ns.json, out=out)
    if name == "health":
        from sfp.commands.health import health

        return health(root, _project(ns.project), as_json=ns.json, out=out)
    if name == "hook":
        from sfp.hooks.runner import run_hook

        return run_hook(ns.event, root, sys.stdin.buffer, out, sys.stderr)
    if name == "config":
        from sfp.commands import config as config_command

        action: Callable[[], int] = {
            "show": lambda: config_command.show(root, _project(ns.project), ns.name, as_json=ns.json, out=out),
            "init": lambda: config_command.init(root, force=ns.force, out=out),
            "parse": lambda: config_command.parse(ns.file, out=out),
        }[ns.config_command]
        return action()
    if name == "logs":
        from sfp.commands.logs import logs

        return logs(root, lines=ns.lines, follow=ns.follow, as_json=ns.json, out=out)
    if name in ("install", "uninstall"):
        from sfp.commands import install as install_command

        function = install_command.install if name == "install" else install_command.uninstall
        return function(root, _project(ns.project), scope=ns.scope, settings_file=ns.settings, dry_run=ns.dry_run, out=out)
    if name == "plugin":
        from sfp.commands.plugin import plugin

        return plugin(root, Path.cwd(), ns.dir, force=ns.force, out=out, marketplace=ns.marketplace)
    if name == "doctor":
        from sfp.commands.doctor import doctor

        return doctor(root, _project(ns.project), as_json=ns.json, probe=not ns.no_probe, out=out)
    if name == "gates":
        from sfp.commands.gates import gates

        return gates(root, _project(ns.project), tier=ns.tier, as_json_output=ns.json, all_files=ns.all,
                     files=ns.files, out=out, names=ns.names, session=ns.session)
    if name == "handoff":
        from sfp.commands import handoff as handoff_command

        if ns.action == "list":
            return handoff_command.handoff_list(root, as_json=ns.json, out=out)
        if ns.action == "show":
            return handoff_command.handoff_show(root, ns.id, as_json=ns.json, out=out)
        return handoff_command.handoff_create(root, _project(ns.project), transcript=ns.transcript, out=out)
    if name == "kpi":
        from sfp.commands.kpi import kpi

        return kpi(root, since_days=ns.since, as_json=ns.json, out=out)
    if name == "tags":
        from sfp.commands.tags import tags

        return tags(root, _project(ns.project), as_json=ns.json, out=out)
    if name == "evidence":
        from sfp.commands.evidence import evidence

        return evidence(root, _project(ns.project), as_json=ns.json, out=out)
    if name == "inject":
        from sfp.commands.inject import inject

        return inject(root, _project(ns.project), prompt=ns.prompt, session=ns.session, out=out)
    if name == "backup":
        from sfp.commands import backup as backup_command

        project = _project(getattr(ns, "project", None))
        backup_action: Callable[[], int] = {
            "create": lambda: backup_command.backup_create(root, project, reason=ns.reason, as_json=ns.json, out=out),
            "list": lambda: backup_command.backup_list(root, as_json=ns.json, out=out),
            "show": lambda: backup_command.backup_show(root, ns.id, as_json=ns.json, out=out),
            "verify": lambda: backup_command.backup_verify(root, project, ns.id, out=out),
            "prune": lambda: backup_command.backup_prune(root, project, keep=ns.keep, dry_run=ns.dry_run, out=out),
        }[ns.backup_command]
        return backup_action()
    if name == "restore":
        from sfp.commands.restore import restore

        return restore(root, _project(ns.project), ns.id, latest=ns.latest, dry_run=ns.dry_run, yes=ns.yes,
                       out=out, stdin=sys.stdin)
    if name == "prune":
        from sfp.commands.prune import prune

        return prune(root, _project(ns.project), keep_backups=ns.keep_backups, keep_handoffs=ns.keep_handoffs,
                     dry_run=ns.dry_run, out=out)
    if name == "autofix":
        from sfp.commands.autofix import autofix

        return autofix(root, _project(ns.project), ns.files, as_json=ns.json, out=out)
    if name == "scan-secrets":
        from sfp.commands.scan_secrets import scan_secrets as scan_secrets_command

        return scan_secrets_command(root, Path(ns.project) if ns.project else None, ns.paths, as_json=ns.json, out=out)
    if name == "trust":
        from sfp.commands.trust import trust_command

        return trust_command(root, _project(ns.project), show=ns.show, list_all=ns.list, remove=ns.revoke, out=out)
    if name == "demo":
        from sfp.commands.demo import demo

        return demo(out=out)
    raise AssertionError(f"command {name} has no dispatch entry")


def _project(option: str | None) -> Path:
    from pathlib import Path

    return Path(option) if option else Path.cwd()


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
