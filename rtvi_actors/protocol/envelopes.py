"""The envelope encoder of each message class: the hot path of every RTVI message sent.

`make_encoder` builds, once per class, ``encode(msg, id) -> dict``, the JSON envelope
``{"label": "rtvi-ai", "type": ..., "id"?: ..., "data"?: ...}`` of `codec.encode`. The
class's ``DATA_MODE`` is looked at once, not per message; ``FIELDS`` data comes from the
converter's compiled function for the class (`converter.compile_unstructure`), ``RAW`` data
is copied as plain JSON when it is plain JSON (the converter takes the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import attrs

from rtvi_actors.protocol._fields import EMPTY, FIELDS, RAW

__all__ = ["LABEL", "make_encoder"]

LABEL: Final = "rtvi-ai"
"""The envelope label of every RTVI message."""

Encoder = Callable[[Any, "str | None"], dict[str, Any]]


def make_encoder(cls: type, converter: Any) -> Encoder:
    """``encode(msg, id)`` for the message class ``cls`` (``None`` fields left out).

    ``converter`` unstructures what is not plain JSON (the codec's own converter).
    """
    wire_type, mode = cls.TYPE, cls.DATA_MODE  # type: ignore[attr-defined]
    if mode == FIELDS:  # always a data object
        fields = converter.get_unstructure_hook(cls)

        def encode_fields(msg: Any, id: str | None) -> dict[str, Any]:
            if id is None:
                return {"label": LABEL, "type": wire_type, "data": fields(msg)}
            return {"label": LABEL, "type": wire_type, "id": id, "data": fields(msg)}

        return encode_fields
    if mode == RAW:
        field = attrs.fields(cls)[0]
        name, typ = field.name, field.type

        def data(msg: Any) -> Any:
            value = getattr(msg, name)
            if value is None:
                return _NO_DATA
            copy = _json_copy(value)
            return copy if copy is not _NOT_PLAIN else converter.unstructure(value, typ)

    else:  # EMPTY: "data": {}; OMIT: no data key

        def data(msg: Any) -> Any:
            return {} if mode == EMPTY else _NO_DATA

    def encode(msg: Any, id: str | None) -> dict[str, Any]:
        envelope: dict[str, Any] = {"label": LABEL, "type": wire_type}
        if id is not None:
            envelope["id"] = id
        value = data(msg)
        if value is not _NO_DATA:
            envelope["data"] = value
        return envelope

    return encode


_SCALARS: Final = frozenset({str, int, float, bool, type(None)})
_NOT_PLAIN: Final = object()
_NO_DATA: Final = object()  # the envelope has no "data" key


def _json_copy(value: Any, depth: int = 0) -> Any:
    """A copy of ``value`` if it is plain JSON data already (dicts with string keys, lists,
    scalars), else :data:`_NOT_PLAIN` (the converter handles it). A copy, so that changing
    the application's object later never changes a message not yet written."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if depth > 8:
        return _NOT_PLAIN
    if kind is dict:
        out = {}
        for k, v in value.items():
            if type(k) is not str:
                return _NOT_PLAIN
            v = _json_copy(v, depth + 1)
            if v is _NOT_PLAIN:
                return _NOT_PLAIN
            out[k] = v
        return out
    if kind is list:
        items = [_json_copy(v, depth + 1) for v in value]
        return _NOT_PLAIN if any(v is _NOT_PLAIN for v in items) else items
    return _NOT_PLAIN
