"""A config section as a typed record: the one way features read their settings.

The schema has already checked every value's type and bounds when the layer was
loaded, so this only picks the record's fields, gives missing ones the record's
defaults (keys the built-in layer doesn't set) and freezes lists into tuples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

R = TypeVar("R")


def record(section: object, kind: type[R]) -> R:
    """`section` (a validated mapping, or None for an absent one) as the NamedTuple class `kind`."""
    fields: tuple[str, ...] = getattr(kind, "_fields")
    values = section if isinstance(section, Mapping) else {}
    return kind(**{name: frozen(values[name]) for name in fields if name in values})


def frozen(value: Any) -> Any:
    """Lists as tuples, all the way down, so a record can't be changed through its settings."""
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    return value
