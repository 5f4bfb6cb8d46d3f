"""WAV helpers: wrap PCM16 in a RIFF header, and strip a (possibly streamed) WAV header.

Pure functions and a small sans-IO stripper; no I/O and no trio.
"""

from __future__ import annotations

import struct

from attrs import frozen

from .errors import ProviderError

__all__ = ["PcmFormat", "WavHeaderStripper", "pcm16_wav"]


def pcm16_wav(pcm: bytes, *, sample_rate: int = 16000, channels: int = 1) -> bytes:
    """Wrap little-endian PCM16 samples in a canonical 44-byte RIFF/WAVE header.

    Args:
        pcm: The samples (an even number of bytes per channel frame).
        sample_rate: Samples per second.
        channels: Interleaved channel count.

    Returns:
        A complete ``.wav`` file.

    Raises:
        ValueError: ``pcm`` is not a whole number of frames.
    """
    align = 2 * channels
    if len(pcm) % align:
        raise ValueError(f"PCM16 length {len(pcm)} is not a multiple of {align}")
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        1,  # PCM
        channels,
        sample_rate,
        sample_rate * align,
        align,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm


@frozen(kw_only=True)
class PcmFormat:
    """The format found in a WAV header."""

    sample_rate: int
    channels: int
    bits: int


class WavHeaderStripper:
    """Consumes a streamed WAV file and returns only the sample bytes.

    Streaming servers send placeholder sizes (``0xFFFFFFFF``) because the length is unknown, so
    the header is parsed chunk by chunk up to the ``data`` chunk and everything after it is
    passed through (sizes are ignored). Header bytes may be split across feeds anywhere.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.format: PcmFormat | None = None
        self._in_data = False

    def feed(self, data: bytes) -> bytes:
        """Consume ``data`` and return the sample bytes it contained (possibly ``b""``).

        Raises:
            ProviderError: The stream is not PCM16 WAV.
        """
        if self._in_data:
            return data
        self._buffer += data
        buf = self._buffer
        if len(buf) < 12:
            return b""
        if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
            raise ProviderError("audio stream is not a WAV file")
        pos = 12
        while len(buf) >= pos + 8:
            chunk_id, size = struct.unpack_from("<4sI", buf, pos)
            if chunk_id == b"data":
                if self.format is None:
                    raise ProviderError("WAV data chunk before fmt chunk")
                self._in_data = True
                rest = bytes(buf[pos + 8 :])
                self._buffer.clear()
                return rest
            if len(buf) < pos + 8 + size:
                return b""  # Wait for the rest of this chunk.
            if chunk_id == b"fmt ":
                tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", buf, pos + 8)
                if tag not in (1, 0xFFFE) or bits != 16:
                    raise ProviderError(f"WAV is not PCM16 (format {tag}, {bits} bits)")
                self.format = PcmFormat(sample_rate=rate, channels=channels, bits=bits)
            pos += 8 + size + (size & 1)  # Chunks are padded to an even size.
        return b""
