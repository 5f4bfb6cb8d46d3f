"""Hypothesis strategies for RTVI message classes, derived from their attrs fields."""

import types
import typing
from typing import Any

import attrs
from hypothesis import strategies as st

from rtvi_actors.protocol import DTMF_KEYS, Dtmf, RawAudio, RawAudioBatch, UiSnapshot
from rtvi_actors.protocol.converter import JsonObject

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)

_nodes = st.recursive(
    st.fixed_dictionaries(
        {"ref": st.text(max_size=5), "role": st.text(max_size=5)},
        optional={"name": st.text(max_size=5), "level": st.integers(0, 9), "x-extra": json_values},
    ),
    lambda inner: st.fixed_dictionaries(
        {
            "ref": st.text(max_size=5),
            "role": st.text(max_size=5),
            "children": st.lists(inner, max_size=3),
        }
    ),
    max_leaves=6,
)
snapshot_trees = st.fixed_dictionaries(
    {"root": _nodes, "captured_at": st.integers(0, 2**53)},
    optional={
        "selection": st.fixed_dictionaries(
            {"ref": st.text(max_size=4), "text": st.text(max_size=4)}
        )
    },
)
positive = st.integers(min_value=1, max_value=192000)

OVERRIDES: dict[tuple[type, str], st.SearchStrategy[Any]] = {
    (Dtmf, "buttons"): st.lists(st.sampled_from(sorted(DTMF_KEYS)), min_size=1, max_size=6).map(
        tuple
    ),
    (RawAudio, "sample_rate"): positive,
    (RawAudio, "num_channels"): st.integers(1, 8),
    (RawAudioBatch, "sample_rate"): positive,
    (RawAudioBatch, "num_channels"): st.integers(1, 8),
    (UiSnapshot, "tree"): snapshot_trees,
}


def for_type(typ: Any, *, required: bool = False) -> st.SearchStrategy[Any]:
    """Return a strategy for a field type (JSON-friendly values only)."""
    if typ is Any:
        return json_values.filter(lambda v: v is not None) if required else json_values
    if typ == JsonObject:
        return json_objects
    if typ is str:
        return st.text(max_size=20)
    if typ is bool:
        return st.booleans()
    if typ is int:
        return st.integers(min_value=0, max_value=2**53)
    if typ is float:
        return st.floats(allow_nan=False, allow_infinity=False, width=64)
    if typ is bytes:
        return st.binary(max_size=64)
    origin = typing.get_origin(typ)
    args = typing.get_args(typ)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is tuple:
        return st.lists(for_type(args[0]), max_size=3).map(tuple)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([st.none() if a is type(None) else for_type(a) for a in args])
    if attrs.has(typ):
        return instances(typ)
    raise NotImplementedError(typ)


def instances(cls: type) -> st.SearchStrategy[Any]:
    """Return a strategy building any valid instance of an attrs message class."""
    kwargs = {}
    for field in attrs.fields(cls):
        if field.metadata.get("rtvi_wire_name", field.name) is None:
            continue
        strategy = OVERRIDES.get((cls, field.name))
        if strategy is None:
            strategy = for_type(field.type, required=field.default is attrs.NOTHING)
        kwargs[field.name] = strategy
    return st.builds(cls, **kwargs)
