"""Write templates/*.docx: the Word templates for letters (docxtpl syntax), from the text below.

    python scripts/make_word_templates.py

A school replaces one by putting its own (say, on its letterhead) in its records
folder's templates/ with the same name; keep each {{ ... }} tag typed in one go,
because Word splits a tag that is edited piecemeal across runs.

The layout follows the HTML letters: an address is one paragraph whose lines are
line breaks (a `{% for %}` inside the paragraph, around a line break), so no space
opens between its lines; a heading keeps with what follows, and the first day's
paragraph keeps with the provider's address, which keeps together, as do the
session times and the meeting's date, time and place, so a page break never
splits them. In a line,
`**...**` is bold (its own run, which docxtpl keeps) and a newline is a line break.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
# The shipped templates' own properties; every rendered letter gets the school, its date and its kind instead
# (apcli/letters/render.py, `_render_docx`).
NEUTRAL_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

RECIPIENT = "{{ recipient.name }}{% for line in recipient.address_lines %}\n{{ line }}{% endfor %}"
PROVIDER = (
    "{{ provider.name }}{% for line in provider.address_lines %}\n{{ line }}{% endfor %}"
    "{% if provider.phone %}\nTelephone {{ provider.phone }}{% endif %}"
)
SCHOOL = (
    "{% for line in school.address_lines %}{{ line }}\n{% endfor %}"
    "{% if school.phone %}Telephone {{ school.phone }}\n{% endif %}{{ school.email }}"
)
SESSIONS = "{% for session in sessions %}{{ session.label }}\t**{{ session.time }}**{% if not loop.last %}\n{% endif %}{% endfor %}"

OPENING = [
    ("recipient", RECIPIENT),
    ("right", "{{ date }}"),
    ("ref", 'Our reference: {{ case_id }}{% if method == "hand" %} (delivered by hand){% endif %}'),
    ("p", "Dear {{ recipient.salutation }},"),
]
CLOSING = [
    ("yours", "Yours sincerely,"),
    ("signature", "{{ school.headteacher }}\nHeadteacher, {{ school.name }}"),
]

NOTICE = [
    (
        "h1",
        "{% if recipient.is_la %}Copy of a notice given to parents: {% endif %}Notice that {{ pupil.name }} must attend off-site education",
    ),
    (
        "small",
        "Pupil: {{ pupil.name }}, {{ pupil.year }}, born {{ pupil.dob }}. Given under the Education (Educational Provision for Improving Behaviour) Regulations 2010.",
    ),
    ("p", "{%p if copy_of %}"),
    (
        "p",
        "**Copy: this is a copy of the notice we gave on {{ copy_of }}.** We are sending it to you because you are recorded as a parent or carer of {{ pupil.name }} and had not had it.",
    ),
    ("p", "{%p endif %}"),
    ("p", "{%p if change %}"),
    ("h2", "What has changed"),
    ("p", "**{{ change.text }}**"),
    ("p", "{%p endif %}"),
    ("p", "{%p if recipient.is_la %}"),
    (
        "p",
        "{{ pupil.name }} has an education, health and care plan, and you are the local authority that maintains it, so the regulations ask us to send you a copy of the notice we have given to the parents. What it says is below.",
    ),
    ("p", "{%p else %}"),
    (
        "p",
        "I am writing to tell you that {{ school.name }} requires {{ pupil.name }} to attend education away from the school's site, at {{ provider.name }}. {{ pupil.name }} stays on the roll of {{ school.name }} throughout, and {{ school.name }} pays for the placement.",
    ),
    ("p", "{%p endif %}"),
    ("p", "{%p if alternative_to_exclusion %}"),
    ("p", "**This placement is offered as an alternative to permanent exclusion.**"),
    ("p", "{%p endif %}"),
    ("h2", "Why"),
    ("p", "{{ rationale }}"),
    ("p", "{%p for reason in reasons %}"),
    ("bullet", "{{ reason }}"),
    ("p", "{%p endfor %}"),
    ("h2", "What the placement aims to achieve"),
    ("p", "{%p for aim in aims %}"),
    ("bullet", "{{ aim }}"),
    ("p", "{%p endfor %}"),
    ("h2", "How long"),
    (
        "p",
        "The requirement is for {{ period.days_text }}: on {{ period.weekdays }}, from {{ period.start }} to {{ period.end }}. On other days {{ pupil.name }} attends {{ school.name }} as usual.",
    ),
    ("h2", "The first day"),
    (
        "together",
        "The placement starts on **{{ start.date }} at {{ start.time }}**. On the first day, {{ pupil.name }} should report to **{{ report_to }}** at:",
    ),
    ("address", PROVIDER),
    ("h2", "Session times"),
    ("sessions", SESSIONS),
    ("p", "{%p if english_maths %}"),
    ("h2", "English and maths"),
    ("p", "{{ english_maths }}"),
    ("p", "{%p endif %}"),
    ("p", "{%p if reintegration %}"),
    ("h2", "Returning to {{ school.name }}"),
    ("p", "{{ reintegration }}"),
    ("p", "{%p endif %}"),
    ("h2", "What we ask of you"),
    (
        "p",
        "Please make sure {{ pupil.name }} attends every session. Absence from the placement is treated in the same way as absence from {{ school.name }}, and the provider will contact you and us whenever {{ pupil.name }} is absent.{% if provider.code_of_conduct %} Pupils follow the provider's code of conduct ({{ provider.code_of_conduct }}).{% endif %}",
    ),
    (
        "p",
        "We will review the placement with you every term. You may ask us in writing for a review meeting at any time, and we will hold one as soon as we reasonably can.",
    ),
    ("p", "{%p if copy_to_la %}"),
    (
        "small",
        "Because {{ pupil.name }} has an education, health and care plan, a copy of this notice goes to {{ copy_to_la }}, the local authority that maintains the plan.",
    ),
    ("p", "{%p endif %}"),
]
INVITATION = [
    ("h1", "Invitation to a meeting about {{ pupil.name }}'s education"),
    (
        "p",
        "We would like to meet you to talk about {{ pupil.name }}'s education, and about whether a placement in alternative provision, away from {{ school.name }} for part of the week, would help.",
    ),
    ("h2", "Why we are considering this"),
    ("p", "{{ rationale }}"),
    ("p", "{%p if alternative_to_exclusion %}"),
    (
        "p",
        "**We are considering alternative provision as an alternative to permanent exclusion.** At the meeting we will explain what this means, so that you can make an informed decision.",
    ),
    ("p", "{%p endif %}"),
    ("h2", "The meeting"),
    ("meeting", "Date\t**{{ meeting.date }}**\nTime\t**{{ meeting.time }}**\nPlace\t**{{ meeting.place }}**"),
    (
        "p",
        "At the meeting we will explain our reasons, listen to your views and {{ pupil.name }}'s, and agree together what happens next. Nothing is decided before we have met. If you cannot come at this time, please contact the office and we will find another.",
    ),
]
REVIEW = [
    ("h1", "The review of {{ pupil.name }}'s placement"),
    (
        "p",
        "Thank you for taking part in the review of {{ pupil.name }}'s placement on {{ review.date }}. This letter sets out what was agreed.",
    ),
    ("h2", "The outcome"),
    ("p", "After the review, **{{ review.outcome }}**."),
    ("p", "{%p if review.continue_until %}"),
    (
        "p",
        "{% if review.ends %}Its last day is{% else %}It continues until{% endif %} **{{ review.continue_until }}**.",
    ),
    ("p", "{%p endif %}"),
    ("p", "{%p if review.parents_views %}"),
    ("h2", "Your views"),
    ("p", "{{ review.parents_views }}"),
    ("p", "{%p endif %}"),
    ("h2", "What happens next"),
    ("p", "{%p if review.next %}"),
    ("p", "The next review will be held by **{{ review.next }}**."),
    ("p", "{%p endif %}"),
    (
        "p",
        "The person responsible for the placement and its reviews is **{{ review.responsible }}**. Please contact them with any question, and you may ask us in writing for a review meeting at any time.",
    ),
]


def add_text(paragraph: Paragraph, text: str, size: Pt | None = None) -> None:
    """`text` as runs: `**...**` bold, each in its own run (python-docx makes a newline a line break and a tab a
    tab); every run's text keeps its spaces, since a Jinja loop may carry a run's end into another run."""
    for index, piece in enumerate(text.split("**")):
        if not piece:
            continue
        run = paragraph.add_run(piece)
        run.bold = True if index % 2 else None
        if size is not None:
            run.font.size = size
        for element in run._r.iter(qn("w:t")):
            element.set(qn("xml:space"), "preserve")


def page_field(paragraph: Paragraph, field: str) -> None:
    """A field Word and LibreOffice fill in as they lay the page out: PAGE, NUMPAGES."""
    for kind, text in (("begin", None), (None, f" {field} "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        run.font.size = Pt(8)
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif text.strip() == field:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        else:
            element = OxmlElement("w:t")
            element.text = text
        run._r.append(element)


def bottom_rule(paragraph: Paragraph) -> None:
    """A navy line under the letterhead, as the HTML letters have."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "1F3A5F")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def british(document: Document) -> None:  # type: ignore[valid-type]
    """Spell-check in British English: the default language of the document's text."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    for lang in defaults.iter(qn("w:lang")):
        lang.set(qn("w:val"), "en-GB")


def neutral_properties(document: Document) -> None:  # type: ignore[valid-type]
    """No 'python-docx', no 2013, no other program's name: what a letter's own properties replace."""
    core = document.core_properties
    core.author = core.last_modified_by = "ap"
    core.title = core.subject = core.keywords = core.category = core.comments = ""
    core.created = core.modified = NEUTRAL_DATE
    core.revision = 1
    package = document.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # python-docx's default template's preview picture
            del package.rels[rel_id]
        elif rel.reltype == RT.EXTENDED_PROPERTIES:
            rel.target_part._blob = APP_XML.encode("utf-8")


APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>ap</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
    "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
    "</Properties>"
)


def write(name: str, body: list[tuple[str, str]]) -> None:
    document = Document()
    british(document)
    neutral_properties(document)
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(18), Mm(18)
    section.left_margin = section.right_margin = Mm(20)
    section.header_distance = Mm(10)
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for style in ("Header", "List Bullet"):
        document.styles[style].paragraph_format.space_after = Pt(0)
    document.styles["List Bullet"].paragraph_format.line_spacing = 1.15
    # The letterhead opens the first page (in the body, so it is part of the letter's words); the pages after it
    # have a one-line header instead, as a printed HTML letter has the letterhead once.
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    running = section.header.paragraphs[0]
    running.paragraph_format.space_after = Pt(0)
    add_text(running, "{{ school.name }}, our reference {{ case_id }}, page ", Pt(8))
    page_field(running, "PAGE")
    add_text(running, " of ", Pt(8))
    page_field(running, "NUMPAGES")
    for run in running.runs:
        run.font.color.rgb = NAVY
    title = document.paragraphs[0] if document.paragraphs else document.add_paragraph()
    title.paragraph_format.space_after = Pt(2)
    run = title.add_run("{{ school.name }}")
    run.bold, run.font.size, run.font.color.rgb = True, Pt(16), NAVY
    letterhead = document.add_paragraph()
    letterhead.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    letterhead.paragraph_format.line_spacing = 1.0
    letterhead.paragraph_format.space_after = Pt(0)
    add_text(letterhead, SCHOOL, Pt(9))
    bottom_rule(letterhead)
    for style, text in [*OPENING, *body, *CLOSING]:
        paragraph = document.add_paragraph(style="List Bullet" if style == "bullet" else None)
        layout = paragraph.paragraph_format
        if style == "h1":
            layout.space_before, layout.space_after, layout.keep_with_next = Pt(6), Pt(6), True
            run = paragraph.add_run(text)
            run.bold, run.font.size, run.font.color.rgb = True, Pt(13), NAVY
        elif style == "h2":
            layout.space_before, layout.space_after, layout.keep_with_next = Pt(8), Pt(2), True
            paragraph.add_run(text).bold = True
        elif style == "small":
            add_text(paragraph, text, Pt(9))
        elif style == "ref":
            layout.space_after = Pt(12)
            add_text(paragraph, text, Pt(9))
        elif style == "right":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            add_text(paragraph, text)
        elif style == "recipient":
            layout.space_before, layout.space_after, layout.line_spacing = Pt(12), Pt(24), 1.0
            layout.keep_together = True
            add_text(paragraph, text)
        elif style == "together":  # the first day's paragraph, kept with the address below it
            layout.keep_together = layout.keep_with_next = True
            add_text(paragraph, text)
        elif style == "address":  # kept whole; the session times below keep with their own heading
            layout.left_indent, layout.line_spacing = Mm(6), 1.0
            layout.keep_together = True
            add_text(paragraph, text)
        elif style in ("sessions", "meeting"):
            layout.keep_together = True
            layout.tab_stops.add_tab_stop(Mm(80 if style == "sessions" else 20))
            add_text(paragraph, text)
        elif style == "yours":
            layout.space_before, layout.space_after, layout.keep_with_next = Pt(6), Pt(36), True
            add_text(paragraph, text)
        elif style == "signature":
            layout.keep_together = True
            add_text(paragraph, text)
        else:
            add_text(paragraph, text)
    document.save(str(TEMPLATES / name))
    print(f"wrote {TEMPLATES / name}")


if __name__ == "__main__":
    write("notice.docx", NOTICE)
    write("invitation.docx", INVITATION)
    write("review.docx", REVIEW)
