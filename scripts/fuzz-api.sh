#!/usr/bin/env bash
# Fuzz the live API with schemathesis: a throwaway PostgreSQL database with the demo data,
# gunicorn on a free local port, every operation as a curator and as a researcher. Fails on any
# 5xx, any response that violates the schema, any undocumented status code or content type.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
PG=${FUZZ_PG:-postgres://postgres@127.0.0.1:5432}
SECONDS_PER_ROLE=${FUZZ_SECONDS:-90}
db="elvis_fuzz_$$"
work=$(mktemp -d)
port=$("$BIN/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
base="http://127.0.0.1:$port"

export DEBUG=0 SECRET_KEY="fuzz-only-$(date +%s)-not-secret-at-all-0123456789abcdef"
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
export DATABASE_URL="$PG/$db" ELVIS_DATA_DIR="$work" CELERY_TASK_ALWAYS_EAGER=1
export THROTTLE_ANON=1000000/minute THROTTLE_USER=1000000/minute THROTTLE_LOGIN=1000000/minute
export AXES_FAILURE_LIMIT=1000000 STATIC_ROOT="$work/static"

psql_do() { "$BIN/python" -c "import psycopg,sys; c=psycopg.connect('$PG/postgres', autocommit=True); c.execute(sys.argv[1])" "$1"; }
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  psql_do "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" || true
  rm -rf "$work"
}
trap cleanup EXIT
psql_do "CREATE DATABASE \"$db\""
"$BIN/python" manage.py migrate --noinput -v0
"$BIN/python" manage.py collectstatic --noinput -v0
"$BIN/python" manage.py seed_demo --specimens 300 >/dev/null
"$BIN/gunicorn" elvis.wsgi:application -b "127.0.0.1:$port" -w 2 --log-level warning &
server=$!
for _ in $(seq 1 50); do curl -sf -o /dev/null "$base/healthz/" && break; sleep 0.2; done

token() {
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"elvis-demo-2026\"}" "$base/api/v1/auth/token/" |
    "$BIN/python" -c "import json, sys; print(json.load(sys.stdin)['token'])"
}
status=0
# One worker thread: on Python 3.11 hypothesis's lambda descriptions parse source with `ast` from
# several threads at once, which CPython can fail ("AST constructor recursion depth mismatch",
# python/cpython#106905) and schemathesis reports as a run error. The run is time-boxed anyway.
for who in curator.nhm@demo.example.org researcher@demo.example.org; do
  echo "== schemathesis as $who (${SECONDS_PER_ROLE}s) =="
  "$BIN/schemathesis" run "$base/api/v1/schema/?format=json" --url "$base" \
    -H "Authorization: Token $(token "$who")" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
    --phases examples,coverage,fuzzing --max-time "$SECONDS_PER_ROLE" -w 1 \
    --seed 20261124 --no-color || status=1
done
exit $status
