"""One atomic writer: temporary file in the same folder, fsync, rename, fsync the folder.

A crash at any moment leaves either the old file or the new one, never half of one. Writing through
a symbolic link replaces the link's target, not the link. Leftover temporary files of an earlier,
interrupted write of the same file are removed.
"""

from __future__ import annotations

import glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

TMP_SUFFIX = ".tmp"


def _target(path: Path) -> Path:
    """The file a write to path must replace: the end of its chain of symbolic links."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def clean_leftovers(path: str | os.PathLike) -> None:
    """Remove the temporary files that interrupted atomic writes of path left beside it: .NAME.XXXX.tmp
    with no dot in XXXX, so another file's (.NAME.old.XXXX.tmp) are never touched, whatever NAME holds."""
    p = _target(Path(path))
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
