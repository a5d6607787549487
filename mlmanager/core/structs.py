"""``Struct``: value classes that are cheap to define, for the types ``inspect --json`` creates.

Defining a ``@dataclass`` costs 0.3-0.5 ms on Python 3.11 (it compiles six generated methods)
and importing ``dataclasses`` ~7 ms (it imports ``inspect``): the 23 dataclasses on the path of
``mlmanager inspect --json`` were a quarter of that command's time (issue 16 item 7). A
``Struct`` subclass declares its fields as annotations, like a dataclass, and costs tens of
microseconds to define: ``__init__``, ``==``, ``hash`` and ``repr`` are the base class's, driven
by the field table that ``__init_subclass__`` reads from the annotations::

    class Signature(Struct, frozen=True):  # core/signature/schema/signature.py
        inputs: Schema | None = None
        outputs: Schema | None = None
        params: ParamSchema | None = None
        style: SourceStyle = field(default_factory=SourceStyle, compare=False)

It behaves as ``@dataclass`` (``frozen=True`` as ``@dataclass(frozen=True)``): arguments by
position or name, defaults and ``default_factory``, ``__post_init__``, equality of the same
class with equal compared fields, a hash of those fields when frozen (none when not), the
dataclass ``repr``, assignment refused when frozen, ``__match_args__``, pickling and copying.
The ``dataclasses`` functions (``replace``, ``fields``, ``asdict``, ``astuple``,
``is_dataclass``) and ``copy.replace`` (3.13+) accept Structs: their ``__dataclass_fields__``
is built on first use, which imports ``dataclasses`` then. Not supported: ``ClassVar``/``InitVar``
annotations, ``field`` options other than ``default``, ``default_factory`` and ``compare``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any, dataclass_transform
else:

    def dataclass_transform(**_: object) -> Callable[[type], type]:
        return lambda cls: cls


_MISSING = object()


class FrozenInstanceError(AttributeError):
    """Assigning to (or deleting) a field of a frozen Struct (``dataclasses`` raises its own
    ``FrozenInstanceError``, also an ``AttributeError``)."""


class _Field:
    __slots__ = ("compare", "default", "default_factory")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, compare: bool) -> None:
        self.default = default
        self.default_factory = default_factory
        self.compare = compare


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None,
          compare: bool = True) -> Any:
    """A field's options, as ``dataclasses.field``: ``default``, ``default_factory``, ``compare``."""
    if default is not _MISSING and default_factory is not None:
        raise ValueError("cannot specify both default and default_factory")
    return _Field(default, default_factory, compare)


class _DataclassFields(Mapping):
    """A Struct class's ``__dataclass_fields__``: real ``dataclasses.Field`` objects, made on
    first use (from a dataclass with the same fields) so that ``dataclasses`` is imported only
    when its functions are called on a Struct."""

    def __init__(self, owner: type[Struct]) -> None:
        self._owner = owner
        self._fields: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._fields is None:
            import dataclasses  # deferred: ~7 ms to import (with inspect), start-up never needs it

            owner = self._owner
            annotations: dict[str, Any] = {}
            for klass in reversed(owner.__mro__):
                annotations.update(klass.__dict__.get("__annotations__", {}))
            specs = []
            for name in owner.__struct_fields__:
                compare = name in owner.__struct_compare__
                if name in owner.__struct_factories__:
                    spec = dataclasses.field(default_factory=owner.__struct_factories__[name],
                                             compare=compare)
                elif name in owner.__struct_defaults__:
                    spec = dataclasses.field(default=owner.__struct_defaults__[name], compare=compare)
                else:
                    spec = dataclasses.field(compare=compare)
                specs.append((name, annotations.get(name, "Any"), spec))
            twin = dataclasses.make_dataclass(owner.__name__, specs, frozen=owner.__struct_frozen__)
            self._fields = {f.name: f for f in dataclasses.fields(twin)}
        return self._fields

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._owner.__struct_fields__)


@dataclass_transform(field_specifiers=(field,))
class Struct:
    """Base class of value classes; see the module docstring."""

    __struct_fields__: tuple[str, ...] = ()
    __struct_compare__: tuple[str, ...] = ()
    __struct_defaults__: dict[str, Any] = {}
    __struct_factories__: dict[str, Callable[[], Any]] = {}
    __struct_frozen__: bool = False
    __struct_post_init__: bool = False
    __match_args__: tuple[str, ...] = ()

    def __init_subclass__(cls, frozen: bool | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = list(cls.__struct_fields__)
        compare = list(cls.__struct_compare__)
        defaults = dict(cls.__struct_defaults__)
        factories = dict(cls.__struct_factories__)
        for name in cls.__dict__.get("__annotations__", {}):
            value = cls.__dict__.get(name, _MISSING)
            if name in fields:  # redeclared: the subclass's options replace the base's
                fields.remove(name)
                defaults.pop(name, None)
                factories.pop(name, None)
                if name in compare:
                    compare.remove(name)
            fields.append(name)
            if isinstance(value, _Field):
                if value.default_factory is not None:
                    factories[name] = value.default_factory
                    delattr(cls, name)
                elif value.default is not _MISSING:
                    defaults[name] = value.default
                    setattr(cls, name, value.default)
                else:
                    delattr(cls, name)
                if value.compare:
                    compare.append(name)
            else:
                if value is not _MISSING:
                    defaults[name] = value
                compare.append(name)
        optional = False
        for name in fields:
            if name in defaults or name in factories:
                optional = True
            elif optional:
                raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")
        cls.__struct_fields__ = tuple(fields)
        cls.__struct_compare__ = tuple(n for n in fields if n in compare)
        cls.__struct_defaults__ = defaults
        cls.__struct_factories__ = factories
        if frozen is not None:
            cls.__struct_frozen__ = frozen
        cls.__match_args__ = cls.__struct_fields__  # type: ignore[misc]
        cls.__struct_post_init__ = hasattr(cls, "__post_init__")
        setattr(cls, "__dataclass_fields__", _DataclassFields(cls))  # noqa: B010 - not a declared attribute
        if "__hash__" not in cls.__dict__ and not cls.__struct_frozen__:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable
        if cls.__struct_frozen__:
            if "__setattr__" not in cls.__dict__:
                cls.__setattr__ = Struct._frozen_setattr  # type: ignore[method-assign, assignment]
            if "__delattr__" not in cls.__dict__:
                cls.__delattr__ = Struct._frozen_delattr  # type: ignore[method-assign, assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = self.__class__
        names = cls.__struct_fields__
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} arguments but {len(args)} were given")
        values = cls.__struct_defaults__.copy()
        values.update(zip(names, args))
        if kwargs:
            for key in kwargs:
                if key not in cls.__struct_defaults__ and key not in names:
                    raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {key!r}")
            for key in names[: len(args)]:
                if key in kwargs:
                    raise TypeError(f"{cls.__name__}() got multiple values for argument {key!r}")
            values.update(kwargs)
        if len(values) < len(names):  # factories to call, or a required argument missing
            for name in names:
                if name not in values:
                    if name not in cls.__struct_factories__:
                        raise TypeError(f"{cls.__name__}() missing required argument: {name!r}")
                    values[name] = cls.__struct_factories__[name]()
        self.__dict__.update(values)
        if cls.__struct_post_init__:
            self.__post_init__()  # type: ignore[attr-defined]

    def __replace__(self, **changes: Any) -> Struct:
        """``copy.replace`` (Python 3.13+), as dataclasses define it: a copy with ``changes``."""
        d = self.__dict__
        return self.__class__(**{**{n: d[n] for n in self.__struct_fields__}, **changes})

    def _struct_key(self) -> tuple[Any, ...]:
        d = self.__dict__
        return tuple([d[n] for n in self.__struct_compare__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._struct_key() == other._struct_key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._struct_key())

    def __repr__(self) -> str:
        d = self.__dict__
        inner = ", ".join(f"{n}={d[n]!r}" for n in self.__struct_fields__)
        return f"{self.__class__.__qualname__}({inner})"

    def _frozen_setattr(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def _frozen_delattr(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")
