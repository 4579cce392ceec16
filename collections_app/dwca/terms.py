"""Darwin Core term identifiers, as meta.xml names them (no Django here: ``bench`` uses them)."""

from __future__ import annotations

DWC = "http://rs.tdwg.org/dwc/terms/"
DC = "http://purl.org/dc/terms/"
GBIF = "http://rs.gbif.org/terms/1.0/"

OCCURRENCE = DWC + "Occurrence"
