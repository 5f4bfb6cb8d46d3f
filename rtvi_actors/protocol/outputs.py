"""What the state machine hands back: `Outgoing` server messages and effects."""

from typing import Any, TypeAlias, final

import attrs

from rtvi_actors.protocol import effects as fx
from rtvi_actors.protocol.catalog import ServerToClient
from rtvi_actors.protocol.codec import encode, encode_text

__all__ = ["Outgoing", "Output"]


@final
@attrs.frozen(kw_only=True)
class Outgoing:
    """A server message to send, with its envelope id (request replies only)."""

    message: ServerToClient
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON envelope (see `codec.encode`)."""
        return encode(self.message, self.id)

    def to_text(self) -> str:
        """Return the compact JSON text (see `codec.encode_text`)."""
        return encode_text(self.message, self.id)


Output: TypeAlias = Outgoing | fx.Effect
"""One item returned by `state.RtviProtocol.receive`."""
