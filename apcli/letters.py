"""Letters rendered from templates: the notice, the invitation to the planning meeting, the review letter.

Templates run in Jinja2's sandbox with undefined values as errors: a template
cannot reach Python's internals, and a missing value stops the letter instead
of leaving a blank in a letter to a parent. A school's own template in the
records folder's `templates/` replaces the shipped one of the same name, and is
checked the same way: every rendered letter is read back, and one that does
not state every item the law and the policy require is refused, naming it.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from apcli.errors import ApError, InvalidFileError, UsageError

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

    from apcli.store import Records

Format = Literal["html", "txt", "docx"]
FORMATS: tuple[Format, ...] = ("html", "txt", "docx")
KINDS = ("notice", "invitation", "review")


def shipped_templates() -> Path:
    """The templates that come with ap: inside the installed package, or beside it in a checkout."""
    packaged = Path(__file__).parent / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[1] / "templates"


def template_name(kind: str, fmt: Format) -> str:
    return f"{kind}.docx" if fmt == "docx" else f"{kind}.{fmt}.j2"


def template_path(records: Records, kind: str, fmt: Format) -> Path:
    name = template_name(kind, fmt)
    own = records.root / "templates" / name
    return _contained(records, own) if own.is_file() else shipped_templates() / name


def _contained(records: Records, path: Path) -> Path:
    """`path`, if it is inside the records folder or the shipped templates once links are followed.

    A link in templates/ to a file elsewhere (/etc/passwd, another school's folder) would put that
    file into a letter to a parent, so it is refused rather than read.
    """
    real = path.resolve()
    if not any(real.is_relative_to(folder.resolve()) for folder in (records.root, shipped_templates())):
        raise InvalidFileError(
            f"a link to {real}, outside the records folder; ap reads templates only from inside it. "
            "Copy the template into the records folder's templates/ in place of the link.",
            records.shown(path),
        )
    return path


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


def environment(records: Records) -> SandboxedEnvironment:
    from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    class ContainedLoader(FileSystemLoader):
        """Templates from the school's templates/ and the shipped ones, never through a link to elsewhere."""

        def get_source(self, environment: Any, template: str) -> Any:
            source = super().get_source(environment, template)
            _contained(records, Path(source[1]))
            return source

    return SandboxedEnvironment(
        loader=ContainedLoader([str(records.root / "templates"), str(shipped_templates())]),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template_error(error: Exception, records: Records, kind: str, fmt: Format) -> InvalidFileError:
    from jinja2 import TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    where = records.shown(template_path(records, kind, fmt))
    if isinstance(error, TemplateSyntaxError):
        file = records.shown(Path(error.filename)) if error.filename else where
        return InvalidFileError(f"template error: {error.message}", file, error.lineno)
    if isinstance(error, SecurityError):
        return InvalidFileError(f"the template tried to reach something the sandbox does not allow ({error})", where)
    if isinstance(error, UndefinedError):
        return InvalidFileError(f"the template uses a value the letter does not have ({error.message})", where)
    return InvalidFileError(f"the template could not be rendered ({error or type(error).__name__})", where)


def render(records: Records, plan: LetterPlan, fmt: Format, env: SandboxedEnvironment | None = None) -> Rendered:
    env = env or environment(records)
    try:
        if fmt == "docx":
            data = _render_docx(template_path(records, plan.kind, fmt), plan.context, env)
        else:
            data = env.get_template(template_name(plan.kind, fmt)).render(plan.context).encode("utf-8")
    except ApError:
        raise
    except Exception as error:  # a school's template runs code: whatever it raises is that template's fault
        raise _template_error(error, records, plan.kind, fmt) from None
    return Rendered(plan, fmt, data)


def _render_docx(path: Path, context: dict[str, Any], env: SandboxedEnvironment) -> bytes:
    from docxtpl import DocxTemplate

    if not path.is_file():
        raise UsageError(f"There is no Word template {path}.")
    document = DocxTemplate(str(path))
    document.render(context, jinja_env=env, autoescape=True)
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


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
