"""A structlog processor that keeps secrets out of log lines.

:func:`rtvi_actors.logs.configure_logging` puts it in the production chain, after
``structlog.processors.format_exc_info`` (so tracebacks are text by then) and before the
renderer. It redacts:

* the value of any field whose name says it is a secret (``api_key``, ``token``,
  ``authorization``, ``password``, ``secret``, ``credential``), at any depth;
* every occurrence of a known secret value anywhere in a string (including formatted
  exceptions and the ``repr`` of objects): the values passed in, plus the values of
  environment variables whose names end in ``KEY``, ``TOKEN``, ``SECRET`` or ``PASSWORD``;
* ``Bearer``/``Token`` credentials and ``token=``/``key=`` query parameters in strings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = ["REDACTED", "RedactSecrets"]

REDACTED: Final = "[redacted]"
_SENSITIVE_KEY = re.compile(r"api[_-]?key|token$|secret|password|authorization|credential", re.I)
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)$")
_PATTERNS: Final = (
    (re.compile(r"(\b(?:Bearer|Token|Basic)\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1" + REDACTED),
    (
        re.compile(r"([?&](?:token|key|api_key|apikey|access_token|secret)=)[^&\s'\"]+", re.I),
        r"\1" + REDACTED,
    ),
)


class RedactSecrets:
    """The processor. ``min_length`` keeps short values (``"1"``, ``"on"``) from being
    treated as secrets."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        environ: Mapping[str, str] | None = None,
        min_length: int = 8,
    ) -> None:
        env = os.environ if environ is None else environ
        found = {s for s in secrets if s and len(s) >= min_length}
        found |= {
            v for k, v in env.items() if _SECRET_ENV.search(k.upper()) and len(v) >= min_length
        }
        self.secrets = sorted(found, key=len, reverse=True)

    def __call__(self, logger: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        return {k: self._field(k, v) for k, v in event_dict.items()}

    def _field(self, key: Any, value: Any) -> Any:
        if (
            isinstance(key, str)
            and _SENSITIVE_KEY.search(key)
            and value is not None
            and not isinstance(value, bool | int | float)
        ):
            return REDACTED
        return self._value(value)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, Mapping):
            return {k: self._field(k, v) for k, v in value.items()}
        if isinstance(value, tuple):
            return tuple(self._value(v) for v in value)
        if isinstance(value, list | set | frozenset):
            return [self._value(v) for v in value]
        text = repr(value)
        clean = self.scrub(text)
        return value if clean == text else clean

    def scrub(self, text: str) -> str:
        """``text`` with every known secret and credential pattern replaced."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text
