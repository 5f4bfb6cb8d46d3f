"""The sentence splitter: boundaries, non-boundaries and streaming invariants."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.engines import SentenceSplitter, SplitterConfig

NO_CLAUSES = SplitterConfig(early_clause_chars=None, max_chars=None)


def split(text: str, config: SplitterConfig = NO_CLAUSES, *, chunk: int = 0) -> list[str]:
    """All pieces of ``text``, pushed whole (chunk=0) or in chunks of ``chunk`` characters."""
    s = SentenceSplitter(config)
    parts: list[str] = []
    if chunk:
        for i in range(0, len(text), chunk):
            parts += s.push(text[i : i + chunk])
    else:
        parts += s.push(text)
    rest = s.flush()
    return [*parts, rest] if rest else parts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there. How are you? Fine!", ["Hello there.", "How are you?", "Fine!"]),
        ("Really?! Yes.", ["Really?!", "Yes."]),
        ("Wait... what", ["Wait...", "what"]),
        ("Wait\u2026 what", ["Wait\u2026", "what"]),
        ("Pi is 3.14 today. Ok", ["Pi is 3.14 today.", "Ok"]),
        ("It costs 3. Then", ["It costs 3.", "Then"]),
        ("Ask Mr. Smith and Dr. Who now. Ok", ["Ask Mr. Smith and Dr. Who now.", "Ok"]),
        ("Fruit, e.g. apples, i.e. food. Ok", ["Fruit, e.g. apples, i.e. food.", "Ok"]),
        ("J. R. R. Tolkien wrote it. Ok", ["J. R. R. Tolkien wrote it.", "Ok"]),
        ("Made in the U.S.A. by hand. Ok", ["Made in the U.S.A. by hand.", "Ok"]),
        ("Apples, pears, etc. Then more", ["Apples, pears, etc.", "Then more"]),
        ('He said "Stop." Then left', ['He said "Stop."', "Then left"]),
        ("(Like this.) Next", ["(Like this.)", "Next"]),
        ("line one\nline two\n\nline three", ["line one", "line two", "line three"]),
        ("Steps:\n1. Open it.\n2. Close it.", ["Steps:", "1. Open it.", "2. Close it."]),
        ("Visit example.com today", ["Visit example.com today"]),
        ("Meet at 10:30, ok", ["Meet at 10:30, ok"]),
        ("", []),
        ("   \n  ", []),
    ],
)
def test_boundaries(text: str, expected: list[str]) -> None:
    assert split(text) == expected
    assert split(text, chunk=1) == expected


def test_a_boundary_waits_for_the_next_character() -> None:
    s = SentenceSplitter(NO_CLAUSES)
    assert s.push("Hello.") == []
    assert s.push(" W") == ["Hello."]
    assert s.pending == "W"
    assert s.flush() == "W"
    assert s.flush() == ""


def test_early_clause_split_only_for_the_first_piece() -> None:
    cfg = SplitterConfig(early_clause_chars=10, max_chars=None)
    text = "Well, I think that is right, and then, later, we go. After that, fine, ok."
    assert split(text, cfg) == [
        "Well, I think that is right,",
        "and then, later, we go.",
        "After that, fine, ok.",
    ]


def test_early_clause_split_rearms_after_flush() -> None:
    s = SentenceSplitter(SplitterConfig(early_clause_chars=5, max_chars=None))
    assert s.push("Hello there, friend ") == ["Hello there,"]
    assert s.flush() == "friend"
    assert s.push("Second one, here ") == ["Second one,"]


def test_clause_marks_need_following_whitespace() -> None:
    cfg = SplitterConfig(early_clause_chars=1, max_chars=None)
    assert split("It is 1,000,000 dollars", cfg) == ["It is 1,000,000 dollars"]


def test_max_chars_forces_a_split_at_whitespace() -> None:
    cfg = SplitterConfig(early_clause_chars=None, max_chars=10)
    assert split("aaaa bbbb cccc dddd eeee", cfg) == ["aaaa bbbb cccc", "dddd eeee"]


def test_long_words_are_never_cut() -> None:
    cfg = SplitterConfig(early_clause_chars=None, max_chars=3)
    assert split("abcdefgh ijklmnop", cfg) == ["abcdefgh", "ijklmnop"]


def test_streamed_llm_tokens() -> None:
    tokens = [
        "Sure",
        "!",
        " Dr",
        ".",
        " Lee",
        " is",
        " in",
        " at",
        " 9",
        ".",
        "30",
        " am",
        ".",
        " Bye",
    ]
    s = SentenceSplitter()
    out: list[str] = []
    for t in tokens:
        out += s.push(t)
    assert out == ["Sure!", "Dr. Lee is in at 9.30 am."]
    assert s.flush() == "Bye"


ALPHABET = st.sampled_from([*"abcXY 19.,;:!?\n\"')(\u2026", "Mr.", "e.g.", "3.14", " ", "..."])
TEXTS = st.lists(ALPHABET, max_size=80).map("".join)
CONFIGS = st.builds(
    SplitterConfig,
    early_clause_chars=st.none() | st.integers(1, 30),
    max_chars=st.none() | st.integers(1, 60),
)


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, config=CONFIGS, cuts=st.lists(st.integers(0, 80), max_size=12))
def test_outputs_cover_the_input_and_ignore_tokenisation(
    text: str, config: SplitterConfig, cuts: list[int]
) -> None:
    whole = split(text, config)
    # Concatenated pieces + flush == input, modulo whitespace; words are never cut.
    assert "".join("".join(whole).split()) == "".join(text.split())
    assert " ".join(whole).split() == text.split()
    assert all(p and p == p.strip() for p in whole)
    # Any tokenisation gives the same pieces.
    s = SentenceSplitter(config)
    streamed: list[str] = []
    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    for a, b in itertools.pairwise(bounds):
        streamed += s.push(text[a:b])
    rest = s.flush()
    assert ([*streamed, rest] if rest else streamed) == whole
