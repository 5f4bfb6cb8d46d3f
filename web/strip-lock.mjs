#!/usr/bin/env node
// Remove every `resolved` URL from package-lock.json, so the committed lockfile names no
// registry host (npm ci resolves names through the configured registry and checks `integrity`).
// web/.npmrc sets omit-lockfile-registry-resolved, so npm itself should not write them; this
// script is the check and the fix:  node strip-lock.mjs [--check]
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "package-lock.json");
const text = readFileSync(file, "utf8");
const lock = JSON.parse(text);
let n = 0;
for (const entry of Object.values(lock.packages ?? {})) {
  if (entry && typeof entry === "object" && "resolved" in entry) {
    delete entry.resolved;
    n += 1;
  }
}
const out = `${JSON.stringify(lock, null, 2)}\n`;
if (process.argv.includes("--check")) {
  if (n || /:\/\/[^"]*registry|npmjs/.test(text)) {
    console.error(`package-lock.json names a registry (${n} resolved URLs): run node strip-lock.mjs`);
    process.exit(1);
  }
  console.log("package-lock.json: no resolved URLs");
} else if (out !== text) {
  writeFileSync(file, out);
  console.log(`package-lock.json: removed ${n} resolved URLs`);
} else {
  console.log("package-lock.json: nothing to strip");
}
