"""The demo school shows what issue 15 added: a dual-registered pupil with both figures, a provider closure, a carer
who gets the notice, and a review whose outcome letter is due (and one whose letter was sent)."""

from __future__ import annotations

from tests.conftest import Run, as_json

NOAH = "AP-2026-010"


def test_noah_is_dual_registered_so_his_two_figures_differ(ap: Run) -> None:
    shown = as_json(ap("attendance", "show", NOAH, "--json"))
    # Cedar House (D) on Mondays and Tuesdays from 16 Nov: D D, D D, N N, then 24 Nov closed (# #, not counted);
    # Brookside (B) on Thursday mornings: 19 and 26 Nov, B and B.
    # At the provider: possible 3 days x 2 + 2 = 8, attended 4 D + 2 B = 6: 75%.
    # Statutory: the 4 D sessions leave possible and attended: possible 2 N + 2 B = 4, attended 2: 50%.
    assert {k: shown["at_provider"][k] for k in ("possible", "attended", "percent")} == {
        "possible": 8, "attended": 6, "percent": 75.0
    }  # fmt: skip
    assert {k: shown["statutory"][k] for k in ("possible", "attended", "percent", "dual_registered")} == {
        "possible": 4, "attended": 2, "percent": 50.0, "dual_registered": 4
    }  # fmt: skip
    assert shown["closures"] == [
        {
            "provider": "cedar-house",
            "start": "2026-11-24",
            "end": "2026-11-24",
            "why": "Staff training day at Cedar House",
        }
    ]


def test_the_week_shows_the_closure_and_no_afternoon_for_a_mornings_only_day(ap: Run) -> None:
    text = ap("attendance", "show", NOAH).stdout
    assert "│ 2026-11-23 │ N N │ # # │     │ B - │" in text
    assert "Statutory (school register): 50% (2 of 4 possible sessions; 4 D session(s) left out" in text


def test_the_grandmother_who_cares_for_noah_had_the_notice_by_email(ap: Run) -> None:
    case = as_json(ap("show", NOAH, "--json"))["case"]
    gran = next(c for c in case["contacts"] if c["name"] == "Margaret Fenwick")
    assert (gran["cares_for_child"], gran["parental_responsibility"], gran["method"]) == (True, False, "email")
    notices = [n for p in case["placements"] for n in p["notices"]]
    assert [(n["to"], n["methods"]) for n in notices] == [
        (["Priya Fenwick", "Margaret Fenwick"], {"Margaret Fenwick": "email"})
    ] * 2
    due = as_json(ap("review", "due", "--case", NOAH, "--json"))
    assert not [item for item in due if "has not had the notice" in item["what"]]


def test_leos_review_letter_is_due_and_amelias_was_sent(ap: Run) -> None:
    due = as_json(ap("review", "due", "--json"))
    letters = [(i["case"], i["due"], i["state"]) for i in due if i["rule"] == "REVIEW-OUTCOME-NOTIFIED"]
    assert letters == [("AP-2026-001", "2026-11-26", "overdue")]
    amelia = as_json(ap("show", "AP-2026-006", "--json"))
    assert amelia["status"] == "closed"
    assert [(x["kind"], x["date"], x["to"]) for x in amelia["case"]["letters"]] == [
        ("review", "2026-10-23", "Chloe Ross")
    ]
