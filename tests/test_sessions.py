"""Placements that take one session a day (`ap placement --sessions am|pm`): marks expected, and marks refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import as_json, invoke, snapshot
from tests.test_two_providers import fridays_at_oak_farm, oak_farm, register

RUBY = "AP-2026-004"  # agreed: parents accepted, headteacher approved on 2026-11-25; no placement yet
MORNINGS = (
    "2026-12-07 PM: AP-2026-004's placement P1 at larkhill-green is mornings only (--sessions am), so it has no "
    "PM session to mark"
)


def placement(provider: str, weekdays: str, sessions: str, *more: str) -> list[str]:
    args = fridays_at_oak_farm(start="2026-12-07", weekdays=weekdays)
    args[1] = RUBY
    args.remove("--alongside")
    args[args.index("--provider") + 1] = provider
    args[args.index("--end") + 1] = "2027-02-12"
    return [*args, "--sessions", sessions, *more]


@pytest.fixture
def mornings(demo: Path) -> Path:
    """Ruby at Larkhill Green on Monday and Tuesday mornings from 7 December, notified on 27 November."""
    placed = invoke(demo, *placement("larkhill-green", "mon,tue", "am"))
    assert placed.exit_code == 0, placed.output
    assert invoke(demo, "notice", RUBY).exit_code == 0
    return demo


def test_a_mornings_only_placement_expects_no_afternoon_marks(mornings: Path, tmp_path: Path) -> None:
    path = register(tmp_path, f"case,date,session,mark\n{RUBY},2026-12-07,AM,present\n")
    assert invoke(mornings, "attendance", "import", str(path), today="2026-12-08").exit_code == 0
    shown = as_json(invoke(mornings, "attendance", "show", RUBY, "--json", today="2026-12-08"))
    assert (shown["possible"], shown["attended"]) == (1, 1)
    assert shown["missing"] == [{"date": "2026-12-08", "session": "AM"}]
    due = as_json(invoke(mornings, "review", "due", "--case", RUBY, "--json", today="2026-12-15"))
    accurate = [(d["rule"], d["what"], d["due"]) for d in due if d["rule"] == "ATT-ACCURATE"]
    assert accurate == [
        (
            "ATT-ACCURATE",
            "3 session(s) without a mark since 2026-12-08: import the provider's register (ap attendance import)",
            "2026-12-15",
        )
    ]


def test_an_afternoon_mark_for_a_mornings_only_placement_is_refused(mornings: Path, tmp_path: Path) -> None:
    path = register(tmp_path, f"case,date,session,mark\n{RUBY},2026-12-07,AM,present\n{RUBY},2026-12-07,PM,present\n")
    before = snapshot(mornings)
    result = invoke(mornings, "attendance", "import", str(path), "--json", today="2026-12-08")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["errors"] == [
        {"row": 3, "column": "date", "value": "2026-12-07", "message": MORNINGS}
    ]
    assert snapshot(mornings) == before


def test_mornings_at_one_provider_and_afternoons_at_another(mornings: Path, tmp_path: Path) -> None:
    """Ruby's Monday afternoons are at Oak Farm (P2, alongside): each session's mark lands on its own placement."""
    assert invoke(mornings, *oak_farm()).exit_code == 0
    alongside = invoke(mornings, *placement("oak-farm", "mon", "pm", "--alongside"))
    assert alongside.exit_code == 0, alongside.output
    assert invoke(mornings, "notice", RUBY, "--placement", "P2").exit_code == 0
    plain = register(tmp_path, f"case,date,session,mark\n{RUBY},2026-12-07,PM,present\n", "plain.csv")
    unsaid = invoke(mornings, "attendance", "import", str(plain), "--json", today="2026-12-08")
    assert unsaid.exit_code == 3
    assert json.loads(unsaid.stdout)["errors"][0]["message"] == (
        "AP-2026-004 is at 2 providers at that time (at larkhill-green on mon, tue (P1, 2026-12-07 to 2027-02-12); "
        "and at oak-farm on mon (P2, 2026-12-07 to 2027-02-12)): say whose register this is with --provider ID, or "
        "a provider column in the register"
    )
    wrong = invoke(
        mornings, "attendance", "import", str(plain), "--provider", "larkhill-green", "--json", today="2026-12-08"
    )
    assert json.loads(wrong.stdout)["errors"][0]["message"] == MORNINGS
    both = register(
        tmp_path,
        "case,provider,date,session,mark\n"
        f"{RUBY},larkhill-green,2026-12-07,AM,present\n"
        f"{RUBY},oak-farm,2026-12-07,PM,present\n",
        "both.csv",
    )
    done = invoke(mornings, "attendance", "import", str(both), today="2026-12-08")
    assert done.exit_code == 0, done.output
    shown = as_json(invoke(mornings, "attendance", "show", RUBY, "--json", today="2026-12-08"))
    assert shown["marks"] == [
        {"date": "2026-12-07", "session": "AM", "code": "B"},
        {"date": "2026-12-07", "session": "PM", "code": "D"},
    ]
    assert shown["missing"] == [{"date": "2026-12-08", "session": "AM"}]
    census = as_json(invoke(mornings, "export", "census", "--term", "Spring 2027", "--json", today="2027-01-21"))
    rows = [
        (r["placement"], r["sessions_per_week"], r["pupil_sessions_per_week"])
        for r in census["placements"]
        if r["case"] == RUBY
    ]
    assert rows == [("P1", 2, 3), ("P2", 1, 3)]
