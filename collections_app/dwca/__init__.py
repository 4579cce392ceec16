"""Darwin Core Archives of occurrences into specimens (``manage.py import_dwca``).

``reader`` streams the core file as meta.xml describes it, ``mapping`` turns a row into specimen
values or a rejection, ``loaders`` upsert a batch the fastest way the database allows, and
``importer`` ties them together one committed batch at a time, so that an interrupted import
leaves whole batches only and a re-run (idempotent) finishes the job.
"""
