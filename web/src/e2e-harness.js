// The browser side of the end-to-end test (web/e2e.mjs bundles this file with esbuild and
// serves it on the server's origin). It drives the OFFICIAL client (PipecatClient +
// WebSocketTransport + WavMediaManager, protobuf frames) through one scripted conversation and
// returns what it saw. Nothing here changes what the client does; it only observes:
//
// * every inbound frame, with its arrival time, through a ProtobufFrameSerializer subclass
//   (this is how `bot-interrupted`, which has no client callback, is seen);
// * every chunk of bot audio handed to the player, by wrapping the media manager instance's
//   `bufferBotAudio` (WavMediaManager -> WavStreamPlayer.add16BitPCM). A chunk counts as
//   delivered when add16BitPCM accepted it (it returns the Int16Array; it returns undefined for
//   a track the player has interrupted). The player plays at 24 kHz, so seconds = samples/24000;
//   an Int16Array of mono PCM has one sample per element;
// * WebSocket close events (code, wasClean) by wrapping the page's WebSocket constructor.
import { PipecatClient } from "@pipecat-ai/client-js";
import {
  ProtobufFrameSerializer,
  WavMediaManager,
  WebSocketTransport,
} from "@pipecat-ai/websocket-transport";

const PLAYER_RATE = 24000;
const T0 = performance.now();
const now = () => (performance.now() - T0) / 1000;
const round = (x) => (x == null ? x : Math.round(x * 1000) / 1000);

const events = []; // {t, src: "cb"|"msg", name, data}
const audio = []; // {t, samples, delivered}
const closes = []; // {t, code, wasClean}
const errors = []; // onError / onMessageError / page errors
const waiters = new Set();

function record(src, name, data) {
  const ev = { t: now(), src, name, data };
  events.push(ev);
  for (const w of [...waiters]) {
    if (w.pred(ev)) {
      waiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(ev);
    }
  }
}

/** Resolve with the first event (already seen after `since`, or future) matching `pred`. */
function waitFor(what, pred, timeoutS, since = 0) {
  const seen = events.find((e) => e.t >= since && pred(e));
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const w = { pred: (e) => e.t >= since && pred(e), resolve };
    w.timer = setTimeout(() => {
      waiters.delete(w);
      reject(new Error(`timeout after ${timeoutS}s waiting for ${what}`));
    }, timeoutS * 1000);
    waiters.add(w);
  });
}

const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
const msg = (type) => (e) => e.src === "msg" && e.name === type;
const cb = (name) => (e) => e.src === "cb" && e.name === name;

// -- observation points ----------------------------------------------------------------------
const NativeWebSocket = window.WebSocket;
class ObservedWebSocket extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.addEventListener("close", (e) =>
      closes.push({ t: now(), code: e.code, wasClean: e.wasClean }),
    );
  }
}
window.WebSocket = ObservedWebSocket;

class RecordingSerializer extends ProtobufFrameSerializer {
  async deserialize(data) {
    const parsed = await super.deserialize(data);
    if (parsed.type === "message" && parsed.message?.label === "rtvi-ai") {
      record("msg", parsed.message.type, parsed.message.data ?? null);
    }
    return parsed;
  }
}

/** Seconds of bot audio in [from, to): delivered to the player, or (all) merely received. */
function audioSeconds(from, to = Infinity, all = false) {
  let n = 0;
  for (const a of audio) if ((all || a.delivered) && a.t >= from && a.t < to) n += a.samples;
  return n / PLAYER_RATE;
}

// -- the scenario ----------------------------------------------------------------------------
async function run(opts) {
  const { wsUrl, period } = opts;
  const checks = {};
  const marks = {};
  const fail = (name, why, extra = {}) => {
    checks[name] = { ok: false, why, ...extra };
  };

  const mediaManager = new WavMediaManager(512, 16000);
  const bufferBotAudio = mediaManager.bufferBotAudio.bind(mediaManager);
  mediaManager.bufferBotAudio = (data, id) => {
    const out = bufferBotAudio(data, id);
    audio.push({ t: now(), samples: data.length, delivered: out !== undefined });
    return out;
  };
  const transport = new WebSocketTransport({
    mediaManager,
    serializer: new RecordingSerializer(),
  });
  const callbacks = {};
  for (const name of [
    "onConnected",
    "onDisconnected",
    "onBotReady",
    "onUserStartedSpeaking",
    "onUserStoppedSpeaking",
    "onBotStartedSpeaking",
    "onBotStoppedSpeaking",
    "onUserTranscript",
    "onBotOutput",
    "onTransportStateChanged",
  ]) {
    callbacks[name] = (data) => record("cb", name, data ?? null);
  }
  callbacks.onError = (m) => {
    errors.push({ t: now(), kind: "onError", text: m?.data?.message ?? String(m), fatal: !!m?.data?.fatal });
    record("cb", "onError", m?.data ?? null);
  };
  callbacks.onMessageError = (m) => {
    errors.push({ t: now(), kind: "onMessageError", text: JSON.stringify(m?.data ?? m) });
  };
  const client = new PipecatClient({ transport, enableMic: true, enableCam: false, callbacks });

  // (a) connect; bot-ready arrives
  try {
    const ready = await Promise.race([
      client.connect({ wsUrl }),
      sleep(15).then(() => {
        throw new Error("no bot-ready within 15 s");
      }),
    ]);
    marks.botReady = now();
    checks.a_bot_ready = { ok: true, version: ready?.version ?? null, t: round(marks.botReady) };
  } catch (e) {
    fail("a_bot_ready", String(e));
    return { checks, marks };
  }

  // (b) the fake mic's first utterance -> one voice turn
  try {
    const uss = await waitFor("onUserStartedSpeaking", cb("onUserStartedSpeaking"), period + 5);
    marks.uss1 = uss.t;
    const tr = await waitFor(
      'final user transcript "hello"',
      (e) => cb("onUserTranscript")(e) && e.data?.final && /hello/i.test(e.data?.text ?? ""),
      10,
      uss.t,
    );
    const out = await waitFor(
      'bot-output "You said: hello."',
      (e) => cb("onBotOutput")(e) && (e.data?.text ?? "").includes("You said: hello."),
      10,
      uss.t,
    );
    const stopped = await waitFor("onBotStoppedSpeaking", cb("onBotStoppedSpeaking"), 10, out.t);
    await sleep(0.1);
    const secs = audioSeconds(uss.t, stopped.t + 0.1);
    checks.b_voice_turn = {
      ok: secs >= 0.5,
      why: secs >= 0.5 ? undefined : `only ${round(secs)} s of bot audio delivered`,
      user_started_speaking: round(uss.t),
      transcript: tr.data.text,
      transcript_t: round(tr.t),
      bot_output: out.data.text,
      bot_output_t: round(out.t),
      bot_stopped_speaking: round(stopped.t),
      audio_seconds: round(secs),
      expected_audio_seconds: 0.75,
    };
    marks.bDone = now();
  } catch (e) {
    fail("b_voice_turn", String(e));
    return { checks, marks };
  }

  // (c) send-text
  try {
    const since = now();
    await client.sendText("What's the weather?");
    const out = await waitFor(
      "bot-output with the text",
      (e) => cb("onBotOutput")(e) && (e.data?.text ?? "").includes("What's the weather?"),
      10,
      since,
    );
    const stopped = await waitFor("onBotStoppedSpeaking", cb("onBotStoppedSpeaking"), 10, out.t);
    const secs = audioSeconds(since, stopped.t + 0.05);
    checks.c_send_text = {
      ok: secs >= 0.5,
      why: secs >= 0.5 ? undefined : `only ${round(secs)} s of bot audio`,
      bot_output: out.data.text,
      latency_s: round(out.t - since),
      audio_seconds: round(secs),
    };
    marks.cDone = now();
  } catch (e) {
    fail("c_send_text", String(e));
    return { checks, marks };
  }

  // (d) barge-in: the fake mic speaks again one period after the first utterance (the capture
  // loops the file). Start a long reply ~2.5 s before that, so the user talks over the bot.
  const LONG =
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen " +
    "fifteen sixteen seventeen eighteen nineteen twenty";
  try {
    const expectedUss2 = marks.uss1 + period;
    const sendAt = expectedUss2 - 2.5;
    if (now() > sendAt - 0.2) throw new Error(`steps b/c ran too long to time the barge-in`);
    await sleep(sendAt - now());
    const since = now();
    await client.sendText(LONG);
    const started = await waitFor("onBotStartedSpeaking", cb("onBotStartedSpeaking"), 5, since);
    const uss = await waitFor(
      "onUserStartedSpeaking over the bot",
      cb("onUserStartedSpeaking"),
      period,
      started.t,
    );
    await sleep(1.0);
    const interrupted = events.find(
      (e) => e.t >= started.t && msg("bot-interrupted")(e) && e.t <= uss.t + 1,
    );
    // the event: whichever of bot-interrupted / user-started-speaking arrived first
    const tEvent = Math.min(uss.t, interrupted ? interrupted.t : Infinity);
    const before = audio.filter((a) => a.delivered && a.t <= tEvent && a.t >= started.t - 0.5);
    // frames received after the event (delivered to the player or not), within the next 1 s
    // (the barge-in's own reply starts later than that)
    const after = audio.filter((a) => a.t > tEvent && a.t <= tEvent + 1.0);
    const lastT = after.length ? Math.max(...after.map((a) => a.t)) : null;
    const lateSeconds = audioSeconds(tEvent + 0.1 + 1e-9, tEvent + 1.0, true);
    const afterSeconds = audioSeconds(tEvent + 1e-9, tEvent + 1.0, true);
    const beforeSeconds = audioSeconds(started.t - 0.5, tEvent);
    const fullSeconds = (LONG.split(" ").length + 2) * 0.25;
    const ok =
      lateSeconds === 0 && beforeSeconds > 0.5 && beforeSeconds < fullSeconds - 0.5 && !!interrupted;
    checks.d_barge_in = {
      ok,
      why: ok
        ? undefined
        : !interrupted
          ? "no bot-interrupted message"
          : lateSeconds > 0
            ? `${round(lateSeconds)} s of bot audio arrived > 0.1 s after the interruption`
            : `bot audio before the interruption ${round(beforeSeconds)} s (not a barge-in)`,
      sent_long_text: round(since),
      bot_started_speaking: round(started.t),
      user_started_speaking: round(uss.t),
      expected_user_started_speaking: round(expectedUss2),
      bot_interrupted: round(interrupted?.t),
      audio_before_interruption_s: round(beforeSeconds),
      full_reply_audio_s: fullSeconds,
      audio_after_event_s: round(afterSeconds),
      audio_later_than_100ms_s: round(lateSeconds),
      last_frame_after_event_s: lastT == null ? null : round(lastT - tEvent),
      last_frame_before_event_s: before.length ? round(tEvent - before[before.length - 1].t) : null,
    };
    // the barge-in's own turn completes
    const out = await waitFor(
      'bot-output "You said: hello." after the barge-in',
      (e) => cb("onBotOutput")(e) && (e.data?.text ?? "").includes("You said: hello."),
      10,
      uss.t,
    );
    await waitFor("onBotStoppedSpeaking", cb("onBotStoppedSpeaking"), 10, out.t);
    marks.dDone = now();
  } catch (e) {
    fail("d_barge_in", String(e));
    return { checks, marks };
  }

  // (e) disconnect-bot: the server lets the bot finish, then closes with 1000
  try {
    const since = now();
    const errorsBefore = errors.length;
    console.info("e2e: disconnect-bot"); // e2e.mjs tolerates the close notices only after this
    client.disconnectBot();
    const disc = await waitFor("onDisconnected", cb("onDisconnected"), 15, since);
    await sleep(0.2);
    const close = closes.find((c) => c.t >= since);
    const newErrors = errors.slice(errorsBefore);
    // The official transport reports every server-side close through onError ("websocket
    // connection closed. Code: N", fatal) and then disconnects; that notice with code 1000 is
    // the clean path. Anything else is an error.
    const unexpected = newErrors.filter((e) => !/websocket connection closed\. Code: 1000$/.test(e.text));
    const ok = !!close && close.code === 1000 && unexpected.length === 0;
    checks.e_disconnect_bot = {
      ok,
      why: ok ? undefined : `close ${JSON.stringify(close)}, errors ${JSON.stringify(unexpected)}`,
      disconnected_after_s: round(disc.t - since),
      close_code: close?.code ?? null,
      was_clean: close?.wasClean ?? null,
      transport_close_notice: newErrors.map((e) => e.text),
    };
  } catch (e) {
    fail("e_disconnect_bot", String(e));
  }
  return { checks, marks };
}

window.__e2e = {
  run: async (opts) => {
    let result;
    try {
      result = await run(opts);
    } catch (e) {
      result = { checks: { harness: { ok: false, why: String(e?.stack ?? e) } } };
    }
    const earlier = errors.filter((e) => !/websocket connection closed\. Code: 1000$/.test(e.text));
    result.client_errors = earlier;
    result.events = events.map((e) => ({
      t: round(e.t),
      src: e.src,
      name: e.name,
      ...(e.name === "onBotOutput" || e.name === "onUserTranscript" || e.name === "bot-output"
        ? { text: e.data?.text, status: e.data?.spoken_status }
        : {}),
    }));
    result.audio_total_s = round(audioSeconds(0));
    result.audio_chunks = audio.length;
    result.audio_chunks_not_delivered = audio.filter((a) => !a.delivered).length;
    return result;
  },
  state: () => ({ events: events.length, audio: audio.length, errors }),
};
