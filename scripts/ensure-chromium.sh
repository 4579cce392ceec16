#!/usr/bin/env bash
# Browser tests drive Debian's chromium at /usr/bin/chromium (Playwright never downloads a
# browser here). Install it once if it is missing; fail loudly if that is impossible.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
echo "Installing Debian's chromium for the browser tests (apt-get install chromium)…"
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "chromium could not be installed" >&2; exit 1; }
