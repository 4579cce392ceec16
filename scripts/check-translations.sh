#!/usr/bin/env bash
# The translations are complete and current (CI's lint step; a few seconds):
#  1. every translatable string of the code and templates is in the catalogues: makemessages,
#     run on a copy of the tree, leaves locale/ as committed (the POT-Creation-Date aside;
#     locations are file names only, so moving a line is no change);
#  2. every message is translated in each shipped language, none fuzzy;
#  3. the committed .mo files are the compiled .po files (compared as text, by msgunfmt, so a
#     different gettext version is no difference).
# `make messages` updates the catalogues; `make translations` compiles them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"  # absolute, the venv's own (no symlink resolved)
LANGS=(fr de)
fail=0
problem() { printf 'TRANSLATIONS: %s\n' "$*" >&2; fail=1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar --exclude=./.venv --exclude=./var --exclude=./.git --exclude=./staticfiles \
  --exclude=./.pytest_cache --exclude=./.ruff_cache --exclude='*/__pycache__' -cf - . |
  tar -xf - -C "$work"
(cd "$work" && DEBUG=1 ELVIS_DATA_DIR="$work/var" "$PY" manage.py makemessages \
  "${LANGS[@]/#/--locale=}" --add-location=file --no-obsolete --verbosity=0 \
  --ignore=.venv --ignore=tests --ignore=bench --ignore=var --ignore=staticfiles \
  --ignore=docs --ignore=data)

for lang in "${LANGS[@]}"; do
  po=locale/$lang/LC_MESSAGES/django.po
  mo=locale/$lang/LC_MESSAGES/django.mo
  if ! diff -u -I '^"POT-Creation-Date: ' "$po" "$work/$po" >"$work/$lang.diff"; then
    head -40 "$work/$lang.diff" >&2
    problem "$po is not what makemessages extracts: run 'make messages', translate, commit"
  fi
  untranslated=$(msgattrib --untranslated --no-obsolete "$po" | grep -c '^msgid ' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$po" | grep -c '^msgid ' || true)
  # msgattrib prints the header entry along with any message it keeps.
  [ "$untranslated" -le 1 ] || problem "$po: $((untranslated - 1)) untranslated message(s)"
  [ "$fuzzy" -le 1 ] || problem "$po: $((fuzzy - 1)) fuzzy message(s)"
  msgfmt --check -o "$work/$lang.mo" "$po" || problem "$po does not compile"
  if [ ! -f "$mo" ] || ! diff -q <(msgunfmt "$mo") <(msgunfmt "$work/$lang.mo") >/dev/null; then
    problem "$mo is not the compiled $po: run 'make translations' and commit it"
  fi
done
[ "$fail" = 0 ] || exit 1
echo "Translations: complete and current for ${LANGS[*]}."
