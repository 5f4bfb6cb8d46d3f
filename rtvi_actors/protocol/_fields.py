"""Field helpers shared by the message modules: wire renames and local-only fields."""

from __future__ import annotations

from typing import Any, Final

import attrs

__all__ = ["EMPTY", "FIELDS", "OMIT", "RAW", "WIRE_KEY", "DataMode", "wire_field"]

WIRE_KEY: Final = "rtvi_wire_name"
"""attrs metadata key: a field's JSON key, or `None` for a field never on the wire."""


def wire_field(name: str, **kwargs: Any) -> Any:
    """Declare an attrs field whose JSON key differs from its Python name.

    Args:
        name: The key used on the wire (e.g. ``"sampleRate"``).
        **kwargs: Passed to `attrs.field` (``default``, ``validator``, ``repr`` ...).

    Returns:
        The attrs field definition.
    """
    return attrs.field(metadata={WIRE_KEY: name}, **kwargs)


DataMode = str
"""How a message class maps to the envelope's ``data`` (the ``DATA_MODE`` class variable)."""

FIELDS: Final[DataMode] = "fields"
"""``data`` is an object built from the class fields; always present, possibly ``{}``."""
OMIT: Final[DataMode] = "omit"
"""No ``data`` key on output; inbound ``data`` is ignored (server events without payload)."""
EMPTY: Final[DataMode] = "empty"
"""``data`` is ``{}`` on output; inbound ``data`` is ignored (bodiless client requests)."""
RAW: Final[DataMode] = "raw"
"""The single field *is* ``data`` (``server-message``); left out when it is ``None``."""
