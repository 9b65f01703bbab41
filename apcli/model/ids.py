"""The shapes of case ids and provider ids (kept light: imported at start-up)."""

from __future__ import annotations

import re

# The patterns as JSON Schema and pydantic read them ($ is the end of the text there).
CASE_ID_PATTERN = r"^AP-\d{4}-\d{3,}$"
PROVIDER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# In Python, $ also matches before a final newline and \d matches any script's digits: an id becomes a file
# name, so here the whole text must match, in ASCII digits.
CASE_ID = re.compile(CASE_ID_PATTERN.removesuffix("$") + r"\Z", re.ASCII)
PROVIDER_ID = re.compile(PROVIDER_ID_PATTERN.removesuffix("$") + r"\Z", re.ASCII)
