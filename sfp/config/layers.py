"""Layered config: built-in defaults < `<claude-dir>/sfp/<name>.yaml` < `<project>/.sfp/<name>.yaml`.

Layers merge mapping by mapping; a list or a scalar in a higher layer
replaces the lower one, and a config may name key groups that a higher
layer replaces whole (gates: `tiers` and `gates`). Only the file a feature
asks for is read.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Final

from sfp.errors import ConfigError
from sfp.infra import paths
from sfp.infra.record import Record

NAMES: Final = ("sfp", "gates", "alerts", "evidence", "fallback", "auto_fix")
DEFAULTS_PACKAGE_DIR: Final = "_defaults"
MAX_LAYER_BYTES: Final = 1024 * 1024  # a config file is a few KB; more is a mistake or an attack
_PROBLEMS: ContextVar[list[str] | None] = ContextVar("sfp_config_problems", default=None)

Path_ = tuple[str | int, ...]


class Layer(Record):
    source: str  # a file path, or "built-in:<name>.yaml"
    value: dict[str, Any]
    positions: Mapping[Path_, tuple[int, int]]
    warnings: tuple[str, ...] = ()


class Config(Record):
    name: str
    data: dict[str, Any]
    origins: Mapping[Path_, str]  # each mapping key of `data` -> "source:line"
    layers: tuple[str, ...]  # the sources that were read, lowest first
    warnings: tuple[str, ...]
    untrusted: str | None = None  # the project's layer, left out because the project isn't trusted (and why)

    def get(self, *keys: str, default: Any = None) -> Any:
        node: Any = self.data
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node


def check_name(name: str) -> str:
    if name not in NAMES:
        raise ConfigError(f"unknown config `{name}`; the configs are: {', '.join(NAMES)}")
    return name


def layer_files(name: str, claude_dir: Path, project_dir: Path | None) -> list[Path]:
    """The user and project files for `name`, lowest layer first (whether or not they exist)."""
    files = [paths.sfp_dir(claude_dir) / f"{name}.yaml"]
    if project_dir is not None:
        files.append(paths.project_config_dir(project_dir) / f"{name}.yaml")
    return files


def default_text(name: str) -> str:
    """The built-in `<name>.yaml`: from inside the zipapp, or from `config/` in a source checkout."""
    from sfp.infra.resources import read_package_file

    data = read_package_file(f"{DEFAULTS_PACKAGE_DIR}/{name}.yaml")
    if data is not None:
        return data.decode("utf-8")
    # A source checkout keeps the defaults at the top level, next to the package.
    checkout = Path(__file__).resolve().parents[2] / "config" / f"{name}.yaml"
    try:
        return checkout.read_text(encoding="utf-8")
    except OSError:
        raise ConfigError(f"built-in {name}.yaml is missing: this copy of sfp is damaged; reinstall sfp.pyz") from None


def default_layer(name: str) -> Layer:
    """The built-in layer. A build ships it pre-parsed as JSON (checked against the YAML at build
    time), so a hook needs neither the YAML parser nor the schema check for it."""
    import json

    from sfp.infra.resources import read_package_file

    source = f"built-in:{name}.yaml"
    compiled = read_package_file(f"{DEFAULTS_PACKAGE_DIR}/{name}.json")
    if compiled is not None:
        try:
            document = json.loads(compiled)
            positions = {tuple(entry[:-2]): (entry[-2], entry[-1]) for entry in document["positions"]}
            return Layer(source, document["value"], positions)
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"built-in {name}.json is damaged; reinstall sfp.pyz") from None
    return parse_layer(default_text(name), source, name)


def compile_default(name: str, text: str) -> str:
    """The JSON a build ships for the built-in `<name>.yaml` (see default_layer)."""
    import json

    layer = parse_layer(text, f"built-in:{name}.yaml", name)
    if layer.warnings:
        raise ConfigError("; ".join(layer.warnings))
    positions = [[*path, line, col] for path, (line, col) in layer.positions.items()]
    return json.dumps({"value": layer.value, "positions": positions}, ensure_ascii=False, separators=(",", ":"))


def parse_layer(text: str, source: str, name: str) -> Layer:
    from sfp.config.miniyaml import loads_located
    from sfp.config.schema import validate
    from sfp.config.specs import SPECS

    value, positions = loads_located(text, source)
    if value is None:
        value = {}
    warnings = validate(value, SPECS[name], source, positions)
    return Layer(source, value, positions, tuple(warnings))


def read_layer(path: Path, name: str) -> Layer | None:
    """The layer in `path`, or None when there is no such file.

    Only a regular file is read, and at most MAX_LAYER_BYTES of it: a FIFO would hang
    a hook, and a link to /dev/zero would read until memory runs out.
    """
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):  # no such file, or no such folder for it
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", str(path)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError("is a folder, expected a YAML file", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError("is not a regular file, expected a YAML file", str(path))
        data = _read_capped(fd, MAX_LAYER_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", str(path)) from None
    finally:
        os.close(fd)
    if len(data) > MAX_LAYER_BYTES:
        raise ConfigError(f"over {MAX_LAYER_BYTES // 1024} KB, too big for a config file", str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", str(path)) from None
    return parse_layer(text, str(path), name)


def _read_capped(fd: int, limit: int) -> bytes:

    chunks: list[bytes] = []
    size = 0
    while size < limit and (chunk := os.read(fd, limit - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def load_config(name: str, claude_dir: Path, project_dir: Path | None = None) -> Config:
    """The config `name` for this project: built-in < user < project (only when the project is trusted)."""
    check_name(name)
    layers = [default_layer(name)]
    user = _usable_layer(paths.sfp_dir(claude_dir) / f"{name}.yaml", name)
    if user is not None:
        layers.append(user)
    untrusted = None
    if project_dir is not None:
        project_file = paths.project_config_dir(project_dir) / f"{name}.yaml"
        layer, untrusted = _project_layer(project_file, name, claude_dir, project_dir, user if name == "sfp" else None)
        if layer is not None:
            layers.append(layer)
    return merge_layers(name, layers)._replace(untrusted=untrusted)


def _trusted_folders(claude_dir: Path, user_sfp: Layer | None) -> tuple[str, ...]:
    """`trust.paths` of the user's own sfp.yaml: projects under them need no `sfp trust`."""
    layer = user_sfp if user_sfp is not None else _usable_layer(paths.sfp_dir(claude_dir) / "sfp.yaml", "sfp")
    folders = ((layer.value.get("trust") or {}).get("paths") or []) if layer is not None else []
    return tuple(str(folder) for folder in folders)


def _project_layer(path: Path, name: str, claude_dir: Path, project: Path,
                   user_sfp: Layer | None) -> tuple[Layer | None, str | None]:
    """The project's layer when the project is trusted, with what only the user may set taken out;
    else None and why it was left out. A project without the file costs one failed stat."""
    if not os.path.lexists(path):
        return None, None
    from sfp.config.trust import trust_state, user_only_problems

    state = trust_state(claude_dir, project, _trusted_folders(claude_dir, user_sfp))
    if not state.trusted:
        return None, f"{path}: left out, the project's .sfp/ is {state.reason} (`sfp trust` to use it)"
    layer = _usable_layer(path, name)
    if layer is None:
        return None, None
    problems = user_only_problems(name, layer.value, layer.source, layer.positions, project)
    return layer._replace(warnings=(*layer.warnings, *problems)), None


def _usable_layer(path: Path, name: str) -> Layer | None:
    try:
        return read_layer(path, name)
    except ConfigError as exc:
        problems = _PROBLEMS.get()
        if problems is None:
            raise
        if str(exc) not in problems:
            problems.append(str(exc))
        return None


@contextlib.contextmanager
def lenient_layers() -> Iterator[list[str]]:
    """Within the block a broken layer is left out instead of raising; yields what was left out and why."""
    problems: list[str] = []
    token = _PROBLEMS.set(problems)
    try:
        yield problems
    finally:
        _PROBLEMS.reset(token)


# Keys that a higher layer replaces as a group: a project's gates are exactly what its file lists.
REPLACE_GROUPS: Final[dict[str, tuple[frozenset[str], ...]]] = {
    "gates": (frozenset({"tiers", "gates"}),),
}


def merge_layers(name: str, layers: list[Layer]) -> Config:
    groups = REPLACE_GROUPS.get(name, ())
    data: dict[str, Any] = {}
    origins: dict[Path_, str] = {}
    for layer in layers:
        for group in groups:
            if group & layer.value.keys():
                for key in group:
                    data.pop(key, None)
                _drop_origins(origins, group)
        _merge_into(data, layer.value, layer, origins, ())
    warnings = tuple(w for layer in layers for w in layer.warnings)
    return Config(name, data, origins, tuple(layer.source for layer in layers), warnings)


def _merge_into(target: dict[str, Any], upper: dict[str, Any], layer: Layer, origins: dict[Path_, str], path: Path_) -> None:
    for key, value in upper.items():
        child = (*path, key)
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value, layer, origins, child)
        else:
            # No copy: layers are parsed for this one load and dropped after it, so the result may own them.
            target[key] = value
            _drop_origins(origins, {key}, path)
            _record_origins(value, layer, origins, child)
        origins[child] = _source_line(layer, child)


def _record_origins(value: Any, layer: Layer, origins: dict[Path_, str], path: Path_) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            child = (*path, key)
            origins[child] = _source_line(layer, child)
            _record_origins(item, layer, origins, child)


def _drop_origins(origins: dict[Path_, str], keys: set[str] | frozenset[str], prefix: Path_ = ()) -> None:
    depth = len(prefix)
    for path in [p for p in origins if len(p) > depth and p[:depth] == prefix and p[depth] in keys]:
        del origins[path]


def _source_line(layer: Layer, path: Path_) -> str:
    line = layer.positions.get(path, (0, 0))[0]
    return f"{layer.source}:{line}" if line else layer.source
