// rtvi-actors demo page: the official Pipecat web client over the WebSocket transport.
//
// Connect POSTs /start (startBotAndConnect) and opens the WebSocket URL it returns. The media
// manager is WavMediaManager (16 kHz microphone in, 24 kHz bot audio out, all local): the
// transport's default DailyMediaManager downloads code from a CDN at run time.
// Built by `npm run build` (web/build.mjs) into rtvi_actors/static/app.js.
import { PipecatClient } from "@pipecat-ai/client-js";
import {
  ProtobufFrameSerializer,
  WavMediaManager,
  WebSocketTransport,
} from "@pipecat-ai/websocket-transport";

const $ = (id) => document.getElementById(id);
const ui = {
  status: $("status"),
  connect: $("connect"),
  disconnect: $("disconnect"),
  mic: $("mic"),
  userSpeaking: $("user-speaking"),
  botSpeaking: $("bot-speaking"),
  transcript: $("transcript"),
  form: $("text-form"),
  text: $("text"),
  send: $("send"),
  log: $("log"),
};

const MAX_LOG = 200;
let client = null;
let micOn = true;
let userLine = null; // the user's line being transcribed
let botLine = null; // {el, segments: Map<segment_id, span>} of the bot's current reply

// -- view helpers --------------------------------------------------------------------------
function log(text, cls) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toISOString().slice(11, 23)}  ${text}`;
  if (cls) li.className = cls;
  ui.log.append(li);
  while (ui.log.children.length > MAX_LOG) ui.log.firstElementChild.remove();
  li.scrollIntoView({ block: "nearest" });
}

function setState(state) {
  document.body.dataset.state = state;
  ui.status.textContent = state;
  const live = !["disconnected", "error", "initialized"].includes(state);
  ui.connect.disabled = live;
  ui.disconnect.disabled = !live;
  ui.send.disabled = state !== "ready";
  if (!live) {
    ui.userSpeaking.classList.remove("on");
    ui.botSpeaking.classList.remove("on");
  }
}

function addLine(who, text, cls = "") {
  const el = document.createElement("div");
  el.className = `line ${who} ${cls}`.trim();
  el.textContent = text;
  ui.transcript.append(el);
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
  return el;
}

function newBotLine() {
  botLine = { el: addLine("bot", ""), segments: new Map() };
  return botLine;
}

function showBotOutput(data) {
  const text = data?.text ?? "";
  if (!text) return;
  const line = botLine ?? newBotLine();
  const key = data.segment_id ?? `anon-${line.segments.size}`;
  let span = line.segments.get(key);
  if (!span) {
    if (line.segments.size) line.el.append(" ");
    span = document.createElement("span");
    line.segments.set(key, span);
    line.el.append(span);
  }
  span.textContent = text;
  span.className = data.spoken_status === "new" && data.will_be_spoken !== false ? "pending" : "";
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
}

function showUserTranscript(data) {
  const text = data?.text ?? "";
  if (!userLine) userLine = addLine("user", "", "interim");
  userLine.textContent = text;
  if (data?.final) {
    userLine.classList.remove("interim");
    userLine = null;
  }
}

function markInterrupted() {
  if (!botLine) return;
  for (const span of botLine.segments.values()) {
    if (span.className === "pending") span.className = "cut";
  }
  botLine = null;
}

// -- the client ----------------------------------------------------------------------------
/** Sees every server message, to show `bot-interrupted` (the client has no callback for it). */
class DemoSerializer extends ProtobufFrameSerializer {
  async deserialize(data) {
    const parsed = await super.deserialize(data);
    if (parsed.type === "message" && parsed.message?.type === "bot-interrupted") {
      log("bot interrupted");
      markInterrupted();
    }
    return parsed;
  }
}

function makeClient() {
  const transport = new WebSocketTransport({
    mediaManager: new WavMediaManager(512, 16000),
    serializer: new DemoSerializer(),
  });
  return new PipecatClient({
    transport,
    enableMic: micOn,
    enableCam: false,
    callbacks: {
      onTransportStateChanged: (state) => setState(state),
      onConnected: () => log("connected"),
      onDisconnected: () => {
        log("disconnected");
        setState("disconnected");
      },
      onBotReady: (data) => log(`bot ready (RTVI ${data?.version ?? "?"})`),
      onUserStartedSpeaking: () => {
        ui.userSpeaking.classList.add("on");
        log("user started speaking");
      },
      onUserStoppedSpeaking: () => {
        ui.userSpeaking.classList.remove("on");
        log("user stopped speaking");
      },
      onBotStartedSpeaking: () => {
        ui.botSpeaking.classList.add("on");
        log("bot started speaking");
      },
      onBotStoppedSpeaking: () => {
        ui.botSpeaking.classList.remove("on");
        log("bot stopped speaking");
      },
      onUserTranscript: (data) => {
        showUserTranscript(data);
        if (data?.final) log(`user: ${data.text}`);
      },
      onBotLlmStarted: () => newBotLine(),
      onBotOutput: (data) => {
        showBotOutput(data);
        if (data?.spoken_status !== "new") log(`bot: ${data?.text}`);
      },
      onServerMessage: (data) => log(`server message: ${JSON.stringify(data)}`),
      onMessageError: (msg) => log(`message error: ${JSON.stringify(msg?.data ?? msg)}`, "error"),
      onError: (msg) => {
        const text = msg?.data?.message ?? String(msg);
        // A server-side close is reported as an error by the transport; code 1000 is a normal
        // end (for example after disconnect-bot).
        log(/Code: 1000$/.test(text) ? `session ended: ${text}` : `error: ${text}`, "error");
      },
    },
  });
}

async function connect() {
  if (client) return;
  setState("connecting");
  client = makeClient();
  const token = new URLSearchParams(location.search).get("token");
  const headers = new Headers();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  try {
    await client.startBotAndConnect({ endpoint: "/start", headers });
  } catch (e) {
    log(`connect failed: ${e?.message ?? e}`, "error");
    await disconnect();
    setState("error");
  }
}

async function disconnect() {
  const c = client;
  client = null;
  userLine = null;
  botLine = null;
  if (c) {
    try {
      await c.disconnect();
    } catch (e) {
      log(`disconnect: ${e?.message ?? e}`, "error");
    }
  }
  setState("disconnected");
}

function toggleMic() {
  micOn = !micOn;
  ui.mic.setAttribute("aria-pressed", String(micOn));
  ui.mic.textContent = micOn ? "Mic on" : "Mic off";
  if (client) client.enableMic(micOn);
  log(micOn ? "microphone on" : "microphone off");
}

async function sendText(event) {
  event.preventDefault();
  const text = ui.text.value.trim();
  if (!text || !client) return;
  ui.text.value = "";
  addLine("user", text, "typed");
  try {
    await client.sendText(text);
  } catch (e) {
    log(`send failed: ${e?.message ?? e}`, "error");
  }
}

ui.connect.addEventListener("click", connect);
ui.disconnect.addEventListener("click", disconnect);
ui.mic.addEventListener("click", toggleMic);
ui.form.addEventListener("submit", sendText);
setState("disconnected");
