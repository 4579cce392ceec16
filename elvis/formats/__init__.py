"""Date formats, one for every language (``FORMAT_MODULE_PATH``): ISO 8601 (``2027-01-15``),
as the site's own pages write dates, also where Django's admin and ``{{ date }}`` would use
the locale's ("Jan. 15, 2027", "15 janvier 2027"). Only output formats change; every
language's input formats stay its own (and ISO 8601 is always accepted)."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
