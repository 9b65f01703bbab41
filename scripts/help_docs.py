"""Write docs/cli-help.md (the `--help` of `ap` and every command) and docs/policy-rules.md (the rule
catalogue), as the tests expect them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apcli.cli.helpdocs import help_markdown
from apcli.policy.document import rules_markdown

if __name__ == "__main__":
    docs = Path(__file__).resolve().parents[1] / "docs"
    for name, text in (("cli-help.md", help_markdown()), ("policy-rules.md", rules_markdown())):
        (docs / name).write_text(text)
        print(f"wrote {docs / name}")
