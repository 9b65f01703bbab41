"""Issue 19 in a real browser: `ap serve` started as a person starts it, driven in headless Chromium.

A new pupil is taken from referral to an issued notice by filling and submitting the forms (one refused on
the way, and put right), a provider's register is imported by upload, and the term's report is opened. Every
page met is checked for what a keyboard or screen-reader user needs: a label on every field, headings in
order, every control reached with Tab; one form is filled and sent by keyboard alone. Chromium's console must
show no Content-Security-Policy violation. Screenshots of the Today page, a case page and a refusal are taken
(into $AP_SCREENSHOTS if set: that is how docs/screens/ is made).

Skips when chromium, chromedriver or selenium is missing, unless AP_RENDER_TESTS=required (CI).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factory import full_register
from tests.test_html_rendering import MISSING, REQUIRED

pytestmark = pytest.mark.skipif(
    MISSING is not None and not REQUIRED,
    reason=f"ap serve in Chromium: {MISSING} (with AP_RENDER_TESTS=required this fails instead)",
)
TODAY = "2026-12-04"  # a Friday: Leo's week of 30 November (Monday to Thursday) is in
LEO, NEW = "AP-2026-001", "AP-2026-011"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(demo: Path) -> Iterator[str]:
    """`ap serve` on the demo school, as a person runs it; yields the address it printed (with its token)."""
    port = _free_port()
    line = [sys.executable, "-m", "apcli", "--records", str(demo), "--today", TODAY, "--by", "Jo Patel", "serve",
            "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(line, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = ""
        deadline = time.monotonic() + 30
        while not address and time.monotonic() < deadline:
            said = process.stdout.readline() if process.stdout else ""
            address = said.strip() if said.startswith("http://127.0.0.1:") else ""
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert address, "ap serve printed no address"
        _wait_for(port)
        yield address
    finally:
        process.terminate()
        process.wait(10)


def _wait_for(port: int) -> None:
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on port {port}")


@pytest.fixture
def chrome() -> Iterator[Any]:
    if MISSING is not None:
        pytest.fail(f"AP_RENDER_TESTS=required but {MISSING}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(shutil.which("chromedriver"))))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        driver.quit()


class Person:
    """Someone at the browser: clicks what a person sees, fills fields by their labels' ids, and checks each
    page for labels, heading order and keyboard reach."""

    def __init__(self, driver: Any, shots: Path) -> None:
        self.driver = driver
        self.shots = shots
        self.pages_checked: list[str] = []

    def find(self, css: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def click_link(self, words: str) -> None:
        from selenium.webdriver.common.by import By

        self._to_next_page(self.driver.find_element(By.LINK_TEXT, words))
        self.check_page()

    def _to_next_page(self, element: Any) -> None:
        """Click `element` and wait for the page it leads to: a click returns before a form's answer has
        replaced the page, and a check of the old page would find its marks gone from the new one."""
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def arrived(driver: Any) -> bool:
            try:  # while the page is being replaced, Chromium may answer with an error: not there yet
                script = "return window.apOldPage === undefined && document.readyState === 'complete'"
                return bool(driver.execute_script(script))
            except WebDriverException:
                return False

        self.driver.execute_script("window.apOldPage = true")
        element.click()
        WebDriverWait(self.driver, 30).until(arrived)

    def fill(self, **values: str) -> None:
        """Each field by its name (`agreement_signed` for the field of `--agreement-signed`)."""
        from selenium.webdriver.support.ui import Select

        for name, value in values.items():
            field = self.find(f"#f-{name.replace('_', '-')}")
            if field.tag_name == "select":
                chosen = Select(field)
                if any(option.text == value for option in chosen.options):
                    chosen.select_by_visible_text(value)
                else:
                    chosen.select_by_value(value)  # a provider, shown by its name, chosen by its id
            elif field.get_attribute("type") == "checkbox":
                if bool(value) != field.is_selected():
                    field.click()
            else:
                field.clear()
                field.send_keys(value)

    def press(self, words: str) -> None:
        from selenium.webdriver.common.by import By

        self._to_next_page(self.driver.find_element(By.XPATH, f"//button[normalize-space()='{words}']"))
        self.check_page()

    def text(self) -> str:
        return str(self.find("main").text)

    def shot(self, name: str) -> Path:
        height = int(self.driver.execute_script("return document.body.scrollHeight"))
        self.driver.set_window_size(1280, min(max(height, 700), 2200))
        path = self.shots / f"{name}.png"
        assert self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 1000)
        return path

    def check_page(self) -> None:
        """A label for every field, headings that never skip a level, and every control reached by Tab."""
        unlabelled = self.driver.execute_script(
            "return [...document.querySelectorAll('input, select, textarea')]"
            ".filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
            ".map(e => e.name)"
        )
        assert unlabelled == [], (self.driver.current_url, unlabelled)
        levels = self.driver.execute_script(
            "return [...document.querySelectorAll('h1, h2, h3, h4')].map(h => Number(h.tagName[1]))"
        )
        assert levels and levels[0] == 1 and levels.count(1) == 1, (self.driver.current_url, levels)
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (self.driver.current_url, levels)
        self._reach_every_control_by_tab()
        self.pages_checked.append(self.driver.current_url)

    def _reach_every_control_by_tab(self) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        controls = self.driver.execute_script(
            "const all = [...document.querySelectorAll('a[href], button, input, select, textarea')]"
            ".filter(e => e.type !== 'hidden' && e.offsetParent !== null);"
            "all.forEach((e, i) => e.setAttribute('data-tab', i)); return all.length"
        )
        self.driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        reached: set[str] = set()
        for _ in range(controls + 3):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            mark = self.driver.execute_script("return document.activeElement.getAttribute('data-tab')")
            if mark is not None:
                reached.add(mark)
        missed = sorted(set(map(str, range(controls))) - reached, key=int)
        assert missed == [], (self.driver.current_url, missed)

    def tab_to(self, element_id: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys

        for _ in range(200):
            if self.driver.execute_script("return document.activeElement.id") == element_id:
                return
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
        raise AssertionError(f"Tab never reached #{element_id}")


def test_a_new_pupil_from_referral_to_notice_an_upload_and_the_report_by_clicking(
    server: str, chrome: Any, demo: Path, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("AP_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    person = Person(chrome, shots)
    chrome.get(server)
    assert "token" not in chrome.current_url  # the key went into a cookie, not the history
    person.check_page()
    assert "Today: what is due" in person.text() and "overdue" in person.text()
    person.shot("today")

    person.click_link("Refer a pupil")
    person.fill(name="Ada Lark", dob="01/05/2018", year="4", reason="respite",
                rationale="Respite from the academy while her needs are assessed", send_hub="03/09/2026",
                managed_move="not-suitable", managed_move_why="Not suitable for a respite placement",
                parent="Zoe Lark (mother)", address="1 Road, Town, ZZ1 1ZZ", date="27/11/2026")  # fmt: skip
    person.press("Open the case")
    assert f"/case/{NEW}" in chrome.current_url and "Ada Lark" in person.text()

    person.click_link("Record a meeting")
    person.fill(kind="planning", date="30/11/2026", present="Zoe Lark (parent)\nJo Patel (senco)",
                reasons_explained="yes")  # fmt: skip
    person.press("Record the meeting")
    person.click_link("Record the decisions")
    person.fill(parents="accepted", date="30/11/2026")
    person.press("Record")
    person.click_link("Record the decisions")
    person.fill(headteacher="approve", date="01/12/2026")
    person.press("Record")
    assert "Status: agreed" in person.text()

    person.click_link("Commission the placement")
    placement = {"provider": "larkhill-green", "start": "10/12/2026", "end": "12/02/2027",
                 "weekdays_tue": "yes", "weekdays_thu": "yes",
                 "aims": "Re-engage with learning", "cost": "1,530.00", "approved_by": "academy",
                 "approved_on": "01/12/2026", "english_maths": "Daily at the provider",
                 "reintegration": "Back full time after February half term", "la_informed": "01/12/2026"}  # fmt: skip
    person.fill(**placement)  # no commissioning agreement yet
    person.press("Record the placement")
    refusal = person.text()
    assert "Refused: nothing was saved" in refusal and "PLACE-COMMISSIONING" in refusal and "The policy:" in refusal
    beside = person.find(".field.refused").text
    assert "Agreement" in beside and "PLACE-COMMISSIONING" in beside
    person.shot("refusal")
    person.fill(agreement="LG-2026-031", agreement_signed="01/12/2026")
    person.press("Record the placement")
    assert "Status: commissioned" in person.text(), person.text()

    person.click_link("Give the parents notice")
    person.press("Preview (write nothing)")
    assert "NOTICE THAT ADA LARK MUST ATTEND OFF-SITE EDUCATION" in person.text()
    person.press("Issue the notice")
    assert "Status: notified" in person.text(), person.text()
    person.shot("notified")
    person.click_link("view")
    assert "Ada Lark" in chrome.find_element("tag name", "body").text  # the letter itself, as recorded
    chrome.back()

    # a week of Leo's attendance, uploaded, checked, then imported
    register = full_register(demo, [LEO], dt.date(2026, 11, 30), dt.date(2026, 12, 3), tmp_path / "week.csv")
    person.click_link("Import attendance")
    person.find("#register").send_keys(str(register))
    person.press("Check it (dry run)")
    assert "8 mark(s) to add" in person.text(), person.text()
    person.press("Import it")
    assert "Imported." in person.text(), person.text()
    marks = (demo / "cases" / f"{LEO}.attendance.csv").read_text()
    assert "2026-12-03,B,B" in marks

    # keyboard only: a week's contact with the provider, typed and sent without the mouse
    chrome.get(server.split("/?")[0] + f"/do/contact?case={LEO}")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for field, value in (("f-date", "04/12/2026"), ("f-with", "Sam Turner"), ("f-summary", "Weekly call: all well")):
        person.tab_to(field)
        ActionChains(chrome).send_keys(value).perform()
    person.tab_to("f-summary")
    ActionChains(chrome).send_keys(Keys.TAB).perform()  # the button after the last field
    while chrome.execute_script("return document.activeElement.tagName") != "BUTTON":
        ActionChains(chrome).send_keys(Keys.TAB).perform()
    ActionChains(chrome).send_keys(Keys.ENTER).perform()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(chrome, 30).until(lambda driver: f"/case/{LEO}" in driver.current_url)
    assert "contact" in person.text().lower()
    assert "Weekly call: all well" in (demo / "cases" / f"{LEO}.yaml").read_text()

    person.click_link("Report")
    from selenium.webdriver.support.ui import Select

    Select(person.find("#term")).select_by_visible_text("Autumn 2026")
    person._to_next_page(person.find("button.primary"))
    assert chrome.find_elements("css selector", 'svg[data-chart="attendance"]')
    assert "Ada Lark" in chrome.find_element("tag name", "body").text or "Leo Hartley" in chrome.page_source

    for page in ("/cases", "/check", f"/case/{LEO}"):
        chrome.get(server.split("/?")[0] + page)
        person.check_page()
    person.shot("case")  # Leo's, with his week just imported and his charts
    violations = [
        entry["message"] for entry in chrome.get_log("browser") if "Content Security Policy" in entry["message"]
    ]
    assert violations == []
    for name in ("today", "case", "refusal", "notified"):
        assert (shots / f"{name}.png").stat().st_size > 20_000
    assert len(person.pages_checked) >= 15
