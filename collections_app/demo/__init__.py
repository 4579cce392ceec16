"""Demo data for ``seed_demo``: real taxon names, places, collection plans and role accounts.

Everything here is deterministic so that re-running ``seed_demo`` finds what it made before.
"""
