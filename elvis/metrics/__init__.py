"""Prometheus metrics: request latency per view (django-prometheus), Celery task outcomes, and
the outbox backlog, scraped from ``/metrics`` with a bearer token.

Several processes (gunicorn workers, a Celery worker and its pool) each count their own share;
prometheus_client's multiprocess mode writes those counts to files that ``/metrics`` merges
(see ``multiprocess``), so one scrape of the web app sees them all.
"""
