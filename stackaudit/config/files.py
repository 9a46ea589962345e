"""Reading a configuration file, or a file one names, as strict UTF-8 text: one reader for all of them.

The file is examined before it is read: only a regular file is opened (a FIFO would block the run
forever, a device would never end), it is opened non-blocking and checked again on its descriptor,
and at most `limit` bytes are read. Its bytes must be UTF-8 without NUL bytes; an error names the
byte offset, so an editor can find it.
"""
from __future__ import annotations

import os
import reprlib
import stat
from pathlib import Path

MIB = 1024 * 1024
CONFIG_LIMIT = MIB          # an inventory, policy, waivers file, secret, key or CA file
KNOWN_HOSTS_LIMIT = 16 * MIB  # a known_hosts of ten thousand hosts' RSA keys is about 4 MiB

_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxdict = _SHORT.maxtuple = _SHORT.maxset = 4
_SHORT.maxlevel = 2


class UnreadableFile(Exception):
    """The file cannot be used; the message says why and the fix, without the file's name."""


def shown(value: object) -> str:
    """A value for an error message: bounded (a huge value is never formatted whole) and on one line."""
    text = _SHORT.repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def shown_path(path: Path | str) -> str:
    """A path for an error message, quoted only when it holds characters that would break the line."""
    text = str(path)
    return text if text.isprintable() and len(text) <= 300 else shown(text)


def size_text(count: int) -> str:
    """2 MiB, 64 KiB, 1,000 bytes: a size or a cap as a person reads it."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size} {unit}"
    return f"{count:,} bytes"


def read_bytes(path: Path, limit: int = CONFIG_LIMIT) -> bytes:
    """The file's bytes; UnreadableFile when it is missing, not a regular file, or over `limit`."""
    try:
        before = os.stat(path)
    except OSError as err:
        raise UnreadableFile(f"cannot read: {err.strerror}") from None
    _check_regular(before.st_mode)
    if before.st_size > limit:
        raise UnreadableFile(f"{before.st_size} bytes, over the {size_text(limit)} limit; point it at the right file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as err:
        raise UnreadableFile(f"cannot read: {err.strerror}") from None
    with os.fdopen(fd, "rb") as file:
        now = os.fstat(file.fileno())
        _check_regular(now.st_mode)     # replaced between stat and open
        data = file.read(limit + 1)
    if len(data) > limit:
        raise UnreadableFile(f"over the {size_text(limit)} limit; point it at the right file")
    return data


def _check_regular(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    raise UnreadableFile(f"is {kind}, not a regular file; point it at a file")


def decode_utf8(data: bytes) -> str:
    """Strict UTF-8 (a leading byte order mark is dropped); UnreadableFile names the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("starts with a UTF-16 byte order mark; save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise UnreadableFile(f"a NUL byte at offset {nul} (a binary file?); save it as UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnreadableFile(f"byte 0x{data[err.start]:02x} at offset {err.start} is not UTF-8; "
                             "save it as UTF-8") from None
    return text.removeprefix("\ufeff")


def read_text(path: Path, limit: int = CONFIG_LIMIT) -> str:
    return decode_utf8(read_bytes(path, limit))


def file_mode(path: Path) -> int:
    """The file's permission bits (e.g. 0o600)."""
    return stat.S_IMODE(os.stat(path).st_mode)
