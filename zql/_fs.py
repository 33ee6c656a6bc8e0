"""Writing files so that nothing is ever half-written: the one implementation for the toolkit."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str | bytes) -> None:
    """Replace ``path`` with ``text`` (or bytes) so a reader never sees a half-written file.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); write_atomically(d / "q.zql", "a = 1\\n")
    >>> (d / "q.zql").read_text()
    'a = 1\\n'
    """
    import tempfile  # not needed on start-up paths that only read

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as binary:
                binary.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
