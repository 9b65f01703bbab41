"""Write docs/cli-help.md: the `--help` of `ap` and every command, as the tests expect it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apcli.cli.helpdocs import help_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "cli-help.md"
    target.write_text(help_markdown())
    print(f"wrote {target}")
