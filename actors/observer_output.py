"""The ``bot-output`` part of the observer: segment ids, the speaking queue, skip types and
transforms (used by `actors.observer_core.RtviObserver`; see its docstring for the rules).

Messages for a segment are built late, when they leave the observer: `Render` items stand for
them until then, so a transform runs once per segment, and may be ``async``.
"""

from __future__ import annotations

import inspect
from typing import Any

import attrs

from rtvi_actors import voice as v
from rtvi_actors.protocol import BotOutput, BotTtsText, SpokenProgress, TtsRawText

from .observer_params import BotOutputTransformResult, ObserverParams, OutputTransform

__all__ = ["Render", "SegmentOutput"]


@attrs.define
class _Segment:
    epoch: int
    key: str
    id: int
    text: str
    text_type: str
    rendered: str | None = None  # the transformed text, computed once


@attrs.frozen
class Render:
    """The messages of one segment step, not built yet."""

    seg: _Segment
    status: str  # "new" | "completed" | "unspoken"


class SegmentOutput:
    """Segment ids and the queue of "new" segments waiting for ``bot-started-speaking``."""

    def __init__(self) -> None:
        self._queue: list[Render] = []
        self._segments: dict[tuple[int, str], _Segment] = {}
        self._next_id = 1

    def __len__(self) -> int:
        return len(self._queue)

    # -- events ------------------------------------------------------------------------------

    def segment(self, e: v.BotSegment, *, speaking: int | None, floor: int) -> list[Render]:
        """Handle one current-epoch segment event; return what may be sent now."""
        waiting = any(r.seg.epoch == e.epoch for r in self._queue)
        if e.status == "new":
            seg = self._segments[(e.epoch, e.segment_id)] = self._new(e)
            if speaking == e.epoch and not waiting:
                return [Render(seg, "new")]
            self._queue.append(Render(seg, "new"))
            return []
        if e.status == "completed":
            seg = self._segments.pop((e.epoch, e.segment_id), None) or self._new(e)
            out: list[Render] = []
            if any(r.seg is seg for r in self._queue):
                out = self.release(e.epoch, floor=floor, upto=seg)  # it played: speech began
            return [*out, Render(seg, "completed")]
        if e.status == "unspoken":
            render = Render(self._new(e), "unspoken")
            if waiting:  # keep the order of the response's text
                self._queue.append(render)
                return []
            return [render]
        return []  # an unknown status (e.g. a future "in-progress"): nothing to send

    def release(self, epoch: int, *, floor: int, upto: _Segment | None = None) -> list[Render]:
        """Take the queued items of ``epoch`` (all, or up to ``upto``); drop those below
        ``floor`` (cut responses)."""
        out: list[Render] = []
        keep: list[Render] = []
        done = False
        for r in self._queue:
            if r.seg.epoch < floor:
                continue
            if r.seg.epoch == epoch and not done:
                out.append(r)
                done = r.seg is upto
            else:
                keep.append(r)
        self._queue = keep
        return out

    def interrupted(self, floor: int) -> None:
        """Forget queued items and open segments of epochs below ``floor``."""
        self._queue = [r for r in self._queue if r.seg.epoch >= floor]
        self._segments = {k: s for k, s in self._segments.items() if s.epoch >= floor}

    def _new(self, e: v.BotSegment) -> _Segment:
        seg = _Segment(
            epoch=e.epoch,
            key=e.segment_id,
            id=self._next_id,
            text=e.text,
            # BotSegment has no text type yet: a segment is a sentence unless it says otherwise.
            text_type=getattr(e, "text_type", None) or "sentence",
        )
        self._next_id += 1
        return seg

    # -- building messages -------------------------------------------------------------------

    @staticmethod
    def wanted(r: Render, p: ObserverParams) -> bool:
        """Tell whether a step sends anything (so transforms run only when needed)."""
        if p.skips(r.seg.text_type):
            return False
        spoken_text = r.status == "completed" and (p.bot_tts_enabled or p.tts_raw_text_enabled)
        return p.bot_output_enabled or spoken_text

    @staticmethod
    def build(r: Render, p: ObserverParams) -> list[Any]:
        """The messages of one step (``rendered`` text already set)."""
        seg = r.seg
        text = seg.rendered if seg.rendered is not None else seg.text
        common = {"text": text, "output_type": seg.text_type, "segment_id": seg.id}
        out: list[Any] = []
        if r.status == "unspoken":
            if p.bot_output_enabled:
                out.append(
                    BotOutput(**common, spoken=False, will_be_spoken=False, spoken_status="new")
                )
            return out
        done = r.status == "completed"
        if p.bot_output_enabled:
            progress = SpokenProgress(
                accumulated_text=text if done else "", remaining_text="" if done else text
            )
            out.append(
                BotOutput(
                    **common,
                    spoken=done,
                    will_be_spoken=True,
                    spoken_status="completed" if done else "new",
                    spoken_progress=progress,
                )
            )
        if done and p.tts_raw_text_enabled:
            out.append(TtsRawText(text=text))
        if done and p.bot_tts_enabled:
            out.append(BotTtsText(text=text))
        return out

    @staticmethod
    def transform(seg: _Segment, transforms: tuple[OutputTransform, ...]) -> str:
        """Run the transforms of a segment's type in order (sync only)."""
        text = seg.text
        for t in transforms:
            if t.applies_to(seg.text_type):
                result = _call(t, text, seg.text_type)
                if inspect.isawaitable(result):
                    if inspect.iscoroutine(result):
                        result.close()
                    raise TypeError(
                        f"output transform {t.fn!r} is async: use aobserve() (the actor does)"
                    )
                text = _text_of(result, text)
        return text

    @staticmethod
    async def atransform(seg: _Segment, transforms: tuple[OutputTransform, ...]) -> str:
        """Run the transforms of a segment's type in order, awaiting async ones."""
        text = seg.text
        for t in transforms:
            if t.applies_to(seg.text_type):
                result = _call(t, text, seg.text_type)
                if inspect.isawaitable(result):
                    result = await result
                text = _text_of(result, text)
        return text


def _call(t: OutputTransform, text: str, text_type: str) -> Any:
    # The whole segment: the progress-aware form gets no accumulated/remaining text.
    return t.fn(text, text_type) if t.legacy else t.fn(text, text_type, None, None)


def _text_of(result: Any, fallback: str) -> str:
    """A transform's text; a falsy result keeps the text it was given."""
    if isinstance(result, BotOutputTransformResult):
        result = result.text
    if not result:
        return fallback
    if not isinstance(result, str):
        raise TypeError(f"an output transform returned {type(result).__name__}, not str")
    return result
