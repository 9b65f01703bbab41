"""Issue 16, wrong figures: every rendering of one report (text, JSON, HTML) shows the same computed figures;
cost per attended session counts cost and sessions over the same marked days; the two gaps have two words.

The demo school: Leo (AP-2026-001) at Larkhill Green Mon-Thu from 5 Oct 2026 to 12 Feb 2027, £5,355 agreed for
63 planned days (£85 a day, the provider's daily rate too), marked up to 27 Nov. Noah (AP-2026-010) at Cedar
House Mon and Tue from 16 Nov (P1, £1,700 for 21 planned days, daily rate £85) and at Brookside Tuition on
Thursdays from 19 Nov (P2, £660, daily rate £60).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from tests.conftest import as_json, invoke

LEO, MAISIE, NOAH = "AP-2026-001", "AP-2026-002", "AP-2026-010"
MONEY = ("cost in period", "by daily rate", "difference", "per attended session", "unmarked sessions")


def _text_row(text: str, case: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(case))
    return re.split(r"\s{2,}", line.strip())


def _html_row(html: str, case: str) -> list[str]:
    row = re.search(rf"<tr><td>{case}</td>(.*?)</tr>", html)
    assert row is not None
    return [unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))]


def _three(records: Path, tmp_path: Path, *period: str, today: str) -> tuple[str, dict, str]:  # type: ignore[type-arg]
    out = tmp_path / "report.html"
    text = invoke(records, "report", *period, today=today)
    assert text.exit_code == 0, text.output
    shown = as_json(invoke(records, "report", *period, "--json", "--html", str(out), today=today))
    return text.stdout, shown, out.read_text()


def test_text_json_and_html_carry_the_same_figures_for_a_period_inside_a_placement(demo: Path, tmp_path: Path) -> None:
    """16 to 27 Nov, inside Leo's placement: 8 of his days (Mon-Thu), so the period's cost is 5355 x 8 / 63 =
    £680.00 (not the agreement's £5,355.00), by the daily rate 8 x £85 = £680.00, difference £0.00; all 8 days
    marked, 16 sessions attended: £680.00 / 16 = £42.50 a session, no session unmarked."""
    text, shown, html = _three(demo, tmp_path, "--from", "2026-11-16", "--to", "2026-11-27", today="2026-11-27")
    leo = next(p for p in shown["pupils"] if p["case"] == LEO)
    assert leo["cost_agreed"] == "5355.00"
    assert (leo["cost"], leo["cost_in_period"], leo["cost_by_rate"], leo["cost_difference"]) == (
        "5355.00", "680.00", "680.00", "0.00",
    )  # fmt: skip
    assert (leo["cost_per_attended_session"], leo["unmarked_sessions"]) == ("42.50", 0)
    expected = ["£680.00", "£680.00", "£0.00", "£42.50", "0"]
    assert _text_row(text, LEO)[8:13] == expected
    assert _html_row(html, LEO)[7:12] == expected
    assert "£5,355.00" not in text and "£5,355.00" not in html


def test_the_term_the_same_in_every_rendering_and_a_negative_difference_is_minus_pounds(
    demo: Path, tmp_path: Path
) -> None:
    """Autumn 2026 for Noah. Cedar House: 9 of its Mon/Tue days in the term (one closure), 1700 x 9 / 21 =
    £728.57 against 9 x £85 = £765.00; Brookside: 5 Thursdays, 660 x 5 / 11 = £300.00 against 5 x £60 = £300.00.
    Noah: £1,028.57 against £1,065.00, difference -£36.43. Marked days: 3 at Cedar House (1700 x 3 / 21 =
    £242.86, 4 sessions attended) and 2 at Brookside (£120.00, 2 attended): £362.86 / 6 = £60.48 a session."""
    text, shown, html = _three(demo, tmp_path, "--term", "Autumn 2026", today="2026-11-27")
    noah = next(p for p in shown["pupils"] if p["case"] == NOAH)
    assert (noah["cost_in_period"], noah["cost_by_rate"], noah["cost_difference"]) == ("1028.57", "1065.00", "-36.43")
    assert (noah["cost_of_marked_days"], noah["attended_on_marked_days"], noah["cost_per_attended_session"]) == (
        "362.86", 6, "60.48",
    )  # fmt: skip
    expected = ["£1,028.57", "£1,065.00", "-£36.43", "£60.48", "0"]
    assert _text_row(text, NOAH)[8:13] == expected
    assert _html_row(html, NOAH)[7:12] == expected
    assert "£-" not in text and "£-" not in html


def test_cost_per_attended_session_counts_only_marked_days(demo: Path) -> None:
    """23 Nov to 4 Dec, on 2 Dec: Leo's days passed are 23-26 Nov and 30 Nov-2 Dec (7), marked only up to
    26 Nov (4 days, 8 sessions attended). So 5355 x 4 / 63 = £340.00 over 8 = £42.50, not the 7 days' £595.00
    over 8 (£74.38); 3 days x 2 = 6 sessions unmarked."""
    shown = as_json(invoke(demo, "report", "--from", "2026-11-23", "--to", "2026-12-04", "--json", today="2026-12-02"))
    leo = next(p for p in shown["pupils"] if p["case"] == LEO)
    assert (leo["cost_to_date"], leo["marked_days"], leo["attended_on_marked_days"]) == ("595.00", 4, 8)
    assert (leo["cost_of_marked_days"], leo["cost_per_attended_session"], leo["unmarked_sessions"]) == (
        "340.00", "42.50", 6,
    )  # fmt: skip
    text = invoke(demo, "report", "--from", "2026-11-23", "--to", "2026-12-04", today="2026-12-02").stdout
    assert _text_row(text, LEO)[11:13] == ["£42.50", "6"]


def test_no_sessions_yet_and_no_cost_recorded_are_two_words(demo: Path, tmp_path: Path) -> None:
    """Maisie (AP-2026-002) has no marks in Autumn 2026: "no sessions yet". With Leo's cost taken out of his
    case file: "no cost recorded", in the text, the JSON and the HTML."""
    path = demo / "cases" / f"{LEO}.yaml"
    path.write_text(path.read_text().replace("\n    cost: 5355\n", "\n", 1))  # the placement's, not the change's
    text, shown, html = _three(demo, tmp_path, "--term", "Autumn 2026", today="2026-11-27")
    by_case = {p["case"]: p for p in shown["pupils"]}
    assert by_case[MAISIE]["cost_per_attended_session"] is None
    assert by_case[MAISIE]["cost_per_attended_session_why_none"] == "no sessions yet"
    assert by_case[LEO]["cost_why_none"] == "no cost recorded"
    assert by_case[LEO]["cost_per_attended_session_why_none"] == "no cost recorded"
    assert shown["total"]["no_cost_recorded"] == 1
    assert _text_row(text, MAISIE)[11] == "no sessions yet"
    assert _html_row(html, MAISIE)[10] == "no sessions yet"
    assert _text_row(text, LEO)[8] == "no cost recorded"
    assert _html_row(html, LEO)[7] == "no cost recorded"
    assert "missing" not in text and "missing" not in html


def test_the_text_report_names_providers_not_their_ids(demo: Path) -> None:
    """As the HTML does: the provider's name, the id being for typing, not reading."""
    result = invoke(demo, "report", "--term", "Autumn 2026", today="2026-11-27")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("AP-2026-001")]
    assert "Larkhill Green Alternative Provision" in rows[0]
    assert "larkhill-green" not in result.stdout
    assert any(line.startswith("all providers ") for line in result.stdout.splitlines())
