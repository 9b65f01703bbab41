"""The schema of every records file and the pure domain values: ids, dates, UPNs, attendance codes, the school
calendar, marks and what follows from them (status, notices owed, attendance figures). No files, no I/O."""
