"""Trust for a project's own config (direnv's model): `<project>/.sfp/` is ignored until the person trusts it.

A cloned repository's `.sfp/gates.yaml` would otherwise run its commands at Stop, its auto_fix.yaml
at every edit. `sfp trust` records the project's real path and the sha256 of every file under its
`.sfp/` in `<claude-dir>/sfp/trust.json` (0600); a changed, added or removed file makes the project
untrusted again. The user's own sfp.yaml may pre-trust folders (`trust: {paths: [~/work]}`): a
project under one of them is trusted whatever its `.sfp/` holds.

Some keys stay the user's even in a trusted project (see USER_ONLY): a project layer that sets one
has it left out, reported with its file and line.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from sfp.infra import paths
from sfp.infra.record import Record

TRUST_FILE: Final = "trust.json"
MAX_FILES: Final = 200  # a .sfp/ folder holds a handful of YAML files; more is not a config
MAX_FILE_BYTES: Final = 1024 * 1024


class TrustState(Record):
    trusted: bool
    reason: str  # why (not): "no .sfp/ folder", "trusted with sfp trust", "changed since trusted", ...
    has_config: bool  # the project has a .sfp/ folder


class TrustedProject(Record):
    path: str
    files: Mapping[str, str]  # relative path -> sha256
    trusted_at: str


def project_key(project: Path) -> str:
    return os.path.realpath(project)


def fingerprint(project: Path) -> dict[str, str] | None:
    """sha256 of every file under `<project>/.sfp/` (a link by its target), or None without that folder."""
    root = paths.project_config_dir(project)
    try:
        if not stat.S_ISDIR(os.lstat(root).st_mode):
            return None
    except OSError:
        return None
    found: dict[str, str] = {}
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            full = os.path.join(top, name)
            found[os.path.relpath(full, root)] = _digest(full)
            if len(found) > MAX_FILES:
                return {**found, "…": "too many files"}
    return found


def _digest(path: str) -> str:
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            return "link:" + os.readlink(path)
        if not stat.S_ISREG(info.st_mode):
            return f"not a file (mode {info.st_mode:o})"
        if info.st_size > MAX_FILE_BYTES:
            return f"too big ({info.st_size} bytes)"
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            return hashlib.sha256(os.read(fd, MAX_FILE_BYTES + 1)).hexdigest()
        finally:
            os.close(fd)
    except OSError as exc:
        return f"unreadable ({exc.strerror})"


def trust_state(claude_dir: Path, project: Path, pre_trusted: Sequence[str] = ()) -> TrustState:
    """Whether `project`'s `.sfp/` layer may be used now. `pre_trusted`: the user's own `trust.paths`.

    Hashed afresh at every call (a few small files): a layer is only used as it was trusted.
    """
    current = fingerprint(project)
    if current is None:
        return TrustState(False, "no .sfp/ folder", False)
    real = project_key(project)
    if _under_any(real, pre_trusted):
        return TrustState(True, "under a folder trusted in your sfp.yaml (trust.paths)", True)
    record = _read_store(claude_dir).get(real)
    if record is None:
        return TrustState(False, "not trusted yet", True)
    if dict(record.files) != current:
        return TrustState(False, f"{_what_changed(record.files, current)} since it was trusted", True)
    return TrustState(True, f"trusted with `sfp trust` on {record.trusted_at}", True)


def _what_changed(before: Mapping[str, str], now: Mapping[str, str]) -> str:
    added = sorted(now.keys() - before.keys())
    removed = sorted(before.keys() - now.keys())
    changed = sorted(k for k in now.keys() & before.keys() if now[k] != before[k])
    parts = [f"{', '.join(names)} {verb}" for names, verb in ((changed, "changed"), (added, "added"), (removed, "removed"))
             if names]
    return "; ".join(parts)


def _under_any(real_project: str, folders: Sequence[str]) -> bool:
    for folder in folders:
        base = os.path.realpath(os.path.expanduser(folder))
        if real_project == base or real_project.startswith(os.path.join(base, "")):
            return True
    return False


def trust(claude_dir: Path, project: Path, *, now: float | None = None) -> TrustedProject:
    """Record `project`'s `.sfp/` as it is now. Raises UsageError when there is nothing to trust."""
    from sfp.errors import UsageError

    current = fingerprint(project)
    if current is None:
        raise UsageError(f"{project} has no .sfp/ folder: there is nothing to trust")
    record = TrustedProject(project_key(project), current,
                            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)))
    store = _read_store(claude_dir)
    store[record.path] = record
    _write_store(claude_dir, store)
    return record


def revoke(claude_dir: Path, project: Path) -> bool:
    """Forget `project`; whether it was trusted."""
    store = _read_store(claude_dir)
    found = store.pop(project_key(project), None) is not None
    if found:
        _write_store(claude_dir, store)
    return found


def trusted_projects(claude_dir: Path) -> list[TrustedProject]:
    return sorted(_read_store(claude_dir).values(), key=lambda r: r.path)


def store_path(claude_dir: Path) -> Path:
    return paths.sfp_dir(claude_dir) / TRUST_FILE


def _read_store(claude_dir: Path) -> dict[str, TrustedProject]:
    try:
        raw = json.loads(store_path(claude_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    projects = raw.get("projects") if isinstance(raw, dict) else None
    if not isinstance(projects, dict):
        return {}
    found = {}
    for path, entry in projects.items():
        if isinstance(entry, dict) and isinstance(entry.get("files"), dict):
            files = {str(k): str(v) for k, v in entry["files"].items()}
            found[str(path)] = TrustedProject(str(path), files, str(entry.get("trusted_at", "")))
    return found


def _write_store(claude_dir: Path, store: Mapping[str, TrustedProject]) -> None:
    from sfp.infra.storage import ensure_private_dir, write_atomic

    ensure_private_dir(paths.sfp_dir(claude_dir))
    payload = {"projects": {path: {"files": dict(r.files), "trusted_at": r.trusted_at} for path, r in store.items()}}
    write_atomic(store_path(claude_dir), json.dumps(payload, indent=2, sort_keys=True) + "\n")


# --- keys a project layer may never set --------------------------------------------------------------

# (config, key path): what a project's layer can't set even when trusted, and why.
USER_ONLY: Final[tuple[tuple[str, tuple[str, ...], str], ...]] = (
    ("sfp", ("backup", "encrypt_command"), "it runs with your context files on its stdin"),
    ("sfp", ("backup", "decrypt_command"), "it runs on your backups"),
    ("sfp", ("trust",), "only your own sfp.yaml can trust folders"),
    ("sfp", ("secrets", "guard"), "it keeps secrets out of the files Claude writes"),
)


def user_only_problems(name: str, value: dict[str, Any], source: str,
                       positions: Mapping[tuple[str | int, ...], tuple[int, int]], project: Path) -> list[str]:
    """Take out of a project layer what only the user may set; one located line for each."""
    problems: list[str] = []
    for config, keys, why in USER_ONLY:
        if config == name and _pop(value, keys):
            problems.append(_located(source, positions, keys, f"`{'.'.join(keys)}` is yours to set, not the "
                                                              f"project's ({why}); left out"))
    if name == "sfp":
        for section, key in (("tags", "files"), ("backup", "extra_paths")):
            problems += _outside_paths(value, section, key, source, positions, project)
    if name == "fallback":
        problems += _weakened_precompact(value, source, positions)
    return problems


def _pop(value: dict[str, Any], keys: tuple[str, ...]) -> bool:
    node: Any = value
    for key in keys[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
    if isinstance(node, dict) and keys[-1] in node:
        del node[keys[-1]]
        return True
    return False


def _outside_paths(value: dict[str, Any], section: str, key: str, source: str,
                   positions: Mapping[tuple[str | int, ...], tuple[int, int]], project: Path) -> list[str]:
    node = value.get(section)
    entries = node.get(key) if isinstance(node, dict) else None
    if not isinstance(entries, list):
        return []
    root = os.path.realpath(project)
    kept, problems = [], []
    for index, entry in enumerate(entries):
        target = os.path.realpath(os.path.join(root, os.path.expanduser(str(entry))))
        if target == root or target.startswith(os.path.join(root, "")):
            kept.append(entry)
        else:
            problems.append(_located(source, positions, (section, key, index),
                                     f"`{section}.{key}` entry {entry!r} is outside the project; left out"))
    node[key] = kept  # type: ignore[index]
    return problems


def _weakened_precompact(value: dict[str, Any], source: str,
                         positions: Mapping[tuple[str | int, ...], tuple[int, int]]) -> list[str]:
    """A project may not let a compaction go ahead when its backup failed."""
    policy = (value.get("policies") or {}).get("PreCompact") if isinstance(value.get("policies"), dict) else None
    if not isinstance(policy, dict):
        return []
    problems = []
    for key in ("on_failure", "timeout_action", "budget_ms", "timeout", "max_retries", "retry_delay_ms"):
        if key in policy:
            del policy[key]
            problems.append(_located(source, positions, ("policies", "PreCompact", key),
                                     f"`policies.PreCompact.{key}` decides whether a failed backup blocks the "
                                     "compaction: yours to set, not the project's; left out"))
    return problems


def _located(source: str, positions: Mapping[tuple[str | int, ...], tuple[int, int]],
             keys: tuple[str | int, ...], message: str) -> str:
    line, col = positions.get(keys, positions.get(keys[:1], (0, 0)))
    return f"{source}:{line}:{col}: {message}" if line else f"{source}: {message}"


# --- what a project's config would do -----------------------------------------------------------------


def would_run(project: Path) -> list[str]:
    """What `<project>/.sfp/` would make sfp run or read, one line each, without running anything."""
    from sfp.config.miniyaml import loads
    from sfp.errors import ConfigError

    root = paths.project_config_dir(project)
    lines: list[str] = []
    for name, describe in (("gates", _gate_lines), ("auto_fix", _formatter_lines), ("sfp", _sfp_lines),
                           ("fallback", _fallback_lines)):
        file = root / f"{name}.yaml"
        if not os.path.lexists(file):
            continue
        try:
            value = loads(_read_small(file), str(file))
        except (ConfigError, OSError, UnicodeDecodeError) as exc:
            lines.append(f"{name}.yaml: can't be read ({exc})")
            continue
        lines += [f"{name}.yaml: {line}" for line in describe(value if isinstance(value, dict) else {})]
    return lines


def _read_small(file: Path) -> str:
    fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        return os.read(fd, MAX_FILE_BYTES).decode("utf-8")
    finally:
        os.close(fd)


def _gate_lines(value: dict[str, Any]) -> list[str]:
    gates = []
    tiers = value.get("tiers")
    for tier, entry in (tiers.items() if isinstance(tiers, dict) else []):
        for gate in (entry.get("gates") or []) if isinstance(entry, dict) else []:
            gates.append((str(tier), gate))
    gates += [("deep", gate) for gate in value.get("gates") or [] if isinstance(value.get("gates"), list)]
    return [f"gate {gate.get('name')!s} ({tier}) runs `{gate.get('command')}`"
            for tier, gate in gates if isinstance(gate, dict)]


def _formatter_lines(value: dict[str, Any]) -> list[str]:
    formatters = value.get("formatters")
    return [f"formatter {name} runs `{raw.get('command')}` on {', '.join(map(str, raw.get('extensions') or []))} files"
            for name, raw in (formatters.items() if isinstance(formatters, dict) else []) if isinstance(raw, dict)]


def _sfp_lines(value: dict[str, Any]) -> list[str]:
    lines = []
    raw_backup = value.get("backup")
    backup: dict[str, Any] = raw_backup if isinstance(raw_backup, dict) else {}
    for key in ("encrypt_command", "decrypt_command"):
        if backup.get(key):
            lines.append(f"backup.{key} `{backup[key]}` (never used from a project: yours to set)")
    for section, key in (("tags", "files"), ("backup", "extra_paths")):
        node = value.get(section)
        entries = node.get(key) if isinstance(node, dict) else None
        if isinstance(entries, list) and entries:
            lines.append(f"{section}.{key} reads {', '.join(map(str, entries))}")
    return lines


def _fallback_lines(value: dict[str, Any]) -> list[str]:
    policies = value.get("policies")
    return [f"policy for {event}: {', '.join(f'{k}={v}' for k, v in policy.items() if k != 'description')}"
            for event, policy in (policies.items() if isinstance(policies, dict) else []) if isinstance(policy, dict)]


def untrusted_notice(claude_dir: Path, project: Path) -> str | None:
    """One line for the person when the project's `.sfp/` is being ignored, or None."""
    state = trust_state(claude_dir, project)
    if not state.has_config or state.trusted:
        return None
    runs = would_run(project)
    what = f"; it would run: {'; '.join(runs[:3])}" + (f" (+{len(runs) - 3} more)" if len(runs) > 3 else "") if runs else ""
    return (f"⚠️ sfp: this project's .sfp/ config is ignored ({state.reason}){what}. "
            f"`sfp trust --show` says what it does, `sfp trust` uses it")
