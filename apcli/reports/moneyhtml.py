"""The value-for-money report as one self-contained HTML file: tables, and charts drawn as inline SVG.

No JavaScript and no network: the file opens and prints (A4) anywhere.
"""

from __future__ import annotations

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
    from apcli.reports.money import PupilLine, Report, TargetLine, Totals

WIDTH, HEIGHT, PAD = 520, 150, 28
NAVY, RED, GREY, GREEN = "#1f3a5f", "#b3261e", "#888888", "#2e7d32"


def _svg(kind: str, label: str, body: str, case: str = "") -> str:
    return (
        f'<svg class="chart" data-chart="{kind}" data-case="{escape(case)}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>{body}</svg>"
    )


def _y(value: float, low: float, high: float) -> float:
    span = (high - low) or 1
    return HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)


def attendance_chart(line: PupilLine, threshold: float) -> str:
    weeks = [(monday, percent) for monday, percent in line.weekly if percent is not None]
    if not weeks:
        return _svg(
            "attendance",
            f"{line.case}: no attendance marked yet",
            f'<text x="{PAD}" y="{HEIGHT / 2}" font-size="12">No attendance marked yet</text>',
            line.case,
        )
    step = (WIDTH - 2 * PAD) / len(weeks)
    bars = []
    for index, (monday, percent) in enumerate(weeks):
        top = _y(percent, 0, 100)
        colour = NAVY if percent >= threshold else RED
        bars.append(
            f'<rect x="{PAD + index * step + 2:.1f}" y="{top:.1f}" width="{max(step - 4, 1):.1f}" '
            f'height="{HEIGHT - PAD - top:.1f}" fill="{colour}"><title>{monday}: {percent:g}%</title></rect>'
        )
    limit = _y(threshold, 0, 100)
    body = "".join(bars) + (
        f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{limit:.1f}" y2="{limit:.1f}" stroke="{GREY}" stroke-dasharray="4 3"/>'
        f'<text x="{WIDTH - PAD}" y="{limit - 4:.1f}" font-size="10" text-anchor="end">{threshold:g}%</text>'
        f'<text x="{PAD}" y="{HEIGHT - 8}" font-size="10">{weeks[0][0]}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 8}" font-size="10" text-anchor="end">{weeks[-1][0]}</text>'
    )
    return _svg("attendance", f"{line.case}: attendance week by week against {threshold:g}%", body, line.case)


def target_chart(line: PupilLine, target: TargetLine) -> str:
    values = [v for _, v in target.measures]
    low = min([target.baseline, target.goal, *values]) - 1
    high = max([target.baseline, target.goal, *values]) + 1
    body = ""
    for value, colour, name in ((target.baseline, GREY, "baseline"), (target.goal, GREEN, "goal")):
        y = _y(value, low, high)
        body += (
            f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-dasharray="4 3"/>'
            f'<text x="{WIDTH - PAD}" y="{y - 3:.1f}" font-size="10" text-anchor="end">{name} {value:g}</text>'
        )
    if target.measures:
        first, last = target.measures[0][0], target.measures[-1][0]
        span = (last - first).days or 1
        points = [
            (
                PAD + (day - first).days / span * (WIDTH - 2 * PAD) if len(target.measures) > 1 else WIDTH / 2,
                _y(value, low, high),
                day,
                value,
            )
            for day, value in target.measures
        ]
        body += '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
            NAVY, " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        )
        body += "".join(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{NAVY}"><title>{day}: {value:g}</title></circle>'
            for x, y, day, value in points
        )
    else:
        body += f'<text x="{PAD}" y="{HEIGHT / 2}" font-size="12">No measure yet</text>'
    return _svg("target", f"{line.case} {target.measure}: measures against baseline and goal", body, line.case)


def cost_chart(providers: list[Totals]) -> str:
    known = [(t.label, t.cost_per_attended_session) for t in providers if t.cost_per_attended_session is not None]
    if not known:
        return _svg(
            "cost",
            "No cost per attended session yet",
            f'<text x="{PAD}" y="{HEIGHT / 2}" font-size="12">No sessions yet</text>',
        )
    top = max(float(value) for _, value in known) or 1
    step = min((HEIGHT - 2 * PAD) / len(known), 28)
    body = ""
    for index, (label, value) in enumerate(known):
        width = float(value) / top * (WIDTH - 200)
        y = PAD + index * step
        body += (
            f'<text x="4" y="{y + step / 2 + 4:.1f}" font-size="11">{escape(label)}</text>'
            f'<rect x="150" y="{y + 2:.1f}" width="{width:.1f}" height="{max(step - 4, 2):.1f}" fill="{NAVY}"/>'
            f'<text x="{150 + width + 4:.1f}" y="{y + step / 2 + 4:.1f}" font-size="11">{money_text(value)}</text>'
        )
    return _svg("cost", "Cost per attended session, per provider", body)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:g}%"


STYLE = """
@page { size: A4; margin: 15mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; color: #000; margin: 0; }
@media screen { body { max-width: 190mm; margin: 10mm auto; } }
h1 { font-size: 15pt; color: #1f3a5f; margin: 0 0 2mm; }
h2 { font-size: 12pt; color: #1f3a5f; margin: 6mm 0 2mm; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 1mm; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; }
th, td { border-bottom: 1px solid #ccc; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #eef2f7; }
td.n { text-align: right; }
.pupil { page-break-inside: avoid; }
svg.chart { max-width: 100%; height: auto; display: block; margin: 1mm 0 3mm; }
.small { font-size: 8.5pt; color: #333; }
"""


def render_html(report: Report, threshold: float, names: bool = True) -> str:
    rows = []
    for p in report.pupils:
        who = escape(p.pupil) if names else ""
        rows.append(
            f"<tr><td>{escape(p.case)}</td><td>{who}</td><td>{escape(p.provider)}</td><td class=n>{p.days_commissioned}</td>"
            f"<td class=n>{p.summary.attended}/{p.summary.possible}</td><td class=n>{_pct(p.summary.percent)}</td>"
            f"<td class=n>{p.statutory.attended}/{p.statutory.possible}</td><td class=n>{_pct(p.statutory.percent)}</td>"
            f"{''.join(f'<td class=n>{escape(cell)}</td>' for _, cell in pupil_money_cells(p))}"
            f"<td class=n>{p.reviews_held}/{p.reviews_due}</td>"
            f"<td>{escape(p.outcome)}</td><td class=n>{p.length_days}</td></tr>"
        )
    totals = "".join(
        f"<tr><td>{escape(t.label)}</td><td class=n>{t.pupils}</td><td class=n>{t.days_commissioned}</td>"
        f"<td class=n>{t.summary.attended}/{t.summary.possible}</td><td class=n>{_pct(t.summary.percent)}</td>"
        f"<td class=n>{t.statutory.attended}/{t.statutory.possible}</td><td class=n>{_pct(t.statutory.percent)}</td>"
        f"{''.join(f'<td class=n>{escape(cell)}</td>' for _, cell in totals_money_cells(t))}</tr>"
        for t in [*report.by_provider, report.total]
    )
    pupils = []
    for p in report.pupils:
        title = f"{escape(p.case)}{' ' + escape(p.pupil) if names else ''} at {escape(p.provider)}"
        targets = "".join(
            f"<h3>{escape(t.measure)}: baseline {t.baseline:g}, goal {t.goal:g}, latest "
            f"{'-' if t.latest is None else f'{t.latest:g}'} ({escape(t.direction)})</h3>{target_chart(p, t)}"
            for t in p.targets
        )
        lapses = "".join(
            f"<li>week of {week}: {escape(why)}</li>" for week, why in p.contact_lapses
        )  # weeks with no contact with the provider (ATT-WEEKLY), recorded as lapses
        if lapses:
            lapses = f"<h3>Lapses in weekly contact with the provider</h3><ul>{lapses}</ul>"
        pupils.append(
            f'<section class="pupil"><h2>{title}</h2><h3>Attendance week by week</h3>'
            f"{attendance_chart(p, threshold)}{targets}{lapses}</section>"
        )
    empty = "" if report.pupils else "<p>No placements in this period.</p>"
    return (
        f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Alternative provision: value for money, '
        f"{escape(report.period.label)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(report.school)}: alternative provision, {escape(report.period.label)}</h1>"
        f'<p class="small">{report.period.start} to {report.period.end}. Cost per attended session is the agreement\'s '
        f"cost for the marked days (pro rata; a day counts once every session of it is marked), over the sessions "
        f"attended at the provider on those days; sessions of days passed with no mark yet are counted apart "
        f"(unmarked sessions). A cost never recorded shows as &#8220;no cost recorded&#8221;; a cost per attended "
        f"session with no attended session marked yet as &#8220;no sessions yet&#8221;. Attendance <em>at the provider</em> is from its register (B or D: the pupil there); the "
        f"<em>statutory (school register)</em> figure is the school's own, as its MIS shows it: D sessions (dual "
        f"registered) count at the other school, so in neither possible nor attended. A day the provider was closed "
        f"(ap provider closure) is not a placement day: no session expected, no cost counted.</p>"
        f"{empty}<h2>Pupils</h2><table><tr><th>case</th><th>pupil</th><th>provider</th><th>days</th><th>attended/possible at provider</th>"
        f"<th>% at provider</th><th>attended/possible statutory (school register)</th><th>% statutory</th>"
        f"{''.join(f'<th>{escape(h)}</th>' for h in PUPIL_MONEY_HEADINGS)}"
        f"<th>reviews held/due</th><th>outcome</th><th>length (school days)</th></tr>{''.join(rows)}</table>"
        f"<h2>Totals</h2><table><tr><th></th><th>pupils</th><th>days</th><th>attended/possible at provider</th>"
        f"<th>% at provider</th><th>attended/possible statutory (school register)</th><th>% statutory</th>"
        f"{''.join(f'<th>{escape(h)}</th>' for h in TOTALS_MONEY_HEADINGS)}</tr>{totals}</table>"
        f"<h2>Cost per attended session, per provider</h2>{cost_chart(report.by_provider)}"
        f"{''.join(pupils)}</body></html>\n"
    )


def write_html(report: Report, path: Path, threshold: float) -> None:
    from apcli.records.exporting import check_output
    from apcli.records.store import atomic_write

    check_output(path, report.root, "--html")  # only outside the records folder
    if path.is_dir() or not path.parent.is_dir():
        raise UsageError(f"--html: {path} cannot be written (give a file in a folder that exists).")
    try:
        atomic_write(path, render_html(report, threshold))  # mode 600, whatever the file had before
    except OSError as error:
        raise UsageError(f"--html: {path} cannot be written ({error.strerror or error}).") from None
