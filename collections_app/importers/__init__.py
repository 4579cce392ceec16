"""Importers for registry reference data: the ELViS/DiSSCo tables (TSV) and GRSciColl JSON.

``discovery.discover`` turns paths into recognised sources in import order, and
``runner.import_sources`` upserts them; ``import_institutions`` is only the command-line shell.
"""
