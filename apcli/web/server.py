"""`ap serve`: the records folder in a browser, through the same core and the same commands as the CLI.

Pages render on the server from the Jinja templates beside this file; no script runs in them. Reading pages
call the core directly (`views`); every form runs the CLI command it stands for (`running`), so what the
browser writes is what the CLI writes. Safety (token, cookie, CSRF, Host, CSP) is in `safety`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, abort, g, redirect, render_template, request, send_file, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as Answer

from apcli.errors import ApError
from apcli.web import safety
from apcli.web.forms import Step, command_line, fields_named, in_words, overrides, steps
from apcli.web.running import ONE_AT_A_TIME, Ran, Runner

MAX_UPLOAD = 10 * 1024 * 1024  # a year's register for a whole school is well under 1 MB


@dataclass
class Served:
    """What one server was started with."""

    records: Path
    port: int
    token: str
    commands: Any  # the CLI's command tree, whose options the forms are made from (apcli/web/forms.py)
    run: Runner  # runs one command line of it
    read_only: bool = False
    today: str | None = None  # the CLI's --today, for every command the server runs
    by: str | None = None  # the CLI's --by, where the browser gave no name
    _uploads: Path | None = field(default=None, repr=False)

    def day(self) -> dt.date:
        from apcli.model.dates import parse_date

        return parse_date(self.today, "--today") if self.today else dt.date.today()

    @property
    def uploads(self) -> Path:
        """A private folder (mode 700, outside the records) for registers uploaded and not yet imported."""
        if self._uploads is None:
            self._uploads = Path(tempfile.mkdtemp(prefix="ap-serve-"))
        return self._uploads

    def forget_uploads(self) -> None:
        if self._uploads is not None:
            shutil.rmtree(self._uploads, ignore_errors=True)
            self._uploads = None

    @property
    def steps(self) -> dict[str, Step]:
        return steps(self.commands)


def make_app(served: Served) -> Flask:
    from apcli.records.index import fingerprint

    # Of the code as the server starts, not as it is on disk at its first request: a server left running
    # across an upgrade keeps to its own version's index (apcli/records/index.py's `index_name`).
    fingerprint()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(MAX_CONTENT_LENGTH=MAX_UPLOAD, SERVED=served)
    app.jinja_env.autoescape = True
    app.jinja_env.globals.update(
        step_of=lambda slug: served.steps.get(slug),
        provider_choices=lambda: _providers(served),
        approver_choices=lambda: _approvers(served),
    )

    @app.before_request
    def let_in() -> Answer | None:
        return _let_in(served)

    @app.after_request
    def protect(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", safety.POLICY)
        for name, value in safety.HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.teardown_appcontext
    def close_records(_error: BaseException | None) -> None:
        """The request's index connection closed at its end, not left to the cycle collector (open files pile
        up between its passes: hundreds of requests can run out of them)."""
        records = g.pop("records", None)
        if records is not None:
            records.close()

    @app.context_processor
    def shared() -> dict[str, Any]:
        return {
            "csrf": safety.csrf_token(served.token),
            "read_only": served.read_only,
            "who": _who(served),
            "today": served.day(),
            "school": _school(served),
        }

    _add_pages(app, served)
    _add_forms(app, served)
    return app


def _let_in(served: Served) -> Answer | None:
    """The token, the cookie, the Host and the CSRF token: refused before any page is made."""
    if not safety.allowed_host(request.host, served.port):
        abort(400, "This server answers only at its own loopback address.")
    given = request.args.get("token")
    if given is not None:
        if not safety.same(given, served.token):
            abort(403, "That is not this server's token: open the address `ap serve` printed.")
        rest = urlencode([(key, value) for key, value in request.args.items(multi=True) if key != "token"])
        answer = redirect(request.path + (f"?{rest}" if rest else ""))
        answer.set_cookie(safety.cookie(served.port), served.token, httponly=True, samesite="Strict", path="/")
        return answer
    if not safety.same(request.cookies.get(safety.cookie(served.port)), served.token):
        abort(403, "Open the address `ap serve` printed (with its token) to use this server.")
    if request.method == "POST":
        if not safety.from_this_site(request.headers.get("Sec-Fetch-Site")):
            abort(403, "This form was sent from another site: nothing was changed.")
        if not safety.same(request.form.get("csrf"), safety.csrf_token(served.token)):
            abort(403, "This form is out of date or did not come from this server: nothing was changed. Open it again.")
        if served.read_only and request.endpoint != "name":
            abort(403, "This server is read-only (ap serve --read-only): nothing can be changed from it.")
    return None


def _who(served: Served) -> str | None:
    return safety.plain_name(request.cookies.get(safety.NAME_COOKIE, "")) or served.by


def _school(served: Served) -> str:
    try:
        return str(_records(served).settings.school.name)
    except (ApError, AttributeError):
        return "ap"


def _records(served: Served) -> Any:
    """The records folder, opened once for the request (its settings, providers and calendar read once), so
    that a page, its header and its forms' choices do not each open and read it again."""
    from apcli.records.store import Records

    if "records" not in g:
        g.records = Records.open(served.records.absolute())
    return g.records


def _add_pages(app: Flask, served: Served) -> None:
    from apcli.web import views

    @app.get("/")
    def today() -> str:
        with ONE_AT_A_TIME:
            items, problems = views.today_items(_records(served), served.day(), served.steps)
        return render_template("today.html.j2", items=items, problems=problems)

    @app.get("/cases")
    def cases() -> str:
        from apcli.model.status import STATUSES

        status, query = request.args.get("status", ""), request.args.get("q", "")
        with ONE_AT_A_TIME:
            rows, total = views.case_rows(_records(served), served.day(), status, query)
        return render_template("cases.html.j2", rows=rows, total=total, status=status, query=query, statuses=STATUSES)

    @app.get("/case/<case_id>")
    def case(case_id: str) -> str:
        try:
            with ONE_AT_A_TIME:
                page = views.case_page(_records(served), case_id, served.day(), served.steps)
        except ApError as error:
            return render_template("problem.html.j2", message=error.message), 404  # type: ignore[return-value]
        return render_template("case.html.j2", page=page, charts=Markup(page.charts), done=request.args.get("done"))

    @app.get("/case/<case_id>/letter/<int:number>")
    def letter(case_id: str, number: int) -> Response:
        with ONE_AT_A_TIME:
            records = _records(served)
            try:
                recorded = views.letters_of(records.load_case(case_id))
                if not 0 <= number < len(recorded):
                    abort(404, "The case records no such letter.")
                path = records.root / recorded[number]["file"]
                content = records.read_bytes(path, "letters")
            except ApError as error:
                abort(404, error.message)
        kinds = {".html": "text/html", ".txt": "text/plain", ".docx": _DOCX}
        shown = bool(request.args.get("view")) and path.suffix in (".html", ".txt")
        answer = send_file(
            io.BytesIO(content),
            mimetype=kinds.get(path.suffix, "application/octet-stream"),
            as_attachment=not shown,
            download_name=path.name,  # quoted as RFC 6266 says, whatever the case file calls it
        )
        answer.headers["Content-Security-Policy"] = safety.SHOWN_FILE_POLICY  # one file, its style inside
        return answer

    @app.get("/check")
    def check() -> str:
        from apcli.reports.checking import check_records

        with ONE_AT_A_TIME:
            findings = check_records(_records(served), None, served.day())
        return render_template("check.html.j2", findings=findings)

    @app.get("/report")
    def report() -> str:
        return render_template("report.html.j2", terms=_terms(served), args=request.args)

    @app.get("/report/view")
    def report_view() -> Response | tuple[str, int]:
        from apcli.model.dates import parse_date
        from apcli.reports.money import build_report, choose_period
        from apcli.reports.moneyhtml import render_html

        given = {key: request.args.get(key, "").strip() or None for key in ("term", "year", "from", "to")}
        try:
            with ONE_AT_A_TIME:
                records = _records(served)
                first = parse_date(given["from"], "From") if given["from"] else None
                last = parse_date(given["to"], "To") if given["to"] else None
                period = choose_period(records, served.day(), first, last, given["term"], given["year"])
                html = render_html(build_report(records, period, served.day()), records.settings.attendance_threshold)
        except ApError as error:
            return render_template("problem.html.j2", message=error.message), 400
        answer = Response(html, mimetype="text/html")
        answer.headers["Content-Security-Policy"] = safety.SHOWN_FILE_POLICY
        return answer

    @app.get("/census.csv")
    def census() -> Response | tuple[str, int]:
        ran = _run(served, ["export", "census", "--csv", *_term_args()], served.by)
        if not ran.ok:
            return render_template("problem.html.j2", message=_said(ran)), 400
        answer = Response(ran.output, mimetype="text/csv")
        answer.headers["Content-Disposition"] = 'attachment; filename="census.csv"'
        return answer

    @app.post("/name")
    def name() -> Answer:
        answer = redirect(safety.own_page(request.form.get("back", "")))
        given = safety.plain_name(request.form.get("name", ""))
        answer.set_cookie(safety.NAME_COOKIE, given, httponly=True, samesite="Strict", path="/", max_age=86400 * 365)
        return answer

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(413)
    def refused(error: Any) -> tuple[str, int]:
        return render_template("problem.html.j2", message=error.description), error.code


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _term_args() -> list[str]:
    term = request.args.get("term", "").strip()
    return ["--term", term] if term else []


def _providers(served: Served) -> list[tuple[str, str]]:
    """The provider register, as (id, name), for the forms' choice of provider."""
    with ONE_AT_A_TIME:
        try:
            return sorted((pid, provider.name) for pid, provider in _records(served).providers.items())
        except ApError:
            return []


def _approvers(served: Served) -> list[tuple[str, str]]:
    """The bodies that may approve a placement's budget (the settings' approving_bodies), as (id, name)."""
    with ONE_AT_A_TIME:
        try:
            return [(bid, str(name)) for bid, name in _records(served).settings.approving_bodies.items()]
        except ApError:
            return []


def _terms(served: Served) -> list[str]:
    with ONE_AT_A_TIME:
        try:
            return [term.name for term in sorted(_records(served).calendar.file.terms, key=lambda t: t.start)]
        except ApError:
            return []


def _run(served: Served, line: list[str], by: str | None) -> Ran:
    """The command, run; the records opened for this request are then out of date, so forgotten."""
    ran = served.run(line, by)
    records = g.pop("records", None)
    if records is not None:
        records.close()
    return ran


def _said(ran: Ran) -> str:
    if ran.error is not None:
        return ran.error.message
    if ran.crashed is not None:
        return f"ap stopped on an unexpected error ({type(ran.crashed).__name__}); nothing half-written stays."
    return (ran.errors or ran.output).strip()


def _add_forms(app: Flask, served: Served) -> None:
    @app.get("/do/<slug>")
    def form(slug: str) -> str:
        step = _step(served, slug)
        case = request.args.get("case") or None
        values = {key: request.args.getlist(key) for key in request.args}
        seen = _seen(served, case) if case else ""
        return _form_page(step, case, values, seen)

    @app.post("/do/<slug>")
    def submit(slug: str) -> Answer | str | tuple[str, int]:
        step = _step(served, slug)
        values = {key: request.form.getlist(key) for key in request.form if key not in ("csrf", "seen")}
        case = (values.get("case") or [""])[0].strip() or None
        preview = "preview" in values
        if preview and not step.dry_run:
            abort(400, f"`ap {step.command}` has no preview: nothing was written.")
        line = command_line(step, values, [*overrides(values), *(["--dry-run"] if preview else [])])
        with ONE_AT_A_TIME:
            if case and step.takes_a_case:
                now = _seen(served, case)
                if now and now != request.form.get("seen"):  # a form without one is as out of date
                    return _changed_meanwhile(step, case, values, now)
            ran = _run(served, line, _who(served))
        if preview and ran.ok:
            return _form_page(step, case, values, request.form.get("seen", ""), preview=ran.output)
        if not ran.ok:
            return _form_page(step, case, values, request.form.get("seen", ""), ran=ran), 422
        made = ran.output.strip().split()[0] if step.command == "refer" and ran.output.strip() else None
        target = case or made
        said = f"{made}: referred." if made else (ran.output.strip() or f"{step.title}: done.")
        said = "\n".join([said, *ran.errors.strip().splitlines()])[:2000]  # the CLI's notes, too
        if (target and step.takes_a_case) or made:
            return redirect(url_for("case", case_id=(target or "").upper(), done=said))
        return _form_page(step, case, {}, "", done=said)

    def _changed_meanwhile(step: Step, case: str, values: dict[str, list[str]], now: str) -> tuple[str, int]:
        from apcli.reports.timeline import timeline

        with ONE_AT_A_TIME:
            events = timeline(_records(served), case)[-5:]
        message = (
            f"{case.upper()} was changed since this form was opened (in another tab, or from the command line), "
            "so nothing was written now. Its latest entries are below. If one of them is what you are entering "
            "(sent once already, say by going back and sending the form again), it is saved: do not send it "
            "again. Otherwise check them, then send the form again."
        )
        return _form_page(step, case, values, now, changed=message, events=events), 409

    @app.get("/import")
    def upload() -> str:
        return render_template("import.html.j2")

    @app.post("/import")
    def dry_run() -> Response | str | tuple[str, int]:
        return _import(served)


def _step(served: Served, slug: str) -> Step:
    step = served.steps.get(slug)
    if step is None:
        abort(404, f"There is no step {slug!r}.")
    return step


def _seen(served: Served, case: str) -> str:
    from apcli.web.views import fingerprint

    try:
        with ONE_AT_A_TIME:
            return fingerprint(_records(served), case)
    except ApError:
        return ""


def _form_page(
    step: Step,
    case: str | None,
    values: dict[str, list[str]],
    seen: str,
    *,
    ran: Ran | None = None,
    preview: str | None = None,
    done: str | None = None,
    changed: str | None = None,
    events: list[Any] | None = None,
) -> str:
    """The step's form, filled with what was sent; a refusal beside the fields it is about."""
    beside: dict[str, list[dict[str, str]]] = {}
    above: list[dict[str, str]] = []
    error = ran.error if ran else None
    failures = getattr(error, "failures", None)
    if failures:
        for rule, finding in failures:
            named = fields_named(finding.fix, step)
            fill = [field.label for name in named if (field := step.field(name))]
            shown = {"rule": rule.id, "kind": rule.kind, "words": rule.words,
                     "message": in_words(finding.message, step), "fix": finding.fix, "fill": fill}  # fmt: skip
            for name in named[:1]:
                beside.setdefault(name, []).append(shown)
            if not named:
                above.append(shown)
    elif ran is not None:
        message = _said(ran)
        named = fields_named(message.split(":", 1)[0] + ":", step) or fields_named(message, step)[:1]
        target = beside.setdefault(named[0], []) if named else above
        target.append({"rule": "", "kind": "", "words": "", "message": in_words(message, step), "fix": ""})
    return render_template(
        "form.html.j2",
        step=step,
        case=case,
        values=values,
        seen=seen,
        beside=beside,
        above=above,
        preview=preview,
        done=done,
        changed=changed,
        events=events or [],
        should=[rule.id for rule, _ in failures or [] if rule.kind == "should"],
        helps={field.html_name: in_words(field.help, step) for field in step.fields},
    )


def _import(served: Served) -> Response | str | tuple[str, int]:
    """A provider's register, uploaded: first its dry run (every problem, every change), then, confirmed,
    the import itself, by `ap attendance import` on the uploaded copy."""
    staged = request.form.get("staged", "")
    if staged:
        path = _staged(served, staged)
    else:
        sent = request.files.get("register")
        if sent is None or not sent.filename:
            return render_template("import.html.j2", problem="Choose the provider's register (CSV or xlsx)."), 400
        suffix = Path(sent.filename).suffix.lower()
        if suffix not in (".csv", ".xlsx"):
            return render_template("import.html.j2", problem="A register is a .csv or an .xlsx file."), 400
        from werkzeug.utils import secure_filename

        folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=served.uploads))
        # its own name, as the import's log records it (`imported 8 mark(s) from week.csv`), made safe
        name = secure_filename(sent.filename)
        path = folder / (name if Path(name).suffix.lower() == suffix else f"register{suffix}")
        sent.save(path)
        path.chmod(0o600)
        staged = folder.name
    options = [*(["--replace"] if request.form.get("replace") else []),
               *(["--provider", p] if (p := request.form.get("provider", "").strip()) else [])]  # fmt: skip
    confirm = request.form.get("confirm") == "yes"
    line = ["attendance", "import", str(path), *options, *([] if confirm else ["--dry-run"]), "--json"]
    ran = _run(served, line, _who(served))
    result = _json(ran.output) if ran.output.strip() else None
    problem = None if ran.ok else _said(ran).replace(str(path), path.name)  # the file as the person named it
    if confirm or not ran.ok:  # imported, or to be corrected and uploaded again: a register holds UPNs
        shutil.rmtree(path.parent, ignore_errors=True)
    return render_template(
        "import.html.j2",
        staged=staged if ran.ok and not confirm else None,
        result=result,
        confirmed=confirm and ran.ok,
        problem=problem,
        replace=bool(request.form.get("replace")),
        provider=request.form.get("provider", ""),
    )


UPLOAD_PREFIX = "ap-upload-"


def _staged(served: Served, staged: str) -> Path:
    """The register uploaded for the dry run the page names: one file in a folder of the server's own uploads,
    named as `tempfile` names them; anything else (`..`, a path, a folder gone) is refused."""
    folder = served.uploads / staged
    try:
        if re.fullmatch(rf"{UPLOAD_PREFIX}[A-Za-z0-9_]+", staged) and folder.parent == served.uploads:
            kept = [path for path in folder.iterdir() if path.is_file() and not path.is_symlink()]
            if len(kept) == 1:
                return kept[0]
    except OSError:
        pass
    abort(400, "That upload is no longer here: upload the register again.")


def _json(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return None
