"""The one gate for every path ap reads or writes in a records folder (and in its own cache folder).

A records folder may be a clone of someone else's, or sit on a shared drive, so
nothing in it is trusted because of where it is, ap's own `.locks/` and
`.staging/` included. Through a `Guard`:

- a path is taken relative to the folder and refused if it leaves it (`..`, an
  absolute path elsewhere), if it is outside the part of the folder it belongs
  to (`cases/`, `letters/`), or if any part of it is a link;
- a file is read only if it is a regular file (never a device, pipe or socket,
  which could hang or never end), opened without following a link, and only up
  to a size limit checked before and while reading;
- a file is written atomically (a new temporary file beside it, fsync, rename,
  fsync of the folder), with mode 600; a folder ap makes has mode 700;
- a file or folder is removed only once checked the same way, so a link planted
  in ap's own folders can never make ap delete or write anything elsewhere.

Checking each part with lstat and opening the last with O_NOFOLLOW closes the
planted-link attacks; it does not try to defeat someone racing ap on the same
machine while it runs, who could change the files directly anyway.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from apcli.errors import InvalidFileError

FILE_MODE = 0o600
FOLDER_MODE = 0o700
MAX_BYTES = 5_000_000  # a case file is about 10 KB; far more is not a records file
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class UnsafePath(InvalidFileError):
    """A path ap will not read or write: a link, a special file, or a place outside where it belongs."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a file"


class Guard:
    """The paths of one folder (a records folder, or ap's cache for one), each checked before use."""

    def __init__(self, root: Path, name: str = "the records folder") -> None:
        self.given = root
        self.root = Path(os.path.realpath(root))  # the folder itself may be reached through a link the user chose
        self._root_prefix = str(self.root).rstrip("/") + "/"
        self.name = name

    # --- checking ---

    def relative(self, path: Path | str) -> Path:
        """`path` (absolute, or relative to the folder) as a path inside the folder, without following links."""
        path = Path(path)
        if not path.is_absolute() and not self.given.is_absolute():
            with contextlib.suppress(ValueError):  # built on a relative root, as `records/cases/X.yaml`
                path = path.relative_to(self.given)
        if path.is_absolute():
            for base in (self.given.absolute(), self.root):
                with contextlib.suppress(ValueError):
                    path = path.relative_to(base)
                    break
            else:
                raise UnsafePath(f"outside {self.name} ({self.given}); ap reads and writes only inside it", str(path))
        if not path.parts or ".." in path.parts or path.is_absolute():
            raise UnsafePath(
                f"not a path inside {self.name}; ap reads and writes only inside it (no '..', no absolute paths)",
                str(path),
            )
        return path

    def check(self, path: Path | str, area: str | tuple[str, ...] | None = None) -> Path:
        """The absolute path of `path`, once no part of it is a link or a non-folder, and it is in `area`
        (the first part of the path: "cases", or one of several) if one is given. The last part need not exist."""
        fast = self._check_inside(os.fspath(path), area)
        return fast if fast is not None else self._check_long(path, area)

    def _check_long(self, path: Path | str, area: str | tuple[str, ...] | None = None) -> Path:
        relative = self.relative(path)
        areas = (area,) if isinstance(area, str) else area
        if areas is not None and relative.parts[0] not in areas:
            raise UnsafePath(
                f"not inside {' or '.join(f'{a}/' for a in areas)} of {self.name}, where ap keeps such files",
                str(relative),
            )
        current = self.root
        for index, part in enumerate(relative.parts):
            current = current / part
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                break
            except OSError as error:
                raise UnsafePath(f"cannot be checked ({error.strerror or error})", self._shown(current)) from None
            last = index == len(relative.parts) - 1
            if stat.S_ISLNK(mode):
                raise UnsafePath(self._link_message(current), self._shown(current))
            if not last and not stat.S_ISDIR(mode):
                raise UnsafePath(f"{_kind(mode)} where a folder should be", self._shown(current))
        return self.root / relative

    def _check_inside(self, text: str, area: str | tuple[str, ...] | None) -> Path | None:
        """check() for the usual path, an absolute one under the folder's real root, with plain string work
        (pathlib's costs four times the two lstat calls); None for any other path and for anything it would
        refuse, which check() then takes the long way: every refusal, and its message, is the long way's."""
        prefix = self._root_prefix
        if not text.startswith(prefix) or os.sep != "/":
            return None
        parts = [part for part in text[len(prefix) :].split("/") if part and part != "."]
        if not parts or ".." in parts:
            return None
        if area is not None and parts[0] not in ((area,) if isinstance(area, str) else area):
            return None
        current = prefix[:-1]
        last = len(parts) - 1
        for index, part in enumerate(parts):
            current = f"{current}/{part}"
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                break  # nothing further exists to be a link
            except OSError:
                return None  # check() says why it cannot be checked
            if stat.S_ISLNK(mode) or (index < last and not stat.S_ISDIR(mode)):
                return None  # check() says what is wrong
        return Path(prefix + "/".join(parts))

    def _link_message(self, path: Path) -> str:
        try:
            target = os.readlink(path)
        except OSError:
            target = "somewhere"
        return (
            f"a link (to {target}); ap never reads or writes through a link in {self.name}, "
            "because a link can point anywhere. Replace it with the real file or folder, or remove it."
        )

    def _shown(self, path: Path) -> str:
        with contextlib.suppress(ValueError):
            return str(self.given / path.relative_to(self.root))
        return str(path)

    def exists(self, path: Path | str, area: str | tuple[str, ...] | None = None) -> bool:
        """Whether the checked path names a regular file (a link or special file is refused, not 'missing')."""
        real = self.check(path, area)
        try:
            mode = os.lstat(real).st_mode
        except FileNotFoundError:
            return False
        if not stat.S_ISREG(mode):
            raise UnsafePath(f"{_kind(mode)}, not a file; ap reads only files", self._shown(real))
        return True

    def is_folder(self, path: Path | str, area: str | tuple[str, ...] | None = None) -> bool:
        real = self.check(path, area)
        try:
            mode = os.lstat(real).st_mode
        except FileNotFoundError:
            return False
        if not stat.S_ISDIR(mode):
            raise UnsafePath(f"{_kind(mode)} where a folder should be", self._shown(real))
        return True

    # --- reading ---

    def read_bytes(
        self,
        path: Path | str,
        area: str | tuple[str, ...] | None = None,
        *,
        limit: int = MAX_BYTES,
        shown: str | None = None,
        missing_ok: bool = False,
    ) -> bytes | None:
        """The file's bytes, read only if it is a regular file of at most `limit` bytes; None if it does not
        exist and `missing_ok`. A link, a folder, a pipe or a device is refused before anything is read."""
        real = self.check(path, area)

        def where() -> str:  # named only when refused (making the name costs more than reading a case file)
            return shown or self._shown(real)

        try:
            descriptor = os.open(real, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY | os.O_CLOEXEC)
        except FileNotFoundError:
            if missing_ok:
                return None
            raise InvalidFileError("no such file", where()) from None
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise UnsafePath(self._link_message(real), where()) from None
            if error.errno == errno.EISDIR:
                raise UnsafePath("a folder, not a file", where()) from None
            raise InvalidFileError(f"the file cannot be read ({error.strerror or error})", where()) from None
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode):
                raise UnsafePath(f"{_kind(status.st_mode)}, not a file; ap reads only files", where())
            if status.st_size > limit:
                raise InvalidFileError(too_large(status.st_size, limit), where())
            data = _read_up_to(descriptor, status.st_size, limit)
        finally:
            os.close(descriptor)
        if len(data) > limit:
            raise InvalidFileError(too_large(len(data), limit), where())
        return data

    def read(
        self,
        path: Path | str,
        area: str | tuple[str, ...] | None = None,
        *,
        limit: int = MAX_BYTES,
        shown: str | None = None,
    ) -> bytes:
        """As `read_bytes`, for a file that must be there."""
        data = self.read_bytes(path, area, limit=limit, shown=shown)
        assert data is not None  # missing_ok is False: a missing file raised
        return data

    def files(self, folder: Path | str, suffix: str = "") -> list[Path]:
        """What is directly in `folder` with a name ending in `suffix`, sorted, folders left out. Links and
        special files are listed, not hidden: reading one is refused with its reason, so `ap check` names it."""
        real = self.check(folder)
        return [real / name for name in self._names(real, suffix)]

    def names(self, folder: Path | str, suffix: str = "") -> list[str]:
        """`files`' names (making a path of each costs more than listing them)."""
        return self._names(self.check(folder), suffix)

    def _names(self, real: Path, suffix: str) -> list[str]:
        try:
            entries = list(os.scandir(real))
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise UnsafePath("a file where a folder should be", self._shown(real)) from None
        except OSError as error:
            raise UnsafePath(f"cannot be listed ({error.strerror or error})", self._shown(real)) from None
        return sorted(
            entry.name for entry in entries if entry.name.endswith(suffix) and not entry.is_dir(follow_symlinks=False)
        )

    def entries(self, folder: Path | str) -> list[os.DirEntry[str]]:
        """Everything directly in `folder` (checked), links included, for a caller that judges each one."""
        real = self.check(folder)
        try:
            return sorted(os.scandir(real), key=lambda entry: entry.name)
        except FileNotFoundError:
            return []
        except OSError as error:
            raise UnsafePath(f"cannot be listed ({error.strerror or error})", self._shown(real)) from None

    # --- writing ---

    def make_folder(self, path: Path | str, area: str | tuple[str, ...] | None = None) -> Path:
        """Make `path` and any missing folders above it (mode 700), refusing a link or file on the way."""
        real = self.check(path, area)
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.lstat(real).st_mode):
                return real  # there already, and check() found no link or file on the way
        current = self.root
        for part in self.relative(real).parts:
            current = current / part
            try:
                os.mkdir(current, FOLDER_MODE)
            except FileExistsError:
                mode = os.lstat(current).st_mode
                if stat.S_ISLNK(mode):
                    raise UnsafePath(self._link_message(current), self._shown(current)) from None
                if not stat.S_ISDIR(mode):
                    raise UnsafePath(f"{_kind(mode)} where a folder should be", self._shown(current)) from None
        return real

    def private_folder(self, path: Path | str) -> Path:
        """One of ap's own folders (`.locks`, `.staging`): made if missing, and kept at mode 700 (an older ap,
        or a clone, may have left it open to others)."""
        real = self.make_folder(path)
        with contextlib.suppress(OSError):
            if stat.S_IMODE(os.lstat(real).st_mode) != FOLDER_MODE:
                os.chmod(real, FOLDER_MODE)
        return real

    def write(
        self,
        path: Path | str,
        content: str | bytes | Iterable[str],
        area: str | tuple[str, ...] | None = None,
        durable: bool = True,
    ) -> Path:
        """Replace `path` by `content` atomically (whole old file or whole new file), mode 600. `durable=False`
        skips the fsyncs, for a note that need not outlive a crash (who holds a lock): still whole, maybe old.
        `content` may be pieces of text, written as they come (a report of 20,000 pupils is never held whole)."""
        real = self.check(path, area)
        if real.parent != self.root:
            self.make_folder(real.parent)
        with contextlib.suppress(FileNotFoundError):
            mode = os.lstat(real).st_mode
            if not stat.S_ISREG(mode):
                raise UnsafePath(f"{_kind(mode)}, not a file; ap writes only files", self._shown(real))
        pieces = [content] if isinstance(content, str | bytes) else content
        handle, temporary = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=real.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                for piece in pieces:
                    stream.write(piece.encode("utf-8") if isinstance(piece, str) else piece)
                stream.flush()
                if durable:
                    os.fsync(stream.fileno())
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, real)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        if durable:
            fsync_folder(real.parent)
        return real

    def write_note(self, path: Path | str, text: str) -> Path:
        """A short note of ap's own (who holds a lock), not fsynced: made in one write where there is none, so
        never through a link nor over another file (O_EXCL); one already there (its command was killed) is
        replaced as `write` replaces a file. A reader between its making and its write finds it empty."""
        real = self.check(path)
        try:
            descriptor = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, FILE_MODE)
        except OSError:  # there already, or its folder is not: the careful way
            return self.write(real, text, durable=False)
        try:
            _write_whole(descriptor, text.encode("utf-8"))
        finally:
            os.close(descriptor)
        return real

    def write_new(self, path: Path | str, content: bytes, sync: bool = True) -> Path:
        """Create `path` (which must not exist yet) holding `content`, mode 600: for staged files. Fsynced, unless
        `sync=False` leaves that to the caller (`fsync_files`), who writes many and fsyncs them after."""
        real = self.check(path)
        descriptor = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, FILE_MODE)
        try:
            _write_whole(descriptor, content)
            if sync:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        return real

    def move(
        self, source: Path | str, target: Path | str, area: str | tuple[str, ...] | None = None, sync: bool = True
    ) -> Path:
        """Rename one checked regular file over another path inside the folder (the link itself is never
        followed; a link or special file at either end is refused). Returns the target's folder; `sync=False`
        leaves fsyncing it to the caller, who renames many files into one folder and fsyncs it once after."""
        real_source, real_target = self.check(source), self.check(target, area)
        for real in (real_source, real_target):
            with contextlib.suppress(FileNotFoundError):
                mode = os.lstat(real).st_mode
                if not stat.S_ISREG(mode):
                    raise UnsafePath(f"{_kind(mode)}, not a file; ap moves only files", self._shown(real))
        os.chmod(real_source, FILE_MODE)
        os.replace(real_source, real_target)
        if sync:
            fsync_folder(real_target.parent)
        return real_target.parent

    def remove(self, path: Path | str, area: str | tuple[str, ...] | None = None) -> None:
        """Remove a file if it is there. A link is removed as a link (what it points to is untouched)."""
        real = self._beside(path, area)
        try:
            mode = os.lstat(real).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISDIR(mode):
            raise UnsafePath("a folder, where ap expected a file of its own", self._shown(real))
        os.unlink(real)

    def remove_tree(self, path: Path | str) -> None:
        """Remove a folder of ap's own and what is in it; a link in its place is removed as a link, never followed."""
        real = self._beside(path)
        try:
            mode = os.lstat(real).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISDIR(mode):
            os.unlink(real)
            return
        shutil.rmtree(real)  # the fd-based rmtree never follows a link inside the tree

    def _beside(self, path: Path | str, area: str | tuple[str, ...] | None = None) -> Path:
        """`path` with every part but the last checked: what is removed is the last part itself, link or not."""
        relative = self.relative(path)
        parent = self.check(relative.parent, area) if len(relative.parts) > 1 else self.root
        return parent / relative.name

    @contextlib.contextmanager
    def lock_file(self, path: Path | str, timeout: float) -> Iterator[None]:
        """Hold an operating-system lock on `path` (a file of ap's own, mode 600), refusing a link in its place."""
        from filelock import FileLock

        real = self.check(path)
        self.private_folder(real.parent)
        with contextlib.suppress(FileNotFoundError):
            mode = os.lstat(real).st_mode
            if not stat.S_ISREG(mode):
                raise UnsafePath(f"{_kind(mode)} where ap keeps a lock file", self._shown(real))
        with FileLock(str(real), timeout=timeout, mode=FILE_MODE):
            yield


def _write_whole(descriptor: int, data: bytes) -> None:
    """Write all of `data` to the open file, unbuffered: a file written in one go needs no buffered stream
    (whose making asks the system whether the file is a terminal, and where it stands)."""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def _read_up_to(descriptor: int, size: int, limit: int) -> bytes:
    """The open file's bytes, up to one more than `limit` (so that a file grown past it is seen): `size`, the
    size it had, is asked for first, so that a small file is read without a buffer of `limit` bytes."""
    pieces, total, wanted = [], 0, size + 1
    while total <= limit:
        piece = os.read(descriptor, min(wanted, limit + 1 - total))
        if not piece:
            break
        pieces.append(piece)
        total += len(piece)
        wanted = 1 << 20
    return b"".join(pieces)


def too_large(size: int, limit: int) -> str:
    return f"the file is {size:,} bytes, more than ap reads ({limit:,}); is it the right file?"


def fsync_files(paths: Iterable[Path]) -> None:
    """Fsync files already written (and checked), one after another: after many small files are written, the
    first fsync flushes most of them, so this costs less than an fsync after each write."""
    for path in paths:
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | _BINARY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def owned_and_private(path: Path) -> bool:
    """Whether `path` (not followed if a link) is this user's own and closed to others: for state ap left behind
    that it is about to act on, which a clone or another user could otherwise plant."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(status.st_mode):
        return False
    owner_ok = not hasattr(os, "geteuid") or status.st_uid == os.geteuid()
    return owner_ok and stat.S_IMODE(status.st_mode) & 0o077 == 0
