"""`Record`: `typing.NamedTuple` for type checkers, a plain `collections.namedtuple` at run time.

Every hook imports a few dozen record classes, and `typing.NamedTuple` turns each field's
annotation — a string, under `from __future__ import annotations` — into a `ForwardRef` by
compiling it: about 0.3 ms a class on CPython 3.11, a tenth of a hook's own work. The run-time
form here builds the same namedtuple (fields, defaults, methods, docstring) without looking
at the annotations, in about a fifth of that.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

__all__ = ["Record"]

# Called through a name the type checker doesn't special-case: the arguments are only known at run time.
_namedtuple: Any = collections.namedtuple

# What the class statement itself puts in a namespace, as opposed to what the record defines.
_CLASS_KEYS = frozenset({"__module__", "__qualname__", "__annotations__", "__slots__", "__dict__", "__weakref__"})


class _RecordType(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:  # noqa: N804
        if not bases:  # `Record` itself
            return super().__new__(mcls, name, bases, namespace)
        annotations = namespace.get("__annotations__", {})
        fields = tuple(annotations)
        first_default = next((i for i, field in enumerate(fields) if field in namespace), len(fields))
        if any(field not in namespace for field in fields[first_default:]):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        defaults = [namespace[field] for field in fields[first_default:]]
        record = _namedtuple(name, fields, defaults=defaults, module=namespace.get("__module__"))
        for key, value in namespace.items():
            if key not in fields and key not in _CLASS_KEYS:
                setattr(record, key, value)
        record.__qualname__ = namespace.get("__qualname__", name)
        record.__annotations__ = annotations
        return record


if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    class Record(metaclass=_RecordType):
        """Subclass as you would `NamedTuple`: annotated fields, defaults last, methods."""
