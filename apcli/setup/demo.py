"""A fictional demo school for `ap init --demo`: every name, address and number is made up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from apcli.records.layout import CALENDAR_FILE, CASES_DIR, PROVIDERS_DIR
from apcli.records.store import Records

D = dt.date

CALENDAR = """# yaml-language-server: $schema=schema/calendar.schema.json
# Hollybank Primary Academy (fictional), term dates for 2026/27, following the
# pattern of Staffordshire County Council's calendar. ap adds England's bank
# holidays (Christmas, Good Friday 26 March 2027, May Day 3 May, 31 May) itself.
terms:
  - name: Autumn 2026
    start: 2026-09-02
    end: 2026-12-18
    half_term: {start: 2026-10-26, end: 2026-10-30}
  - name: Spring 2027
    start: 2027-01-04
    end: 2027-03-25
    half_term: {start: 2027-02-15, end: 2027-02-19}
  - name: Summer 2027
    start: 2027-04-12
    end: 2027-07-20
    half_term: {start: 2027-05-31, end: 2027-06-04}
closures:            # INSET and other days without sessions for pupils
  - 2026-09-01       # INSET, before the autumn term
  - 2027-01-04       # INSET, first day of the spring term
  - 2027-07-20       # INSET, last day of the summer term
"""

PROVIDER = """# yaml-language-server: $schema=../schema/provider.schema.json
# A fictional provider modelled on the policy's Littleton Green AP.
name: Larkhill Green Alternative Provision
address: Larkhill Green Farm, 5 Example Road, Exampleton, Staffordshire, ZZ2 3ZZ
contact: Mr Sam Turner (Centre Manager)
phone: 01234 000111
email: office@larkhillgreen.example
urn: '999001'
register_code: B
sessions:
  morning_start: '09:15'
  break_start: '12:00'
  break_end: '12:45'
  afternoon_end: '14:45'
daily_cost: 85.00
safeguarding_confirmed: 2026-07-10
staff_checks_confirmed: 2026-07-10
code_of_conduct: Larkhill Green Student Code of Conduct, September 2026
"""

TUTOR = """# yaml-language-server: $schema=../schema/provider.schema.json
# A fictional one-to-one tuition service: no URN, so the census takes its setting type (OOT).
name: Brookside Tuition (fictional)
address: The Old School Room, 9 Example Lane, Exampleton, Staffordshire, ZZ2 4ZZ
contact: Ms Ana Kowalski (Tutor)
phone: 01234 000222
email: hello@brookside.example
setting_type: OOT
register_code: B
sessions:
  start: '09:30'
  end: '12:00'
daily_cost: 60.00
safeguarding_confirmed: 2026-09-14
staff_checks_confirmed: 2026-09-14
"""

PRU = """# yaml-language-server: $schema=../schema/provider.schema.json
# A fictional pupil referral unit: a school, so the pupil is dual registered there and its register code is D.
# It closed for a staff training day on 24 November 2026 while the academy was open (ap provider closure).
name: Cedar House Short Stay School (fictional)
address: Cedar House, 14 Example Park, Exampleton, Staffordshire, ZZ2 6ZZ
contact: Mr Tom Reid (Deputy Headteacher)
phone: 01234 000333
email: office@cedarhouse.example
urn: '999003'
register_code: D
sessions:
  morning_start: '09:00'
  break_start: '12:00'
  break_end: '12:45'
  afternoon_end: '15:00'
daily_cost: 85.00
safeguarding_confirmed: 2026-09-01
staff_checks_confirmed: 2026-09-01
closures:
  - start: 2026-11-24
    end: 2026-11-24
    why: Staff training day at Cedar House
"""

SENCO = "Mrs Jo Patel (SENCo)"
HEAD = "Mrs Helen Marsh"
HUB = "Ms Priya Shah"


def _history(*entries: tuple[dt.date, str, str]) -> list[dict[str, Any]]:
    return [{"date": day, "by": by, "what": what} for day, by, what in entries]


def _attendance(
    records: Records,
    first: dt.date,
    last: dt.date,
    weekdays: set[int],
    absent: dict[dt.date, str],
    am_only: bool = False,
    code: str = "B",
) -> dict[dt.date, str]:
    """Each placement day's marks, "AM PM" (or "AM" alone for a mornings-only placement): the provider's register
    code (B, or D where the pupil is dual registered there) unless `absent` says otherwise."""
    marks = {}
    for day in records.calendar.school_days_between(first, last):
        if day.weekday() in weekdays:
            marks[day] = absent.get(day, code if am_only else f"{code} {code}")
    return marks


def _weekly_contacts(first: dt.date, last: dt.date, person: str) -> list[dict[str, Any]]:
    contacts = []
    day = first + dt.timedelta(days=(3 - first.weekday()) % 7)  # Thursdays
    while day <= last:
        if not D(2026, 10, 26) <= day <= D(2026, 10, 30):
            contacts.append(
                {"date": day, "with": person, "summary": "Weekly call: register checked, week's progress discussed"}
            )
        day += dt.timedelta(days=7)
    return contacts


def demo_cases(records: Records) -> dict[str, dict[str, Any]]:
    provider = "larkhill-green"
    leo_absent = {D(2026, 10, 14): "I I", D(2026, 11, 10): "N N", D(2026, 11, 11): "B N"}
    leo = {
        "pupil": {
            "name": "Leo Hartley",
            "dob": D(2017, 3, 14),
            "year": 5,
            "upn": "L860200025001",
            "send": "sen-support",
        },
        "contacts": [
            {
                "name": "Kerry Hartley",
                "relationship": "mother",
                "address": "12 Sample Close, Exampleton, ZZ1 4ZZ",
                "phone": "07000 000001",
            },
        ],
        "referral": {
            "date": D(2026, 9, 28),
            "by": SENCO,
            "reasons": ["exclusion-risk", "respite"],
            "rationale": "Two suspensions this term for dysregulated behaviour; a small, therapeutic setting with outdoor "
            "learning is more appropriate for now than what the academy can offer, while keeping his place here.",
            "alternative_to_exclusion": True,
            "send_hub": D(2026, 9, 21),
            "suspensions": [{"date": D(2026, 9, 15), "days": 2}, {"date": D(2026, 9, 24), "days": 3}],
            "managed_move": {
                "status": "considered",
                "why": "The SEND Hub advised that a move would not address his needs; AP first.",
            },
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 9, 29),
                "present": [
                    {"name": "Kerry Hartley", "role": "parent"},
                    {"name": "Jo Patel", "role": "senco"},
                    {"name": "Helen Marsh", "role": "headteacher"},
                    {"name": "Priya Shah", "role": "send-hub"},
                ],
                "reasons_explained": True,
                "exclusion_made_clear": True,
            },
            {
                "kind": "targets",
                "date": D(2026, 10, 9),
                "present": [
                    {"name": "Jo Patel", "role": "senco"},
                    {"name": "Sam Turner", "role": "provider"},
                    {"name": "Kerry Hartley", "role": "parent"},
                ],
            },
            {
                "kind": "review",
                "date": D(2026, 11, 19),
                "present": [
                    {"name": "Kerry Hartley", "role": "parent"},
                    {"name": "Leo Hartley", "role": "pupil"},
                    {"name": "Jo Patel", "role": "senco"},
                    {"name": "Sam Turner", "role": "provider"},
                ],
                "notes": "Settled well; attendance dipped in November after illness.",
            },
        ],
        "decisions": [
            {"by": "parents", "decision": "accepted", "date": D(2026, 9, 29)},
            {"by": "headteacher", "decision": "approve", "date": D(2026, 9, 30)},
        ],
        "placement": {
            "provider": provider,
            "start": D(2026, 10, 5),
            "start_time": "09:15",
            "end": D(2027, 2, 12),
            "weekdays": ["mon", "tue", "wed", "thu"],
            "aims": [
                "Reduce dysregulated incidents so that he can return to class full time",
                "Keep up with English and maths at age-related expectations",
            ],
            "report_to": "Mr Sam Turner, Centre Manager",
            "agreement": {"reference": "LG-2026-014", "signed": D(2026, 9, 30)},
            "cost": Decimal("5355.00"),
            "approved_by": "trust",
            "approved_on": D(2026, 11, 20),
            "english_maths": "Daily English and maths with a qualified teacher at the provider; Fridays at the academy.",
            "reintegration": "Fridays in class throughout; a second day back each fortnight after the spring review.",
            "la_informed": D(2026, 10, 1),
            "changes": [
                {
                    "date": D(2026, 11, 20),
                    "why": "Agreed at the review on 19 November: he has settled, and running to the February half "
                    "term lets his return to class be phased",
                    "first_day": D(2027, 1, 5),
                    "was": {"end": D(2026, 12, 18), "cost": Decimal("3400.00"), "approved_on": D(2026, 9, 30)},
                    "now": {"end": D(2027, 2, 12), "cost": Decimal("5355.00"), "approved_on": D(2026, 11, 20)},
                }
            ],
        },
        "notices": [
            {
                "date": D(2026, 9, 30),
                "method": "hand",
                "start": D(2026, 10, 5),
                "end": D(2026, 12, 18),
                "to": ["Kerry Hartley"],
            }
        ],
        "attendance": _attendance(records, D(2026, 10, 5), D(2026, 11, 26), {0, 1, 2, 3}, leo_absent),
        "provider_contacts": _weekly_contacts(D(2026, 10, 5), D(2026, 11, 26), "Sam Turner"),
        "absences": [
            {"date": D(2026, 10, 14), "session": "am", "follow_up": "Provider rang mother: ill; returned next day"},
            {
                "date": D(2026, 11, 10),
                "session": "am",
                "follow_up": "Provider rang mother, no answer; attendance team called home",
            },
        ],
        "targets": [
            {"measure": "attendance", "baseline": 78, "goal": 95, "date": D(2026, 10, 9)},
            {"measure": "behaviour", "baseline": 6, "goal": 2, "date": D(2026, 10, 9)},
            {"measure": "sas-reading", "baseline": 84, "goal": 90, "date": D(2026, 10, 9), "test": "NGRT"},
        ],
        "measures": [
            {"measure": "behaviour", "value": 4, "date": D(2026, 10, 23)},
            {"measure": "behaviour", "value": 2, "date": D(2026, 11, 20)},
            {"measure": "sas-reading", "value": 87, "date": D(2026, 11, 20), "test": "NGRT"},
        ],
        "reviews": [
            {
                "date": D(2026, 11, 19),
                "outcome": "continue",
                "next": D(2027, 2, 11),
                "responsible": HUB,
                "parents_views": "Mum is pleased; he talks about the animals every evening.",
            }
        ],
        "history": _history(
            (D(2026, 9, 28), SENCO, "referral opened"),
            (D(2026, 9, 29), SENCO, "planning meeting recorded"),
            (D(2026, 9, 30), HEAD, "headteacher approved"),
            (D(2026, 9, 30), SENCO, "placement recorded"),
            (D(2026, 9, 30), "Office", "notice issued (hand)"),
            (D(2026, 11, 19), SENCO, "termly review recorded"),
            (
                D(2026, 11, 20),
                SENCO,
                "P1 extended: end 2026-12-18 -> 2027-02-12; cost 3400.00 -> 5355.00 (the change affects 2027-01-05 "
                "on; a new notice is due)",
            ),
        ),
    }
    maisie = {
        "pupil": {"name": "Maisie Cole", "dob": D(2019, 1, 22), "year": 3, "upn": "P207000016049"},
        "contacts": [
            {"name": "Dan Cole", "relationship": "father", "address": "3 Demo Row, Exampleton, ZZ1 5ZZ"},
            {"name": "Lauren Cole", "relationship": "mother", "address": "8 Fictional Way, Exampleton, ZZ1 6ZZ"},
        ],
        "referral": {
            "date": D(2026, 11, 2),
            "by": SENCO,
            "reasons": ["attendance", "broader-curriculum"],
            "rationale": "Anxiety-based non-attendance; a smaller setting two days a week has re-engaged similar pupils.",
            "send_hub": D(2026, 10, 12),
            "attendance_percent": 71.4,
            "managed_move": {
                "status": "not-suitable",
                "why": "Attendance, not behaviour or the setting, is the concern.",
            },
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 11, 16),
                "present": [{"name": "Lauren Cole", "role": "parent"}, {"name": "Jo Patel", "role": "senco"}],
                "reasons_explained": True,
            }
        ],
        "decisions": [
            {"by": "parents", "decision": "accepted", "date": D(2026, 11, 16)},
            {"by": "headteacher", "decision": "approve", "date": D(2026, 11, 17)},
        ],
        "placement": {
            "provider": provider,
            "start": D(2026, 12, 1),
            "start_time": "09:15",
            "end": D(2027, 2, 11),
            "weekdays": ["tue", "thu"],
            "aims": ["Rebuild a habit of attending: 95% of her sessions by February"],
            "report_to": "Mr Sam Turner, Centre Manager",
            "agreement": {"reference": "LG-2026-019", "signed": D(2026, 11, 18)},
            "cost": Decimal("1530.00"),
            "approved_by": "academy",
            "approved_on": D(2026, 11, 18),
            "english_maths": "English and maths at the academy on the other three days.",
            "reintegration": "Full time at the academy after February half term.",
            "la_informed": D(2026, 11, 19),
        },
        "notices": [
            {
                "date": D(2026, 11, 25),
                "method": "post",
                "start": D(2026, 12, 1),
                "end": D(2027, 2, 11),
                "to": ["Dan Cole", "Lauren Cole"],
            }
        ],
        "history": _history(
            (D(2026, 11, 2), SENCO, "referral opened"), (D(2026, 11, 25), "Office", "notice issued (post)")
        ),
    }
    tyler = {
        "pupil": {"name": "Tyler Ward", "dob": D(2016, 6, 30), "year": 6, "send": "sen-support"},
        "contacts": [
            {"name": "Gemma Ward", "relationship": "mother", "address": "41 Specimen Street, Exampleton, ZZ1 7ZZ"}
        ],
        "referral": {
            "date": D(2026, 11, 9),
            "by": SENCO,
            "reasons": ["respite", "curriculum-needs"],
            "rationale": "Needs a practical curriculum and a break from class to reset before secondary transition.",
            "send_hub": D(2026, 11, 4),
            "managed_move": {
                "status": "not-suitable",
                "why": "Year 6: a move this close to transition would unsettle him.",
            },
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 11, 18),
                "present": [{"name": "Gemma Ward", "role": "parent"}, {"name": "Jo Patel", "role": "senco"}],
                "reasons_explained": True,
            }
        ],
        "decisions": [
            {"by": "parents", "decision": "accepted", "date": D(2026, 11, 18)},
            {"by": "headteacher", "decision": "approve", "date": D(2026, 11, 19)},
        ],
        "placement": {
            "provider": provider,
            "start": D(2026, 12, 7),
            "start_time": "09:15",
            "end": D(2027, 3, 19),
            "weekdays": ["mon", "wed", "fri"],
            "aims": ["Practical learning to rebuild confidence before transition"],
            "report_to": "Mr Sam Turner, Centre Manager",
            "agreement": {"reference": "LG-2026-021", "signed": D(2026, 11, 24)},
            "cost": Decimal("3060.00"),
            "approved_by": "send-hub",
            "approved_on": D(2026, 11, 24),
            "english_maths": "Maths and English each morning at the provider, set by his class teacher.",
            "reintegration": "Back full time for the summer term, with a transition plan for secondary school.",
            "la_informed": D(2026, 11, 25),
        },
        "history": _history((D(2026, 11, 9), SENCO, "referral opened"), (D(2026, 11, 24), SENCO, "placement recorded")),
    }
    ruby = {
        "pupil": {"name": "Ruby Ashworth", "dob": D(2019, 11, 3), "year": 2, "send": "sen-support"},
        "contacts": [
            {"name": "Mark Ashworth", "relationship": "father", "address": "7 Placeholder Road, Exampleton, ZZ1 8ZZ"}
        ],
        "referral": {
            "date": D(2026, 11, 12),
            "by": SENCO,
            "reasons": ["send-assessment"],
            "rationale": "While her EHC needs assessment is carried out, a specialist setting two mornings a week.",
            "send_hub": D(2026, 10, 22),
            "ehcna_requested": D(2026, 10, 20),
            "managed_move": {"status": "not-suitable", "why": "Her needs, not the school, are the question."},
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 11, 24),
                "present": [{"name": "Mark Ashworth", "role": "parent"}, {"name": "Jo Patel", "role": "senco"}],
                "reasons_explained": True,
            }
        ],
        "decisions": [
            {"by": "parents", "decision": "accepted", "date": D(2026, 11, 24)},
            {"by": "headteacher", "decision": "approve", "date": D(2026, 11, 25)},
        ],
        "history": _history((D(2026, 11, 12), SENCO, "referral opened")),
    }
    oscar = {
        "pupil": {"name": "Oscar Pennington", "dob": D(2018, 2, 10), "year": 4},
        "contacts": [
            {"name": "Zoe Pennington", "relationship": "mother", "address": "5 Pretend Place, Exampleton, ZZ1 3ZZ"}
        ],
        "referral": {
            "date": D(2026, 11, 25),
            "by": SENCO,
            "reasons": ["curriculum-needs"],
            "rationale": "Not accessing the curriculum in class despite two terms of support; needs a practical setting.",
            "managed_move": {"status": "considered", "why": "Parents do not want him to leave his friends."},
        },
        "overrides": [
            {
                "rule": "REF-SEND-HUB",
                "why": "Hub discussion booked for 2 December; SENCo spoke to the Hub by phone.",
                "by": SENCO,
                "date": D(2026, 11, 25),
                "step": "refer",
            }
        ],
        "history": _history(
            (D(2026, 11, 25), SENCO, "referral opened"),
            (D(2026, 11, 25), SENCO, "override REF-SEND-HUB: Hub discussion booked for 2 December"),
        ),
    }
    amelia_absent = {D(2026, 9, 30): "M B"}
    amelia = {
        "pupil": {"name": "Amelia Ross", "dob": D(2020, 1, 19), "year": 2, "upn": "B801200005001"},
        "contacts": [
            {
                "name": "Chloe Ross",
                "relationship": "mother",
                "address": "22 Model Avenue, Exampleton, ZZ1 9ZZ",
                "email": "chloe.ross@example.com",
            }
        ],
        "referral": {
            "date": D(2026, 9, 3),
            "by": SENCO,
            "reasons": ["respite"],
            "rationale": "A short respite placement to work on regulation, then a planned return.",
            "send_hub": D(2026, 9, 2),
            "managed_move": {"status": "not-suitable", "why": "A short respite, not a change of school."},
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 9, 4),
                "present": [{"name": "Chloe Ross", "role": "parent"}, {"name": "Jo Patel", "role": "senco"}],
                "reasons_explained": True,
            },
            {
                "kind": "review",
                "date": D(2026, 10, 22),
                "present": [
                    {"name": "Chloe Ross", "role": "parent"},
                    {"name": "Amelia Ross", "role": "pupil"},
                    {"name": "Jo Patel", "role": "senco"},
                    {"name": "Sam Turner", "role": "provider"},
                ],
                "outcome": "Targets met; return full time after half term.",
            },
        ],
        "decisions": [
            {"by": "parents", "decision": "accepted", "date": D(2026, 9, 4)},
            {"by": "headteacher", "decision": "approve", "date": D(2026, 9, 7)},
        ],
        "placement": {
            "provider": provider,
            "start": D(2026, 9, 14),
            "start_time": "09:15",
            "end": D(2026, 10, 23),
            "weekdays": ["mon", "tue", "wed"],
            "aims": ["Learn and use three calming strategies"],
            "report_to": "Mr Sam Turner, Centre Manager",
            "agreement": {"reference": "LG-2026-009", "signed": D(2026, 9, 7)},
            "cost": Decimal("1530.00"),
            "approved_by": "academy",
            "approved_on": D(2026, 9, 7),
            "english_maths": "English and maths at the academy on Thursdays and Fridays.",
            "reintegration": "Full time after October half term.",
            "la_informed": D(2026, 9, 8),
        },
        "notices": [
            {
                "date": D(2026, 9, 8),
                "method": "email",
                "start": D(2026, 9, 14),
                "end": D(2026, 10, 23),
                "to": ["Chloe Ross"],
            }
        ],
        "attendance": _attendance(records, D(2026, 9, 14), D(2026, 10, 21), {0, 1, 2}, amelia_absent),
        "absences": [
            {"date": D(2026, 9, 30), "session": "am", "follow_up": "Dental appointment; mother told the provider"}
        ],
        "provider_contacts": _weekly_contacts(D(2026, 9, 14), D(2026, 10, 23), "Sam Turner"),
        "reviews": [{"date": D(2026, 10, 22), "outcome": "end", "responsible": HUB}],
        "ending": {
            "date": D(2026, 10, 23),
            "outcome": "reintegrated",
            "notes": "Back in class full time from 2 November.",
        },
        "history": _history(
            (D(2026, 9, 3), SENCO, "referral opened"), (D(2026, 10, 23), SENCO, "placement ended: reintegrated")
        ),
    }
    freya = {
        "pupil": {"name": "Freya Lowe", "dob": D(2018, 5, 2), "year": 4},
        "contacts": [
            {"name": "Sian Lowe", "relationship": "mother", "address": "14 Imaginary Lane, Exampleton, ZZ2 1ZZ"}
        ],
        "referral": {
            "date": D(2026, 11, 16),
            "by": SENCO,
            "reasons": ["broader-curriculum"],
            "rationale": "Thrives in practical, outdoor learning; a broader offer two days a week may lift her engagement.",
            "send_hub": D(2026, 11, 12),
            "managed_move": {"status": "not-suitable", "why": "She is settled with her class; the need is curriculum."},
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 11, 26),
                "present": [{"name": "Sian Lowe", "role": "parent"}, {"name": "Jo Patel", "role": "senco"}],
                "reasons_explained": True,
                "notes": "Mum wants to visit Larkhill Green before deciding.",
            }
        ],
        "history": _history(
            (D(2026, 11, 16), SENCO, "referral opened"), (D(2026, 11, 26), SENCO, "planning meeting recorded")
        ),
    }
    kai = {
        "pupil": {"name": "Kai Brennan", "dob": D(2016, 12, 9), "year": 5, "send": "sen-support"},
        "contacts": [
            {"name": "Ryan Brennan", "relationship": "father", "address": "9 Notreal Street, Exampleton, ZZ2 2ZZ"}
        ],
        "referral": {
            "date": D(2026, 11, 10),
            "by": SENCO,
            "reasons": ["exclusion-risk"],
            "alternative_to_exclusion": True,
            "rationale": "Third suspension this term; a therapeutic placement is offered instead of a permanent exclusion.",
            "send_hub": D(2026, 11, 6),
            "suspensions": [{"date": D(2026, 10, 6), "days": 1}, {"date": D(2026, 11, 3), "days": 3}],
            "managed_move": {"status": "considered", "why": "No school in the Hub could offer a place this term."},
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 11, 19),
                "present": [
                    {"name": "Ryan Brennan", "role": "parent"},
                    {"name": "Helen Marsh", "role": "headteacher"},
                    {"name": "Jo Patel", "role": "senco"},
                ],
                "reasons_explained": True,
                "exclusion_made_clear": True,
            }
        ],
        "decisions": [{"by": "parents", "decision": "refused", "date": D(2026, 11, 23)}],
        "history": _history((D(2026, 11, 10), SENCO, "referral opened"), (D(2026, 11, 23), SENCO, "parents: refused")),
    }
    isla = {
        "pupil": {"name": "Isla Grant", "dob": D(2017, 10, 30), "year": 4},
        "contacts": [{"name": "Mel Grant", "relationship": "carer", "address": "30 Sample Road, Exampleton, ZZ2 3ZZ"}],
        "referral": {
            "date": D(2026, 10, 1),
            "by": SENCO,
            "reasons": ["respite"],
            "rationale": "A short respite while a new support plan started.",
            "send_hub": D(2026, 9, 29),
            "managed_move": {"status": "not-suitable", "why": "Respite only."},
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 10, 6),
                "present": [{"name": "Mel Grant", "role": "carer"}, {"name": "Jo Patel", "role": "senco"}],
                "reasons_explained": True,
            }
        ],
        "decisions": [
            {"by": "parents", "decision": "accepted", "date": D(2026, 10, 6)},
            {
                "by": "headteacher",
                "decision": "withdraw",
                "date": D(2026, 10, 20),
                "reason": "The new support plan is working in class; no placement needed.",
            },
        ],
        "history": _history(
            (D(2026, 10, 1), SENCO, "referral opened"), (D(2026, 10, 20), HEAD, "headteacher: withdraw")
        ),
    }
    noah = {
        "pupil": {"name": "Noah Fenwick", "dob": D(2016, 11, 2), "year": 5, "upn": "H860200027001"},
        "contacts": [
            {"name": "Priya Fenwick", "relationship": "mother", "address": "22 Example Crescent, Exampleton, ZZ2 5ZZ"},
            {
                "name": "Margaret Fenwick",
                "relationship": "grandmother",
                "address": "22 Example Crescent, Exampleton, ZZ2 5ZZ",
                "email": "margaret.fenwick@example.com",
                "parental_responsibility": False,
                "cares_for_child": True,
                "method": "email",
            },
        ],
        "referral": {
            "date": D(2026, 10, 19),
            "by": SENCO,
            "reasons": ["attendance", "broader-curriculum"],
            "rationale": "Attendance has fallen to 71% since September; two days of outdoor learning and a quiet "
            "morning of one-to-one tuition are more likely to bring him back than more of the same in class.",
            "send_hub": D(2026, 10, 14),
            "attendance_percent": 71,
            "managed_move": {"status": "not-suitable", "why": "Attendance, not a fresh start, is the need."},
        },
        "meetings": [
            {
                "kind": "planning",
                "date": D(2026, 11, 4),
                "present": [{"name": "Priya Fenwick", "role": "parent"}, {"name": "Jo Patel", "role": "senco"}],
                "reasons_explained": True,
            }
        ],
        "decisions": [
            {"by": "parents", "decision": "accepted", "date": D(2026, 11, 4)},
            {"by": "headteacher", "decision": "approve", "date": D(2026, 11, 5)},
        ],
        "placements": [
            {
                "id": "P1",
                "provider": "cedar-house",
                "start": D(2026, 11, 16),
                "start_time": "09:15",
                "end": D(2027, 2, 9),
                "weekdays": ["mon", "tue"],
                "aims": ["Attend every Monday and Tuesday, outdoors, with a key adult"],
                "report_to": "Mr Tom Reid, Deputy Headteacher",
                "agreement": {"reference": "CH-2026-002", "signed": D(2026, 11, 6)},
                "cost": Decimal("1700.00"),
                "approved_by": "academy",
                "approved_on": D(2026, 11, 6),
                "english_maths": "Maths and English each morning at the provider; the rest of the week at the academy.",
                "reintegration": "Wednesday and Friday in class throughout; a third day back after February.",
                "la_informed": D(2026, 11, 9),
                "notices": [
                    {
                        "date": D(2026, 11, 11),
                        "method": "hand",
                        "start": D(2026, 11, 16),
                        "end": D(2027, 2, 9),
                        "provider": "cedar-house",
                        "weekdays": ["mon", "tue"],
                        "to": ["Priya Fenwick", "Margaret Fenwick"],
                        "methods": {"Margaret Fenwick": "email"},
                    }
                ],
            },
            {
                "id": "P2",
                "provider": "brookside-tuition",
                "start": D(2026, 11, 19),
                "start_time": "09:30",
                "end": D(2027, 2, 11),
                "weekdays": ["thu"],
                "attends": "am",
                "aims": ["One-to-one reading and maths on Thursday mornings"],
                "report_to": "Ms Ana Kowalski, Tutor",
                "agreement": {"reference": "BT-2026-003", "signed": D(2026, 11, 6)},
                "cost": Decimal("660.00"),
                "approved_by": "academy",
                "approved_on": D(2026, 11, 6),
                "english_maths": "Reading and maths are the tuition itself.",
                "reintegration": "Back in class on Thursday afternoons throughout.",
                "la_informed": D(2026, 11, 9),
                "alongside": True,
                "notices": [
                    {
                        "date": D(2026, 11, 11),
                        "method": "hand",
                        "start": D(2026, 11, 19),
                        "end": D(2027, 2, 11),
                        "provider": "brookside-tuition",
                        "weekdays": ["thu"],
                        "attends": "am",
                        "to": ["Priya Fenwick", "Margaret Fenwick"],
                        "methods": {"Margaret Fenwick": "email"},
                    }
                ],
            },
        ],
        "attendance": {
            **_attendance(
                records,
                D(2026, 11, 16),
                D(2026, 11, 26),
                {0, 1},
                {D(2026, 11, 23): "N N", D(2026, 11, 24): "# #"},
                code="D",
            ),
            **_attendance(records, D(2026, 11, 19), D(2026, 11, 26), {3}, {}, am_only=True),
        },
        "provider_contacts": _weekly_contacts(D(2026, 11, 16), D(2026, 11, 26), "Tom Reid"),
        "history": _history(
            (D(2026, 10, 19), SENCO, "referral opened"),
            (D(2026, 11, 5), HEAD, "headteacher approved"),
            (D(2026, 11, 6), SENCO, "placement recorded: cedar-house, 2026-11-16 to 2027-02-09"),
            (D(2026, 11, 6), SENCO, "placement recorded: brookside-tuition, 2026-11-19 to 2027-02-11"),
            (D(2026, 11, 11), "Office", "notice of P1 issued to Priya Fenwick (hand) and Margaret Fenwick (email)"),
            (D(2026, 11, 11), "Office", "notice of P2 issued to Priya Fenwick (hand) and Margaret Fenwick (email)"),
        ),
    }
    return {
        "AP-2026-001": leo,
        "AP-2026-002": maisie,
        "AP-2026-003": tyler,
        "AP-2026-004": ruby,
        "AP-2026-005": oscar,
        "AP-2026-006": amelia,
        "AP-2026-007": freya,
        "AP-2026-008": kai,
        "AP-2026-009": isla,
        "AP-2026-010": noah,
    }


def write_demo(folder: Path) -> None:
    from apcli.model.attendance import Marks, marks_path
    from apcli.model.schema import Case, upgrade_case_data

    records = Records(folder, cached=False)  # making the demo leaves nothing in the user's cache
    records.write(folder / CALENDAR_FILE, CALENDAR)
    records.write(folder / PROVIDERS_DIR / "larkhill-green.yaml", PROVIDER, PROVIDERS_DIR)
    records.write(folder / PROVIDERS_DIR / "brookside-tuition.yaml", TUTOR, PROVIDERS_DIR)
    records.write(folder / PROVIDERS_DIR / "cedar-house.yaml", PRU, PROVIDERS_DIR)
    for case_id, data in demo_cases(records).items():
        attendance = data.pop("attendance", {})
        records.save_case(case_id, Case.model_validate(upgrade_case_data(data), strict=False), None)
        if attendance:
            marks = Marks()
            for day, pair in attendance.items():
                for session, code in zip(("am", "pm"), pair.split(), strict=False):
                    marks.set(day, session, code)
            records.write(marks_path(records.case_path(case_id)), marks.text(), CASES_DIR)
    _send_review_letter(records, "AP-2026-006", D(2026, 10, 22), sent=D(2026, 10, 23))


def _send_review_letter(records: Records, case_id: str, review: dt.date, sent: dt.date) -> None:
    """The outcome of a review, written and recorded the way `ap letter --kind review` does it (reg 6)."""
    from apcli.letters.sending import Output, letter_plans_for, send_letter
    from apcli.steps.workflow import Change

    change = Change(records, case_id, sent, SENCO, {})
    plans = letter_plans_for(change, "review", "email", None, None, None, review.isoformat())
    send_letter(change, "review", sent.isoformat(), "email", Output("html"), plans)
    # The demo's history has dates, not clock times, so that every fresh demo is the same to the byte.
    case = records.load_case(case_id).case
    history = [*case.history[:-1], case.history[-1].model_copy(update={"at": None})]
    records.save_case(case_id, case.model_copy(update={"history": history}), None)


def place_pupils(records: Records, count: int, start: dt.date, end: dt.date, prefix: str = "AP-2025") -> list[str]:
    """Add `count` fictional cases placed at the demo provider every weekday from `start` to `end`, with the
    notice given the day before (for tests and benchmarks; copies of the demo's AP-2026-005)."""
    from apcli.model.schema import Case

    template = records.load_case("AP-2026-005").case.model_dump(mode="python", by_alias=True)
    notice = {"date": start - dt.timedelta(days=1), "method": "hand", "start": start, "end": end, "to": ["x"]}
    placement = {"provider": "larkhill-green", "start": start, "end": end, "aims": ["x"], "report_to": "x"}
    ids = [f"{prefix}-{number + 1:03d}" for number in range(count)]
    for number, case_id in enumerate(ids):
        data = {**template, "pupil": {**template["pupil"], "name": f"Pupil {number}"}}
        data["placements"] = [{**placement, "id": "P1", "start_time": "09:15", "notices": [notice]}]
        records.save_case(case_id, Case.model_validate(data), None)
    return ids


def write_register(path: Path, case_ids: list[str], days: list[dt.date], absent_day: int | None = None) -> Path:
    """A provider's long-layout register: B for every session of `days`, but N on the afternoon of the
    `absent_day` of each month."""
    with path.open("w", encoding="utf-8") as out:
        out.write("case,date,session,mark\n")
        for case_id in case_ids:
            for day in days:
                out.write(f"{case_id},{day},AM,B\n{case_id},{day},PM,{'N' if day.day == absent_day else 'B'}\n")
    return path
