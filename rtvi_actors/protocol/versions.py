"""RTVI version negotiation: which dialect a session speaks, decided once at ``client-ready``.

| client ``version``     | dialect | before ``bot-ready``               | ``bot-ready.version`` |
|------------------------|---------|------------------------------------|-----------------------|
| ``2.x.y``              | V2      | nothing                            | ``2.2.0``             |
| ``1.x.y``              | V1      | nothing                            | echoed ``1.x.y``      |
| ``3.0.0`` and later    | V2      | error-response "not compatible"    | ``2.2.0``             |
| ``0.x.y``/none/non-str | LEGACY  | nothing (legacy layer on) [*]      | ``0.3.0`` + config    |
| malformed (``"1.2"``)  | V2      | error-response "Invalid … format"  | ``2.2.0``             |

[*] With the legacy layer off, 0.x gets "not compatible" and a missing version gets
"Client version unknown", both followed by a ``V2`` ``bot-ready``, exactly as Pipecat 1.14.
Whatever happens, ``bot-ready`` follows: the handshake never fails (Pipecat's rule).
"""

import enum
import re
from typing import Final, final

import attrs

__all__ = [
    "LEGACY_BOT_VERSION",
    "PROTOCOL_VERSION",
    "ClientVersion",
    "Dialect",
    "Negotiation",
    "negotiate",
    "parse_version",
]

PROTOCOL_VERSION: Final = "2.2.0"
"""The RTVI protocol version this server speaks."""

LEGACY_BOT_VERSION: Final = "0.3.0"
"""``bot-ready.version`` for legacy 0.x sessions (never parsed by 0.x clients)."""

_VERSION_RE: Final = re.compile(r"(\d{1,9})\.(\d{1,9})\.(\d{1,9})")


@final
@attrs.frozen(kw_only=True, order=True)
class ClientVersion:
    """A parsed ``major.minor.patch`` version; ordered like Pipecat's int lists."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        """Return ``"major.minor.patch"`` rebuilt from the integers."""
        return f"{self.major}.{self.minor}.{self.patch}"


_V2_2: Final = ClientVersion(major=2, minor=2, patch=0)


def parse_version(text: str) -> ClientVersion | None:
    """Parse exactly three dot-separated decimal integers.

    Args:
        text: The client's version string.

    Returns:
        The version, or ``None`` when it is malformed (``"1.2"``, ``"2.0.0-beta"``, ``"junk"``).
    """
    match = _VERSION_RE.fullmatch(text)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return ClientVersion(major=major, minor=minor, patch=patch)


class Dialect(enum.Enum):
    """What a session speaks, decided at ``client-ready``."""

    V2 = "v2"
    """Current protocol (2.x, also 3.x and malformed versions)."""
    V1 = "v1"
    """1.x client: v1 ``bot-output`` behaviour (no progress events), version echoed."""
    LEGACY = "legacy"
    """0.x client: services/config/actions; ``bot-ready`` carries ``config``."""


@final
@attrs.frozen(kw_only=True)
class Negotiation:
    """The outcome of a ``client-ready``: dialect, reply version and optional warning."""

    dialect: Dialect
    bot_version: str
    client_version: ClientVersion | None = None
    warning: str | None = None
    """Text of the ``error-response`` to send before ``bot-ready``, if any."""

    @property
    def progress_events(self) -> bool:
        """Return True if ``bot-output`` progress events may be sent (2.x clients only)."""
        return self.dialect is Dialect.V2

    @property
    def suppress_word_output(self) -> bool:
        """Return True if ``word``/``token`` ``bot-output`` must be suppressed (2.x clients)."""
        return self.dialect is Dialect.V2

    @property
    def at_least_2_2(self) -> bool:
        """Return True if the client declared ≥ 2.2.0 (raw-text messages, backchannel text)."""
        return self.client_version is not None and self.client_version >= _V2_2


def _incompatible(version: str) -> str:
    return (
        f"RTVI version {version} is not compatible with server protocol "
        f"{PROTOCOL_VERSION}. Compatibility issues may occur."
    )


def negotiate(version: str | None, *, legacy_enabled: bool) -> Negotiation:
    """Decide how to serve a client from the ``version`` of its ``client-ready``.

    Args:
        version: ``client-ready.data.version`` (``None`` when absent or not a string).
        legacy_enabled: Whether the 0.x compatibility layer is on.

    Returns:
        The negotiation outcome; see the module table.
    """
    if version is None:
        if legacy_enabled:
            return Negotiation(dialect=Dialect.LEGACY, bot_version=LEGACY_BOT_VERSION)
        warning = "Client version unknown. Compatibility issues may occur."
        return Negotiation(dialect=Dialect.V2, bot_version=PROTOCOL_VERSION, warning=warning)
    parsed = parse_version(version)
    if parsed is None:
        shown = version if len(version) <= 64 else version[:63] + "…"
        warning = f"Invalid client version format ({shown}). Compatibility issues may occur."
        return Negotiation(dialect=Dialect.V2, bot_version=PROTOCOL_VERSION, warning=warning)
    if parsed.major == 2:
        return Negotiation(dialect=Dialect.V2, bot_version=PROTOCOL_VERSION, client_version=parsed)
    if parsed.major == 1:
        return Negotiation(dialect=Dialect.V1, bot_version=str(parsed), client_version=parsed)
    if parsed.major == 0 and legacy_enabled:
        return Negotiation(
            dialect=Dialect.LEGACY, bot_version=LEGACY_BOT_VERSION, client_version=parsed
        )
    return Negotiation(
        dialect=Dialect.V2,
        bot_version=PROTOCOL_VERSION,
        client_version=parsed,
        warning=_incompatible(version),
    )
