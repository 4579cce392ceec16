"""ELViS's PostgreSQL backend (``ENGINE = "elvis.postgresql"``): Django's, with a persistent
connection's health checked without a round trip (``base.DatabaseWrapper.is_usable``)."""
