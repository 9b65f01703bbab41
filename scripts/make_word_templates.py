"""Write templates/*.docx: the Word templates for letters (docxtpl syntax), from the text below.

    python scripts/make_word_templates.py

A school replaces one by putting its own (say, on its letterhead) in its records
folder's templates/ with the same name; keep each {{ ... }} tag typed in one go,
because Word splits a tag that is edited piecemeal across runs.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt, RGBColor

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
NAVY = RGBColor(0x1F, 0x3A, 0x5F)

OPENING = [
    ("p", "{{ recipient.name }}"),
    ("p", "{%p for line in recipient.address_lines %}"),
    ("p", "{{ line }}"),
    ("p", "{%p endfor %}"),
    ("right", "{{ date }}"),
    ("small", "Our reference: {{ case_id }}"),
    ("p", "Dear {{ recipient.salutation }},"),
]
CLOSING = [
    ("p", "Yours sincerely,"),
    ("gap", ""),
    ("p", "{{ school.headteacher }}"),
    ("p", "Headteacher, {{ school.name }}"),
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
        "bold",
        "Copy: this is a copy of the notice we gave on {{ copy_of }}. We are sending it to you because you are recorded as a parent or carer of {{ pupil.name }} and had not had it.",
    ),
    ("p", "{%p endif %}"),
    ("p", "{%p if change %}"),
    ("h2", "What has changed"),
    ("bold", "{{ change.text }}"),
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
    ("bold", "This placement is offered as an alternative to permanent exclusion."),
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
        "p",
        "The placement starts on {{ start.date }} at {{ start.time }}. On the first day, {{ pupil.name }} should report to {{ report_to }} at:",
    ),
    ("indent", "{{ provider.name }}"),
    ("p", "{%p for line in provider.address_lines %}"),
    ("indent", "{{ line }}"),
    ("p", "{%p endfor %}"),
    ("h2", "Session times"),
    ("p", "{%p for session in sessions %}"),
    ("p", "{{ session.label }}: {{ session.time }}"),
    ("p", "{%p endfor %}"),
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
        "Please make sure {{ pupil.name }} attends every session. Absence from the placement is treated in the same way as absence from {{ school.name }}, and the provider will contact you and us whenever {{ pupil.name }} is absent.",
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
        "bold",
        "We are considering alternative provision as an alternative to permanent exclusion. At the meeting we will explain what this means, so that you can make an informed decision.",
    ),
    ("p", "{%p endif %}"),
    ("h2", "The meeting"),
    ("p", "Date: {{ meeting.date }}"),
    ("p", "Time: {{ meeting.time }}"),
    ("p", "Place: {{ meeting.place }}"),
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
    ("p", "After the review, {{ review.outcome }}."),
    ("p", "{%p if review.parents_views %}"),
    ("h2", "Your views"),
    ("p", "{{ review.parents_views }}"),
    ("p", "{%p endif %}"),
    ("h2", "What happens next"),
    ("p", "{%p if review.next %}"),
    ("p", "The next review will be held by {{ review.next }}."),
    ("p", "{%p endif %}"),
    (
        "p",
        "The person responsible for the placement and its reviews is {{ review.responsible }}. Please contact them with any question, and you may ask us in writing for a review meeting at any time.",
    ),
]


def write(name: str, body: list[tuple[str, str]]) -> None:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin = section.right_margin = Mm(20)
    normal = document.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(11)
    header = section.header
    title = header.paragraphs[0]
    run = title.add_run("{{ school.name }}")
    run.bold, run.font.size, run.font.color.rgb = True, Pt(16), NAVY
    for text in (
        "{%p for line in school.address_lines %}",
        "{{ line }}",
        "{%p endfor %}",
        "{{ school.phone }} {{ school.email }}",
    ):
        paragraph = header.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.add_run(text).font.size = Pt(9)
    for style, text in [*OPENING, *body, *CLOSING]:
        if style == "h1":
            run = document.add_paragraph().add_run(text)
            run.bold, run.font.size, run.font.color.rgb = True, Pt(13), NAVY
        elif style == "h2":
            run = document.add_paragraph().add_run(text)
            run.bold = True
        elif style == "bullet":
            document.add_paragraph(text, style="List Bullet")
        elif style == "bold":
            document.add_paragraph().add_run(text).bold = True
        elif style == "small":
            document.add_paragraph().add_run(text).font.size = Pt(9)
        elif style == "right":
            document.add_paragraph(text).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif style == "indent":
            document.add_paragraph(text).paragraph_format.left_indent = Mm(8)
        elif style == "gap":
            document.add_paragraph("")
            document.add_paragraph("")
        else:
            document.add_paragraph(text)
    document.save(str(TEMPLATES / name))
    print(f"wrote {TEMPLATES / name}")


if __name__ == "__main__":
    write("notice.docx", NOTICE)
    write("invitation.docx", INVITATION)
    write("review.docx", REVIEW)
