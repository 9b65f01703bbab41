"""Reading and writing YAML the way a records folder needs.

Reading uses libyaml (fast) with a loader that refuses aliases, tags other than
the plain ones, duplicate keys and nesting deeper than a records file needs, and
resolves scalars by YAML 1.2 core rules (so `no`, `on` and `12:30` stay text),
the same rules ruamel.yaml writes by.

Writing goes through ruamel.yaml's round trip so that a person's comments, key
order and quoting survive; `update_text` merges new data into the old text and
refuses (rather than silently dropping) a change that would lose a comment.
"""

from __future__ import annotations

import collections
import datetime as dt
import gc
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import yaml

from apcli.errors import InvalidFileError, InvalidFilesError, Problem

MAX_BYTES = 5_000_000
MAX_DEPTH = 64  # levels of lists and groups; a case file needs fewer than 10

_PLAIN_TAGS = {
    "tag:yaml.org,2002:" + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
}


class _Yaml12Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema, plus dates: what ruamel.yaml writes and reads back."""


_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Yaml12Resolver.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?)$"),
    list("-+0123456789."),
)
_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Yaml12Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:timestamp",
    re.compile(
        r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
        (?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?)$""",
        re.X,
    ),
    list("0123456789"),
)


_ALIAS = "uses a YAML alias (*name), which ap does not accept: write the value out in full"


class _RefusedYaml(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class SafeRecordLoader(yaml.CSafeLoader):
    """libyaml's safe loader, refusing aliases, unusual tags and repeated keys."""

    yaml_implicit_resolvers = _Yaml12Resolver.yaml_implicit_resolvers

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _RefusedYaml(_ALIAS, node.start_mark)
        if node.tag not in _PLAIN_TAGS:
            raise _RefusedYaml(
                f"uses the tag {_short_key(node.tag)}, which ap does not accept: remove it", node.start_mark
            )
        return super().construct_object(node, deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        _refuse_repeated_keys(node)
        return super().construct_mapping(node, deep)


def _refuse_repeated_keys(node: yaml.MappingNode) -> None:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            key: Any = id(key_node)
        elif key_node.tag == "tag:yaml.org,2002:null":
            key = None
        else:
            key = (key_node.tag, key_node.value)
        if key in seen:
            name = _short_key(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "a key"
            raise _RefusedYaml(
                f"the key {name} appears twice (first on line {seen[key] + 1}); keep one", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line


MAX_DIGITS = 30  # a whole number in a records file (a cost, a year group) has a handful


def _short_key(key: Any) -> str:
    """A key as a message names it: keys are structure and may be shown, but never at length."""
    text = str(key)
    return repr(text) if len(text) <= 60 else repr(text[:57]) + "..."


def _decimal_int(loader: SafeRecordLoader, node: yaml.ScalarNode) -> int:
    """YAML 1.2: `0123` is 123, not octal. A number thousands of digits long is refused with its line (Python
    itself refuses over 4,300 digits, and a long one is slow to read)."""
    text = str(loader.construct_scalar(node))
    digits = len(text.lstrip("+-"))
    if digits > MAX_DIGITS:
        raise _RefusedYaml(
            f"a whole number {digits:,} digits long, far longer than any records file needs (at most "
            f"{MAX_DIGITS} digits): if it is meant as text, put it in quotes",
            node.start_mark,
        )
    return int(text, 10)


def _real_date(loader: SafeRecordLoader, node: yaml.ScalarNode) -> Any:
    """A date that does not exist (30 February) is an error with its line, not a crash; the message says why,
    not what the file holds. Text tagged as a date (`!!timestamp 'soon'`) that is no date at all is refused too
    (PyYAML would fail on it with no message)."""
    if not isinstance(node.value, str) or not loader.timestamp_regexp.match(node.value):
        raise _RefusedYaml(
            "is marked as a date (!!timestamp) but is not one: write the date as YYYY-MM-DD", node.start_mark
        )
    try:
        return loader.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as error:
        raise _RefusedYaml(
            f"a date that does not exist ({error}): check the day, month and year", node.start_mark
        ) from None


SafeRecordLoader.add_constructor("tag:yaml.org,2002:int", _decimal_int)
SafeRecordLoader.add_constructor("tag:yaml.org,2002:timestamp", _real_date)

# The tag of each plain scalar seen, by its text: resolving is a pure function of the text (there are no
# path resolvers), and libyaml asks for each scalar, through Python, most of them texts met before.
_RESOLVED: dict[str, str] = {}
_RESOLVED_LIMIT = 100_000


def _resolve(self: SafeRecordLoader, kind: Any, value: str, implicit: tuple[bool, bool]) -> str:
    if kind is yaml.ScalarNode and implicit[0]:
        tag = _RESOLVED.get(value)
        if tag is None:
            tag = yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-untyped-call]
            if len(_RESOLVED) >= _RESOLVED_LIMIT:
                _RESOLVED.clear()
            _RESOLVED[value] = tag
        return tag
    return yaml.resolver.BaseResolver.resolve(self, kind, value, implicit)  # type: ignore[no-any-return,no-untyped-call]


SafeRecordLoader.resolve = _resolve  # type: ignore[method-assign,assignment]

_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _TIMESTAMP = (_TAG + name for name in ("str", "null", "bool", "int", "timestamp"))
_SEQ, _MAP = _TAG + "seq", _TAG + "map"
_DATE_ONLY = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MISTAGGED = object()


def construct(loader: SafeRecordLoader, root: yaml.Node) -> Any:
    """The document's Python value, exactly as `loader.construct_document(root)` makes it (and refusing what it
    refuses, in the same order), but in one pass without PyYAML's generic machinery, which was most of the
    cost of reading a case file. `root` has been walked by `_check_nodes` (so no node is met twice).

    As PyYAML does, a list's or group's items are filled in after those of the level above it: so the first
    problem found in a file with several is the one PyYAML would have found."""
    pending: list[tuple[yaml.Node, Any]] = []
    value = _construct_one(loader, root, pending)
    while pending:
        level, pending = pending, []
        for node, made in level:
            if made is _MISTAGGED:
                loader.construct_object(node, deep=True)
            elif isinstance(made, list):
                made.extend(_construct_one(loader, child, pending) for child in node.value)
            else:
                _fill_mapping(loader, node, made, pending)  # type: ignore[arg-type]  # a group's node
    return value


def _construct_one(loader: SafeRecordLoader, node: yaml.Node, pending: list[tuple[yaml.Node, Any]]) -> Any:
    tag = node.tag
    if tag not in _PLAIN_TAGS:
        raise _RefusedYaml(f"uses the tag {_short_key(tag)}, which ap does not accept: remove it", node.start_mark)
    if tag == _STR:
        return node.value
    if tag in (_SEQ, _MAP):
        made: Any = [] if tag == _SEQ else {}
        if not isinstance(node, yaml.SequenceNode if tag == _SEQ else yaml.MappingNode):
            made = _MISTAGGED  # a scalar tagged as a list or group: PyYAML's own error, at its level
        pending.append((node, made))
        return made
    if tag == _NULL:
        return None
    if tag == _BOOL:
        return loader.bool_values[node.value.lower()]
    if tag == _INT:
        return _decimal_int(loader, node)  # type: ignore[arg-type]  # an int is a scalar (else PyYAML's error)
    if tag == _TIMESTAMP and _DATE_ONLY.fullmatch(node.value):
        text = node.value
        try:
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except (ValueError, OverflowError) as error:
            raise _RefusedYaml(
                f"a date that does not exist ({error}): check the day, month and year", node.start_mark
            ) from None
    return loader.construct_object(node)  # a float, a date with a time: rare, and PyYAML's to make


def _fill_mapping(loader: SafeRecordLoader, node: yaml.MappingNode, made: dict[Any, Any], pending: list[Any]) -> None:
    _refuse_repeated_keys(node)
    for key_node, value_node in node.value:
        key = _construct_one(loader, key_node, pending)
        if not isinstance(key_node, yaml.ScalarNode):  # a list or group as a key: as PyYAML says it
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
            )
        made[key] = _construct_one(loader, value_node, pending)


def kind_of(value: Any) -> str:
    """What kind of value this is, in words, and nothing of the value itself: `text of 40 characters`,
    `a list of 2 items` (for a message about a wrong value, which may be a safeguarding note)."""
    if value is None:
        return "empty (nothing after the colon)"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float | Decimal):
        return "a number"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, str):
        return "empty text" if not value else f"text of {_count(len(value), 'character')}"
    if isinstance(value, list | tuple):
        return f"a list of {_count(len(value), 'item')}"
    if isinstance(value, dict):
        return f"a group of {_count(len(value), 'field')}"
    return "a value of another kind"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


_UTF16_32_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def decode(data: bytes, file: str) -> str:
    """Bytes of a records file as text; refuse what is not UTF-8 text."""
    if len(data) > MAX_BYTES:
        raise InvalidFileError(
            f"the file is {len(data):,} bytes, more than ap reads ({MAX_BYTES:,}); is it the right file?", file
        )
    if data.startswith(_UTF16_32_BOMS):
        raise InvalidFileError(
            "saved as UTF-16 (or UTF-32) text, which ap does not read: save the file from your editor as UTF-8", file
        )
    if b"\x00" in data:
        raise InvalidFileError("a binary file, not YAML text", file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidFileError(
            f"not UTF-8 text (byte {error.start}); save the file from your editor as UTF-8", file, line
        ) from None
    return text.removeprefix("\ufeff")


# The control characters YAML does not allow in a file (C0 but tab, LF and CR; DEL; C1 but NEL): looked for
# when libyaml refuses a character, to name the line. YAML reads a CR or a NEL as a line break, so neither
# reaches a value.
LITERAL_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def load(text: str, file: str, *, plain: bool = False) -> Any:
    """Parse one YAML document safely; errors name the file and line. A control character written as it is
    is refused (YAML allows none); one made by an escape in a double-quoted text (`"\\e"`) is read as any other.

    `plain`, for a records file's data: no text it returns holds a control character but tab and new line
    (a line break of any kind in it is a new line), and one from an escape is refused, naming its field and
    line as the models' check did. The models take a records file's data checked here, once, not field by
    field (model/schema.py Strict; store.validate)."""
    return _load(text, file, plain, construct)


def _load(text: str, file: str, plain: bool, build: Callable[[SafeRecordLoader, yaml.Node], Any]) -> Any:
    """`load`, the document's value made by `build` (tests/test_yaml_construct.py gives PyYAML's own)."""
    loader = SafeRecordLoader(text)
    collecting = gc.isenabled()
    gc.disable()  # building a large file's objects set off collections over all of them, again and again
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        escaped = _check_nodes(node, plain and "\\" in text)  # no backslash, no escape
        if escaped:
            raise _control_problems(node, escaped, text, file)
        value = build(loader, node)
        _tree(text, node)  # kept: a finding about this file names its line from it (`locate`)
        return value
    except _RefusedYaml as error:
        raise InvalidFileError(error.message, file, error.mark.line + 1) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or str(error)
        raise InvalidFileError(f"not valid YAML: {problem}", file, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        literal = LITERAL_CONTROL.search(text) if isinstance(error, yaml.reader.ReaderError) else None
        if literal is not None:  # said as the models said it, with its line (libyaml gives an offset)
            from apcli.model.schema import CONTROL_MESSAGE

            raise InvalidFileError(CONTROL_MESSAGE, file, text.count("\n", 0, literal.start()) + 1) from None
        raise InvalidFileError(f"not valid YAML: {error}", file) from None
    except RecursionError:
        raise InvalidFileError("nested too deeply to be a records file", file) from None
    except (ValueError, OverflowError):  # a scalar no constructor above foresaw: said without the value
        raise InvalidFileError(
            "holds a value ap cannot read as a number, date or text: is it the right file?", file
        ) from None
    finally:
        loader.dispose()
        if collecting:
            gc.enable()


def _check_nodes(root: yaml.Node, escapes: bool) -> set[int]:
    """Refuse aliases, and lists and groups nested deeper than any records file needs, before building them
    (a node met twice is an alias: walking it again would make a "billion laughs" file a hang).

    With `escapes` (the text holds a backslash), a double-quoted scalar's escapes may have made a control
    character (`"\\e"`, `"\\x1b"`, `"\\u0007"`): in a value its line breaks become new lines (as `"\\r\\n"`
    always read) and the ids of those still holding one are returned, with those of keys holding any."""
    if escapes:
        from apcli.model.schema import CONTROL_CHARACTERS, plain_text
    seen: set[int] = set()
    escaped: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, key = stack.pop()
        if id(node) in seen:
            raise _RefusedYaml(_ALIAS, node.start_mark)
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _RefusedYaml(
                f"is nested more than {MAX_DEPTH} levels deep, far more than a records file needs: "
                "is it the right file?",
                node.start_mark,
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1, False) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            for pair in node.value:
                stack.append((pair[0], depth + 1, True))
                stack.append((pair[1], depth + 1, False))
        elif escapes and isinstance(node, yaml.ScalarNode) and node.style == '"':
            if key:
                if CONTROL_CHARACTERS.search(node.value):
                    escaped.add(id(node))
            else:
                plain = plain_text(node.value)
                if plain is None:
                    escaped.add(id(node))
                else:
                    node.value = plain
    return escaped


def _control_problems(root: yaml.Node, escaped: set[int], text: str, file: str) -> InvalidFilesError:
    """Each scalar in `escaped` as today's message put it: its field as the models name it (a text in a list
    at the list's field), on that field's line; a key on its own line."""
    from apcli.model.schema import CONTROL_MESSAGE, KEY_CONTROL_MESSAGE

    found: list[tuple[int, str]] = []
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in escaped:
            found.append((locate(text, path) or 1, _at(path, CONTROL_MESSAGE)))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(
                (child, path if isinstance(child, yaml.ScalarNode) else (*path, index))
                for index, child in enumerate(node.value)
            )
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if id(key_node) in escaped:
                    found.append((key_node.start_mark.line + 1, _at(path, KEY_CONTROL_MESSAGE)))
                    continue
                step = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                stack.append((value_node, (*path, step)))
    return InvalidFilesError([Problem(file, line, message) for line, message in sorted(found)])


def _at(path: Sequence[str | int], message: str) -> str:
    """`message` after the field at `path`, as `placements[0].notices.summary: ...` (store.validate's words)."""
    where = ""
    for part in path:
        where += f"[{part}]" if isinstance(part, int) else ("." if where else "") + str(part)
    return f"{where}: {message}" if where else message


class _Tree:
    """A document's node tree, each mapping's keys indexed on first use (so many lookups stay cheap)."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root
        self._keys: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = {}

    def entry(self, node: yaml.MappingNode, step: str | int) -> tuple[yaml.Node, yaml.Node] | None:
        keys = self._keys.get(id(node))
        if keys is None:
            keys = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    keys.setdefault(str(key_node.value), (key_node, value_node))
            self._keys[id(node)] = keys
        return keys.get(str(step))


# The composed documents of the last few texts loaded or located, newest last (`_tree`).
_TREES: collections.OrderedDict[str, _Tree] = collections.OrderedDict()
TREES_KEPT = 4


def _tree(text: str, root: yaml.Node | None = None) -> _Tree:
    """The composed document, kept for the few texts in use (given as `root` by `load`, which composed it):
    a file with thousands of problems is composed once, not once per problem, and a case's findings name
    their lines without composing the file a second time."""
    tree = _TREES.pop(text, None)
    if tree is None and root is not None:
        tree = _Tree(root)
    if tree is None:
        try:
            tree = _Tree(yaml.compose(text, Loader=SafeRecordLoader))
        except (yaml.YAMLError, RecursionError):
            tree = _Tree(None)
    _TREES[text] = tree
    while len(_TREES) > TREES_KEPT:
        _TREES.popitem(last=False)
    return tree


def locate(text: str, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the value at `path` (keys and list indexes), or of its nearest parent found."""
    tree = _tree(text)
    node = tree.root
    if node is None:
        return None
    line: int = node.start_mark.line + 1
    for step in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            found = tree.entry(node, step)
            if found is not None:
                key_node, value_node = found
                child = value_node if not isinstance(value_node, yaml.ScalarNode) or value_node.value else key_node
                line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            child = node.value[step]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


# --- writing -----------------------------------------------------------------------


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    handler = YAML(typ="rt")
    handler.indent(mapping=2, sequence=4, offset=2)
    handler.preserve_quotes = True
    handler.width = 4096
    handler.allow_duplicate_keys = False
    handler.representer.ignore_aliases = lambda data: True  # a shared value must be written out, never as *alias
    return handler


def plain(value: Any) -> Any:
    """Data as ruamel.yaml should write it: money as numbers, long text as a block."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, SingleQuotedScalarString

    if isinstance(value, dict):
        return {_plain_key(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, Decimal | float) and not isinstance(value, bool):
        return int(value) if value == int(value) else float(value)
    if isinstance(value, str) and _fits_a_block(value):
        return LiteralScalarString(value)
    if isinstance(value, str) and not value.isprintable():
        return DoubleQuotedScalarString(value)  # control and line-break characters written as escapes
    if isinstance(value, str) and _yaml11_reads_otherwise(value):
        return SingleQuotedScalarString(value)  # so that 12:30 or 'no' stay text for YAML 1.1 readers too
    return value


def _plain_key(key: Any) -> Any:
    """A key quoted where it must be (a key cannot be a `|` block): as a value would be otherwise."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(key, str) and not key.isprintable():
        return DoubleQuotedScalarString(key)
    if isinstance(key, str) and _yaml11_reads_otherwise(key):
        return SingleQuotedScalarString(key)
    return key


_YAML11 = yaml.resolver.Resolver()


def _yaml11_reads_otherwise(text: str) -> bool:
    """Would a YAML 1.1 reader (PyYAML's default, older editors) take this plain text for a number, time or bool?"""
    tag: str = _YAML11.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag != "tag:yaml.org,2002:str"


def _fits_a_block(text: str) -> bool:
    """Several lines of ordinary text, which read best as a `|` block."""
    lines = text.split("\n")
    return (
        len(lines) > 1
        and text.strip() != ""
        and not text[0].isspace()
        and not text.endswith("\n\n")
        and all(line == line.rstrip() and line.isprintable() for line in lines)
    )


def dump_new(data: dict[str, Any], header: str = "") -> str:
    """Text for a new file: the header comment lines, then the data in house style."""
    stream = io.StringIO()
    _round_trip().dump(plain(data), stream)
    return header + stream.getvalue()


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) != isinstance(new, bool):
        return False
    if isinstance(old, dt.datetime) != isinstance(new, dt.datetime):
        return False
    try:
        return bool(old == new) and type(old) is not dict and type(old) is not list
    except TypeError:
        return False


def _one_placement_to_a_list(document: Any) -> None:
    """A case file of the shape before placements were a list, restructured in place (`placement:` becomes the
    first item of `placements:`, holding `notices:` and `ending:`), so that its comments move with their values
    rather than being lost (models.upgrade_case_data reads such a file the same way)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    placement = document["placement"]
    if not isinstance(placement, CommentedMap):
        return
    position = list(document).index("placement")
    placement.insert(0, "id", "P1")
    for key in ("notices", "ending"):
        if key in document:
            placement[key] = document.pop(key)
    del document["placement"]
    document.insert(position, "placements", CommentedSeq([placement]))


def _merge_mapping(target: Any, full: dict[Any, Any], minimal: dict[Any, Any] | None) -> None:
    """Make `target` hold `full`, keeping what is already there where it is.

    A key missing from `target` is added only if `minimal` (the data without
    default values) has it, so a default a person wrote out by hand stays and
    a default nobody wrote is not added.
    """
    for key in [key for key in target if key not in full]:
        del target[key]
    order = list(full)
    for index, (key, value) in enumerate(full.items()):
        inner = None if minimal is None else minimal.get(key)
        if key in target:
            target[key] = _merged(target[key], value, inner)
            continue
        if minimal is not None and key not in minimal:
            continue
        position = 0
        for earlier in reversed(order[:index]):
            if earlier in target:
                position = list(target).index(earlier) + 1
                break
        target.insert(position, key, value if minimal is None else minimal[key])


def _merge_sequence(target: Any, full: list[Any], minimal: list[Any] | None) -> None:
    for index, value in enumerate(full):
        inner = minimal[index] if minimal is not None and index < len(minimal) else None
        if index < len(target):
            target[index] = _merged(target[index], value, inner)
        else:
            target.append(inner if inner is not None else value)
    del target[len(full) :]


def _merged(old: Any, full: Any, minimal: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(old, CommentedMap) and isinstance(full, dict):
        _merge_mapping(old, full, minimal if isinstance(minimal, dict) else {})
        return old
    if isinstance(old, CommentedSeq) and isinstance(full, list):
        _merge_sequence(old, full, minimal if isinstance(minimal, list) else None)
        return old
    if _same(old, full):
        return old
    return minimal if minimal is not None else full


def _comments(document: Any) -> Counter[str]:
    """Every comment line in a round-trip document, stripped."""
    found: Counter[str] = Counter()

    def add(token: Any) -> None:
        if token is None:
            return
        if isinstance(token, Iterable) and not isinstance(token, str):
            for item in token:
                add(item)
            return
        value = getattr(token, "value", None)
        if isinstance(value, str):
            for line in value.splitlines():
                if line.strip().startswith("#"):
                    found[line.strip()] += 1

    def walk(node: Any) -> None:
        attribute = getattr(node, "ca", None)
        if attribute is not None:
            add(attribute.comment)
            add(list(attribute.items.values()))
            add(attribute.end)
        if isinstance(node, dict):
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return found


def update_text(old_text: str, data: dict[str, Any], file: str, full: dict[str, Any] | None = None) -> str:
    """`old_text` changed to hold `data`, keeping comments, key order and quoting.

    `full` is the same data with its default values: a default already written
    in the file is kept rather than removed.

    Raises InvalidFileError when a comment a person wrote would be lost.
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    handler = _round_trip()
    try:
        document = handler.load(old_text)
    except MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else None
        raise InvalidFileError(
            f"ap reads this file but cannot rewrite it safely: {error.problem} (a tab, perhaps?). Fix the line, "
            "then run the command again.",
            file,
            line,
        ) from None
    except YAMLError as error:
        raise InvalidFileError(f"ap cannot rewrite this file safely: {error}", file) from None
    before = _comments(document)
    if document is None:
        return dump_new(data)
    if isinstance(document, dict) and "placement" in document and "placements" in data:
        _one_placement_to_a_list(document)
    _merge_mapping(document, plain(full if full is not None else data), plain(data) if full is not None else None)
    stream = io.StringIO()
    handler.dump(document, stream)
    text = stream.getvalue()
    lost = before - _comments(handler.load(text))
    if lost:
        listed = "; ".join(sorted(lost))
        raise InvalidFileError(
            f"this change would remove a comment written in the file ({listed}), "
            "because the value it belongs to is removed. Move the comment to another line, or make the "
            "change with `ap edit`, then run the command again.",
            file,
        )
    return text
