"""`sfp config show|init|parse`: the effective config and where it came from; defaults to edit; a YAML check."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import IO, Any

from sfp.commands.options import add_actions, add_json, add_project, project_dir
from sfp.config.layers import NAMES, Config, check_name, default_text, load_config
from sfp.errors import UsageError
from sfp.infra import paths
from sfp.infra.jsondoc import write_json
from sfp.infra.storage import ensure_private_dir, write_atomic

SCHEMA = "sfp.config/1"
INIT_SCHEMA = "sfp.config-init/1"


def show(claude_dir: Path, project: Path | None, name: str | None, *, as_json: bool, out: IO[str]) -> int:
    names = [check_name(name)] if name else list(NAMES)
    configs = [load_config(n, claude_dir, project) for n in names]
    from sfp.infra.redact import redact

    # Configs may hold tokens (a gate's env, an encrypt_command): shown text goes through redaction.
    # JSON is masked inside its strings, before it is printed, so what is printed stays JSON.
    if as_json:
        write_json(out, {"schema": SCHEMA, "configs": [config_json(c) for c in configs]})
    else:
        for config in configs:
            out.write(redact(render_config(config)))
    return 0


def config_json(config: Config) -> dict[str, Any]:
    """One config of `sfp.config/1`; `data` is the YAML's own keys (the convention's one exception)."""
    from sfp.infra.redact import redact

    return {"name": config.name, "layers": [redact(layer) for layer in config.layers], "data": masked(config.data),
            "sources": [{"key": redact(k), "source": redact(v)} for k, v in _sources(config).items()],
            "warnings": [redact(w) for w in config.warnings],
            "untrusted": redact(config.untrusted) if isinstance(config.untrusted, str) else config.untrusted}


def render_config(config: Config) -> str:
    lines = [f"# {config.name}.yaml — layers, lowest first: {', '.join(config.layers)}"]
    lines += [f"# warning: {w}" for w in config.warnings]
    lines += [f"# untrusted: {config.untrusted}"] if config.untrusted else []
    lines += _render_node(config.data, config, (), 0)
    return "\n".join(lines) + "\n\n"


def _render_node(node: Any, config: Config, path: tuple[str | int, ...], indent: int) -> list[str]:
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            child = (*path, key)
            origin = config.origins.get(child, "")
            comment = f"  # {origin}" if origin and (indent == 0 or not isinstance(value, dict)) else ""
            if isinstance(value, (dict, list)) and value:
                lines.append(f"{pad}{key}:{comment}")
                lines += _render_node(value, config, child, indent + 1)
            else:
                lines.append(f"{pad}{key}: {_scalar(value)}{comment}")
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and item:
                first, *rest = _render_node(item, config, path, indent + 1)
                lines.append(f"{pad}- {first.lstrip()}")
                lines += rest
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    # JSON spelling is valid YAML and shows strings unambiguously.
    if isinstance(value, str) and "\n" not in value and value and value.strip() == value and not _looks_special(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def _looks_special(text: str) -> bool:
    return text[0] in "-?:,[]{}#&*!|>'\"%@`" or ": " in text or " #" in text or text.lower() in (
        "true", "false", "yes", "no", "on", "off", "null", "~", "y", "n") or text.replace(".", "", 1).isdigit()


def _sources(config: Config) -> dict[str, str]:
    return {".".join(str(p) for p in path): source for path, source in config.origins.items()}


def init(claude_dir: Path, *, force: bool, out: IO[str], as_json: bool = False) -> int:
    folder = ensure_private_dir(paths.sfp_dir(claude_dir))
    written, kept = [], []
    for name in NAMES:
        target = folder / f"{name}.yaml"
        if target.exists() and not force:
            kept.append(target)
            continue
        write_atomic(target, default_text(name))
        written.append(target)
    if as_json:
        files = [{"name": p.stem, "path": str(p), "written": p in written} for p in sorted(written + kept)]
        write_json(out, {"schema": INIT_SCHEMA, "files": files})
        return 0
    for path in written:
        out.write(f"wrote {path}\n")
    for path in kept:
        out.write(f"kept  {path} (exists; --force overwrites)\n")
    return 0


def parse(file: str, *, out: IO[str]) -> int:
    from sfp.config.miniyaml import loads

    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read: {exc.strerror}") from None
    out.write(json.dumps(masked(loads(text, file)), indent=2, ensure_ascii=False) + "\n")
    return 0


def masked(node: Any) -> Any:
    """`node` with every secret masked inside its strings, as `redact` masks the same text as JSON:
    a secret in a string (`export TOKEN=***`), and the whole value of a key that names one
    (`GITHUB_TOKEN: ***`). Masking the values, not the printed text, keeps the JSON valid."""
    from sfp.infra.redact import MASK, redact

    if isinstance(node, str):
        return redact(node)
    if isinstance(node, (list, tuple)):
        return [masked(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[Any, Any] = {}
    for key, value in node.items():
        shown = masked(value)
        if not isinstance(value, (dict, list, tuple)) and (shown is value or shown == value):
            line = json.dumps({key: value}, ensure_ascii=False)
            shown = MASK if redact(line) != line else value
        result[masked(key)] = shown
    return result


# --- the command line -----------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = add_actions(parser, "config_command")
    show_parser = actions.add_parser("show", help="print the effective config and where each part came from")
    show_parser.add_argument("name", nargs="?", help="one config: sfp, gates, alerts, evidence, fallback, auto_fix")
    add_json(show_parser, f"print as JSON with the source of each key (schema {SCHEMA})")
    add_project(show_parser, "project whose .sfp/ layer applies (default: current folder)")
    init_parser = actions.add_parser("init", help="write the default configs into <claude-dir>/sfp/ for editing")
    init_parser.add_argument("--force", action="store_true", help="overwrite files that already exist")
    add_json(init_parser, f"print what was written and kept as JSON (schema {INIT_SCHEMA})")
    parse_parser = actions.add_parser("parse", help="print a YAML file parsed by sfp, as JSON")
    parse_parser.add_argument("file", help="the YAML file")


def run(args: argparse.Namespace, claude_dir: Path, out: IO[str]) -> int:
    if args.config_command == "show":
        return show(claude_dir, project_dir(args.project), args.name, as_json=args.json, out=out)
    if args.config_command == "init":
        return init(claude_dir, force=args.force, out=out, as_json=args.json)
    return parse(args.file, out=out)
