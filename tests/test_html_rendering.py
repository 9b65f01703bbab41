"""Issue 16: the HTML report and the HTML letters read well on screen and on paper.

Two kinds of test. Through the CLI on the HTML text (no browser): an id is kept on one line, the threshold's
label sits outside the plot, weeks and the y axis are labelled, providers are named, a lone measure is drawn
with its value and a caption. And rendered in headless Chromium (selenium with chromium-driver): each file
printed to PDF takes the pages it took when looked at (pdfinfo gave the same), and nothing runs wider than the
page on screen (1000 px) or at the A4 print width inside the @page margins; no id wraps.

The browser tests skip, saying why, when chromium, chromedriver or selenium is missing, unless
AP_RENDER_TESTS=required (CI), when they fail instead. One browser for the module.

The demo school, Autumn 2026 on 27 Nov: Leo (AP-2026-001) at Larkhill Green Alternative Provision, marked
weekly from 5 Oct (half term 26 Oct); his sas-reading target has one measure (87 on 20 Nov), behaviour two.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import as_json, invoke

LEO, NOAH = "AP-2026-001", "AP-2026-010"
TERM = ("--term", "Autumn 2026")
LARKHILL = "Larkhill Green Alternative Provision"
PX_PER_MM = 96 / 25.4
REPORT_PRINT_WIDTH = round((210 - 2 * 15) * PX_PER_MM)  # A4 inside the report's 15 mm margins: 680 px
LETTER_PRINT_WIDTH = round((210 - 2 * 20) * PX_PER_MM)  # inside the letters' 20 mm side margins: 643 px
# The pages each file took, printed from Chromium to A4 (looked at page by page).
PAGES = {"report": 3, "notice": 2, "invitation": 1, "review": 1}
PRINT_WIDTH = {"report": REPORT_PRINT_WIDTH, "notice": LETTER_PRINT_WIDTH, "invitation": LETTER_PRINT_WIDTH,
               "review": LETTER_PRINT_WIDTH}  # fmt: skip


def _report(records: Path, out: Path, *period: str, today: str = "2026-11-27") -> str:
    result = invoke(records, "report", *period, "--html", str(out), today=today)
    assert result.exit_code == 0, result.output
    return out.read_text()


def _chart(html: str, kind: str, case: str, index: int = 0) -> str:
    charts = re.findall(rf'<svg class="chart" data-chart="{kind}" data-case="{case}".*?</svg>', html)
    return str(charts[index])


def _texts(svg: str, cls: str) -> list[tuple[float, str]]:
    """(x, words) of the chart's <text> elements of a class."""
    return [
        (float(x), words) for x, words in re.findall(rf'<text x="([\d.]+)"[^>]*class="{cls}"[^>]*>([^<]*)</text>', svg)
    ]


# --- on the HTML text, through the CLI ---


def test_an_id_is_never_broken(demo: Path, tmp_path: Path) -> None:
    """Point 1: every id cell (the first column of the pupils' tables) and every id in a heading is nowrap."""
    html = _report(demo, tmp_path / "report.html", *TERM)
    assert "table.ids td:first-child, .id { white-space: nowrap; }" in html
    assert html.count('<table class="ids') == 2  # attendance and cost; reviews and outcome
    for case in ("AP-2026-001", "AP-2026-002", "AP-2026-003", "AP-2026-006", NOAH):
        assert html.count(f"<tr><td>{case}</td>") == 2
        assert f'<h2 class="pupil"><span class="id">{case}</span>' in html


def test_the_threshold_label_is_outside_the_plot_and_weeks_and_the_scale_are_labelled(
    demo: Path, tmp_path: Path
) -> None:
    """Points 3 and 4: Leo's bars end at the plot's right edge (x 570), the 90% label starts beyond it; every
    week from 5 Oct to 23 Nov is labelled as a date (26 Oct, half term, with no bar); a 0/50/100% scale."""
    svg = _chart(_report(demo, tmp_path / "report.html", *TERM), "attendance", LEO)
    [(label_x, words)] = _texts(svg, "line-label")
    assert words == "90%"
    bars = [(float(x), float(w)) for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(bars) == 7 and max(x + w for x, w in bars) <= 570 < label_x
    assert [w for _, w in _texts(svg, "week")] == ["5 Oct", "12 Oct", "19 Oct", "26 Oct", "2 Nov", "9 Nov", "16 Nov",
                                                   "23 Nov"]  # fmt: skip
    assert [w for _, w in _texts(svg, "tick")] == ["0%", "50%", "100%"]
    assert [w for _, w in _texts(svg, "value")] == ["100", "75", "100", "100", "62.5", "100", "100"]


def test_labels_too_close_together_give_way() -> None:
    from apcli.reports.moneyhtml import _spaced

    assert _spaced([0, 20]) == [0]  # the last too close to the first: the first alone
    assert _spaced([0, 30, 60, 70]) == [0, 3]  # the one at 60 gives way to the last
    assert _spaced([0, 40, 80, 120]) == [0, 1, 2, 3]


def test_a_long_run_of_weeks_labels_every_nth_so_labels_never_collide() -> None:
    """39 weeks from 7 Sep 2026 (13.5 px each, a label needs 40): every third week is labelled, and the last,
    for which the one before it (3 weeks back, 27 px) gives way; too narrow for each week's figure above it."""
    from apcli.model.attendance import Summary
    from apcli.reports.money import PupilLine
    from apcli.reports.moneyhtml import attendance_chart

    first = dt.date(2026, 9, 7)
    line = PupilLine(LEO, "Leo Hartley", "larkhill-green", first, first, "still placed", 0, 0, 0,
                     Summary(0, 0, 0, 0, 0), None, None, 0, 0, [],
                     weekly=[(first + dt.timedelta(weeks=n), 100.0) for n in range(39)])  # fmt: skip
    svg = attendance_chart(line, 90)
    labelled = [first + dt.timedelta(weeks=n) for n in (0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 38)]
    assert [w for _, w in _texts(svg, "week")] == [f"{d.day} {d:%b}" for d in labelled]
    assert _texts(svg, "week")[0][1] == "7 Sep" and _texts(svg, "week")[-1][1] == "31 May"
    assert svg.count("<rect") == 39 and _texts(svg, "value") == []


def test_providers_are_shown_by_name_and_the_json_keeps_the_id(demo: Path, tmp_path: Path) -> None:
    """Point 5: the provider's name in the tables, the chart and the headings; the JSON keeps the id and adds
    the name."""
    html = _report(demo, tmp_path / "report.html", *TERM)
    assert f"<tr><td>{LEO}</td><td>Leo Hartley</td><td>{LARKHILL}</td>" in html
    assert "<td>Cedar House Short Stay School (fictional), Brookside Tuition (fictional)</td>" in html
    assert f"<tr><td>{LARKHILL}</td><td class=n>4</td>" in html  # its totals
    names = re.findall(r'class="name">([^<]*)</text>', _chart(html, "cost", ""))  # wrapped, never cut
    assert names == ["Brookside Tuition (fictional)", "Cedar House Short Stay School", "(fictional)",
                     "Larkhill Green Alternative", "Provision"]  # fmt: skip
    assert f"{LEO}</span> Leo Hartley at {LARKHILL}</h2>" in html
    assert "larkhill-green" not in html and "cedar-house" not in html
    shown = as_json(invoke(demo, "report", *TERM, "--json"))
    leo = next(p for p in shown["pupils"] if p["case"] == LEO)
    assert (leo["provider"], leo["provider_name"]) == ("larkhill-green", LARKHILL)
    assert leo["placements"][0]["provider_name"] == LARKHILL
    noah = next(p for p in shown["pupils"] if p["case"] == NOAH)
    assert noah["provider"] == "cedar-house, brookside-tuition"
    assert [(t["label"], t["name"]) for t in shown["providers"]] == [
        ("brookside-tuition", "Brookside Tuition (fictional)"),
        ("cedar-house", "Cedar House Short Stay School (fictional)"),
        ("larkhill-green", LARKHILL),
    ]
    assert (shown["total"]["label"], shown["total"]["name"]) == ("school", "Hollybank Primary Academy (fictional)")


def test_a_target_with_one_measure_is_a_labelled_point_between_its_lines(demo: Path, tmp_path: Path) -> None:
    """Point 6: Leo's sas-reading (baseline 84, goal 90) has one measure, 87 on 20 Nov: one point labelled 87
    and dated, the lines labelled outside the plot, a scale, and the caption "One measure so far"."""
    html = _report(demo, tmp_path / "report.html", *TERM)
    reading = _chart(html, "target", LEO, 2)
    assert 'aria-label="AP-2026-001 sas-reading: measures against baseline and goal"' in reading
    assert reading.count("<circle") == 1 and "<polyline" not in reading
    assert [w for _, w in _texts(reading, "value")] == ["87"] and [w for _, w in _texts(reading, "date")] == ["20 Nov"]
    assert [w for _, w in _texts(reading, "line-label")] == ["baseline 84", "goal 90"]
    assert all(x > 570 for x, _ in _texts(reading, "line-label"))
    assert [w for _, w in _texts(reading, "tick")] == ["82", "84", "86", "88", "90", "92"]
    assert (
        "<p class=caption>One measure so far: 87 on 20 November 2026; the line between measures starts with the next.</p>"
        in html
    )
    behaviour = _chart(html, "target", LEO, 1)  # two measures: a line through two labelled points
    assert behaviour.count("<circle") == 2 and "<polyline" in behaviour
    assert [w for _, w in _texts(behaviour, "value")] == ["4", "2"]
    assert [w for _, w in _texts(behaviour, "date")] == ["23 Oct", "20 Nov"]
    attendance = _chart(html, "target", LEO, 0)  # no measure recorded: the register's figure, a hollow point
    assert [w for _, w in _texts(attendance, "value")] == ["91.1 from the register"]


def test_a_pupils_charts_break_between_pages_only_between_charts(demo: Path, tmp_path: Path) -> None:
    """Point 7: no pupil's whole section is kept on one page (which pushed Leo's to page 2, leaving page 1 half
    empty); each chart with its heading is, and the pupil's heading goes with the first."""
    html = _report(demo, tmp_path / "report.html", *TERM)
    assert "@page { size: A4 portrait; margin: 15mm;" in html
    assert ".block { break-inside: avoid; page-break-inside: avoid; }" in html
    assert "section.pupil {" not in html and ".pupil { page-break-inside" not in html
    assert f'<section class="pupil"><div class="block"><h2 class="pupil"><span class="id">{LEO}</span>' in html


# --- rendered in Chromium ---

REQUIRED = os.environ.get("AP_RENDER_TESTS") == "required"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for program in ("chromium", "chromedriver"):
        if shutil.which(program) is None:
            return f"{program} is not installed (Debian: apt-get install chromium chromium-driver)"
    return None


MISSING = _missing()
rendered = pytest.mark.skipif(
    MISSING is not None and not REQUIRED,
    reason=f"rendering in Chromium: {MISSING} (with AP_RENDER_TESTS=required this fails instead)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module, through chromedriver."""
    if MISSING is not None:
        pytest.fail(f"AP_RENDER_TESTS=required but {MISSING}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1000,1000",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(shutil.which("chromedriver"))))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's Autumn 2026 report on 27 Nov, and one of each HTML letter: a notice (Tyler, AP-2026-003), an
    invitation (Oscar, AP-2026-005) and a review outcome (Leo)."""
    root = tmp_path_factory.mktemp("rendering")
    records = root / "records"
    assert invoke(None, "init", str(records), "--demo").exit_code == 0
    files = {"report": root / "report.html"}
    _report(records, files["report"], *TERM)
    made = {
        "notice": ("notice", "AP-2026-003"),
        "invitation": ("letter", "AP-2026-005", "--kind", "invitation", "--meeting-date", "2026-12-02",
                       "--meeting-time", "9:30", "--place", "Room 4"),
        "review": ("letter", LEO, "--kind", "review"),
    }  # fmt: skip
    for name, args in made.items():
        result = invoke(records, *args, "--json")
        assert result.exit_code == 0, result.output
        [letter] = json.loads(result.stdout)["letters"]
        files[name] = records / letter["file"]
    return files


def _show(browser: Any, path: Path, width: int, media: str) -> None:
    """The file laid out `width` px wide, for the screen or (media "print") as it prints."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False}
    )
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
    browser.execute_cdp_cmd("Emulation.setScrollbarsHidden", {"hidden": media == "print"})  # paper has none
    browser.get(path.as_uri())


OVERFLOWING = """
const width = document.documentElement.clientWidth;
return [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 1)
  .map(e => `${e.tagName.toLowerCase()}.${e.getAttribute('class') || ''}: ${Math.round(e.getBoundingClientRect().right)} > ${width}`);
"""

WRAPPED_IDS = """
return [...document.querySelectorAll('table.ids td:first-child, .id')].filter(e => {
  const range = document.createRange();
  range.selectNodeContents(e);
  const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  const height = range.getBoundingClientRect().height;
  return lines.size !== 1 || height > 1.5 * parseFloat(getComputedStyle(e).fontSize) * 1.3;
}).map(e => e.textContent);
"""

OVERLAPS = """
const box = e => e.getBoundingClientRect();
const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const found = [];
for (const chart of document.querySelectorAll('svg.chart')) {
  const labels = [...chart.querySelectorAll('text')].map(box);
  const bars = [...chart.querySelectorAll('rect')].map(box);
  labels.forEach((a, i) => {
    labels.slice(i + 1).forEach(b => { if (meet(a, b)) found.push(chart.getAttribute('aria-label') + ': two labels'); });
    bars.forEach(b => { if (meet(a, b)) found.push(chart.getAttribute('aria-label') + ': a label on a bar'); });
  });
}
return found;
"""


@rendered
@pytest.mark.parametrize("name", list(PAGES))
def test_each_file_prints_on_a4_in_the_pages_it_took(browser: Any, pages: dict[str, Path], name: str) -> None:
    _show(browser, pages[name], 1000, "")
    pdf = base64.b64decode(
        browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True})["data"]
    )
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == PAGES[name]
    assert set(re.findall(rb"/MediaBox\s*\[0 0 (\d+)\.?\d* (\d+)\.?\d*\]", pdf)) == {(b"594", b"841")}  # A4 portrait


@rendered
@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("media", ["screen", "print"])
def test_nothing_runs_wider_than_the_page(browser: Any, pages: dict[str, Path], name: str, media: str) -> None:
    """On screen 1000 px wide; printed, the width inside the page's margins."""
    width = 1000 if media == "screen" else PRINT_WIDTH[name]
    _show(browser, pages[name], width, media)
    inside = browser.execute_script("return document.documentElement.clientWidth")
    assert inside == width if media == "print" else width - 20 <= inside <= width  # less a scrollbar on screen
    assert browser.execute_script(OVERFLOWING) == []
    assert browser.execute_script("return document.documentElement.scrollWidth") <= inside


@rendered
@pytest.mark.parametrize("media", ["screen", "print"])
def test_no_id_wraps_and_no_chart_label_sits_on_another_or_on_a_bar(
    browser: Any, pages: dict[str, Path], media: str
) -> None:
    _show(browser, pages["report"], 1000 if media == "screen" else REPORT_PRINT_WIDTH, media)
    ids = browser.execute_script("return [...document.querySelectorAll('table.ids td:first-child, .id')].length")
    assert ids == 5 + 5 + 5  # each pupil's in the two tables and in the heading of their charts
    assert browser.execute_script(WRAPPED_IDS) == []
    assert browser.execute_script(OVERLAPS) == []
