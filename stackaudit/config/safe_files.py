"""Writing under the reports directory, safely when the suite runs as root.

The suite often runs as root and writes where other local users may have been: the threat is a
name planted before the suite opens it (a symbolic link at `summary.json.tmp` pointing at
/etc/shadow, a file someone else made). So:
- The reports directory, and every directory the suite writes in, must be the suite's own: owned
  by the user running it and writable by nobody else (`directory_problem`; the run stops with one
  line, exit code 4, before anything is written). Then no one else can plant a name in it.
- Inside, no file is opened through a name that could already exist: each file is written to a
  fresh temporary name in the same directory (mkstemp: O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) and
  renamed into place. rename(2) replaces a symbolic link at the final name, never follows it, and
  a reader never sees half a file. Lock and claim files are created with O_EXCL|O_NOFOLLOW.
- umask 077 (`use_private_umask`, set first thing in the process): files 0600, directories 0700.
  Evidence holds the configuration of a whole cloud; it is readable by its owner only.

The same rules as OpenSSH's for a user's own files (StrictModes, "sshd_config(5)"; safe_path() in
OpenSSH's misc.c, https://github.com/openssh/openssh-portable/blob/master/misc.c): owned by the
user or root, not writable by group or others. This module is in the configuration stage, the
earliest, because every later stage (discovery's targets.json, the fact store, the system VM key
pins, the report) writes through it.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

PRIVATE_UMASK = 0o077
_NO_FOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafePath(OSError):
    """A directory or file the suite will not write through; str(err) and err.strerror say why and the fix."""

    def __init__(self, path: Path, problem: str):
        super().__init__(errno.EPERM, f"{path}: {problem}")
        self.path, self.problem = Path(path), problem

    def __str__(self) -> str:
        return self.strerror


def use_private_umask() -> int:
    """Everything this process (and every process it starts) creates is for its owner only; the umask before."""
    return os.umask(PRIVATE_UMASK)


def directory_problem(info: os.stat_result, euid: int) -> str | None:
    """Why a directory with this stat cannot hold the suite's files, or None (a pure decision)."""
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory; give a directory"
    if info.st_uid not in (euid, 0):
        return (f"is owned by uid {info.st_uid}, not by uid {euid} who runs the suite (or root): another user "
                "could change what is written there; give a directory of your own")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        return (f"is writable by group or others (mode {mode:04o}): another user could plant files there; "
                "run chmod go-w on it, or give a private directory")
    return None


def check_directory(path: Path) -> None:
    """Refuse an existing directory that is not the suite's own (UnsafePath); a missing one is fine
    (the suite makes it, private). The directory itself may be a symbolic link the user chose."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    problem = directory_problem(info, os.geteuid())
    if problem:
        raise UnsafePath(path, problem)


def private_dir(path: Path) -> Path:
    """`path` as a private directory: made (with its missing parents, mode 0700), or checked if it exists."""
    _make_parents(Path(path).parent)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        check_directory(path)
    return path


def _make_parents(path: Path) -> None:
    """Each missing directory down to `path`, mode 0700 (os.makedirs gives the parents 0777 & ~umask)."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass


@contextlib.contextmanager
def _written_whole(path: Path):
    """A descriptor of a new temporary file beside `path`, renamed into place once the block (which
    closes it) ends; removed if the block fails."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        yield fd
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def write_file(path: Path, content: bytes | str) -> None:
    """Write `content` at `path` whole: to a new temporary name beside it, then renamed into place."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with _written_whole(path) as fd, os.fdopen(fd, "wb") as out:
        out.write(data)


def write_json(path: Path, data, indent: int | None = 1) -> None:
    """`data` as JSON at `path`, written as write_file writes, but streamed: a target's facts may
    hold tens of MiB of text that JSON escapes to six times its size, so no whole JSON string is made."""
    with _written_whole(path) as fd, open(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=indent, sort_keys=True)


def open_new(path: Path) -> BinaryIO:
    """A new file at `path`, open for writing; FileExistsError if a name of any kind (a link too) is there."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o600), "wb")


def create_exclusive(path: Path) -> bool:
    """Create an empty file at `path` if nothing is there (a claim); False if a name of any kind is there."""
    try:
        open_new(path).close()
    except FileExistsError:
        return False
    return True


def open_lock_file(path: Path) -> int:
    """A descriptor of the lock file at `path`, for flock: created with O_EXCL|O_NOFOLLOW, or an existing
    one that is a regular file of this user with one name (never a link to another file)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NO_FOLLOW, 0o600)
    except FileExistsError:
        pass
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | _NO_FOLLOW)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafePath(path, "is a symbolic link; delete it (the suite makes its lock files itself)") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_nlink != 1:
        os.close(fd)
        raise UnsafePath(path, "is not a regular file of this user with one name; delete it (the suite makes its "
                               "lock files itself)")
    return fd


def read_regular(path: Path) -> bytes:
    """A regular file's bytes, never through a symbolic link or from a FIFO or device (UnsafePath)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | _NO_FOLLOW)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafePath(path, "is a symbolic link, not a file the suite wrote") from None
        raise
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise UnsafePath(path, "is not a regular file")
        return file.read()


def copy_file(source: Path, destination: Path) -> None:
    """Copy a regular file (never a link's target) to `destination`, written as write_file writes."""
    write_file(destination, read_regular(source))


def replace_symlink(link: Path, points_to: str) -> None:
    """Point the symbolic link `link` at `points_to`, replaced atomically (rename over the old link).

    The new link gets a name of this call's own: shards on several machines share a reports volume,
    and in containers their process ids are alike (often 1), so a pid alone would let one shard's
    link replace another's; symlink(2) fails on an existing name and never follows one."""
    temporary = link.with_name(f".{link.name}.{os.getpid()}.{uuid.uuid4().hex}")
    os.symlink(points_to, temporary)
    try:
        os.replace(temporary, link)
    except BaseException:
        os.unlink(temporary)
        raise
