"""Stage implementations for rtvi-actors (transports, protocol, voice stages, demo bots)."""

from .echo import Echo, TextReceiver, TextSender, build_echo_graph

__all__ = ["Echo", "TextReceiver", "TextSender", "build_echo_graph"]
