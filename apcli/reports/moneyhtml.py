"""The value-for-money report as one self-contained HTML file: tables, and charts drawn as inline SVG.

No JavaScript and no network: the file opens and prints (A4 portrait) anywhere. Every figure comes from
`apcli.reports.money` (the text and JSON show the same); this module only lays them out. Checked rendered in
Chromium, on screen and printed (tests/test_html_rendering.py): nothing runs wider than the page, an id never
wraps, and a pupil's charts break between pages only between charts.
"""

from __future__ import annotations

import datetime as dt
import math
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from apcli.errors import UsageError
from apcli.reports.money import (
    PUPIL_MONEY_HEADINGS,
    TOTALS_MONEY_HEADINGS,
    money_text,
    pupil_money_cells,
    totals_money_cells,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from apcli.reports.money import PupilLine, Report, TargetLine, Totals

NAVY, RED, GREY, GREEN, RULE = "#1f3a5f", "#b3261e", "#666666", "#2e7d32", "#d6d6d6"
WIDTH = 640  # every chart's width: fits the A4 page inside its margins (180 mm, 680 px)
LEFT, RIGHT = 44, 70  # the plot area's margins: the y-axis scale on the left, line labels on the right
TOP, BOTTOM = 22, 30  # room for the values above the plot, and for the date labels below it
LABEL = 40  # the room a date label ("30 Nov") needs along the x axis, in px


def _day(day: dt.date) -> str:
    """5 Oct: a week's or a measure's date on an axis."""
    return f"{day.day} {day:%b}"


def _long(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _svg(kind: str, label: str, body: str, height: int, case: str = "") -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" data-case="{escape(case)}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="Arial, Helvetica, sans-serif">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _text(x: float, y: float, words: str, size: int = 10, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>{escape(words)}</text>'


def _nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals over `span`."""
    rough = span / ticks if span > 0 else 1
    power = 10.0 ** math.floor(math.log10(rough))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


class Plot:
    """A plot area inside a chart of WIDTH x height: values low..high upwards, x from LEFT to WIDTH - RIGHT."""

    def __init__(self, height: int, low: float, high: float) -> None:
        self.height, self.low, self.high = height, low, high
        self.left, self.right, self.top, self.bottom = LEFT, WIDTH - RIGHT, TOP, height - BOTTOM

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1
        return self.bottom - (value - self.low) / span * (self.bottom - self.top)

    def scale(self, ticks: list[float], unit: str = "") -> str:
        """The y axis: a light rule and a label at each tick, the axis line on the left."""
        body = ""
        for tick in ticks:
            y = self.y(tick)
            body += f'<line x1="{self.left}" x2="{self.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{RULE}"/>' + _text(
                self.left - 6, y + 3.5, f"{tick:g}{unit}", 10, "end", ' class="tick"'
            )
        return body + (
            f'<line x1="{self.left}" x2="{self.left}" y1="{self.top}" y2="{self.bottom}" stroke="{GREY}"/>'
            f'<line x1="{self.left}" x2="{self.right}" y1="{self.bottom}" y2="{self.bottom}" stroke="{GREY}"/>'
        )

    def line_label(self, value: float, words: str, colour: str, nudge: float = 0) -> str:
        """A dashed line across the plot at `value`, labelled outside the plot area, on the right."""
        y = self.y(value)
        return f'<line x1="{self.left}" x2="{self.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" ' + (
            'stroke-width="1.5" stroke-dasharray="5 3"/>'
            + _text(self.right + 6, y + 3.5 + nudge, words, 10, "start", f' class="line-label" fill="{colour}"')
        )


def _spaced(positions: list[float], room: float = LABEL) -> list[int]:
    """Which of these x positions (left to right) get a label so that no two labels collide: the first, then
    each one at least `room` from the last labelled; the last always (dropping the one before it if need be)."""
    chosen: list[int] = []
    for index, x in enumerate(positions):
        if not chosen or x - positions[chosen[-1]] >= room:
            chosen.append(index)
    last = len(positions) - 1
    if positions and chosen[-1] != last:
        if positions[last] - positions[chosen[-1]] < room:
            if len(chosen) == 1:
                return chosen  # the last too close to the first: the first alone
            chosen.pop()
        chosen.append(last)
    return chosen


def attendance_chart(line: PupilLine, threshold: float) -> str:
    """A bar a week (Monday's date below it, every week or every n-th so the labels never collide), on a
    0/50/100% scale, against the threshold drawn as a line labelled to the right of the plot."""
    height = 160
    known = [(monday, percent) for monday, percent in line.weekly if percent is not None]
    if not known:
        return _svg(
            "attendance",
            f"{line.case}: no attendance marked yet",
            _text(LEFT, 20, "No attendance marked yet in this period", 11),
            30,
            line.case,
        )
    first, last = line.weekly[0][0], line.weekly[-1][0]
    mondays = [first + dt.timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    percent_on = dict(line.weekly)
    plot = Plot(height, 0, 100)
    step = (plot.right - plot.left) / len(mondays)
    body = plot.scale([0, 50, 100], "%")
    for index, monday in enumerate(mondays):
        percent = percent_on.get(monday)
        if percent is None:
            continue
        top = min(plot.y(percent), plot.bottom - 2)  # a week at 0% still shows, as a sliver (marked, not missing)
        middle = plot.left + (index + 0.5) * step
        width = max(min(step * 0.76, 48), 1)
        colour = NAVY if percent >= threshold else RED
        body += (
            f'<rect x="{middle - width / 2:.1f}" y="{top:.1f}" width="{width:.1f}" '
            f'height="{plot.bottom - top:.1f}" fill="{colour}"><title>week of {_day(monday)}: {percent:g}%</title></rect>'
        )
        if step >= 26:  # the week's figure in a row above the plot, clear of the bars and the threshold's line
            body += _text(middle, TOP - 8, f"{percent:g}", 9, "middle", f' class="value" fill="{colour}"')
    centres = [plot.left + (index + 0.5) * step for index in range(len(mondays))]
    body += "".join(
        _text(centres[index], plot.bottom + 14, _day(mondays[index]), 10, "middle", ' class="week"')
        for index in _spaced(centres)
    )
    body += plot.line_label(threshold, f"{threshold:g}%", GREY)
    return _svg("attendance", f"{line.case}: attendance week by week against {threshold:g}%", body, height, line.case)


def target_chart(line: PupilLine, target: TargetLine) -> str:
    """The measures over time (each point labelled with its value, its date below), between the baseline and
    the goal drawn as lines labelled outside the plot, on a scale of round numbers."""
    height = 140
    values = [v for _, v in target.measures]
    if not values and target.latest is not None:
        values = [target.latest]  # attendance: no measure recorded, the register's figure shown
    lowest, highest = min([target.baseline, target.goal, *values]), max([target.baseline, target.goal, *values])
    tick = _nice_step(highest - lowest)
    # Half a step of room beyond the lowest and highest, so no line or point sits on the plot's edge.
    low, high = math.floor((lowest - tick / 2) / tick) * tick, math.ceil((highest + tick / 2) / tick) * tick
    if lowest >= 0:
        low = max(low, 0)
    plot = Plot(height, low, high)
    body = plot.scale([low + n * tick for n in range(round((high - low) / tick) + 1)])
    apart = abs(plot.y(target.baseline) - plot.y(target.goal))
    nudge = max(0.0, (12 - apart) / 2)  # two labels closer than a line of text apart: moved apart
    above = -nudge if target.goal >= target.baseline else nudge
    body += plot.line_label(target.baseline, f"baseline {target.baseline:g}", GREY, -above)
    body += plot.line_label(target.goal, f"goal {target.goal:g}", GREEN, above)
    label = f"{line.case} {target.measure}: measures against baseline and goal"
    if not target.measures:
        if target.latest is None:
            words = "No measure yet"
            body += _text(plot.left + 8, plot.y((low + high) / 2) + 4, words, 11, "start", ' class="none"')
        else:  # attendance: the latest figure is the register's (charted week by week above), a hollow point
            x, y = (plot.left + plot.right) / 2, plot.y(target.latest)
            body += (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#fff" stroke="{NAVY}" stroke-width="2">'
                f"<title>from the register: {target.latest:g}</title></circle>"
                + _text(x + 10, y + 4, f"{target.latest:g} from the register", 10, "start", ' class="value"')
            )
        return _svg("target", label, body, height, line.case)
    first, last = target.measures[0][0], target.measures[-1][0]
    span = (last - first).days
    inner_left, inner_right = plot.left + 24, plot.right - 24
    points = [
        (
            inner_left + (day - first).days / span * (inner_right - inner_left)
            if span
            else (plot.left + plot.right) / 2,
            plot.y(value),
            day,
            value,
        )
        for day, value in target.measures
    ]
    if len(points) > 1:
        body += f'<polyline fill="none" stroke="{NAVY}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)}"/>'
    for x, y, day, value in points:
        body += f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{NAVY}"><title>{_day(day)}: {value:g}</title></circle>'
    labelled = _spaced([x for x, _, _, _ in points], 30)
    for index in labelled:
        x, y, _, value = points[index]
        body += _text(x, y - 8, f"{value:g}", 10, "middle", ' class="value" font-weight="bold"')
    for index in _spaced([x for x, _, _, _ in points]):
        x, _, day, _ = points[index]
        body += _text(x, plot.bottom + 14, _day(day), 10, "middle", ' class="date"')
    return _svg("target", label, body, height, line.case)


def _target_caption(target: TargetLine) -> str:
    if not target.measures and target.latest is not None:
        return (
            f"No {target.measure} measure recorded: the latest figure, {target.latest:g}, is the register's for "
            f"the period (week by week above)."
        )
    if len(target.measures) == 1:
        day, value = target.measures[0]
        return f"One measure so far: {value:g} on {_long(day)}; the line between measures starts with the next."
    if target.measures:
        return f"{len(target.measures)} measures, {_long(target.measures[0][0])} to {_long(target.measures[-1][0])}."
    return ""


def _wrapped(words: str, width: int) -> list[str]:
    """`words` in lines of about `width` characters, broken between words (never inside one)."""
    lines: list[str] = []
    for word in words.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def cost_chart(providers: list[Totals]) -> str:
    """A bar a provider, its name (wrapped, never cut) on the left and the amount at the bar's end, from £0."""
    known = [
        (t.name or t.label, t.cost_per_attended_session) for t in providers if t.cost_per_attended_session is not None
    ]
    if not known:
        return _svg("cost", "No cost per attended session yet", _text(LEFT, 30, "No sessions yet"), 50)
    names = [_wrapped(name, 30) for name, _ in known]
    row = max(28, 13 * max(len(lines) for lines in names) + 8)
    labels, bars_from, room = 4, 200, WIDTH - 200 - 80
    height = row * len(known) + 24
    top = max(float(value) for _, value in known) or 1
    body = f'<line x1="{bars_from}" x2="{bars_from}" y1="4" y2="{height - 20}" stroke="{GREY}"/>'
    body += _text(bars_from, height - 6, "£0", 10, "middle", ' class="tick"')
    for index, ((_, value), lines) in enumerate(zip(known, names, strict=True)):
        y = 4 + index * row
        middle = y + row / 2
        first = middle - (len(lines) - 1) * 6.5 + 3.5
        body += "".join(
            _text(labels, first + n * 13, text, 10, "start", ' class="name"') for n, text in enumerate(lines)
        )
        width = float(value) / top * room
        body += (
            f'<rect x="{bars_from}" y="{y + 4:.1f}" width="{width:.1f}" height="{row - 8:.1f}" fill="{NAVY}"/>'
            + _text(bars_from + width + 5, middle + 3.5, money_text(value), 10, "start", ' class="value"')
        )
    return _svg("cost", "Cost per attended session, per provider", body, height)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"


STYLE = """
@page { size: A4 portrait; margin: 15mm;
        @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt Arial, sans-serif; color: #555; } }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; line-height: 1.3; color: #000; margin: 0; }
@media screen { body { max-width: 250mm; margin: 8mm auto; padding: 0 6mm; } }
h1 { font-size: 15pt; color: #1f3a5f; margin: 0 0 2mm; }
h2 { font-size: 12pt; color: #1f3a5f; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; break-after: avoid; page-break-after: avoid; }
p { margin: 0 0 2mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 4mm; font-size: 9pt; }
th, td { border-bottom: 1px solid #ccc; padding: 1mm 1.2mm; text-align: left; vertical-align: top; }
th { background: #eef2f7; font-weight: bold; vertical-align: bottom; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th.group { text-align: center; border-bottom: 1px solid #9aa9bd; }
td.n, th.n, table.totals th + th { text-align: right; }
td.n { white-space: nowrap; }
td.n.why { white-space: normal; }
table.ids td:first-child, .id { white-space: nowrap; }
/* Names wrap between words; only a word too long for its column breaks inside (never an id, never below 9ch). */
table.pupils td:nth-child(2), table.outcomes td:nth-child(2) { overflow-wrap: anywhere; min-width: 9ch; }
table.pupils td:nth-child(3), table.totals td:first-child { overflow-wrap: anywhere; min-width: 12ch; }
tr.total td { font-weight: bold; border-top: 1.5px solid #1f3a5f; }
.block { break-inside: avoid; page-break-inside: avoid; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 1mm 0 1mm; }
.caption { font-size: 8.5pt; color: #333; margin: 0 0 3mm; }
.small { font-size: 8.5pt; color: #333; }
@media print {
  body { font-size: 9.5pt; }
  table { font-size: 7.5pt; }
  th, td { padding: 0.8mm 1mm; }
  h2.pupil { margin-top: 5mm; }
}
"""


def _money_cells(cells: list[tuple[str, str]]) -> str:
    """Money cells: a figure never breaks; the words of a gap ("no sessions yet") may."""
    return "".join(
        f"<td class={'n' if cell[:1] in '£-' or cell.isdigit() else WHY}>{escape(cell)}</td>" for _, cell in cells
    )


WHY = '"n why"'


def _heading(words: str, numeric: bool = True, span: str = "") -> str:
    return f"<th{' class=n' if numeric else ''}{span}>{escape(words)}</th>"


def render_html(report: Report, threshold: float, names: bool = True) -> str:
    return "".join(html_pieces(report, threshold, names))


def html_pieces(report: Report, threshold: float, names: bool = True) -> Iterator[str]:
    """The report's HTML, piece by piece: the pupils' lines are gone through once for each table and once for
    their charts, each read back as it is written (`money.Lines`), so that a report of 20,000 pupils is never
    held whole."""
    empty = "" if report.pupils else "<p>No placements in this period.</p>"
    at, statutory = "at provider", "statutory (school register)"
    pair = _heading("attended/ possible") + _heading("%")
    yield (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Alternative provision: value for money, '
        f"{escape(report.period.label)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(report.school)}: alternative provision, {escape(report.period.label)}</h1>"
        f'<p class="small">{_long(report.period.start)} to {_long(report.period.end)}. Cost per attended session is the agreement\'s '
        f"cost for the marked days (pro rata; a day counts once every session of it is marked), over the sessions "
        f"attended at the provider on those days; sessions of days passed with no mark yet are counted apart "
        f"(unmarked sessions). A cost never recorded shows as &#8220;no cost recorded&#8221;; a cost per attended "
        f"session with no attended session marked yet as &#8220;no sessions yet&#8221;. Attendance <em>at the provider</em> is from its register (B or D: the pupil there); the "
        f"<em>statutory (school register)</em> figure is the school's own, as its MIS shows it: D sessions (dual "
        f"registered) count at the other school, so in neither possible nor attended. A day the provider was closed "
        f"(ap provider closure) is not a placement day: no session expected, no cost counted.</p>"
        f"{empty}<h2>Pupils: attendance and cost</h2>"
        f'<table class="ids pupils"><thead><tr><th rowspan=2>case</th><th rowspan=2>pupil</th><th rowspan=2>provider</th>'
        f"<th rowspan=2 class=n>days</th><th colspan=2 class=group>{at}</th><th colspan=2 class=group>{statutory}</th>"
        f"{''.join(_heading(h, span=' rowspan=2') for h in PUPIL_MONEY_HEADINGS)}</tr>"
        f"<tr>{pair}{pair}</tr></thead><tbody>"
    )
    for p in report.pupils:  # attendance and cost: one row a pupil, the figures value for money is judged on
        who = escape(p.pupil) if names else ""
        yield (
            f"<tr><td>{escape(p.case)}</td><td>{who}</td><td>{escape(p.provider_name or p.provider)}</td>"
            f"<td class=n>{p.days_commissioned}</td>"
            f"<td class=n>{p.summary.attended}/{p.summary.possible}</td><td class=n>{_pct(p.summary.percent)}</td>"
            f"<td class=n>{p.statutory.attended}/{p.statutory.possible}</td><td class=n>{_pct(p.statutory.percent)}</td>"
            f"{_money_cells(pupil_money_cells(p))}</tr>"
        )
    yield (
        "</tbody></table>"
        "<h2>Pupils: reviews and outcome</h2>"
        '<table class="ids outcomes"><thead><tr><th>case</th><th>pupil</th><th class=n>from</th><th class=n>to</th>'
        "<th class=n>reviews held/due</th><th>outcome</th><th class=n>length (school days)</th></tr></thead>"
        "<tbody>"
    )
    for p in report.pupils:  # reviews, outcome and length: one row a pupil
        who = escape(p.pupil) if names else ""
        yield (
            f"<tr><td>{escape(p.case)}</td><td>{who}</td><td class=n>{_long(p.start)}</td>"
            f"<td class=n>{_long(p.end)}</td><td class=n>{p.reviews_held}/{p.reviews_due}</td>"
            f"<td>{escape(p.outcome)}</td><td class=n>{p.length_days}</td></tr>"
        )
    totals = "".join(
        f"<tr{' class=total' if t is report.total else ''}><td>"
        f"{'All providers' if t is report.total else escape(t.name or t.label)}</td><td class=n>{t.pupils}</td>"
        f"<td class=n>{t.days_commissioned}</td>"
        f"<td class=n>{t.summary.attended}/{t.summary.possible}</td><td class=n>{_pct(t.summary.percent)}</td>"
        f"<td class=n>{t.statutory.attended}/{t.statutory.possible}</td><td class=n>{_pct(t.statutory.percent)}</td>"
        f"{_money_cells(totals_money_cells(t))}</tr>"
        for t in [*report.by_provider, report.total]
    )
    yield (
        "</tbody></table>"
        f'<h2>Totals</h2><table class="totals"><thead><tr><th>provider</th><th>pupils</th><th>days</th>'
        f"<th>attended/possible at provider</th><th>% at provider</th>"
        f"<th>attended/possible statutory (school register)</th><th>% statutory</th>"
        f"{''.join(_heading(h, numeric=False) for h in TOTALS_MONEY_HEADINGS)}</tr></thead><tbody>{totals}</tbody></table>"
        f'<div class="block"><h2>Cost per attended session, per provider</h2>{cost_chart(report.by_provider)}</div>'
    )
    for p in report.pupils:
        yield pupil_section(p, threshold, names)
    yield "</body></html>\n"


def pupil_section(p: PupilLine, threshold: float, names: bool) -> str:
    """A pupil's charts: attendance week by week, each target's measures, and the lapses in weekly contact."""
    title = (
        f'<span class="id">{escape(p.case)}</span>{" " + escape(p.pupil) if names else ""} '
        f"at {escape(p.provider_name or p.provider)}"
    )
    marked = any(percent is not None for _, percent in p.weekly)
    blocks = [
        f'<div class="block"><h2 class="pupil">{title}</h2><h3>Attendance week by week</h3>'
        f"{attendance_chart(p, threshold)}"
        + (
            f'<p class="caption">Each bar: the sessions attended at the provider that week, as a share of the '
            f"possible ones (red: below {threshold:g}%, the line); a week with no bar had no session marked "
            f"(a holiday, or not marked yet).</p>"
            if marked
            else ""
        )
        + "</div>"
    ]
    for t in p.targets:
        caption = _target_caption(t)
        blocks.append(
            f'<div class="block"><h3>{escape(t.measure)}: baseline {t.baseline:g}, goal {t.goal:g}, latest '
            f"{'-' if t.latest is None else f'{t.latest:g}'} ({escape(t.direction)})</h3>{target_chart(p, t)}"
            f"{f'<p class=caption>{escape(caption)}</p>' if caption else ''}</div>"
        )
    lapses = "".join(
        f"<li>week of {week}: {escape(why)}</li>" for week, why in p.contact_lapses
    )  # weeks with no contact with the provider (ATT-WEEKLY), recorded as lapses
    if lapses:
        blocks.append(f'<div class="block"><h3>Lapses in weekly contact with the provider</h3><ul>{lapses}</ul></div>')
    return f'<section class="pupil">{"".join(blocks)}</section>'


def write_html(report: Report, path: Path, threshold: float) -> None:
    from apcli.records.exporting import check_output
    from apcli.records.layout import atomic_write

    check_output(path, report.root, "--html")  # only outside the records folder
    if path.is_dir() or not path.parent.is_dir():
        raise UsageError(f"--html: {path} cannot be written (give a file in a folder that exists).")
    try:
        atomic_write(path, html_pieces(report, threshold))  # mode 600, whatever the file had before
    except OSError as error:
        raise UsageError(f"--html: {path} cannot be written ({error.strerror or error}).") from None
