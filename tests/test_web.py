"""Issue 19: `ap serve`, through Flask's test client on real demo folders.

Every page renders; every form's success path writes exactly what the CLI writes for the same inputs (the
records folders compared file by file, byte for byte, against a CLI run on a second copy); every form's refusal
writes nothing and says why; no token, a wrong token, a wrong Host and a missing CSRF token are refused; a form
opened before another change to its case is refused, naming the change; --read-only changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from apcli.cli.serve import web_setup
from apcli.web import safety
from apcli.web.server import make_app
from tests.conftest import TODAY, invoke, snapshot
from tests.factory import full_register

TOKEN_HOST = {"Host": "127.0.0.1:8765"}
LEO, NOAH = "AP-2026-001", "AP-2026-010"
NEW = "AP-2026-011"
REFERRAL = {
    "name": "Ada Lark", "dob": "2018-05-01", "year": "4", "reason": "respite",
    "rationale": "Respite from the academy", "send-hub": "2026-09-03", "managed-move": "not-suitable",
    "managed-move-why": "Not suitable for a respite placement", "parent": "Zoe Pennington (mother)",
    "address": "1 Road, Town", "date": "2026-11-20",
}  # fmt: skip
PLACEMENT = {
    "provider": "larkhill-green", "start": "2026-12-01", "end": "2027-02-12", "weekdays": "tue,thu",
    "aims": "Re-engage with learning", "agreement": "LG-2026-030", "agreement-signed": "2026-11-26",
    "cost": "1,530.00", "approved-by": "academy", "approved-on": "2026-11-26",
    "english-maths": "Daily at the provider", "reintegration": "Back full time after February half term",
    "la-informed": "2026-11-26",
}  # fmt: skip


class Browser:
    """A person at the server: the test client, let in by the token, and each form sent with its CSRF token."""

    def __init__(self, records: Path, read_only: bool = False, today: str = TODAY) -> None:
        self.records = records
        served = web_setup(records, today, "Test User", read_only, 8765)
        served.token = "test-token"
        self.served = served
        self.csrf = safety.csrf_token(served.token)
        self.client: FlaskClient = make_app(served).test_client()
        let_in = self.client.get("/?token=test-token", headers=TOKEN_HOST)
        assert let_in.status_code == 302 and "token" not in let_in.headers["Location"]

    def get(self, url: str) -> Any:
        return self.client.get(url, headers=TOKEN_HOST)

    def post(self, url: str, data: dict[str, Any], **extra: Any) -> Any:
        return self.client.post(url, data={"csrf": self.csrf, **data}, headers=TOKEN_HOST, **extra)

    def step(self, slug: str, case: str | None, values: dict[str, str]) -> Any:
        seen = ""
        if case:
            page = self.get(f"/do/{slug}?case={case}").get_data(as_text=True)
            seen = re.search(r'name="seen" value="([0-9a-f]*)"', page).group(1)  # type: ignore[union-attr]
        return self.post(f"/do/{slug}", {**({"case": case, "seen": seen} if case else {}), **values})


def text(answer: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True)))


def cli_line(slug: str, case: str | None, values: dict[str, str]) -> list[str]:
    """The command line a person would type for the same form."""
    line = slug.replace("-", " ", 1).split() if slug.startswith(("review-", "provider-")) else [slug]
    line += [case] if case else []
    for name, value in values.items():
        if name == "id":  # the provider's id: an argument
            line.insert(len(line) - bool(case), value)
        elif value == "yes":
            line.append(f"--{name}")
        else:
            for each in value.splitlines():
                line += [f"--{name}", each]
    return line


@pytest.fixture
def browser(demo: Path) -> Iterator[Browser]:
    made = Browser(demo)
    yield made
    made.served.forget_uploads()


@pytest.fixture
def twin(demo: Path, tmp_path: Path) -> Path:
    """A second copy of the demo folder, for the CLI to do what the browser does."""
    other = tmp_path / "cli" / "records"
    shutil.copytree(demo, other, symlinks=True)
    return other


AT = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def same_files(web: Path, cli: Path) -> None:
    """The two folders hold the same files, byte for byte, but for the clock time of each history entry and log
    line (`at`, the second it was written: the browser's run and the CLI's are moments apart)."""
    written, typed = snapshot(web), snapshot(cli)
    assert sorted(written) == sorted(typed)
    differ = [name for name in written if AT.sub(b"T", written[name]) != AT.sub(b"T", typed[name])]
    assert differ == [], _diff(written, typed, differ)


def _diff(written: dict[str, bytes], typed: dict[str, bytes], names: list[str]) -> str:
    import difflib

    return "".join(
        "".join(difflib.unified_diff(typed[n].decode().splitlines(True), written[n].decode().splitlines(True), n, n))
        for n in names
    )


# --- every page ---


def test_every_page_renders_for_the_demo_school(browser: Browser, demo: Path) -> None:
    pages = ["/", "/cases", "/cases?status=placed", "/cases?q=leo", "/check", "/report", "/import",
             "/report/view?term=Autumn+2026", "/census.csv?term=Autumn+2026"]  # fmt: skip
    cases = sorted(path.name.removesuffix(".yaml") for path in (demo / "cases").glob("*.yaml"))
    pages += [f"/case/{case}" for case in cases]
    pages += [f"/do/{slug}?case={LEO}" for slug in browser.client.application.config["SERVED"].steps]
    for url in pages:
        answer = browser.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'"), url
    today = text(browser.get("/"))
    assert "PROGRESS-MONITORED" in today and "overdue" in today
    leo = browser.get(f"/case/{LEO}").get_data(as_text=True)
    assert 'data-chart="attendance"' in leo and "Timeline" in leo and "Leo Hartley" in leo


def test_today_links_each_item_to_the_form_that_clears_it(browser: Browser) -> None:
    page = browser.get("/").get_data(as_text=True)
    assert f"/do/letter?case={LEO}&amp;kind=review&amp;review-date=2026-11-19" in page
    form = browser.get(f"/do/letter?case={LEO}&kind=review&review-date=2026-11-19").get_data(as_text=True)
    assert "Write a letter" in form and "<option selected>review</option>" in form
    assert 'name="review-date" value="2026-11-19"' in form


def test_the_cases_list_filters_by_status_and_searches_names(browser: Browser) -> None:
    leo = text(browser.get("/cases?q=hartley"))
    assert LEO in leo and NOAH not in leo
    assert "0 of" in text(browser.get("/cases?q=nobody-at-all"))


# --- the forms write what the CLI writes ---


WALK: list[tuple[str, str | None, dict[str, str]]] = [
    ("refer", None, REFERRAL),
    ("meeting", NEW, {"kind": "planning", "date": "2026-11-26", "present": "Zoe Pennington (parent)\nJo Patel (senco)",
                      "reasons-explained": "yes"}),
    ("decision", NEW, {"parents": "accepted", "date": "2026-11-26"}),
    ("decision", NEW, {"headteacher": "approve", "date": "2026-11-26"}),
    ("placement", NEW, PLACEMENT),
    ("notice", NEW, {}),
]  # fmt: skip
MORE: list[tuple[str, str | None, dict[str, str]]] = [
    ("parent", LEO, {"name": "Sam Hartley", "relationship": "father", "address": "2 Lane, Town"}),
    ("contact", LEO, {"date": "2026-11-27", "with": "Sam Turner", "summary": "Weekly call: all well"}),
    ("absence", LEO, {"date": "2026-11-11", "session": "pm", "follow-up": "Called home: a dentist visit"}),
    ("measure", LEO, {"measure": "sas-reading", "date": "2026-11-26", "value": "89", "test": "NGRT"}),
    ("review-request", LEO, {"date": "2026-11-26", "by": "Zoe Hartley"}),
    ("provider-closure", None, {"id": "larkhill-green", "date": "2026-12-14", "why": "Staff training"}),
    ("target", NOAH, {"measure": "sas-maths", "baseline": "85", "goal": "92", "date": "2026-11-26",
                      "test": "NGRT Maths"}),
    ("concern", NOAH, {"date": "2026-11-26", "by": "Sam Turner", "summary": "Refusing to join lessons"}),
    ("safeguarding", NOAH, {"date": "2026-11-26", "dsl": "Daniel Okafor", "reference": "CP-2026-014"}),
    ("ehcna", NOAH, {"status": "requested", "date": "2026-11-20"}),
    ("review-record", NOAH, {"date": "2026-11-26", "outcome": "continue", "responsible": "Jo Patel",
                             "present": "Jo Patel (senco)\nAnn Fenwick (parent)", "next": "2027-02-05",
                             "continue-until": "2027-02-11"}),
    ("end", LEO, {"date": "2026-11-26", "outcome": "reintegrated"}),
    ("change", "AP-2026-003", {"days": "30", "why": "Review agreed ten more days"}),
    ("letter", "AP-2026-004", {"kind": "invitation", "meeting-date": "2026-12-02", "meeting-time": "15:30",
                               "place": "School office"}),
    ("transition", "AP-2026-003", {"school": "Oakfield High", "date": "2026-11-26",
                                   "handover": "Plan shared with the SENCo"}),
    ("provider-confirm", None, {"id": "larkhill-green", "safeguarding": "2026-11-20"}),
    ("provider-add", None, {"id": "oakwood", "name": "Oakwood Learning Centre", "address": "1 Oak Road",
                            "contact": "Pat Oak", "code": "B", "daily-cost": "85", "session-start": "09:00",
                            "session-end": "15:00", "safeguarding-confirmed": "2026-11-01",
                            "staff-checks-confirmed": "2026-11-01"}),
]  # fmt: skip


def test_from_referral_to_an_issued_notice_the_browser_writes_what_the_cli_writes(
    browser: Browser, demo: Path, twin: Path
) -> None:
    for slug, case, values in WALK:
        answer = browser.step(slug, case, values)
        assert answer.status_code == 302, (slug, text(answer)[:3000])
        typed = invoke(twin, *cli_line(slug, case, values))
        assert typed.exit_code == 0, (slug, typed.output)
    assert f"/case/{NEW}" in answer.headers["Location"]
    page = text(browser.get(f"/case/{NEW}"))
    assert "Status: notified" in page and "download" in page
    same_files(demo, twin)


@pytest.mark.parametrize(("slug", "case", "values"), MORE, ids=[step[0] for step in MORE])
def test_each_other_form_writes_what_the_cli_writes(
    browser: Browser, demo: Path, twin: Path, slug: str, case: str | None, values: dict[str, str]
) -> None:
    before = snapshot(demo)
    answer = browser.step(slug, case, values)
    typed = invoke(twin, *cli_line(slug, case, values))
    assert typed.exit_code == 0, typed.output
    assert answer.status_code in (200, 302), text(answer)[:3000]
    assert snapshot(demo) != before  # the step was done, not refused
    same_files(demo, twin)


def test_the_write_off_form_writes_what_the_cli_writes(browser: Browser, demo: Path, twin: Path) -> None:
    """A duty an ended placement still owes, written off: the placement is ended first, as it must be."""
    for slug, case, values in (("end", LEO, {"date": "2026-11-26", "outcome": "reintegrated"}),
                               ("write-off", LEO, {"rule": "ATT-ABSENCE-FOLLOW-UP",
                                                   "why": "Family moved away; no contact possible"})):  # fmt: skip
        assert browser.step(slug, case, values).status_code == 302, slug
        typed = invoke(twin, slug, case, *(["ATT-ABSENCE-FOLLOW-UP", "--why", values["why"]] if slug == "write-off"
                                           else ["--date", "2026-11-26", "--outcome", "reintegrated"]))  # fmt: skip
        assert typed.exit_code == 0, typed.output
    same_files(demo, twin)


def test_the_notice_is_previewed_before_it_is_issued(browser: Browser, demo: Path) -> None:
    for slug, case, values in WALK[:-1]:
        assert browser.step(slug, case, values).status_code == 302, slug
    before = snapshot(demo)
    preview = browser.step("notice", NEW, {"preview": "yes"})
    assert preview.status_code == 200
    assert "NOTICE THAT ADA LARK MUST ATTEND OFF-SITE EDUCATION" in text(preview)
    assert snapshot(demo) == before


# --- refusals write nothing ---


def test_a_refusal_is_shown_beside_its_field_with_the_policys_words_and_writes_nothing(
    browser: Browser, demo: Path
) -> None:
    for slug, case, values in WALK[:4]:
        assert browser.step(slug, case, values).status_code == 302, slug
    before = snapshot(demo)
    unsigned = {key: value for key, value in PLACEMENT.items() if key not in ("agreement", "agreement-signed")}
    answer = browser.step("placement", NEW, unsigned)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "PLACE-COMMISSIONING" in page and "The policy:" in page and "Refused: nothing was saved" in page
    field = page[page.index('for="f-agreement"') : page.index('for="f-agreement-signed"')]
    assert "PLACE-COMMISSIONING" in field  # beside the field that supplies it
    assert snapshot(demo) == before


@pytest.mark.parametrize("slug", sorted({"refer", "parent", "meeting", "decision", "placement", "change", "notice",
                                         "letter", "contact", "absence", "target", "measure", "review-record",
                                         "review-request", "concern", "safeguarding", "ehcna", "end", "transition",
                                         "write-off", "provider-add", "provider-closure", "provider-confirm"}))  # fmt: skip
def test_every_form_sent_empty_is_refused_and_writes_nothing(browser: Browser, demo: Path, slug: str) -> None:
    before = snapshot(demo)
    case = None if slug in ("refer",) or slug.startswith("provider-") else "AP-2026-005"  # referred: no notice yet
    answer = browser.step(slug, case, {})
    assert answer.status_code == 422, text(answer)[:2000]
    assert "Refused: nothing was saved" in text(answer) or 'role="alert"' in answer.get_data(as_text=True)
    assert snapshot(demo) == before


def test_a_should_rule_can_be_overridden_with_a_reason_as_in_the_cli(browser: Browser) -> None:
    refused = browser.step("refer", None, {**REFERRAL, "send-hub": ""})
    page = refused.get_data(as_text=True)
    should = re.findall(r'name="override:([A-Z0-9-]+)"', page)
    assert refused.status_code == 422 and should
    answer = browser.step("refer", None, {**REFERRAL, "send-hub": "", f"override:{should[0]}": "Urgent: hub meets"})
    assert answer.status_code == 302, text(answer)[:2000]


# --- who may use it ---


def test_no_token_a_wrong_token_a_wrong_host_and_no_csrf_token_are_refused(demo: Path) -> None:
    served = web_setup(demo, TODAY, "Test User", False, 8765)
    client = make_app(served).test_client()
    assert client.get("/", headers=TOKEN_HOST).status_code == 403
    assert client.get("/?token=wrong", headers=TOKEN_HOST).status_code == 403
    assert client.get(f"/?token={served.token}", headers={"Host": "evil.example:8765"}).status_code == 400
    let_in = client.get(f"/?token={served.token}", headers=TOKEN_HOST)
    cookie = let_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    before = snapshot(demo)
    sent = {"case": LEO, "date": "2026-11-27", "with": "Sam Turner", "summary": "Weekly call"}
    assert client.post("/do/contact", data=sent, headers=TOKEN_HOST).status_code == 403
    assert client.post("/do/contact", data={**sent, "csrf": "x"}, headers=TOKEN_HOST).status_code == 403
    assert snapshot(demo) == before


def test_read_only_serves_pages_and_letters_but_changes_nothing(demo: Path) -> None:
    browser = Browser(demo, read_only=True)
    before = snapshot(demo)
    assert browser.get(f"/case/{LEO}").status_code == 200
    answer = browser.post("/do/contact", {"case": LEO, "date": "2026-11-27", "with": "Sam Turner", "summary": "x"})
    assert answer.status_code == 403 and "read-only" in text(answer)
    assert snapshot(demo) == before


def test_only_letters_the_case_records_are_downloaded(browser: Browser) -> None:
    letter = browser.get("/case/AP-2026-006/letter/0")
    assert letter.status_code == 200 and "attachment" in letter.headers["Content-Disposition"]
    assert browser.get("/case/AP-2026-006/letter/7").status_code == 404
    assert browser.get("/case/..%2Fap-settings/letter/0").status_code == 404


def test_a_form_opened_before_another_change_is_refused_and_names_the_change(browser: Browser, demo: Path) -> None:
    page = browser.get(f"/do/contact?case={LEO}").get_data(as_text=True)
    seen = re.search(r'name="seen" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]
    other_tab = browser.step("contact", LEO, {"date": "2026-11-26", "with": "Sam Turner", "summary": "First tab"})
    assert other_tab.status_code == 302
    before = snapshot(demo)
    late = browser.post("/do/contact", {"case": LEO, "seen": seen, "date": "2026-11-27", "with": "Sam Turner",
                                        "summary": "Second tab"})  # fmt: skip
    assert late.status_code == 409
    assert "was changed since this form was opened" in text(late) and "contact" in text(late).lower()
    assert snapshot(demo) == before


# --- import and report ---


def test_a_register_is_uploaded_checked_then_imported_as_the_cli_imports_it(
    demo: Path, twin: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Leo's week of 30 November (Monday to Thursday, his days), uploaded on Friday 4 December."""
    browser = Browser(demo, today="2026-12-04")
    uploads = browser.served.uploads
    request.addfinalizer(browser.served.forget_uploads)
    register = full_register(demo, [LEO], dt.date(2026, 11, 30), dt.date(2026, 12, 3), tmp_path / "week.csv")
    before = snapshot(demo)
    dry = browser.post("/import", {"register": (register.open("rb"), "week.csv")}, content_type="multipart/form-data")
    assert dry.status_code == 200, text(dry)[:2000]
    assert "nothing is written yet" in text(dry) and "8 mark(s) to add" in text(dry), text(dry)[600:]
    assert snapshot(demo) == before
    staged = re.search(r'name="staged" value="([^"]+)"', dry.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    done = browser.post("/import", {"staged": staged, "confirm": "yes"})
    assert done.status_code == 200 and "Imported." in text(done), text(done)[:2000]
    assert list(uploads.iterdir()) == []  # the uploaded register (it holds UPNs) is gone once imported
    typed = invoke(twin, "attendance", "import", str(register), today="2026-12-04")
    assert typed.exit_code == 0, typed.output
    same_files(demo, twin)


def test_the_report_is_the_cli_reports_html(browser: Browser, demo: Path, tmp_path: Path) -> None:
    shown = browser.get("/report/view?term=Autumn+2026").get_data(as_text=True)
    written = invoke(demo, "report", "--term", "Autumn 2026", "--html", str(tmp_path / "r.html"))
    assert written.exit_code == 0, written.output
    assert shown == (tmp_path / "r.html").read_text()
    assert 'data-chart="attendance"' in shown


def test_a_report_for_an_unknown_term_says_so(browser: Browser) -> None:
    answer = browser.get("/report/view?term=Spring+1999")
    assert answer.status_code == 400 and "Spring 1999" in text(answer)


# --- what an attacker (another site, a crafted request, a case file from elsewhere) cannot do ---


def test_a_value_is_only_ever_its_fields_value_never_an_option(browser: Browser, demo: Path, tmp_path: Path) -> None:
    """`--records=`, `--by=` or `--today=` typed into a field is that field's text: the folder, the person and
    the day stay the server's, and a preview stays a preview."""
    elsewhere = tmp_path / "elsewhere"
    answer = browser.step("absence", LEO, {"date": "2026-11-10", "session": "am",
                                           "follow-up": f"--records={elsewhere}", "excluded-by-provider": "yes"})  # fmt: skip
    assert answer.status_code == 302 and not elsewhere.exists()
    assert f"follow_up: --records={elsewhere}" in (demo / "cases" / f"{LEO}.yaml").read_text()
    before = snapshot(demo)
    preview = browser.step("notice", "AP-2026-003", {"method": "post", "to": "--by=Mallory", "preview": "yes"})
    assert snapshot(demo) == before, text(preview)[:2000]
    no_preview = browser.step("refer", None, {**REFERRAL, "preview": "yes"})  # refer has none: nothing written
    assert no_preview.status_code == 400 and snapshot(demo) == before
    by_case = browser.step("contact", "--today=2020-01-01", {"date": "2026-11-27", "with": "Sam", "summary": "x"})
    assert by_case.status_code == 422 and snapshot(demo) == before


def test_an_upload_is_only_ever_one_of_the_servers_own(browser: Browser, demo: Path) -> None:
    before = snapshot(demo)
    for staged in ("..", "../..", "/etc", "nonexistent", "ap-upload-x/../..", "a\x00b"):
        answer = browser.post("/import", {"staged": staged, "confirm": "yes"})
        assert answer.status_code == 400, staged
    assert snapshot(demo) == before and browser.served.uploads.exists()


def test_the_key_leaves_the_address_and_odd_queries_do_not_break_the_redirect(demo: Path) -> None:
    served = web_setup(demo, TODAY, "Test User", False, 8765)
    client = make_app(served).test_client()
    answer = client.get(f"/cases?token={served.token}&_method=POST&_scheme=https&q=leo", headers=TOKEN_HOST)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/cases?_method=POST&_scheme=https&q=leo"
    assert f"ap_session_8765={served.token}" in answer.headers["Set-Cookie"]


def test_back_never_leads_to_another_site_and_a_name_is_one_plain_line(browser: Browser) -> None:
    for back in ("//evil.example", "/\t/evil.example", "https://evil.example/", "/\\evil.example", "javascript:x"):
        answer = browser.post("/name", {"name": "Jo", "back": back})
        assert answer.headers["Location"] == "/", back
    named = browser.post("/name", {"name": "Jo Patel\nwhat: forged\x1b[31m", "back": f"/case/{LEO}"})
    assert named.headers["Location"] == f"/case/{LEO}"
    assert 'ap_by="Jo Patel what: forged [31m"' in named.headers["Set-Cookie"]


def test_a_form_from_another_site_is_refused_even_with_the_cookie(browser: Browser, demo: Path) -> None:
    before = snapshot(demo)
    sent = {"csrf": browser.csrf, "case": LEO, "date": "2026-11-27", "with": "Sam Turner", "summary": "x"}
    for site in ("cross-site", "same-site"):
        answer = browser.client.post("/do/contact", data=sent, headers={**TOKEN_HOST, "Sec-Fetch-Site": site})
        assert answer.status_code == 403, site
    assert snapshot(demo) == before


def test_a_letters_download_name_is_quoted_whatever_the_case_file_calls_it(browser: Browser, demo: Path) -> None:
    case = demo / "cases" / "AP-2026-006.yaml"
    letter = demo / "letters" / "AP-2026-006" / "review-2026-10-23-parent-1.html"
    odd = "a\"; filename*=UTF-8''evil.exe; x=\".html"
    letter.rename(letter.with_name(odd))
    case.write_text(case.read_text().replace("review-2026-10-23-parent-1.html", odd))
    answer = browser.get("/case/AP-2026-006/letter/0")
    assert answer.status_code == 200
    # one filename parameter, its quotes escaped: the browser saves it under that odd name, never evil.exe
    assert (
        answer.headers["Content-Disposition"] == 'attachment; filename="a\\"; filename*=UTF-8\'\'evil.exe; x=\\".html"'
    )
    shown = browser.get("/case/AP-2026-006/letter/0?view=1")
    assert shown.status_code == 200 and "sandbox" in shown.headers["Content-Security-Policy"]
    assert "form-action 'none'" in shown.headers["Content-Security-Policy"]


def test_a_change_from_the_browser_is_committed_as_the_cli_commits_it_with_the_persons_name(
    demo: Path, twin: Path
) -> None:
    """With `commit: true`, the commit (its message and author) is the CLI's, naming whoever is in "You are"."""
    import subprocess

    def git(folder: Path, *args: str) -> str:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout

    for folder in (demo, twin):
        settings = folder / "ap-settings.yaml"
        settings.write_text(settings.read_text().replace("commit: false", "commit: true"))
        git(folder, "add", "-A")
        git(folder, "-c", "user.name=Setup", "-c", "user.email=s@example.invalid", "commit", "-q", "-m", "setup")
    browser = Browser(demo)
    assert browser.post("/name", {"name": "Jo Patel", "back": "/"}).status_code == 302
    sent = {"date": "2026-11-27", "with": "Sam Turner", "summary": "Weekly call: all well"}
    assert browser.step("contact", LEO, sent).status_code == 302
    typed = invoke(twin, "contact", LEO, *cli_line("contact", None, sent)[1:], by="Jo Patel")
    assert typed.exit_code == 0, typed.output
    shown = "--format=%an|%s"
    assert git(demo, "log", "-1", shown) == git(twin, "log", "-1", shown)
    assert git(demo, "log", "-1", "--format=%s") == "AP-2026-001: contact with the provider recorded by Jo Patel\n"
    assert git(demo, "status", "--porcelain") == ""


def test_an_xlsx_register_is_uploaded_and_imported_too(
    demo: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same week as a workbook, as a provider's spreadsheet saves it."""
    import csv

    from openpyxl import Workbook

    browser = Browser(demo, today="2026-12-04")
    request.addfinalizer(browser.served.forget_uploads)
    week = full_register(demo, [LEO], dt.date(2026, 11, 30), dt.date(2026, 12, 3), tmp_path / "week.csv")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in csv.reader(week.read_text().splitlines()):
        sheet.append(row)
    book.save(tmp_path / "week.xlsx")
    dry = browser.post(
        "/import", {"register": ((tmp_path / "week.xlsx").open("rb"), "week.xlsx")}, content_type="multipart/form-data"
    )
    assert "8 mark(s) to add" in text(dry), text(dry)[600:]
    staged = re.search(r'name="staged" value="([^"]+)"', dry.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    assert "Imported." in text(browser.post("/import", {"staged": staged, "confirm": "yes"}))
    assert "2026-12-03,B,B" in (demo / "cases" / f"{LEO}.attendance.csv").read_text()


def test_the_census_download_is_the_clis_csv(browser: Browser, demo: Path) -> None:
    answer = browser.get("/census.csv?term=Autumn+2026")
    typed = invoke(demo, "export", "census", "--term", "Autumn 2026", "--csv")
    assert answer.status_code == 200 and typed.exit_code == 0, typed.output
    assert answer.get_data(as_text=True) == typed.stdout and "attachment" in answer.headers["Content-Disposition"]


def test_a_register_that_is_not_csv_or_xlsx_is_refused_and_nothing_is_kept(browser: Browser) -> None:
    import io

    answer = browser.post("/import", {"register": (io.BytesIO(b"x"), "week.pdf")}, content_type="multipart/form-data")
    assert answer.status_code == 400 and "A register is a .csv or an .xlsx file." in text(answer)
    assert list(browser.served.uploads.iterdir()) == []


def test_messages_name_the_forms_fields_not_the_clis_options(browser: Browser) -> None:
    """A usage error is its one line that matters, in the form's words; options are named by their labels."""
    missing = text(browser.step("meeting", LEO, {"date": "2026-11-26"}))
    assert "“Kind” is required." in missing and "Usage: ap" not in missing and "--kind" not in missing
    half = text(browser.step("refer", None, {"name": "Ada Lark"}))
    assert "“Date of birth”" in half and "--dob" not in half.split("As a command", 1)[0]


def test_todays_links_fill_in_what_the_item_says(browser: Browser, demo: Path) -> None:
    page = browser.get("/").get_data(as_text=True)
    assert f"/do/absence?case={LEO}&amp;date=2026-11-11&amp;session=pm" in page  # the absence on 11 Nov (PM N)
    assert '/do/absence?case=AP-2026-010&amp;date=2026-11-23"' in page  # both sessions: each on its own
    form = browser.get(f"/do/absence?case={LEO}&date=2026-11-11&session=pm").get_data(as_text=True)
    assert 'value="2026-11-11"' in form and "<option selected>pm</option>" in form


def test_the_provider_is_chosen_from_the_register(browser: Browser) -> None:
    form = browser.get("/do/placement?case=AP-2026-004").get_data(as_text=True)
    assert '<select id="f-provider" name="provider"' in form
    assert '<option value="larkhill-green">Larkhill Green Alternative Provision (larkhill-green)</option>' in form


def test_weekdays_are_ticked_not_typed_and_written_as_the_cli_writes_them(
    browser: Browser, demo: Path, twin: Path
) -> None:
    for slug, case, values in WALK[:4]:
        assert browser.step(slug, case, values).status_code == 302, slug
        assert invoke(twin, *cli_line(slug, case, values)).exit_code == 0
    form = browser.get(f"/do/placement?case={NEW}").get_data(as_text=True)
    assert '<input type="checkbox" id="f-weekdays-tue" name="weekdays" value="tue">' in form
    assert '<option value="academy">' in form  # who approved the budget: chosen from the settings' bodies
    ticked = {key: value for key, value in PLACEMENT.items() if key != "weekdays"}
    page = browser.get(f"/do/placement?case={NEW}").get_data(as_text=True)
    seen = re.search(r'name="seen" value="([0-9a-f]*)"', page).group(1)  # type: ignore[union-attr]
    sent = browser.post("/do/placement", {"case": NEW, "seen": seen, **ticked, "weekdays": ["tue", "thu"]})
    assert sent.status_code == 302, text(sent)[:2000]
    assert invoke(twin, *cli_line("placement", NEW, PLACEMENT)).exit_code == 0
    same_files(demo, twin)


def test_each_request_closes_its_index_so_open_files_do_not_pile_up(browser: Browser) -> None:
    """The cycle collector is kept off here: the index a page opened is closed at the end of its request, not
    when the collector next frees it (hundreds of requests once ran `ap serve` out of open files)."""
    import contextlib
    import gc
    import os

    def index_files_open() -> int:
        open_files = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):  # the listing's own, closed by now
                open_files.append(os.readlink(f"/proc/self/fd/{fd}"))
        return sum(1 for name in open_files if "index.sqlite" in name)

    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to count open files")
    gc.collect()
    gc.disable()
    try:
        before = index_files_open()
        pages = [
            "/",
            "/cases",
            f"/case/{LEO}",
            "/check",
            "/report/view?term=Autumn+2026",
            "/census.csv?term=Autumn+2026",
        ]
        for url in pages * 4:  # the last two run the CLI's command in the server's process
            assert browser.get(url).status_code == 200, url
        assert index_files_open() == before
    finally:
        gc.enable()


def test_the_server_knows_its_codes_fingerprint_from_its_start(demo: Path) -> None:
    """Worked out as it starts: after an upgrade on disk, a server still running keeps to its own index."""
    from apcli.records.index import fingerprint

    fingerprint.cache_clear()
    make_app(web_setup(demo, TODAY, "Test User", False, 8765))
    assert fingerprint.cache_info().currsize == 1
