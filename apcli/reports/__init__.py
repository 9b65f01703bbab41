"""Everything that only reads: what is due (`ap review due`), the list and a case's overview, `ap check`, the
value-for-money report and its HTML, the census export. Nothing here writes a case."""
