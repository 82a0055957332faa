"""The `sfp` command line: one parser, the table of commands, one error handler.

`sfp hook` is on Claude Code's hot path, so it skips argparse and the
command table entirely.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Final, NoReturn

if TYPE_CHECKING:
    import argparse
    from types import ModuleType

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
        if not [a for a in args if not a.startswith("--claude-dir")] or args == ["help"]:
            out.write(build_parser(only="").format_help())  # bare `sfp` is a request for help, as with pip
            return 0
        namespace = parse(args)
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


def parse(args: list[str]) -> argparse.Namespace:
    """`parse_args`, with the errors people meet most said better: a mistyped command gets
    the nearest ones, and an unknown option points at the command's own help, not sfp's."""
    commands = [c.name for c in COMMANDS]
    word = next((a for a in args if not a.startswith("-") and a not in _option_values(args)), None)
    if word is not None and word not in commands:
        import difflib

        close = difflib.get_close_matches(word, commands, n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else " See `sfp --help`."
        raise _UsageExit(f"{word!r} is not a command.{hint}")
    # Without a command word (`sfp --version`, `sfp --help`) no command's options are needed.
    namespace, extra = build_parser(only=word or "").parse_known_args(args)
    if extra:
        where = " ".join(filter(None, ("sfp", getattr(namespace, "command", None))))
        raise _UsageExit(f"unrecognized arguments: {' '.join(extra)} (see `{where} --help`)")
    return namespace


def _option_values(args: list[str]) -> set[str]:
    """The values of sfp's own options before the command (`--claude-dir DIR`)."""
    return {args[i + 1] for i, a in enumerate(args[:-1]) if a == "--claude-dir"}


class Command:
    """A command of the table. (A plain class: every hook imports this module, and a NamedTuple
    costs a hook a tenth of a millisecond to define.)"""

    __slots__ = ("name", "help", "module")

    def __init__(self, name: str, help: str, module: str) -> None:
        self.name = name
        self.help = help
        self.module = module  # declares the command's options (`add_arguments`) and runs it (`run`)


COMMANDS: Final = (
    Command("status", "the daily checks at a glance: health, the last gate runs, the newest backup and handoff",
            "status"),
    Command("health", "check Python, sfp itself, context files, memory and disk", "health"),
    Command("hook", "answer one Claude Code hook event read as JSON from stdin", "hook"),
    Command("config", "show, create or check sfp's YAML config files", "config"),
    Command("logs", "show sfp's log (<claude-dir>/logs/sfp.log)", "logs"),
    Command("install", "add sfp's hooks to a Claude Code settings file", "install"),
    Command("uninstall", "remove exactly sfp's hooks from a Claude Code settings file", "uninstall"),
    Command("plugin", "write a Claude Code plugin folder holding sfp (for `claude --plugin-dir`), or a marketplace",
            "plugin"),
    Command("doctor", "diagnose why hooks might not fire, with a fix for each finding", "doctor"),
    Command("gates", "run a tier of quality gates on the project's changed files", "gates"),
    Command("handoff", "write a handoff and a backup now (list / show the handoffs kept)", "handoff"),
    Command("kpi", "quality-gate KPIs: pass rate, failures by gate, slowest gates", "kpi"),
    Command("report", "write an HTML page of charts: gate pass rate, durations, failures, hook latencies, backups, handoffs", "report"),
    Command("tags", "list the TAGs drawn from your context files, with the file and line of each", "tags"),
    Command("evidence", "check a project is ready: manifests, installed dependencies, required files", "evidence"),
    Command("inject", "print exactly what the UserPromptSubmit hook would add to a prompt", "inject"),
    Command("backup", "make, list, show, verify or prune backups of the context files", "backup"),
    Command("restore", "put a backup's files back; the files as they are now are backed up first", "restore"),
    Command("prune", "the weekly clean-up: old backups, handoffs, settings backups, kept builds, unused shiv extractions", "prune"),
    Command("autofix", "format files with the formatter auto_fix.yaml names for their type, as the hook does",
            "autofix"),
    Command("scan-secrets", "find hard-coded secrets (keys, tokens, passwords) in files; exit 1 if any",
            "scan_secrets"),
    Command("trust", "let a project's .sfp/ config be used (it is ignored until you trust it)", "trust"),
    Command("demo", "run every hook event against a sample project and show what comes back", "demo"),
    Command("completion", "print a bash or zsh completion script for sfp, generated from this parser", "completion"),
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with `only`, the options of that one command alone (none for ""), so a command
    imports its own module and no other."""
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
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help,
                                    epilog=EXIT_CODES_HELP, formatter_class=formatter)
        if only is None or only == command.name:
            command_module(command).add_arguments(sub)
    return parser


def command_module(command: Command) -> ModuleType:
    import importlib

    return importlib.import_module(f"sfp.commands.{command.module}")


def dispatch(args: argparse.Namespace, out: IO[str]) -> int:
    from sfp.infra.paths import claude_dir as resolve_claude_dir

    command = next(c for c in COMMANDS if c.name == args.command)
    result: int = command_module(command).run(args, resolve_claude_dir(args.claude_dir), out)
    return result


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
