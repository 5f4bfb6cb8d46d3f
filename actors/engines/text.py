"""Splitting streamed LLM text into sentences and clauses for text-to-speech.

Pure and synchronous (stdlib only). A split happens only at a whitespace character, and the
decision at each whitespace depends only on the text before it, so the pieces do not depend on
how the text was cut into tokens, and no word is ever cut in two.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["ABBREVIATIONS", "SentenceSplitter", "SplitterConfig"]

_ABBREVIATION_WORDS = """
    mr. mrs. ms. mx. dr. prof. sr. jr. st. mt. ft. vs. e.g. i.e. cf. approx. dept. est. inc. ltd.
    co. corp. gen. gov. lt. sgt. capt. rev. hon. jan. feb. apr. jun. jul. aug. sep. sept. oct.
    nov. dec. tue. thu. fri. vol. a.m. p.m.
"""
ABBREVIATIONS = frozenset(_ABBREVIATION_WORDS.split())
"""Lower-case words whose period does not end a sentence ("etc.", "no.", "sun." often do)."""

_TERMINATORS = ".!?\u2026"
_CLAUSE = ",;:"
_CLOSERS = "\"')]}\u2019\u201d\u00bb"
_OPENERS = "\"'([{\u2018\u201c\u00ab"
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_LIST_MARKER = re.compile(r"\d{1,3}\.")


@attrs.frozen(kw_only=True)
class SplitterConfig:
    """How eagerly to split.

    Attributes:
        early_clause_chars: If set, the first piece of each response may end at a clause mark
            (``,;:`` followed by whitespace) once it has at least this many characters, so the
            first audio starts sooner. ``None`` disables clause splits.
        max_chars: If set, a piece that reaches this many characters without a boundary ends at
            the next whitespace. ``None`` disables the limit.
    """

    early_clause_chars: int | None = attrs.field(default=24)
    max_chars: int | None = attrs.field(default=300)


class SentenceSplitter:
    """Collects streamed tokens and hands out complete sentences (and early clauses) for TTS.

    Boundaries: ``.``, ``!``, ``?``, ``…`` and runs of them (``?!``, ``...``), optionally followed
    by closing quotes or brackets, then whitespace; and every newline. Not boundaries: a period
    inside a token (``3.14``, ``example.com``), known abbreviations (``Mr.``, ``e.g.``), initials
    (``J.``, ``U.S.``) and a list number opening a piece (``1.``). Pieces are stripped of outer
    whitespace and never empty.

    Args:
        config: Split eagerness; defaults to :class:`SplitterConfig` ``()``.
    """

    def __init__(self, config: SplitterConfig | None = None) -> None:
        self.config = config or SplitterConfig()
        self._buf = ""
        self._pos = 0  # every whitespace before this index was already judged "no boundary"
        self._emitted = 0  # pieces emitted in the current response

    def push(self, token: str) -> list[str]:
        """Add streamed text; return the pieces it completes (possibly none).

        A boundary is confirmed only by the whitespace after it, so a final ``"Hello."`` waits for
        the next token or :meth:`flush`.
        """
        self._buf += token
        pieces: list[str] = []
        while (cut := self._next_boundary()) is not None:
            piece = self._buf[:cut].strip()
            self._buf = self._buf[cut:].lstrip()
            self._pos = 0
            if piece:
                pieces.append(piece)
                self._emitted += 1
        return pieces

    def flush(self) -> str:
        """End the response: return the remaining text (stripped, maybe empty) and reset."""
        rest = self._buf.strip()
        self._buf, self._pos, self._emitted = "", 0, 0
        return rest

    @property
    def pending(self) -> str:
        """Text received but not yet handed out."""
        return self._buf

    def _next_boundary(self) -> int | None:
        buf = self._buf
        for j in range(self._pos, len(buf)):
            if buf[j].isspace() and self._is_boundary(buf, j):
                return j
        self._pos = len(buf)
        return None

    def _is_boundary(self, buf: str, j: int) -> bool:
        """Whether the whitespace at ``j`` ends a piece; looks only at ``buf[: j + 1]``."""
        piece = buf[:j].strip()
        if not piece:
            return False
        if buf[j] == "\n":
            return True
        cfg = self.config
        if cfg.max_chars is not None and len(piece) >= cfg.max_chars:
            return True
        end = len(piece) - 1
        while end >= 0 and piece[end] in _CLOSERS:
            end -= 1
        if end < 0:
            return False
        mark = piece[end]
        if mark in _TERMINATORS:
            return mark != "." or piece[end - 1 : end] == "." or not _is_abbreviation(piece, end)
        if mark in _CLAUSE and cfg.early_clause_chars is not None and self._emitted == 0:
            return len(piece) >= cfg.early_clause_chars
        return False


def _is_abbreviation(piece: str, dot: int) -> bool:
    """Whether the word ending with the period at ``piece[dot]`` keeps the sentence going."""
    start = dot
    while start > 0 and not piece[start - 1].isspace():
        start -= 1
    word = piece[start : dot + 1].lstrip(_OPENERS)
    if word.lower() in ABBREVIATIONS or _INITIALS.fullmatch(word):
        return True
    # "1." opening a piece is a list marker, not a sentence.
    return start == 0 and _LIST_MARKER.fullmatch(word) is not None
