"""Letters rendered from templates: the notice, the invitation to the planning meeting, the review letter.

Templates run in Jinja2's sandbox with undefined values as errors: a template
cannot reach Python's internals, and a missing value stops the letter instead
of leaving a blank in a letter to a parent. A school's own template in the
records folder's `templates/` replaces the shipped one of the same name, and is
checked the same way: every rendered letter is read back, and one that does
not state every item the law and the policy require is refused, naming it.

A school's template may come from a folder someone else made, so it is code
ap does not trust: it is read only from `templates/` itself, through the
records folder's guard (never through a link, which could reach another
pupil's case or `.git/config`); the sandbox caps ranges, repetition, lipsum
and the size of what it makes; a Word template's zip is checked before it is
opened; and on POSIX every rendering runs in a forked child with limited
memory and time (`render_letters`), so a template that loops or grows without
end stops with a message naming it and the limit, with no case lock held.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from apcli.errors import ApError, InvalidFileError, UsageError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

    from apcli.records.store import Records

Format = Literal["html", "txt", "docx"]
FORMATS: tuple[Format, ...] = ("html", "txt", "docx")
KINDS = ("notice", "invitation", "review")
T = TypeVar("T")


def shipped_templates() -> Path:
    """The templates that come with ap: inside the installed package, or beside it in a checkout."""
    package = Path(__file__).resolve().parents[1]  # apcli/
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


def template_name(kind: str, fmt: Format) -> str:
    return f"{kind}.docx" if fmt == "docx" else f"{kind}.{fmt}.j2"


def template_path(records: Records, kind: str, fmt: Format) -> Path:
    """The school's own template in templates/ if there is one (a link or special file in its place is refused,
    never followed), else the shipped one."""
    name = template_name(kind, fmt)
    own = records.root / TEMPLATES_DIR / name
    return own if _own_exists(records, own) else shipped_templates() / name


def _own_exists(records: Records, path: Path) -> bool:
    from apcli.records.guard import UnsafePath

    try:
        return records.guard.exists(path, TEMPLATES_DIR)
    except UnsafePath as error:
        raise _link_refused(records, path, error) from None


def _link_refused(records: Records, path: Path, error: ApError) -> InvalidFileError:
    detail = getattr(error, "detail", str(error))
    return InvalidFileError(
        f"{detail.rstrip('.')}. ap reads templates only from the records folder's templates/ itself: through a link "
        "a template could put another pupil's case, ap's own files or a file outside the records folder into a "
        "letter. Copy the template in place of the link.",
        records.shown(path),
    )


def _read_own(records: Records, path: Path, limit: int) -> bytes | None:
    """A school template's bytes through the records folder's guard (area templates/), None if there is none."""
    from apcli.records.guard import UnsafePath

    try:
        return records.guard.read_bytes(path, TEMPLATES_DIR, limit=limit, shown=records.shown(path), missing_ok=True)
    except UnsafePath as error:
        raise _link_refused(records, path, error) from None


@dataclass
class LetterPlan:
    """One letter to one recipient: what the template gets, and what the letter must say."""

    kind: str
    to: str
    slug: str
    context: dict[str, Any]
    required: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Rendered:
    plan: LetterPlan
    fmt: Format
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def text(self) -> str:
        return letter_text(self.data, self.fmt)

    @property
    def text_sha256(self) -> str:
        return text_sha256(self.data, self.fmt)


# --- the limits a template runs within -------------------------------------------------------------------------

TEMPLATES_DIR = "templates"
RENDER_SECONDS = 20.0  # the shipped Word notice, with every item checked, renders in about a second
RENDER_MEMORY_MB = 512  # memory a rendering may take on top of what ap already uses
MAX_RANGE = 10_000  # numbers in one range(): a letter loops over a few aims and sessions
MAX_REPEAT = 1_000_000  # characters or items one `*`, `+` or `%` may make
MAX_LETTER_CHARS = 2_000_000  # characters of one rendered template (a letter is about 10,000)
MAX_LIPSUM = 20  # paragraphs of lipsum()
MAX_TEMPLATE_BYTES = 1_000_000  # a text template is a few KB
MAX_DOCX_BYTES = 20_000_000  # a Word template with a letterhead image is well under 1 MB
MAX_DOCX_UNPACKED_MB = 100  # what a Word template's parts may unpack to, all together
MAX_DOCX_PARTS = 1_000


class TemplateLimit(Exception):
    """A template asked for more than a letter ever needs; the message says which limit."""


def render_seconds() -> float:
    """Seconds one template may run: AP_TEMPLATE_SECONDS, else RENDER_SECONDS."""
    try:
        return max(0.1, float(os.environ.get("AP_TEMPLATE_SECONDS", RENDER_SECONDS)))
    except ValueError:
        raise UsageError("AP_TEMPLATE_SECONDS must be a number of seconds, e.g. 20.") from None


def _capped_concat(parts: Iterable[str]) -> str:
    """Jinja's concat (used for the whole template, its blocks, macros and captured `set`s), stopped once it
    holds more than a letter ever would."""
    kept: list[str] = []
    size = 0
    for part in parts:
        size += len(part)
        if size > MAX_LETTER_CHARS:
            raise TemplateLimit(
                f"the template makes more than {MAX_LETTER_CHARS:,} characters; a letter is far shorter"
            )
        kept.append(part)
    return "".join(kept)


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise OverflowError(f"Range too big: a template may count to {MAX_RANGE:,} at most, not {len(numbers):,}")
    return numbers


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    from jinja2.utils import generate_lorem_ipsum

    if not (0 <= n <= MAX_LIPSUM and 0 <= min <= max <= 1_000):
        raise TemplateLimit(f"lipsum() may make at most {MAX_LIPSUM} paragraphs of at most 1,000 words")
    return str(generate_lorem_ipsum(n, html, min, max))


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse, before it is computed, a `*` or `**` whose result would be huge, and a `%` with a huge width."""
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            size = _sized(sequence)
            if size is not None and isinstance(count, int) and size * count > MAX_REPEAT:
                raise TemplateLimit(
                    f"the template repeats text or a list to more than {MAX_REPEAT:,} characters or items"
                )
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > 10_000:
            raise TemplateLimit("the template multiplies numbers far larger than a letter needs")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
        if right > 10_000 // max(left.bit_length(), 1):
            raise TemplateLimit("the template raises a number to a power far larger than a letter needs")
    elif operator == "%" and isinstance(left, str) and re.search(r"%[^a-zA-Z%]*\d{5,}", left):
        raise TemplateLimit("the template formats a value wider than a letter needs")


def _check_size(result: Any) -> Any:
    size = _sized(result)
    if size is not None and size > MAX_REPEAT:
        raise TemplateLimit(f"the template joins text or lists to more than {MAX_REPEAT:,} characters or items")
    return result


def environment(records: Records) -> SandboxedEnvironment:
    """Jinja2's sandbox, with ranges, repetition and output capped, reading the school's templates only from
    templates/ through the records folder's guard (never through a link), and the shipped ones from ap."""
    from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound, select_autoescape
    from jinja2.loaders import split_template_path
    from jinja2.runtime import Context
    from jinja2.sandbox import SandboxedEnvironment

    class RecordsLoader(BaseLoader):
        def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
            pieces = split_template_path(template)  # a '..' is not found, never looked for
            if not pieces:
                raise TemplateNotFound(template)
            own = records.root / TEMPLATES_DIR / Path(*pieces)
            data = _read_own(records, own, MAX_TEMPLATE_BYTES)
            filename = own
            if data is None:
                filename = shipped_templates().joinpath(*pieces)
                if not filename.is_file():
                    raise TemplateNotFound(
                        template, f"{template!r} not found in search paths: templates/ and ap's own templates"
                    )
                data = filename.read_bytes()
            try:
                source = data.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidFileError("not UTF-8 text; save the template as UTF-8", records.shown(filename)) from None
            return source, str(filename), lambda: True

    class Bounded(SandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "+", "%"})
        concat = staticmethod(_capped_concat)

        def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
            _check_binop(operator, left, right)
            return _check_size(super().call_binop(context, operator, left, right))

    env = Bounded(
        loader=RecordsLoader(),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["range"] = _bounded_range
    env.globals["lipsum"] = _bounded_lipsum
    return env


def _template_error(error: BaseException, records: Records, kind: str, fmt: Format) -> InvalidFileError:
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    where = _where(records, kind, fmt)
    if isinstance(error, TemplateSyntaxError):
        file = records.shown(Path(error.filename)) if error.filename else where
        return InvalidFileError(f"template error: {error.message}", file, error.lineno)
    if isinstance(error, SecurityError):
        return InvalidFileError(f"the template tried to reach something the sandbox does not allow ({error})", where)
    if isinstance(error, UndefinedError):
        return InvalidFileError(f"the template uses a value the letter does not have ({error.message})", where)
    if isinstance(error, TemplateLimit):
        return InvalidFileError(f"{error}, so the letter was not made", where)
    if isinstance(error, MemoryError):
        return _memory_error(where)
    if isinstance(error, RecursionError):
        return InvalidFileError("the template could not be rendered (it calls itself without end)", where)
    return InvalidFileError(f"the template could not be rendered ({error or type(error).__name__})", where)


def _where(records: Records, kind: str, fmt: Format) -> str:
    try:
        return records.shown(template_path(records, kind, fmt))
    except ApError:
        return records.shown(records.root / TEMPLATES_DIR / template_name(kind, fmt))


def _memory_error(where: str) -> InvalidFileError:
    return InvalidFileError(
        f"the template needed more than {RENDER_MEMORY_MB} MB of memory, far more than a letter needs, "
        "so it was stopped and no letter was made",
        where,
    )


def render(records: Records, plan: LetterPlan, fmt: Format, env: SandboxedEnvironment | None = None) -> Rendered:
    """One letter, in this process, within the sandbox's limits (see `render_letters` for time and memory)."""
    env = env or environment(records)
    try:
        if fmt == "docx":
            data = _render_docx(records, plan.kind, plan.context, env)
        else:
            data = env.get_template(template_name(plan.kind, fmt)).render(plan.context).encode("utf-8")
    except ApError:
        raise
    except Exception as error:  # a school's template runs code: whatever it raises is that template's fault
        raise _template_error(error, records, plan.kind, fmt) from None
    return Rendered(plan, fmt, data)


def _docx_template(records: Records, kind: str) -> bytes:
    """The Word template's bytes (the school's through the guard, else the shipped one), once its zip is known
    to unpack to a sensible size: a small file can hold parts that unpack to gigabytes."""
    import zipfile

    name = template_name(kind, "docx")
    own = records.root / TEMPLATES_DIR / name
    data = _read_own(records, own, MAX_DOCX_BYTES)
    path = own
    if data is None:
        path = shipped_templates() / name
        if not path.is_file():
            raise UsageError(f"There is no Word template {path}.")
        data = path.read_bytes()
    where = records.shown(path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise InvalidFileError(f"the template could not be rendered (not a Word document: {error})", where) from None
    if len(parts) > MAX_DOCX_PARTS:
        raise InvalidFileError(
            f"the Word template holds {len(parts):,} parts, more than {MAX_DOCX_PARTS:,}; it is not a letter "
            "template (save it again from Word)",
            where,
        )
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_DOCX_UNPACKED_MB * 1_000_000:
        raise InvalidFileError(
            f"the Word template unpacks to {unpacked / 1_000_000:,.0f} MB, more than {MAX_DOCX_UNPACKED_MB} MB; "
            "ap does not open it (a letter template unpacks to well under 1 MB; save it again from Word)",
            where,
        )
    return data


def _render_docx(records: Records, kind: str, context: dict[str, Any], env: SandboxedEnvironment) -> bytes:
    from docxtpl import DocxTemplate

    document = DocxTemplate(io.BytesIO(_docx_template(records, kind)))
    document.render(context, jinja_env=env, autoescape=True)
    _set_properties(document, kind, context)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def letter_title(kind: str, context: dict[str, Any]) -> str:
    """What a letter is, in words: its Word file's title (what a file list or a PDF viewer shows)."""
    pupil = str(context.get("pupil", {}).get("name", ""))
    if kind == "notice":
        copy = "Copy of a notice" if context.get("recipient", {}).get("is_la") else "Notice"
        return f"{copy} of off-site education for {pupil}"
    if kind == "invitation":
        return f"Invitation to a meeting about {pupil}'s education"
    if kind == "review":
        return f"Review outcome for {pupil}'s placement"
    return kind.capitalize()


def _set_properties(document: Any, kind: str, context: dict[str, Any]) -> None:
    """A letter's own document properties, whatever the template's (a school's own template's too): by the
    school, made on the letter's date (midnight UTC), titled with its kind; nothing of the program that made
    the template, nor its date. The rest (subject, keywords, comments ...) is emptied."""
    import datetime as dt

    school = str(context.get("school", {}).get("name", ""))
    core = document.docx.core_properties
    core.author = core.last_modified_by = school
    core.title = letter_title(kind, context)
    core.subject = core.keywords = core.category = core.comments = core.content_status = ""
    core.identifier = core.version = ""
    core.language = "en-GB"
    core.revision = 1
    for printed in core._element.findall(
        "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastPrinted"
    ):
        core._element.remove(printed)  # python-docx cannot unset it: a template's printing date is not the letter's
    iso = context.get("date_iso")
    if isinstance(iso, str):
        made = dt.datetime.combine(dt.date.fromisoformat(iso), dt.time(), tzinfo=dt.UTC)
        core.created = core.modified = made


# --- rendering in a child process with bounded time and memory ----------------------------------------------------


def render_letters(records: Records, plans: list[LetterPlan], fmt: Format, check: bool = True) -> list[Checked]:
    """Each plan's letter (all of one kind), and, if `check`, the required items it leaves out.

    A school's template is code: it runs in the sandbox, and, on POSIX, in a child process with at most
    `render_seconds()` seconds and RENDER_MEMORY_MB of memory, so a template that loops without end or builds
    gigabytes stops with a message naming it, never hangs ap or the machine. Call it without holding a lock.
    """
    if not plans:
        return []
    kind = plans[0].kind
    where = _where(records, kind, fmt)

    def work() -> list[tuple[bytes, list[str]]]:
        env = environment(records)
        results = []
        for plan in plans:
            item = render(records, plan, fmt, env)
            results.append((item.data, missing_items(records, item, env) if check else []))
        return results

    try:
        done = _bounded(work, where)
    except MemoryError:
        raise _memory_error(where) from None
    return [Checked(Rendered(plan, fmt, data), missing) for plan, (data, missing) in zip(plans, done, strict=True)]


@dataclass
class Checked:
    rendered: Rendered
    missing: list[str]


_RESULT_LIMIT = 200_000_000  # bytes a child may send back: every letter of one kind, with room to spare


def _bounded(work: Callable[[], T], where: str) -> T:
    """`work()` in a forked child with limited memory and CPU time and a wall-clock timeout; its result (or its
    ApError) comes back through a pipe. Where there is no fork (Windows) it runs here, within the sandbox only."""
    if not hasattr(os, "fork") or os.environ.get("AP_TEMPLATES_IN_PROCESS") == "1":
        return work()
    import pickle
    import select
    import signal

    seconds = render_seconds()
    memory = _memory_now() + RENDER_MEMORY_MB * 1024 * 1024
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns, never runs the parent's cleanup
        status = 70
        try:
            os.close(reader)
            _limit_child(seconds, memory)
            try:
                payload: tuple[str, Any] = ("ok", work())
            except MemoryError:
                payload = ("memory", None)
            except ApError as error:
                payload = ("error", _error_state(error))
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writer, "wb") as stream:
                stream.write(data)
            status = 0
        except BaseException:  # the parent reports a child that sent nothing
            pass
        finally:
            os._exit(status)
    os.close(writer)
    chunks: list[bytes] = []
    received = 0
    deadline = time.monotonic() + seconds
    stopped: str | None = None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                stopped = "time"
                break
            ready, _, _ = select.select([reader], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                break
            received += len(chunk)
            if received > _RESULT_LIMIT:
                stopped = "size"
                break
            chunks.append(chunk)
    finally:
        os.close(reader)
        if stopped is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if stopped == "time" or (os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)):
        raise InvalidFileError(
            f"the template ran for more than {seconds:g} seconds, far longer than a letter takes, so it was "
            "stopped and no letter was made (a loop over a huge range?)",
            where,
        )
    if stopped == "size":
        raise InvalidFileError(f"the template made more than {_RESULT_LIMIT // 1_000_000} MB of letters", where)
    result: tuple[str, Any] = ("lost", None)
    with contextlib.suppress(Exception):
        result = pickle.loads(b"".join(chunks)) if chunks else result  # the bytes of our own child
    kind, value = result
    if kind == "ok":
        return value  # type: ignore[no-any-return]
    if kind == "error":
        raise _error_from(value)
    if kind == "memory" or os.WIFEXITED(status):  # a child that ends without a result ran out of memory making it
        raise _memory_error(where)
    raise _stopped(where, status)


def _stopped(where: str, status: int) -> InvalidFileError:
    import signal

    name = signal.Signals(os.WTERMSIG(status)).name if os.WIFSIGNALED(status) else f"status {status}"
    return InvalidFileError(f"the template could not be rendered (the rendering was stopped by {name})", where)


def _memory_now() -> int:
    """This process's address space in bytes (what RLIMIT_AS counts), or 0 where it cannot be read."""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/self/statm", "rb") as stream:
        return int(stream.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def _limit_child(seconds: float, memory: int) -> None:
    import resource

    def lower(which: int, wanted: int) -> None:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(which, (wanted, hard if hard != resource.RLIM_INFINITY else wanted))

    cpu = int(seconds) + 2
    with contextlib.suppress(ValueError, OSError, AttributeError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory:
        lower(resource.RLIMIT_AS, memory)
    lower(resource.RLIMIT_CPU, cpu)


def _error_state(error: ApError) -> tuple[str, str, str | None, int | None]:
    if isinstance(error, InvalidFileError):
        return ("invalid", error.detail, error.file, error.line)
    return ("usage" if isinstance(error, UsageError) else "ap", error.message, None, None)


def _error_from(state: tuple[str, str, str | None, int | None]) -> ApError:
    kind, message, file, line = state
    if kind == "invalid":
        return InvalidFileError(message, file, line)
    return UsageError(message) if kind == "usage" else ApError(message)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self.skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "td", "th", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def letter_text(data: bytes, fmt: Format) -> str:
    """The words of a rendered letter, as a reader sees them."""
    if fmt == "txt":
        return data.decode("utf-8")
    if fmt == "html":
        parser = _Text()
        parser.feed(data.decode("utf-8"))
        return html.unescape("".join(parser.parts))
    import docx

    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    for section in document.sections:
        lines.extend(p.text for p in section.header.paragraphs)
    return "\n".join(lines)


def text_sha256(data: bytes, fmt: Format) -> str:
    """The sha256 of a letter's words: its visible text with whitespace normalised, the same however the file
    was packed (a Word file's bytes differ each time it is saved; its words do not)."""
    return hashlib.sha256(normal_text(letter_text(data, fmt)).encode("utf-8")).hexdigest()


def normal_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _token(number: int) -> str:
    return f"apcheck{number:03d}x"


def _mark(context: Any, path: list[str], tokens: list[str]) -> Any:
    """A copy of `context` with the value(s) at `path` replaced by fresh tokens (appended to `tokens`)."""
    if not path:
        tokens.append(_token(len(tokens)))
        return tokens[-1]
    head, rest = path[0], path[1:]
    if head == "*":
        return [_mark(item, rest, tokens) for item in context]
    copied = dict(context)
    copied[head] = _mark(context[head], rest, tokens)
    return copied


def missing_items(records: Records, rendered: Rendered, env: SandboxedEnvironment | None = None) -> list[str]:
    """The required items the template does not put in the letter.

    The letter is rendered again with each required value replaced by a unique
    token; an item is missing when any of its tokens is not in the result. So a
    time that happens to appear elsewhere (a session starting when the placement
    does) cannot stand in for the start time.
    """
    plan = rendered.plan
    missing = []
    for item, paths in plan.required.items():
        tokens: list[str] = []
        context = plan.context
        for path in paths:
            context = _mark(context, _split(path), tokens)
        probe = render(records, LetterPlan(plan.kind, plan.to, plan.slug, context), rendered.fmt, env)
        text = _squash(probe.text)
        if not tokens or any(token not in text for token in tokens):
            missing.append(item)
    return missing


def _split(path: str) -> list[str]:
    """`provider.address_lines[*]` -> ["provider", "address_lines", "*"]."""
    return [part for part in path.replace("[*]", ".*").split(".") if part]
