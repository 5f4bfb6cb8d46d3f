"""Fuzzing a live server over loopback: Hypothesis-driven RTVI messages and wire frames.

Every item is sent on a real WebSocket to an in-process server running the scripted bot, and
followed by a probe (a ``client-message`` the bot has no handler for, so the spec says it gets
an ``error-response`` with its id). The replies that arrive between two probes belong to the
item, which makes every item's answer checkable:

* JSON that is not an object, or whose ``label`` is not ``rtvi-ai``: no reply (spec §8.1, §8.4);
* ``rtvi-ai`` with no string ``id``: one ``error`` (no id, not fatal) (§8.2);
* an unknown ``type`` (with a string id): one ``error-response`` "Unsupported type X" (§8.5);
* anything else (valid, mutated, wrong types, huge, deeply nested): replies carry the item's
  id, or are one non-fatal ``error`` (JSON the server could not parse), or there are none;
* wire frames (random bytes, truncated protobuf, text frames, foreign frame kinds): no reply
  at all, unless they still carry an RTVI message (unknown fields are skipped).

After each batch the probe must still be answered (the session lives), the server must have
no crashed session, and the receiver's counters must account for every frame sent
(``messages_in + audio_frames_in + malformed + unexpected + rate_limited + audio_dropped``).

``python -m reliability.fuzz [--messages 100000] [--frames 10000] [--quick]`` prints the
tallies; ``tests/reliability/test_fuzz.py`` runs a small version.
"""

from __future__ import annotations

import argparse
import base64
import collections
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rtvi_actors.client import RtviClient, open_rtvi_client
from rtvi_actors.protocol import wire

from .common import Target, task_count

__all__ = ["DIRECT", "Item", "Tally", "check_batch", "frames", "items", "messages", "run_batch"]

DIRECT = frozenset({"error", "error-response", "bot-ready", "server-response"})
"""Reply types that answer a request at once (everything else is an event)."""
PROBE_TYPE = "__probe__"
TYPES = (
    "client-ready",
    "send-text",
    "client-message",
    "dtmf",
    "raw-audio",
    "llm-function-call-result",
    "append-to-context",
    "ui-event",
    "describe-config",
    "get-config",
    "update-config",
    "action",
)
"""Known client types the fuzzer uses (``disconnect-bot`` is left out: it ends the session)."""


@attrs.frozen
class Item:
    """One fuzz input: ``payload`` goes on the wire as it is."""

    kind: str  # "message" (RTVI JSON inside a protobuf message frame) or "frame"
    payload: bytes | str = attrs.field(repr=lambda p: f"<{len(p)} {type(p).__name__}>")
    expect: str  # silent | envelope | unsupported | reply | any
    id: str | None = None
    tag: str = ""  # what the generator did (for the tallies)


# -- JSON building blocks ---------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=10,
)
ids = st.text(min_size=1, max_size=12)
DTMF = list("0123456789*#")


def _valid_data(type_: str) -> st.SearchStrategy[Any]:
    match type_:
        case "client-ready":
            return st.fixed_dictionaries(
                {
                    "version": st.sampled_from(
                        ["2.1.0", "2.0.0", "1.0.0", "0.3.0", "3.0.0", "junk", "1.2", ""]
                    ),
                    "about": st.fixed_dictionaries({"library": st.text(max_size=8)}),
                }
            )
        case "send-text":
            return st.fixed_dictionaries(
                {"content": st.text(max_size=40)},
                optional={
                    "options": st.fixed_dictionaries(
                        {},
                        optional={
                            "run_immediately": st.booleans(),
                            "audio_response": st.booleans(),
                        },
                    )
                },
            )
        case "client-message":
            return st.fixed_dictionaries({"t": st.text(max_size=10)}, optional={"d": values})
        case "dtmf":
            return st.fixed_dictionaries(
                {"buttons": st.lists(st.sampled_from(DTMF), min_size=1, max_size=5)}
            )
        case "raw-audio":
            return st.fixed_dictionaries(
                {
                    "base64Audio": st.binary(max_size=640).map(
                        lambda b: base64.b64encode(b[: len(b) // 2 * 2]).decode()
                    ),
                    "sampleRate": st.sampled_from([16000, 8000, 48000, 0, -1]),
                    "numChannels": st.sampled_from([1, 2, 0]),
                }
            )
        case "llm-function-call-result":
            return st.fixed_dictionaries(
                {
                    "function_name": st.text(max_size=8),
                    "tool_call_id": st.text(max_size=8),
                    "arguments": st.dictionaries(st.text(max_size=4), scalars, max_size=3),
                    "result": values,
                }
            )
        case "append-to-context":
            return st.fixed_dictionaries(
                {"role": st.sampled_from(["user", "assistant", "x"]), "content": values}
            )
        case "ui-event":
            return st.fixed_dictionaries({"event": st.text(max_size=8), "payload": values})
        case _:
            return st.one_of(st.none(), st.dictionaries(st.text(max_size=6), values, max_size=3))


def _envelope(type_: str, id_: Any, data: Any, *, label: Any = "rtvi-ai") -> dict[str, Any]:
    env: dict[str, Any] = {"label": label, "type": type_, "id": id_}
    if data is not None:
        env["data"] = data
    return env


def _wrap(text: str) -> bytes:
    return wire.serialize(wire.RtviText(data=text))


def _message(text: str, expect: str, id_: Any, tag: str) -> Item:
    return Item("message", _wrap(text), expect, id_ if isinstance(id_, str) else None, tag)


@st.composite
def valid_messages(draw: st.DrawFn) -> Item:
    type_ = draw(st.sampled_from(TYPES))
    id_ = draw(ids)
    data = draw(_valid_data(type_))
    return _message(json.dumps(_envelope(type_, id_, data)), "reply", id_, "valid")


@st.composite
def mutated_messages(draw: st.DrawFn) -> Item:
    type_ = draw(st.sampled_from(TYPES))
    id_ = draw(ids)
    env = _envelope(type_, id_, draw(_valid_data(type_)))
    how = draw(
        st.sampled_from(
            ["drop-key", "wrong-value", "extra-key", "data-type", "unknown-type", "type-type"]
        )
    )
    data = env.get("data")
    expect = "reply"
    if how == "drop-key" and isinstance(data, dict) and data:
        del data[draw(st.sampled_from(sorted(data)))]
    elif how == "wrong-value" and isinstance(data, dict) and data:
        data[draw(st.sampled_from(sorted(data)))] = draw(values)
    elif how == "extra-key":
        env[draw(st.text(max_size=6))] = draw(values)
        env.update(label="rtvi-ai", id=id_)  # the extra key must not replace these
        if isinstance(data, dict):
            data[draw(st.text(max_size=6))] = draw(values)
    elif how == "data-type":
        env["data"] = draw(st.one_of(st.lists(scalars, max_size=3), st.text(max_size=5), scalars))
        if env["data"] is None:
            del env["data"]
    elif how == "unknown-type":
        env["type"] = "x-" + draw(st.text(max_size=10))
        if not isinstance(env.get("data"), dict | None):
            env.pop("data", None)
        expect = "unsupported"
    elif how == "type-type":
        env["type"] = draw(st.one_of(scalars.filter(lambda v: not isinstance(v, str)), values))
    return _message(json.dumps(env), expect, id_, f"mutated:{how}")


@st.composite
def envelope_errors(draw: st.DrawFn) -> Item:
    """``label`` or ``id`` wrong, or not an object at all."""
    how = draw(st.sampled_from(["no-label", "other-label", "id-type", "no-id", "not-object"]))
    type_ = draw(st.sampled_from(TYPES))
    env = _envelope(type_, draw(ids), draw(_valid_data(type_)))
    expect = "silent"
    if how == "no-label":
        del env["label"]
    elif how == "other-label":
        env["label"] = draw(values.filter(lambda v: v != "rtvi-ai"))
    elif how == "id-type":
        env["id"] = draw(values.filter(lambda v: not isinstance(v, str)))
        expect = "envelope"
    elif how == "no-id":
        del env["id"]
        expect = "envelope"
    else:
        return _message(
            json.dumps(draw(values.filter(lambda v: not isinstance(v, dict)))), "silent", None, how
        )
    return _message(json.dumps(env), expect, None, how)


@st.composite
def huge_messages(draw: st.DrawFn, max_size: int = 800_000) -> Item:
    n = draw(st.integers(50_000, max_size))
    ch = draw(st.sampled_from("ab é€"))
    id_ = draw(ids)
    where = draw(st.sampled_from(["content", "id", "extra"]))
    text = ch * (n // len(ch.encode()))
    if where == "content":
        env = _envelope("send-text", id_, {"content": text, "options": {"audio_response": False}})
    elif where == "id":
        id_ = text
        env = _envelope("x-huge", id_, None)
    else:
        env = _envelope("client-message", id_, {"t": "x", "d": {"blob": text}})
    text = json.dumps(env, ensure_ascii=False)
    return _message(text, "any", id_, f"huge:{where}")


@st.composite
def nested_messages(draw: st.DrawFn) -> Item:
    depth = draw(st.integers(10, 100_000))
    open_, close = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    id_ = draw(ids)
    type_ = draw(st.sampled_from(["send-text", "client-message", "x-nested"]))
    body = open_ * depth + "1" + close * depth
    text = f'{{"label":"rtvi-ai","type":"{type_}","id":{json.dumps(id_)},"data":{{"d":{body}}}}}'
    return _message(text, "any", id_, "nested")


@st.composite
def not_json(draw: st.DrawFn) -> Item:
    text = draw(st.text(max_size=60).filter(lambda t: not _is_json(t)))
    return _message(text, "envelope", None, "not-json")


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def messages(*, huge: int = 800_000) -> st.SearchStrategy[Item]:
    """RTVI messages: valid, mutated, wrong types, huge, deeply nested, not JSON."""
    return st.one_of(
        valid_messages(),
        mutated_messages(),
        envelope_errors(),
        not_json(),
        st.integers(0, 40).flatmap(
            lambda k: (
                huge_messages(huge) if k == 0 else nested_messages() if k < 3 else valid_messages()
            )
        ),
    )


# -- wire frames ------------------------------------------------------------------------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


@st.composite
def unknown_field(draw: st.DrawFn) -> bytes:
    number = draw(st.integers(6, 10_000))
    wire_type = draw(st.sampled_from([0, 1, 2, 5]))
    key = _varint(number << 3 | wire_type)
    if wire_type == 0:
        return key + _varint(draw(st.integers(0, 2**64 - 1)))
    if wire_type == 1:
        return key + draw(st.binary(min_size=8, max_size=8))
    if wire_type == 5:
        return key + draw(st.binary(min_size=4, max_size=4))
    blob = draw(st.binary(max_size=40))
    return key + _varint(len(blob)) + blob


def _frame_samples() -> st.SearchStrategy[bytes]:
    pcm = st.binary(max_size=1280).map(lambda b: b[: len(b) // 4 * 4])
    return st.one_of(
        st.builds(
            lambda a, r, c: wire.serialize(wire.AudioFrame(audio=a, sample_rate=r, num_channels=c)),
            pcm,
            st.sampled_from([16000, 8000, 48000, 1, 7, 2**32 - 1]),
            st.sampled_from([1, 2]),
        ),
        st.builds(lambda t: wire.serialize(wire.TextFrame(text=t)), st.text(max_size=30)),
        st.builds(
            lambda t: wire.serialize(wire.TranscriptionFrame(text=t, user_id="u", timestamp="0")),
            st.text(max_size=30),
        ),
        st.just(wire.serialize(wire.InterruptionFrame())),
        st.builds(
            lambda t: _wrap(json.dumps(_envelope("client-message", "u", {"t": t}))),
            st.text(max_size=8),
        ),
    )


@st.composite
def frames(draw: st.DrawFn) -> Item:
    """Wire frames: random bytes, truncated protobuf, text frames, unknown fields, other kinds."""
    how = draw(st.sampled_from(["random", "truncated", "text", "unknown-fields", "kinds"]))
    if how == "random":
        return Item("frame", draw(st.binary(max_size=600)), "any", None, how)
    if how == "text":
        return Item("frame", draw(st.text(max_size=80)), "silent", None, how)
    sample = draw(_frame_samples())
    if how == "truncated":
        cut = draw(st.integers(0, max(0, len(sample) - 1)))
        return Item("frame", sample[:cut], "any", None, how)
    if how == "unknown-fields":
        extra = b"".join(draw(st.lists(unknown_field(), min_size=1, max_size=4)))
        at_end = draw(st.booleans())
        payload = sample + extra if at_end else extra + sample
        return Item("frame", payload, "any", None, how)
    return Item("frame", sample, "any", None, how)


def items(*, huge: int = 800_000, frame_share: int = 1) -> st.SearchStrategy[Item]:
    """Messages and frames, about ``frame_share`` frames in 11."""
    return st.integers(0, 10).flatmap(
        lambda k: frames() if k < frame_share else messages(huge=huge)
    )


# -- running and judging ----------------------------------------------------------------------


@attrs.define
class Tally:
    """What happened to the items sent so far."""

    messages: int = 0
    frames: int = 0
    answered: int = 0  # got replies carrying their id
    errors: int = 0  # got one non-fatal envelope ``error``
    dropped: int = 0  # got no reply (counted by the server)
    batches: int = 0
    probes: int = 0
    probe_latency_max: float = 0.0
    tags: collections.Counter[str] = attrs.Factory(collections.Counter)
    failures: list[str] = attrs.Factory(list)

    def report(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "frames": self.frames,
            "answered": self.answered,
            "errors": self.errors,
            "dropped": self.dropped,
            "batches": self.batches,
            "probe_latency_max_ms": round(self.probe_latency_max * 1000, 1),
            "failures": len(self.failures),
        }


def _probe(i: int) -> tuple[str, bytes]:
    pid = f"probe-{i}"
    env = {"label": "rtvi-ai", "type": "client-message", "id": pid, "data": {"t": PROBE_TYPE}}
    return pid, _wrap(json.dumps(env))


def check_batch(batch: list[Item], received: list[dict[str, Any]], tally: Tally) -> None:
    """Attribute replies to items (between probes) and judge each against the spec."""
    groups: list[list[dict[str, Any]]] = [[]]
    handshake = next((m for m in received if m.get("type") == "bot-ready"), None)
    for m in received:
        if m is handshake:
            continue
        if m.get("type") not in DIRECT:
            continue
        if str(m.get("id", "")).startswith("probe-") and m["type"] == "error-response":
            groups.append([])
            continue
        groups[-1].append(m)
    # groups[i]: the replies to batch[i] (they precede the reply to probe i)
    for item, replies in zip(batch, groups, strict=False):
        _judge(item, replies, tally)


def _judge(item: Item, replies: list[dict[str, Any]], tally: Tally) -> None:
    if item.kind == "frame":
        tally.frames += 1
    else:
        tally.messages += 1
    tally.tags[item.tag] += 1
    ok = True
    errors = [r for r in replies if r["type"] == "error"]
    with_id = [r for r in replies if r["type"] != "error"]
    if any(r.get("data", {}).get("fatal") for r in errors):
        ok = False
    if any("id" in r for r in errors):
        ok = False
    for text in (str(r.get("data")) for r in replies):
        if "Traceback" in text or 'File "' in text or "internal error" in text:
            ok = False
    match item.expect:
        case "silent":
            ok = ok and not replies
        case "envelope":
            ok = ok and len(errors) == 1 and not with_id
        case "unsupported":
            ok = (
                ok
                and len(with_id) == 1
                and with_id[0]["type"] == "error-response"
                and with_id[0].get("id") == item.id
                and "Unsupported type" in with_id[0]["data"]["error"]
            )
        case "reply":
            ok = ok and not errors and all(r.get("id") == item.id for r in with_id)
        case _:  # "any": this item's id, or one envelope error
            # a frame that still carries a message carries the generator's client-message "u"
            own = "u" if item.kind == "frame" else item.id
            ok = ok and len(errors) <= 1 and all(r.get("id") == own for r in with_id)
    if not ok:
        tally.failures.append(f"{item!r}: {replies!r}"[:500])
    if errors:
        tally.errors += 1
    elif with_id:
        tally.answered += 1
    else:
        tally.dropped += 1


async def run_batch(target: Target, batch: list[Item], tally: Tally, *, limit: float = 30) -> None:
    """Send ``batch`` on a fresh connection, each item followed by a probe; judge it all."""
    assert target.server is not None
    before = set(target.sessions)
    crashed = target.server.statistics().crashed
    with trio.fail_after(limit):
        async with open_rtvi_client(target.url) as client:
            await client.ready()
            last = ""
            for i, item in enumerate(batch):
                await client.send_raw(item.payload)
                last, probe = _probe(i)
                await client.send_raw(probe)
            t0 = trio.current_time()
            if batch:
                await client.wait_for("error-response", lambda m: m.get("id") == last)
            tally.probe_latency_max = max(tally.probe_latency_max, trio.current_time() - t0)
            tally.probes += len(batch)
            check_batch(batch, client.messages, tally)
            _check_counters(target, before, batch, tally)
            await client.ws.aclose()
    tally.batches += 1
    if target.server.statistics().crashed != crashed:
        tally.failures.append("a session crashed")


def _check_counters(target: Target, before: set[str], batch: list[Item], tally: Tally) -> None:
    new = [s for sid, s in target.sessions.items() if sid not in before]
    if len(new) != 1:
        tally.failures.append(f"expected one new session, got {len(new)}")
        return
    c = new[0].data["transport"]
    seen = (
        c.messages_in + c.audio_frames_in + c.malformed + c.unexpected + c.rate_limited
    ) + c.audio_dropped
    if seen != 1 + 2 * len(batch):  # client-ready, then each item and its probe
        tally.failures.append(f"counters account for {seen} frames, sent {1 + 2 * len(batch)}")


async def probe_alive(client: RtviClient, i: int = 10**9) -> None:
    """Raise unless the session still answers a probe."""
    pid, probe = _probe(i)
    await client.send_raw(probe)
    await client.wait_for("error-response", lambda m: m.get("id") == pid)


def hypothesis_runner(
    strategy: st.SearchStrategy[list[Item]],
    examples: int,
    run: Callable[[list[Item]], None],
    *,
    derandomize: bool = False,
) -> Callable[[], None]:
    """A zero-argument function running ``run(batch)`` on ``examples`` generated batches."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def fuzz(batch: list[Item]) -> None:
        run(batch)

    return fuzz


async def fuzz(
    *,
    messages_total: int,
    frames_total: int,
    batch: int = 100,
    huge: int = 800_000,
    derandomize: bool = False,
    progress: Callable[[Tally], None] | None = None,
) -> tuple[Tally, dict[str, Any]]:
    """Run the fuzzer against a fresh in-process server; returns the tally and server figures."""
    tally = Tally()
    target = Target()
    async with trio.open_nursery() as nursery:
        await target.start(nursery)
        tasks_before = task_count()

        def run_messages(b: list[Item]) -> None:
            trio.from_thread.run(run_batch, target, b, tally)
            if progress is not None:
                progress(tally)

        msg_batches = max(1, messages_total // batch)
        frame_batches = max(0, frames_total // batch)
        await trio.to_thread.run_sync(
            hypothesis_runner(
                st.lists(messages(huge=huge), min_size=batch, max_size=batch),
                msg_batches,
                run_messages,
                derandomize=derandomize,
            )
        )
        if frame_batches:
            await trio.to_thread.run_sync(
                hypothesis_runner(
                    st.lists(frames(), min_size=batch, max_size=batch),
                    frame_batches,
                    run_messages,
                    derandomize=derandomize,
                )
            )
        await trio.sleep(0.5)
        assert target.server is not None
        stats = target.server.statistics()
        figures = {
            "server": attrs.asdict(stats),
            "counters": attrs.asdict(target.counters()),
            "tasks_before": tasks_before,
            "tasks_after": task_count(),
        }
        nursery.cancel_scope.cancel()
    return tally, figures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m reliability.fuzz", description=__doc__.split("\n")[0]
    )
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--frames", type=int, default=10_000)
    p.add_argument("--batch", type=int, default=100, help="items per connection")
    p.add_argument("--quick", action="store_true", help="2,000 messages and 500 frames")
    args = p.parse_args(argv)
    if args.quick:
        args.messages, args.frames = 2_000, 500
    from rtvi_actors.logs import configure_logging

    configure_logging("console", level="error")
    started = time.monotonic()

    def progress(t: Tally) -> None:
        if t.batches % 50 == 0:
            print(
                f"  {t.messages} messages, {t.frames} frames, {len(t.failures)} failures",
                file=sys.stderr,
            )

    tally, figures = trio.run(
        lambda: fuzz(
            messages_total=args.messages,
            frames_total=args.frames,
            batch=args.batch,
            progress=progress,
        )
    )
    elapsed = time.monotonic() - started
    print(json.dumps({"tally": tally.report(), **figures, "seconds": round(elapsed, 1)}, indent=2))
    print("by generator:", dict(sorted(tally.tags.items())))
    for f in tally.failures[:20]:
        print("FAILURE:", f)
    return 1 if tally.failures or figures["server"]["crashed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
