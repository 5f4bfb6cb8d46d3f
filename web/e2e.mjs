#!/usr/bin/env node
// Real-browser end-to-end test: headless Debian Chromium (playwright-core, no browser download)
// runs the OFFICIAL Pipecat web client against a running rtvi-actors server
// (`python -m rtvi_actors --bot scripted`), with a fake microphone fed from a WAV file.
//
//   node web/e2e.mjs ws://127.0.0.1:PORT/ws [--wav FILE] [--only harness|demo] [--chromium PATH]
//
// Prints one JSON object (the result of every check) and exits 0 when all pass, 1 otherwise,
// 2 on a usage error. Checks a-e run in a test page served on the server's origin (bundled on
// the fly from web/src/e2e-harness.js by esbuild); check f drives the demo page at `/`.
// See web/README.md for what each check verifies.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    wav: { type: "string" },
    only: { type: "string" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
    headed: { type: "boolean", default: false },
  },
});
if (positionals.length !== 1 || !/^wss?:\/\//.test(positionals[0])) {
  console.error("usage: node e2e.mjs ws://HOST:PORT/ws [--wav FILE] [--only harness|demo]");
  process.exit(2);
}
const wsUrl = positionals[0];
const httpBase = new URL(wsUrl.replace(/^ws/, "http")).origin;
const started = Date.now();
const elapsed = () => Math.round((Date.now() - started) / 100) / 10;

function log(...args) {
  console.error(`[e2e ${elapsed().toFixed(1)}s]`, ...args);
}

/** The fake-mic WAV: the given file, or one made by tests/browser/make_wav.py. */
function makeWav(dir) {
  if (opts.wav) return opts.wav;
  const out = path.join(dir, "mic.wav");
  const py = process.env.PYTHON || "python3";
  const r = spawnSync(py, [path.join(ROOT, "tests/browser/make_wav.py"), out], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`make_wav.py failed: ${r.stderr || r.error}`);
  log("wav:", r.stdout.trim());
  return out;
}

/** Seconds of a PCM16 mono WAV (the loop period of the fake capture). */
function wavInfo(file) {
  const buf = readFileSync(file);
  if (buf.toString("ascii", 0, 4) !== "RIFF" || buf.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error(`${file} is not a WAV file`);
  }
  let off = 12;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  while (off + 8 <= buf.length) {
    const id = buf.toString("ascii", off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === "fmt ") {
      channels = buf.readUInt16LE(off + 10);
      rate = buf.readUInt32LE(off + 12);
      bits = buf.readUInt16LE(off + 22);
    } else if (id === "data") {
      return { rate, channels, bits, seconds: size / (rate * channels * (bits / 8)) };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

async function harnessHtml() {
  const built = await esbuild.build({
    entryPoints: [path.join(HERE, "src/e2e-harness.js")],
    bundle: true,
    write: false,
    format: "iife",
    target: "es2020",
    logLevel: "silent",
  });
  const js = built.outputFiles[0].text.replace(/<\/script/gi, "<\\/script");
  return `<!doctype html><html><head><meta charset="utf-8"><title>rtvi-actors e2e</title>
<link rel="icon" href="data:,"></head><body><p>rtvi-actors browser e2e</p>
<script>${js}</script></body></html>`;
}

/** Collect console errors, page errors and failed requests (except those `ignore` accepts). */
function collectConsole(page, sink, ignore = () => false, onInfo = () => {}) {
  page.on("console", (m) => {
    if (m.type() === "info") onInfo(m.text());
    const text = `console.error: ${m.text()} (${m.location()?.url ?? "?"})`;
    if (m.type() === "error" && !ignore(text)) sink.push(text);
  });
  page.on("pageerror", (e) => sink.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => sink.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
}

/** Checks a-e: the official client in a bare test page. */
async function runHarness(browser, wav) {
  const context = await browser.newContext();
  await context.grantPermissions(["microphone"], { origin: httpBase });
  const page = await context.newPage();
  const consoleErrors = [];
  const html = await harnessHtml();
  // The test page must come from the server itself: Chromium's Local Network Access checks
  // block a WebSocket to 127.0.0.1 from a document with no network address (page.route or
  // about:blank). So load any URL of the server's (a 404 is fine) and replace its content.
  const bootstrap404 = new RegExp(`status of 404 .*\\(${httpBase}/(__e2e__|favicon\\.ico)\\)$`);
  // After disconnect-bot the server closes the socket (1000). The official client then logs
  // "Fatal error reported. Disconnecting..." and, when a mic chunk was in flight, "attempt to
  // send to closed socket": expected then, errors at any other time.
  const endNotice = /Fatal error reported\. Disconnecting|attempt to send to closed socket/;
  let ending = false;
  const expectedErrors = [];
  collectConsole(
    page,
    consoleErrors,
    (t) => bootstrap404.test(t) || (ending && endNotice.test(t) && expectedErrors.push(t) > 0),
    (t) => {
      if (t === "e2e: disconnect-bot") ending = true;
    },
  );
  await page.goto(`${httpBase}/__e2e__`);
  await page.setContent(html);
  const result = await page.evaluate(
    (o) => window.__e2e.run(o),
    { wsUrl, period: wav.seconds },
  );
  await context.close();
  // The transport's own close notice ("websocket connection closed. Code: 1000", logged by the
  // client's logger) and the socket's close warning are the expected end of check e.
  result.console_errors = consoleErrors;
  result.console_errors_expected = expectedErrors;
  return result;
}

/** Check f: the demo page at `/` loads without console errors and completes a text turn. */
async function runDemo(browser) {
  const context = await browser.newContext();
  await context.grantPermissions(["microphone"], { origin: httpBase });
  const page = await context.newPage();
  const consoleErrors = [];
  collectConsole(page, consoleErrors);
  const check = { ok: false };
  const t0 = Date.now();
  try {
    await page.goto(`${httpBase}/`, { waitUntil: "load" });
    check.title = await page.title();
    // mic off first: the fake mic's utterances would otherwise interleave voice turns
    await page.click("#mic");
    await page.waitForSelector("#mic[aria-pressed='false']", { timeout: 2000 });
    await page.click("#connect");
    await page.waitForSelector("body[data-state='ready']", { timeout: 15000 });
    const text = "Testing the demo page";
    await page.fill("#text", text);
    await page.click("#send");
    // the reply shows up as "new" (grey) when the bot starts speaking and turns "completed"
    // (class removed) when its audio has played: wait for the completed sentence
    await page.waitForSelector(
      `#transcript .bot span:not(.pending):not(.cut):has-text("You said: ${text}.")`,
      { timeout: 10000 },
    );
    check.user_line = await page.locator("#transcript .user").last().textContent();
    check.bot_line = await page.locator("#transcript .bot").last().textContent();
    check.log_lines = await page.locator("#log li").count();
    await page.click("#disconnect");
    await page.waitForSelector("body[data-state='disconnected']", { timeout: 5000 });
    check.console_errors = consoleErrors;
    check.ok = consoleErrors.length === 0;
    if (!check.ok) check.why = "console errors on the demo page";
  } catch (e) {
    check.why = String(e.message ?? e).split("\n")[0];
    check.console_errors = consoleErrors;
    check.state = await page
      .evaluate(() => ({
        state: document.body.dataset.state,
        transcript: document.querySelector("#transcript")?.innerText,
        log: document.querySelector("#log")?.innerText,
      }))
      .catch(() => null);
  }
  check.seconds = Math.round((Date.now() - t0) / 100) / 10;
  await context.close();
  return check;
}

async function main() {
  const tmp = mkdtempSync(path.join(tmpdir(), "rtvi-e2e-"));
  const out = { ok: false, url: wsUrl, chromium: opts.chromium, checks: {} };
  let browser;
  try {
    const wavFile = makeWav(tmp);
    const wav = wavInfo(wavFile);
    if (wav.rate !== 16000 || wav.channels !== 1 || wav.bits !== 16) {
      throw new Error(`fake mic WAV must be 16 kHz mono PCM16, got ${JSON.stringify(wav)}`);
    }
    out.wav = { file: wavFile, period_s: wav.seconds };
    browser = await chromium.launch({
      executablePath: opts.chromium,
      headless: !opts.headed,
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        `--use-file-for-fake-audio-capture=${wavFile}`,
        "--autoplay-policy=no-user-gesture-required",
      ],
    });
    out.browser_version = browser.version();
    if (opts.only !== "demo") {
      log("checks a-e (official client, fake mic)");
      const r = await runHarness(browser, wav);
      Object.assign(out.checks, r.checks);
      out.client_errors = r.client_errors;
      out.console_errors = r.console_errors;
      out.console_errors_expected = r.console_errors_expected;
      out.audio_total_s = r.audio_total_s;
      out.audio_chunks = r.audio_chunks;
      out.audio_chunks_not_delivered = r.audio_chunks_not_delivered;
      out.events = r.events;
      log("a-e done");
    }
    if (opts.only !== "harness") {
      log("check f (demo page)");
      out.checks.f_demo_page = await runDemo(browser);
      log("f done");
    }
    const expected =
      opts.only === "demo"
        ? ["f_demo_page"]
        : ["a_bot_ready", "b_voice_turn", "c_send_text", "d_barge_in", "e_disconnect_bot"].concat(
            opts.only === "harness" ? [] : ["f_demo_page"],
          );
    const missing = expected.filter((k) => !out.checks[k]);
    const failed = Object.entries(out.checks)
      .filter(([, v]) => !v.ok)
      .map(([k]) => k);
    if (out.client_errors?.length) failed.push("client_errors");
    if (out.console_errors?.length) failed.push("console_errors");
    out.failed = failed.concat(missing.map((k) => `${k} (not run)`));
    out.ok = out.failed.length === 0;
  } catch (e) {
    out.error = String(e?.stack ?? e);
  } finally {
    if (browser) await browser.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
  out.seconds = elapsed();
  console.log(JSON.stringify(out, null, 1));
  process.exit(out.ok ? 0 : 1);
}

main();
