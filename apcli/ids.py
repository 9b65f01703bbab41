"""The shapes of case ids and provider ids (kept light: imported at start-up)."""

from __future__ import annotations

import re

CASE_ID_PATTERN = r"^AP-\d{4}-\d{3,}$"
PROVIDER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
CASE_ID = re.compile(CASE_ID_PATTERN)
PROVIDER_ID = re.compile(PROVIDER_ID_PATTERN)
