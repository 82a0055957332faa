"""A tiny schema language for sfp's config files, and the check that uses it.

Unknown keys become warnings (a typo must not silently do nothing, but it
must not break a hook either); a value of the wrong type, or a number out of
its bounds (infinite and NaN are always out), is a ConfigError pointing at its
file, line and column. What passes here is what features get: they never
check a value again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Union

from sfp.errors import ConfigError
from sfp.infra.record import Record

Path_ = tuple[Union[str, int], ...]
Positions = Mapping[Path_, tuple[int, int]]


class Scalar(Record):
    types: tuple[type, ...]
    choices: tuple[object, ...] = ()
    nullable: bool = False
    low: float | None = None  # a number must be at least this
    high: float | None = None  # and at most this
    above: float | None = None  # and more than this

    def within(self, low: float | None = None, high: float | None = None, *, above: float | None = None) -> Scalar:
        return self._replace(low=low, high=high, above=above)


class Seq(Record):
    item: Spec


class Map(Record):
    fields: Mapping[str, Spec] = MappingProxyType({})
    values: Spec | None = None  # spec of every value when keys are free (tier names, formatter names)
    required: tuple[str, ...] = ()


class Anything(Record):
    pass


Spec = Union[Scalar, Seq, Map, Anything]

STR = Scalar((str,))
BOOL = Scalar((bool,))
INT = Scalar((int,))
NUMBER = Scalar((int, float))
ANY = Anything()


def choice(*options: str) -> Scalar:
    return Scalar((str,), choices=options)


def validate(value: Any, spec: Spec, filename: str, positions: Positions, path: Path_ = ()) -> list[str]:
    """Check `value` against `spec`; return warnings, raise ConfigError on a wrong type."""
    if isinstance(spec, Anything):
        return []
    if isinstance(spec, Scalar):
        _check_scalar(value, spec, filename, positions, path)
        return []
    if isinstance(spec, Seq):
        if not isinstance(value, list):
            raise _type_error("a list", value, filename, positions, path)
        warnings: list[str] = []
        for index, item in enumerate(value):
            warnings += validate(item, spec.item, filename, positions, (*path, index))
        return warnings
    return _validate_map(value, spec, filename, positions, path)


def _validate_map(value: Any, spec: Map, filename: str, positions: Positions, path: Path_) -> list[str]:
    if value is None and not path:
        return []  # an empty file is an empty config
    if not isinstance(value, dict):
        raise _type_error("a mapping", value, filename, positions, path)
    warnings: list[str] = []
    for key in spec.required:
        if key not in value:
            line, col = _where(positions, path)
            raise ConfigError(f"{_describe(path)} needs a `{key}` key", filename, line, col)
    for key, item in value.items():
        child = (*path, key)
        sub = spec.fields.get(key) if isinstance(key, str) else None
        if sub is None:
            sub = spec.values
        if sub is None:
            line, col = _where(positions, child)
            known = ", ".join(sorted(spec.fields)) or "none"
            warnings.append(f"{filename}:{line}:{col}: unknown key `{key}` in {_describe(path)} (known: {known}); ignored")
            continue
        warnings += validate(item, sub, filename, positions, child)
    return warnings


def _check_scalar(value: Any, spec: Scalar, filename: str, positions: Positions, path: Path_) -> None:
    if value is None and spec.nullable:
        return
    ok = isinstance(value, spec.types) and not (isinstance(value, bool) and bool not in spec.types)
    if not ok:
        names = " or ".join("a number" if t is float else _TYPE_NAMES.get(t, t.__name__) for t in spec.types)
        raise _type_error(names, value, filename, positions, path)
    if spec.choices and value not in spec.choices:
        line, col = _where(positions, path)
        options = ", ".join(str(c) for c in spec.choices)
        raise ConfigError(f"{_describe(path)} is {value!r}; expected one of: {options}", filename, line, col)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        problem = _out_of_bounds(value, spec)
        if problem:
            line, col = _where(positions, path)
            raise ConfigError(f"{_describe(path)} is {value!r}; it must be {problem}", filename, line, col)


def _out_of_bounds(value: float, spec: Scalar) -> str | None:
    """What `value` must be and isn't, or None when it is within the spec's bounds."""
    if isinstance(value, float) and not math.isfinite(value):
        return "a finite number"
    if spec.above is not None and not value > spec.above:
        return f"more than {spec.above:g}" + (f" and at most {spec.high:g}" if spec.high is not None else "")
    if spec.low is not None and value < spec.low:
        return f"at least {spec.low:g}" + (f" and at most {spec.high:g}" if spec.high is not None else "")
    if spec.high is not None and value > spec.high:
        return f"at most {spec.high:g}"
    return None


_TYPE_NAMES = {str: "a string", bool: "true or false", int: "a whole number", float: "a number"}


def _type_error(expected: str, value: Any, filename: str, positions: Positions, path: Path_) -> ConfigError:
    line, col = _where(positions, path)
    got = "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__).removeprefix("a ")
    if isinstance(value, (list, dict)):
        got = "a list" if isinstance(value, list) else "a mapping"
    return ConfigError(f"{_describe(path)} should be {expected}, not {got}", filename, line, col)


def _where(positions: Positions, path: Path_) -> tuple[int, int]:
    while path not in positions and path:
        path = path[:-1]
    return positions.get(path, (0, 0))


def _describe(path: Path_) -> str:
    if not path:
        return "the document"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return f"`{text}`"
