# ELViS production image: the web app (gunicorn), and the same image runs the Celery worker and beat.
# Python 3.12: the Python CI's PostgreSQL pass runs on (.ci/run).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ELVIS_DATA_DIR=/srv/elvis/var \
    STATIC_ROOT=/srv/elvis/staticfiles

WORKDIR /srv/elvis/app
COPY requirements.txt .
RUN pip install -r requirements.txt \
    && useradd --system --home /srv/elvis --uid 10001 elvis \
    && mkdir -p /srv/elvis/var /srv/elvis/staticfiles \
    && chown -R elvis /srv/elvis
COPY --chown=elvis . .
# The app's bytecode, compiled once here: PYTHONDONTWRITEBYTECODE keeps every process from
# writing it, so without this each gunicorn worker, Celery process and manage.py command
# compiled the app's modules from source as it started (0.1 s of the 0.8 s a command takes to
# start; bench/README.md). collectstatic needs settings that load; the real secret comes from
# the environment at run time.
RUN python -m compileall -q /srv/elvis/app \
    && DEBUG=0 SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput
USER elvis
EXPOSE 8000
# Workers, threads and timeouts: gunicorn.conf.py (WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT …).
CMD ["gunicorn", "elvis.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
