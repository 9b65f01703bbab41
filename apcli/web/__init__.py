"""`ap serve`: a local web view over the same records, rules and letters (see server.py)."""
