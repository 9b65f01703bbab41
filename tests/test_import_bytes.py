"""Issue 18: `ap attendance import` made linear and batched writes the very same bytes and says the very same
things as before. A scenario of registers (refused with many kinds of error, refused for replacing marks,
imported with --replace, a grid over two cases and two providers, a re-import, a dry run) is run on the demo
school; every command's exit code, output and error, and every file of the folder that changed, are compared
byte for byte with tests/expected/import-scenario.txt, written by ap before the change. Only the clock time
in the attendance logs (`at`) and the test's own folder are masked.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import invoke, snapshot

EXPECTED = Path(__file__).parent / "expected" / "import-scenario.txt"
LEO, LEO_UPN = "AP-2026-001", "L860200025001"  # mon-thu from 2026-10-05 at larkhill-green, marked to 2026-11-26
MAISIE_UPN = "P207000016049"  # AP-2026-002: tue/thu from 2026-12-01 at larkhill-green
NOAH = "AP-2026-010"  # mon/tue at cedar-house (closed 2026-11-24), thu AM at brookside-tuition
TODAY = "2026-12-03"

BAD = (
    "upn,date,session,mark,note\n"
    f"{LEO_UPN},2026-11-30,AM,B,\n"
    f"{LEO_UPN},2026-11-30,PM,absent,Rang home\n"
    f"{LEO_UPN},2026-11-23,AM,N,\n"  # replaces B: named in the refusal too
    f"{LEO_UPN},2026-12-01,AM,H,\n"
    f"{LEO_UPN},2026-12-01,EVE,B,\n"
    f"{LEO_UPN},1 Dec,AM,B,\n"
    f"{LEO_UPN},2026-11-27,AM,B,\n"  # a Friday
    f"{LEO_UPN},2026-10-27,AM,B,\n"  # half term
    f"{LEO_UPN},2026-10-02,AM,B,\n"  # before the placement
    f"{LEO_UPN},2026-12-07,AM,B,\n"  # the future
    f"{LEO_UPN},2026-12-02,AM,D,\n"
    f"{LEO_UPN},2026-12-02,PM,maybe,\n"
    f"{LEO_UPN},2026-11-30,AM,N,\n"  # marked B in row 2
    f"{LEO_UPN},2026-12-03,AM,=B1,\n"
    f"{LEO_UPN},2026-12-03,PM,B,call \x1b[31m\n"
    "B801200005999,2026-12-01,AM,B,\n"
    f"{MAISIE_UPN},2026-12-01,AM,X,\n"
    f"{MAISIE_UPN},2026-12-02,AM,B,\n"  # a Wednesday
    f"{MAISIE_UPN},30/11/2026,AM,B,\n"  # before her placement
)
REPLACING = (
    "upn,date,session,mark,note\n"
    f"{LEO_UPN},2026-11-23,AM,N,Rang in\n"
    f"{LEO_UPN},2026-11-23,PM,I,\n"
    f"{LEO_UPN},2026-11-24,PM,B,\n"  # unchanged
    f"{LEO_UPN},30/11/2026,AM,present,\n"
    f"{LEO_UPN},30/11/2026,PM,late,Late bus\n"
    f"{LEO_UPN},2026-12-01,AM,ill,\n"
    f"{LEO_UPN},2026-12-01,am,ill,\n"  # the same mark twice is one mark
    f"{MAISIE_UPN},2026-12-01,AM,B,\n"
    f"{MAISIE_UPN},2026-12-01,PM,unauthorised,\n"
)
GRID = (
    "case,name,provider,2026-11-30 AM,2026-11-30 PM,2026-12-01 AM,2026-12-01 PM,2026-12-03 AM,2026-12-03 PM\n"
    f"{NOAH},Noah Fenwick,cedar-house,present,N,,D,,\n"
    f"{NOAH},FENWICK Noah,brookside-tuition,,,,,B,\n"
    f'{LEO},"Hartley, Leo",,B,B,I,I,B,M\n'
)
GRID_BAD = (
    "case,name,provider,2026-11-24 AM,2026-11-24 PM,2026-11-26 AM,2026-11-26 PM\n"
    f"{NOAH},Noah Fenwick,cedar-house,D,#,,\n"  # closed that day: D refused, # taken
    f"{NOAH},Noah Fenwick,brookside-tuition,,,B,B\n"  # mornings only
    f"{NOAH},,larkhill-green,,,B,\n"
    f"{NOAH},Priya Fenwick,cedar-house,,#,,\n"  # his mother's name
    f"{NOAH},Noah Fenwick,cedar-house,Y1,,,\n"
)


def scenario(demo: Path, tmp_path: Path) -> str:
    """Every command's exit code, output and error in turn, then every file of the folder that changed."""
    before = snapshot(demo)
    shown: list[str] = []
    steps = [
        ("bad.csv", BAD, ()),
        ("bad.csv", BAD, ("--json",)),
        ("replacing.csv", REPLACING, ()),
        ("replacing.csv", REPLACING, ("--json",)),
        ("replacing.csv", REPLACING, ("--replace", "--dry-run")),
        ("replacing.csv", REPLACING, ("--replace",)),
        ("grid-bad.csv", GRID_BAD, ()),
        ("grid.csv", GRID, ("--json",)),
        ("grid.csv", GRID, ()),
        ("replacing.csv", REPLACING, ("--replace", "--json")),
    ]
    for name, text, args in steps:
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8"))
        result = invoke(demo, "attendance", "import", str(path), *args, today=TODAY)
        shown.append(f"=== ap attendance import {name} {' '.join(args)}\nexit {result.exit_code}")
        shown.append(f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
    after = snapshot(demo)
    changed = sorted(name for name in {*before, *after} if before.get(name) != after.get(name))
    for name in changed:
        content = after[name].decode("utf-8") if name in after else "(removed)"
        shown.append(f"=== file {name}\n{content}")
    text = "\n".join(shown).replace(str(tmp_path), "<tmp>")
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<at>", text)


def test_an_import_writes_and_says_exactly_what_it_did_before(demo: Path, tmp_path: Path) -> None:
    got = scenario(demo, tmp_path)
    assert got == EXPECTED.read_text(encoding="utf-8")
    staging = demo / ".staging"
    assert sorted(staging.iterdir()) == [] if staging.exists() else True  # every change finished, none left staged
