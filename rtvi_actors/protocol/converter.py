"""The explicit `cattrs.Converter` behind the codec.

It is strict where pydantic (Pipecat's validator) is strict and stricter where that costs
nothing: strings must be strings (``5`` is not turned into ``"5"``), booleans must be booleans,
integers must not be booleans. ``bytes`` travel as base64 text. Unknown keys are ignored.
On output every ``None`` field is left out, unless the class sets ``KEEP_NONE`` (the legacy
``llm-function-call`` was dumped with ``exclude_none=False``). Plain dicts inside ``Any``
fields are passed through untouched, so their ``null`` values survive, as in Pipecat.
"""

from __future__ import annotations

import base64
import binascii
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from rtvi_actors.protocol._fields import WIRE_KEY

__all__ = ["JsonObject", "make_converter"]

JsonObject = dict[str, Any]
"""A JSON object (string keys). Structured strictly: a list or a string is rejected."""


def _structure_str(value: object, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _structure_bool(value: object, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _structure_int(value: object, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _structure_float(value: object, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _structure_bytes(value: object, _: type) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected base64 text, got {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid base64: {exc}") from None


def _unstructure_bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _structure_object(value: object, _: type) -> JsonObject:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _is_homogeneous_tuple(typ: Any) -> bool:
    args = typing.get_args(typ)
    return typing.get_origin(typ) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_factory(converter: cattrs.Converter) -> Callable[[Any], Any]:
    def factory(typ: Any) -> Any:
        item = typing.get_args(typ)[0]
        hook = converter.get_structure_hook(item)

        def structure(value: object, _: Any) -> tuple[Any, ...]:
            if not isinstance(value, list):
                raise TypeError(f"expected an array, got {type(value).__name__}")
            return tuple(hook(v, item) for v in value)

        return structure

    return factory


def _wire_fields(cls: type) -> list[tuple[str, str | None, Any]]:
    out = []
    for field in attrs.fields(cls):
        wire = field.metadata.get(WIRE_KEY, field.name)
        out.append((field.name, wire, field.type))
    return out


_PLAIN: Final = frozenset({str, int, float, bool, type(None)})


def _is_plain(typ: Any) -> bool:
    """Whether values of ``typ`` are JSON-ready as they are (strings, numbers, booleans,
    optionally ``None``): these skip the converter's dispatch on output."""
    if typ in _PLAIN:
        return True
    origin = typing.get_origin(typ)
    if origin is typing.Literal:
        return all(type(arg) in _PLAIN for arg in typing.get_args(typ))
    if origin in (typing.Union, types.UnionType):
        return all(_is_plain(arg) for arg in typing.get_args(typ))
    return False


def _structure_factory(converter: cattrs.Converter) -> Callable[[type], Any]:
    def factory(cls: type) -> Any:
        overrides = {}
        for name, wire, _ in _wire_fields(cls):
            if wire is None:
                overrides[name] = override(omit=True)
            elif wire != name:
                overrides[name] = override(rename=wire)
        return make_dict_structure_fn(cls, converter, **overrides)

    return factory


def _unstructure_factory(converter: cattrs.Converter) -> Callable[[type], Any]:
    def factory(cls: type) -> Any:
        return compile_unstructure(cls, converter)

    return factory


def compile_unstructure(cls: type, converter: Any) -> Callable[[Any], JsonObject]:
    """The ``obj -> dict`` of an attrs message class, as Python source compiled once.

    One statement per wire field, in field order: plain values (strings, numbers, booleans)
    go out as they are, the others through ``converter``; ``None`` is left out unless the
    class sets ``KEEP_NONE``. Local-only fields (no wire key) never appear. What a loop over
    the fields would do, without the loop, the tuple unpacking and a ``getattr`` per field.
    """
    keep_none = bool(getattr(cls, "KEEP_NONE", False))
    env: dict[str, Any] = {"_unstructure": converter.unstructure}
    lines = ["def unstructure(obj):", "    out = {}"]
    for i, (name, wire, typ) in enumerate(_wire_fields(cls)):
        if wire is None:
            continue
        key = repr(wire)
        value = "v"
        if not _is_plain(typ):
            value, env[f"_t{i}"] = f"_unstructure(v, _t{i})", typ
        lines.append(f"    v = obj.{name}")
        if keep_none:
            lines.append(f"    out[{key}] = None if v is None else {value}")
        else:
            lines += ["    if v is not None:", f"        out[{key}] = {value}"]
    lines.append("    return out")
    filename = f"<rtvi_actors unstructure {cls.__module__}.{cls.__qualname__}>"
    exec(compile("\n".join(lines), filename, "exec"), env)  # field names are identifiers
    return env["unstructure"]


def make_converter(extra_hooks: Mapping[Any, Callable[[object, type], Any]] | None = None) -> Any:
    """Build a fresh converter configured for RTVI payloads.

    Args:
        extra_hooks: Extra structure hooks keyed by exact type (unions, tagged shapes).

    Returns:
        A new `cattrs.Converter`; never a shared global.
    """
    converter = cattrs.Converter(
        detailed_validation=True,
        forbid_extra_keys=False,
        unstruct_collection_overrides={tuple: list, Sequence: list},
    )
    converter.register_structure_hook(str, _structure_str)
    converter.register_structure_hook(bool, _structure_bool)
    converter.register_structure_hook(int, _structure_int)
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook(bytes, _structure_bytes)
    converter.register_unstructure_hook(bytes, _unstructure_bytes)
    converter.register_structure_hook_func(lambda t: t == JsonObject, _structure_object)
    converter.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_factory(converter))
    converter.register_structure_hook_factory(attrs.has, _structure_factory(converter))
    converter.register_unstructure_hook_factory(attrs.has, _unstructure_factory(converter))
    for typ, hook in (extra_hooks or {}).items():
        if isinstance(typ, type):
            converter.register_structure_hook(typ, hook)
        else:
            converter.register_structure_hook_func(lambda t, typ=typ: t == typ, hook)
    return converter
