"""How hard the long tests push. `AP_SOAK` multiplies their repetitions: the crash tests' kills and the
property tests' examples (default 1, the strength CI runs; `AP_SOAK=10 pytest tests/test_crash.py
tests/test_properties.py` to soak)."""

from __future__ import annotations

import os


def times(repetitions: int) -> int:
    """`repetitions` scaled by AP_SOAK, at least 1."""
    return max(1, round(repetitions * float(os.environ.get("AP_SOAK", "1"))))
