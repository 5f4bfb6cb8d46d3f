"""OpenAI-style message content parts for what RTVI clients send (``send-file``)."""

from __future__ import annotations

from typing import Any

from rtvi_actors import protocol as p

__all__ = ["file_part"]


def file_part(file: p.RtviFile) -> dict[str, Any]:
    """An OpenAI-style content part for a ``send-file`` file."""
    source = file.source
    if isinstance(source, p.FileSourceUrl):
        url = source.url
    else:
        url = (
            source.data
            if source.data.startswith("data:")
            else (f"data:{file.format};base64,{source.data}")
        )
    if file.format.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": url}}
    return {"type": "file", "file": {"filename": file.name or "file", "file_data": url}}
