#!/usr/bin/env bash
# GNU gettext (msgfmt, xgettext, msgattrib) extracts and checks the translations
# (scripts/check-translations.sh). Install it once if it is missing; fail loudly if that is
# impossible. (`make run` needs none of it: the compiled .mo catalogues are committed.)
set -euo pipefail
command -v msgfmt >/dev/null && command -v xgettext >/dev/null && command -v msgattrib >/dev/null && exit 0
echo "Installing GNU gettext for the translation checks (apt-get install gettext)…"
if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq gettext >/dev/null
command -v msgfmt >/dev/null || { echo "gettext could not be installed" >&2; exit 1; }
