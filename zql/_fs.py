"""Reading and writing the user's files safely: the one implementation for the toolkit.

Every writer goes through :func:`write_atomically` (a whole new file renamed over the old one, so
nothing is ever half-written); ``zql fmt`` and ``zql lint --fix`` read with :func:`read_text` and
write back with :func:`rewrite`, which also keeps what the file was (BOM, line endings, mode,
owner, the target of a symlink) and refuses to overwrite a change made after it was read.

Promises (docs/security.md, "Files"):

- input is bounded (:data:`MAX_INPUT_BYTES`) and must be UTF-8, from a file or from stdin alike;
- a UTF-8 BOM is accepted and written back; ``\\r\\n`` stays ``\\r\\n``;
- a symlink is written through to its target; anything but a regular file is never replaced;
- a read-only file (no write bit) is rewritten only when forced; mode and owner are kept;
- a file that changed between read and rename (size, mtime or content) is left alone.

>>> import tempfile
>>> d = Path(tempfile.mkdtemp()); (d / "q.zql").write_bytes(b"\\xef\\xbb\\xbfa=1\\r\\n")
8
>>> got = read_text(d / "q.zql"); got.text, got.bom, got.newline
('a=1\\r\\n', True, '\\r\\n')
>>> rewrite(got, "a = 1\\n"); (d / "q.zql").read_bytes()
b'\\xef\\xbb\\xbfa = 1\\r\\n'
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["MAX_INPUT_BYTES", "FileRefused", "ReadText", "decode", "read_stream", "read_text",
           "rewrite", "write_atomically"]

#: The largest input read (bytes): a ``.zql`` file is a few KB; ``/dev/zero`` never ends.
MAX_INPUT_BYTES = 16 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_LONE_LF = re.compile(r"(?<!\r)\n")

#: Called with the path after a file is read and before it is rewritten (tests use it to change
#: the file in between, deterministically). None in normal runs.
after_read: Callable[[Path], None] | None = None


class FileRefused(OSError):
    """A file that cannot be read or written safely; the message is one line for the user.

    >>> str(FileRefused("x.zql", "read-only file"))
    'x.zql: read-only file'
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ReadText:
    """A file as read: its text (without BOM, line endings as they are) and how to write it
    back (BOM, line ending, and the stamp that tells whether it changed since)."""

    path: Path
    text: str
    bom: bool = False
    newline: str = "\n"
    #: (size, mtime_ns, sha256) of the bytes read; None for stdin
    stamp: tuple[int, int, str] | None = None


def decode(data: bytes, name: str) -> tuple[str, bool]:
    """Strict UTF-8 text of ``data`` and whether it began with a BOM (which is dropped).

    >>> decode(b"\\xef\\xbb\\xbfa = 1", "q.zql")
    ('a = 1', True)
    >>> decode(b"a = \\xff", "<stdin>")
    Traceback (most recent call last):
      ...
    zql._fs.FileRefused: <stdin>: not UTF-8 text (invalid byte 0xff at byte 4)
    """
    bom = data.startswith(_BOM)
    body = data[len(_BOM):] if bom else data
    try:
        return body.decode("utf-8"), bom
    except UnicodeDecodeError as err:
        at = err.start + (len(_BOM) if bom else 0)
        raise FileRefused(name, f"not UTF-8 text (invalid byte 0x{body[err.start]:02x} at "
                                f"byte {at})") from None


def _read_capped(stream: BinaryIO, name: str) -> bytes:
    data = stream.read(MAX_INPUT_BYTES + 1)
    if len(data) > MAX_INPUT_BYTES:
        mib, rest = divmod(MAX_INPUT_BYTES, 1024 * 1024)
        limit = f"{mib} MiB" if mib and not rest else f"{MAX_INPUT_BYTES:,} bytes"
        raise FileRefused(name, f"larger than the {limit} input limit; not read")
    return data


def _newline(text: str) -> str:
    """``\r\n`` for a file whose every line ends so (new lines written get it too)."""
    return "\r\n" if "\r\n" in text and not _LONE_LF.search(text) else "\n"


def read_stream(stream: BinaryIO, name: str = "<stdin>") -> str:
    """The text of a byte stream (stdin): the same size cap and UTF-8 rule as a file.

    >>> import io; read_stream(io.BytesIO(b"a = 1"))
    'a = 1'
    """
    text, _ = decode(_read_capped(stream, name), name)
    return text


def read_text(path: Path) -> ReadText:
    """Read ``path`` (at most :data:`MAX_INPUT_BYTES`, strict UTF-8), remembering how it was.

    >>> read_text(Path("/nonexistent/q.zql"))
    Traceback (most recent call last):
      ...
    zql._fs.FileRefused: /nonexistent/q.zql: No such file or directory
    """
    try:
        with open(path, "rb") as handle:
            data = _read_capped(handle, str(path))
            info = os.fstat(handle.fileno())
    except FileRefused:
        raise
    except OSError as err:
        raise FileRefused(path, err.strerror or str(err)) from None
    text, bom = decode(data, str(path))
    import hashlib  # loads OpenSSL: only once a file is read (start-up time)

    stamp = (info.st_size, info.st_mtime_ns, hashlib.sha256(data).hexdigest()) \
        if stat.S_ISREG(info.st_mode) else None
    got = ReadText(path, text, bom, _newline(text), stamp)
    if after_read is not None:
        after_read(path)
    return got


def _target(path: Path) -> tuple[Path, os.stat_result | None]:
    """Where writing ``path`` really goes (through symlinks) and what is there now."""
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise FileRefused(path, "not a regular file; not replaced") from None
        return target, None
    except OSError as err:
        raise FileRefused(path, err.strerror or str(err)) from None
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(path, "not a regular file; not replaced")
    return target, info


def rewrite(read: ReadText, text: str, *, force: bool = False) -> None:
    """Write ``text`` back to the file ``read`` came from, as it was: BOM and line endings
    restored, mode and owner kept, through a symlink to its target. Refused (:class:`FileRefused`)
    for a read-only file unless ``force``, and for a file changed since it was read.
    """
    target, info = _target(read.path)
    if read.stamp is None or info is None:
        raise FileRefused(read.path, "not a regular file; not replaced")
    if not force and not info.st_mode & 0o222:
        raise FileRefused(read.path, f"read-only file (mode {stat.S_IMODE(info.st_mode):04o}); "
                                     "not rewritten (--force rewrites it)")
    if read.newline == "\r\n":
        text = _LONE_LF.sub("\r\n", text)
    data = (_BOM if read.bom else b"") + text.encode("utf-8")

    def unchanged() -> None:
        import hashlib

        try:
            with open(target, "rb") as handle:
                now = handle.read(MAX_INPUT_BYTES + 1)
                current = os.fstat(handle.fileno())
        except OSError as err:
            raise FileRefused(read.path, err.strerror or str(err)) from None
        if (current.st_size, current.st_mtime_ns, hashlib.sha256(now).hexdigest()) != read.stamp:
            raise FileRefused(read.path, "changed since it was read; not rewritten (run again)")

    _replace(target, data, info, read.path, check=unchanged)


def write_atomically(path: Path, text: str | bytes) -> None:
    """Replace ``path`` with ``text`` (str or bytes) so a reader never sees a half-written file
    (through a symlink to its target, keeping mode and owner; never over anything but a regular
    file).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); write_atomically(d / "q.zql", "a = 1\\n")
    >>> (d / "q.zql").read_text()
    'a = 1\\n'
    >>> write_atomically(Path("/dev/null"), "x")
    Traceback (most recent call last):
      ...
    zql._fs.FileRefused: /dev/null: not a regular file; not replaced
    """
    target, info = _target(path)
    _replace(target, text if isinstance(text, bytes) else text.encode("utf-8"), info, path)


def _replace(target: Path, data: bytes, info: os.stat_result | None, shown: Path,
             check: Callable[[], None] | None = None) -> None:
    import tempfile  # not needed on start-up paths that only read

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as err:
        raise FileRefused(shown, f"cannot write beside it in {target.parent} "
                                 f"({err.strerror or err})") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if info is not None:
                os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
                if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                    try:
                        os.fchown(handle.fileno(), info.st_uid, info.st_gid)
                    except PermissionError:
                        raise FileRefused(shown, "cannot keep its owner and group; not "
                                                 "rewritten") from None
        if check is not None:
            check()
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
