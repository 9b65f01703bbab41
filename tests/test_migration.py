"""Case files written before placements were a list load unchanged, and are migrated only when a command changes them.

`tests/fixtures/before-placements/` is the demo school as `ap init --demo` wrote it before that change.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from apcli.records.store import Records
from tests.conftest import as_json, invoke, snapshot

FIXTURE = Path(__file__).parent / "fixtures" / "before-placements"


@pytest.fixture
def old(tmp_path: Path) -> Path:
    folder = tmp_path / "older"
    shutil.copytree(FIXTURE, folder)
    for sub in ("letters", "templates"):
        (folder / sub).mkdir(mode=0o700)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    return folder


def _cases(folder: Path) -> dict[str, bytes]:
    return {name: data for name, data in snapshot(folder).items() if name.startswith("cases/")}


def test_reading_commands_leave_older_files_byte_for_byte(old: Path) -> None:
    before = _cases(old)
    for args in (("list",), ("show", "AP-2026-001"), ("check",), ("review", "due"), ("report",)):
        result = invoke(old, *args)
        assert result.exit_code in (0, 1), (args, result.output)
    assert _cases(old) == before


def test_an_older_file_reads_as_one_placement_holding_its_notices_and_end(old: Path) -> None:
    raw = yaml.safe_load((old / "cases" / "AP-2026-001.yaml").read_text())
    case = Records.open(old).load_case("AP-2026-001").case
    (placement,) = case.placements
    assert placement.id == "P1"
    assert placement.start.isoformat() == str(raw["placement"]["start"])
    assert placement.provider == raw["placement"]["provider"]
    assert [n.date for n in placement.notices] == [n["date"] for n in raw["notices"]]
    ended = Records.open(old).load_case("AP-2026-006").case
    assert ended.placements[0].ending is not None
    assert (
        ended.placements[0].ending.outcome
        == yaml.safe_load((old / "cases" / "AP-2026-006.yaml").read_text())["ending"]["outcome"]
    )


def test_the_same_answers_from_the_older_and_the_newer_shape(old: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer"
    shutil.copytree(old, newer)
    records = Records.open(newer)
    for case_id in records.case_ids():
        records.save_case(case_id, records.load_case(case_id).case, None)  # written afresh, in the new shape
    assert "placements:" in (newer / "cases" / "AP-2026-001.yaml").read_text()
    for args in (("list", "--json"), ("review", "due", "--json"), ("report", "--json")):
        assert as_json(invoke(old, *args)) == as_json(invoke(newer, *args)), args
    # check's findings point at lines of each file as it is written, which differ between the two shapes
    older_findings, newer_findings = (as_json(invoke(folder, "check", "--json"))["findings"] for folder in (old, newer))
    assert [{k: v for k, v in f.items() if k not in ("line", "file")} for f in older_findings] == [
        {k: v for k, v in f.items() if k not in ("line", "file")} for f in newer_findings
    ]
    assert [(f["case"], f["rule"]) for f in older_findings] == [("AP-2026-006", "REVIEW-OUTCOME-NOTIFIED")]


def test_a_change_writes_the_new_shape_and_only_to_the_case_changed(old: Path) -> None:
    before = _cases(old)
    result = invoke(
        old, "contact", "AP-2026-001", "--date", "2026-11-26", "--with", "Sam Turner", "--summary", "Settled week."
    )
    assert result.exit_code == 0, result.output
    after = _cases(old)
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["cases/AP-2026-001.yaml"]
    data = yaml.safe_load(after["cases/AP-2026-001.yaml"])
    old_data = yaml.safe_load(before["cases/AP-2026-001.yaml"])
    assert "placement" not in data and "notices" not in data and "ending" not in data
    (placement,) = data["placements"]
    assert placement["id"] == "P1"
    assert placement["notices"] == old_data["notices"]
    assert {k: v for k, v in placement.items() if k not in ("id", "notices")} == old_data["placement"]
    assert data["provider_contacts"][:-1] == old_data["provider_contacts"]
    assert invoke(old, "check", "AP-2026-001").exit_code == 0


def test_a_finding_in_an_older_file_points_at_its_line(old: Path) -> None:
    path = old / "cases" / "AP-2026-002.yaml"
    lines = path.read_text().splitlines()
    aims = next(i for i, line in enumerate(lines) if line.strip().startswith("aims:"))
    del lines[aims : aims + 2]
    path.write_text("\n".join(lines) + "\n")
    findings = as_json(invoke(old, "check", "AP-2026-002", "--json"))["findings"]
    plan = [f for f in findings if f["rule"] == "PLACE-PLAN"]
    assert plan, findings
    placement_line = next(i for i, line in enumerate(lines, 1) if line.startswith("placement:"))
    assert plan[0]["line"] == placement_line


def test_a_comment_in_an_older_placement_moves_with_it(old: Path) -> None:
    path = old / "cases" / "AP-2026-001.yaml"
    path.write_text(
        path.read_text().replace("  provider: larkhill-green\n", "  provider: larkhill-green  # by phone\n")
    )
    result = invoke(
        old, "contact", "AP-2026-001", "--date", "2026-11-26", "--with", "Sam Turner", "--summary", "Settled week."
    )
    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert "placements:\n  - id: P1\n    provider: larkhill-green # by phone\n" in text
    assert "\nplacement:" not in text and "\nnotices:" not in text
