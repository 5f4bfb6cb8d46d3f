#!/usr/bin/env node
// Build the demo page into rtvi_actors/static (committed, so the server needs no npm step):
//   app.js     <- src/app.js bundled with the official client by esbuild (IIFE, minified)
//   index.html <- src/index.html
//   style.css  <- src/style.css
// The output is deterministic for the locked dependency versions.
//   node build.mjs           write the files
//   node build.mjs --check   exit 1 if the committed files differ from a fresh build
import { readFileSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.join(HERE, "src");
const OUT = path.resolve(HERE, "../rtvi_actors/static");
const check = process.argv.includes("--check");

const bundle = await esbuild.build({
  entryPoints: [path.join(SRC, "app.js")],
  bundle: true,
  write: false,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  legalComments: "eof",
  charset: "utf8",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});

const files = {
  "app.js": bundle.outputFiles[0].contents,
  "index.html": readFileSync(path.join(SRC, "index.html")),
  "style.css": readFileSync(path.join(SRC, "style.css")),
};

let stale = [];
if (!check) mkdirSync(OUT, { recursive: true });
for (const [name, data] of Object.entries(files)) {
  const dest = path.join(OUT, name);
  const same = existsSync(dest) && Buffer.compare(readFileSync(dest), Buffer.from(data)) === 0;
  if (check) {
    if (!same) stale.push(name);
  } else if (!same) {
    writeFileSync(dest, data);
    console.log(`wrote ${path.relative(process.cwd(), dest)} (${data.length} bytes)`);
  }
}
if (check) {
  if (stale.length) {
    console.error(`stale in rtvi_actors/static: ${stale.join(", ")} (run: cd web && npm run build)`);
    process.exit(1);
  }
  console.log("rtvi_actors/static is up to date");
}
