"""``Struct`` behaves as ``@dataclass`` for what mlmanager uses: the same results, side by side
with a real dataclass of the same fields, and the ``dataclasses`` functions accept it."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from mlmanager.core.structs import FrozenInstanceError, Struct, field


class Point(Struct, frozen=True):
    """Docstring kept."""

    x: int
    y: int = 0
    tag: Any = field(default=None, compare=False)


@dataclasses.dataclass(frozen=True)
class DPoint:
    x: int
    y: int = 0
    tag: Any = dataclasses.field(default=None, compare=False)


class Bag(Struct):
    name: str
    items: list[int] = field(default_factory=list)


@dataclasses.dataclass
class DBag:
    name: str
    items: list[int] = dataclasses.field(default_factory=list)


class Sorted(Struct, frozen=True):
    values: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(sorted(self.values)))


@pytest.mark.parametrize(("cls", "dcls"), [(Point, DPoint)])
def test_frozen_struct_matches_a_frozen_dataclass(cls: type, dcls: type) -> None:
    cases: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((1,), {}), ((1, 2), {}), ((1,), {"y": 5}), ((), {"x": 3, "tag": "t"})
    ]
    for args, kwargs in cases:
        s, d = cls(*args, **kwargs), dcls(*args, **kwargs)
        assert repr(s).replace("Point(", "") == repr(d).replace("DPoint(", "")
        assert dataclasses.astuple(s) == dataclasses.astuple(d)
        assert dataclasses.asdict(s) == dataclasses.asdict(d)
        assert hash(s) == hash(d)  # both hash the tuple of the compared fields
    assert Point(1, 2, tag="a") == Point(1, 2, tag="b")  # compare=False
    assert Point(1, 2) != Point(2, 1)
    assert Point(1) != DPoint(1)  # another class is never equal
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert Point.__doc__ == "Docstring kept."
    assert [f.name for f in dataclasses.fields(Point)] == [f.name for f in dataclasses.fields(DPoint)]
    assert [f.compare for f in dataclasses.fields(Point(1))] == [True, True, False]
    assert Point.__match_args__ == DPoint.__match_args__ == ("x", "y", "tag")


def test_frozen_struct_refuses_assignment() -> None:
    p = Point(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    assert p.x == 1


def test_dataclasses_functions_accept_structs() -> None:
    p = Point(1, 2, tag="t")
    assert dataclasses.is_dataclass(p) and dataclasses.is_dataclass(Point)
    q = dataclasses.replace(p, y=9)
    assert type(q) is Point and (q.x, q.y, q.tag) == (1, 9, "t")
    nested = Bag("b", [1])
    assert dataclasses.asdict(Bag("outer", [])) == {"name": "outer", "items": []}
    assert dataclasses.replace(nested, name="c") == Bag("c", [1])
    assert p.__replace__(x=5) == Point(5, 2) and p.__replace__(x=5).tag == "t"  # copy.replace, 3.13+


def test_mutable_struct_matches_a_dataclass() -> None:
    b, d = Bag("a"), DBag("a")
    b.items.append(1)
    d.items.append(1)
    assert Bag("a").items == [] and Bag("a").items is not Bag("a").items  # a new list each time
    assert b == Bag("a", [1]) and dataclasses.astuple(b) == dataclasses.astuple(d)
    b.name = "z"
    assert b.name == "z"
    with pytest.raises(TypeError, match="unhashable"):
        hash(b)
    with pytest.raises(TypeError, match="unhashable"):
        hash(d)


def test_post_init_runs() -> None:
    assert Sorted((3, 1, 2)).values == (1, 2, 3)
    assert Sorted((2, 1)) == Sorted((1, 2))


def test_arguments_are_checked_as_a_dataclass_checks_them() -> None:
    with pytest.raises(TypeError, match="missing required argument: 'x'"):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="multiple values for argument 'x'"):
        Point(1, x=2)  # type: ignore[misc]
    with pytest.raises(TypeError, match="takes 3 arguments but 4 were given"):
        Point(1, 2, 3, 4)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="without a default follows one with a default"):

        class Bad(Struct):
            a: int = 0
            b: int  # type: ignore[misc]


def test_pickle_copy_and_match() -> None:
    p = Point(1, 2, tag=[1])
    for twin in (pickle.loads(pickle.dumps(p)), copy.copy(p), copy.deepcopy(p)):
        assert twin == p and twin.tag == [1] and type(twin) is Point
    match p:
        case Point(x, y):
            assert (x, y) == (1, 2)
        case _:
            pytest.fail("Point did not match its own pattern")


def test_subclass_adds_fields_after_the_base_fields() -> None:
    class Point3(Point, frozen=True):
        z: int = 0

    p = Point3(1, 2, None, 3)
    assert (p.x, p.y, p.z) == (1, 2, 3)
    assert Point3.__struct_fields__ == ("x", "y", "tag", "z")
    assert p != Point(1, 2)
