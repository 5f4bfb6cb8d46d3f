#!/usr/bin/env bash
# Install what the real-browser test (tests/browser) needs: Debian's Chromium, espeak-ng (the
# fake microphone's speech; without it the test uses a tone) and web/node_modules from the
# lockfile. Idempotent and fast when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if [ "${#need[@]}" -gt 0 ]; then
  echo "== browser-deps: apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# npm ci only when node_modules was not installed from this exact lockfile.
cd web
stamp=node_modules/.ci-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== browser-deps: npm ci (web/)"
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
echo "== browser-deps: chromium $(/usr/bin/chromium --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1), node $(node --version)"
