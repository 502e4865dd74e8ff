"""One atomic writer: temporary file in the same folder, fsync, rename, fsync the folder.

A crash at any moment leaves either the old file or the new one, never half of one. Writing through
a symbolic link replaces the link's target, not the link. Only a regular file or a new name is written:
a device (/dev/null), a folder, a named pipe or a loop of links is refused with WriteRefused, untouched.
Leftover temporary files of an earlier, interrupted write of the same file are removed. Every writer of
the app goes through here.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from netbuilder.core.text import clean

TMP_SUFFIX = ".tmp"
_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFIFO: "a named pipe"}


class WriteRefused(OSError):
    """A path that is not a regular file or a new name; str() is one sentence, strerror its reason."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(errno.EINVAL, reason, str(path))

    def __str__(self) -> str:
        return f"{clean(str(self.filename), 200)} cannot be written: {self.strerror}."


def _not_a_file(what: str) -> str:
    return f"it is {what}, not a file; give a file's name or a new name"


def _target(path: Path) -> Path:
    """The file a write to path must replace: the end of its chain of symbolic links (a link to no file yet: the
    file it names). WriteRefused when that is not a regular file or a new name."""
    if path.is_symlink():
        try:
            path = Path(os.path.realpath(path, strict=True))
        except FileNotFoundError:
            path = Path(os.path.realpath(path))
        except OSError:  # ELOOP
            raise WriteRefused(path, _not_a_file("a loop of symbolic links")) from None
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except NotADirectoryError:
        raise WriteRefused(path, "a part of its path is not a folder") from None
    if not stat.S_ISREG(mode):
        raise WriteRefused(path, _not_a_file(_KINDS.get(stat.S_IFMT(mode), "a special file")))
    return path


def check_target(path: str | os.PathLike) -> None:
    """Raise WriteRefused, before any work, when path cannot be written in place (see _target)."""
    _target(Path(path))


def clean_leftovers(path: str | os.PathLike) -> None:
    """Remove the temporary files that interrupted atomic writes of path left beside it: .NAME.XXXX.tmp
    with no dot in XXXX, so another file's (.NAME.old.XXXX.tmp) are never touched, whatever NAME holds."""
    try:
        p = _target(Path(path))
    except WriteRefused:
        return
    start = len(p.name) + 2
    try:
        for tmp in p.parent.glob(f".{glob.escape(p.name)}.*{TMP_SUFFIX}"):
            if "." not in tmp.name[start : -len(TMP_SUFFIX)]:
                tmp.unlink(missing_ok=True)
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call write(f) on a temporary file and put it in place of path only when it has all been written."""
    p = _target(Path(path))
    clean_leftovers(p)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=TMP_SUFFIX, dir=p.parent)
    try:
        # mkstemp makes the file private; give it the mode a plain open() would (or the replaced file's).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(p.parent)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """write_atomic for UTF-8 text."""
    data = text.encode("utf-8")
    write_atomic(path, lambda f: f.write(data))


@contextlib.contextmanager
def text_writer(path: str | os.PathLike, newline: str | None = None) -> Iterator[TextIO]:
    """A text file to write in a with block (as open(path, "w") gives), put in place of path atomically when the
    block ends without an error; a path that cannot be written is refused before the block runs."""
    check_target(path)
    buffer = io.StringIO(newline=newline)
    yield buffer
    write_text_atomic(path, buffer.getvalue())
