#!/usr/bin/env bash
# Serve ELViS for a person trying it out: migrate, load the demo data, start the Celery workers
# (one with the beat scheduler) beside the web server, and stop them together.
# Embedded default: SQLite under var/ and kombu's filesystem broker under var/celery/;
# DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis with the same code.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
# Exported: the settings derive SITE_URL (links in e-mails) from it when SITE_URL is unset.
export PORT=${PORT:-8000}
export DEBUG=${DEBUG:-1}
# A development checkout: a git-ignored .env with DEBUG on, so that `python manage.py …` works
# here too (settings read .env; with DEBUG off they demand a real SECRET_KEY).
if [ ! -f .env ]; then
  printf '# Written by make run for development (git-ignored). Production: see .env.example.\nDEBUG=1\n' > .env
  echo "Wrote .env (DEBUG=1) for development."
fi

"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py seed_demo

mkdir -p var/log
# Two workers, as production runs them: e-mail and everything else (with the beat scheduler),
# and webhook deliveries on their own queue, so that a partner's slow receiver never holds up
# e-mail. They log through Django's LOGGING (to standard error), not a --logfile of their own.
WORKER_QUEUES=default "$BIN/celery" -A elvis worker --beat --loglevel=INFO --concurrency=2 \
  --hostname=default@%h >>var/log/worker.log 2>&1 &
worker=$!
WORKER_QUEUES=webhooks "$BIN/celery" -A elvis worker --loglevel=INFO --concurrency=2 \
  --hostname=webhooks@%h >>var/log/webhook-worker.log 2>&1 &
webhook_worker=$!
trap 'kill "$worker" "$webhook_worker" 2>/dev/null; wait "$worker" "$webhook_worker" 2>/dev/null' \
  EXIT INT TERM
echo "Celery workers (pids $worker, $webhook_worker) running; logs var/log/worker.log and var/log/webhook-worker.log"
echo "ELViS at http://127.0.0.1:$PORT/  (admin /admin/, API docs /api/v1/docs/)"
"$BIN/python" manage.py runserver "127.0.0.1:$PORT"
