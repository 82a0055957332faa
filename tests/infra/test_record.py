"""`Record` behaves as `typing.NamedTuple` does, without compiling its annotations at run time."""

from __future__ import annotations

import pickle
from typing import NamedTuple

import pytest

from sfp.infra.record import Record


class Point(Record):
    """A point."""

    x: int
    y: int = 0
    label: str = ""

    def moved(self, by: int) -> Point:
        return self._replace(x=self.x + by)


class TypedPoint(NamedTuple):
    x: int
    y: int = 0
    label: str = ""


def test_fields_defaults_and_methods_are_those_of_a_namedtuple() -> None:
    point = Point(1)
    assert point == (1, 0, "") and tuple(point) == tuple(TypedPoint(1))
    assert Point._fields == TypedPoint._fields and Point._field_defaults == TypedPoint._field_defaults
    assert point.moved(2) == Point(3) and point._asdict() == {"x": 1, "y": 0, "label": ""}
    assert repr(point) == "Point(x=1, y=0, label='')"
    assert Point.__doc__ == "A point." and Point.__module__ == __name__
    assert isinstance(point, tuple) and hash(point) == hash((1, 0, ""))


def test_a_record_is_immutable_and_has_no_instance_dict() -> None:
    point = Point(1)
    with pytest.raises(AttributeError):
        point.x = 2  # type: ignore[misc]
    assert not hasattr(point, "__dict__")


def test_a_record_pickles_as_a_namedtuple_does() -> None:
    assert pickle.loads(pickle.dumps(Point(4, 5, "a"))) == Point(4, 5, "a")


def test_annotations_are_kept_for_introspection_but_never_evaluated() -> None:
    assert Point.__annotations__ == {"x": "int", "y": "int", "label": "str"}

    class Later(Record):
        thing: NotDefinedAnywhere  # type: ignore[name-defined]  # noqa: F821

    assert Later(1).thing == 1


def test_a_field_without_a_default_after_one_with_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):
        class Wrong(Record):
            a: int = 0
            b: int  # type: ignore[misc]  # mypy refuses it too
