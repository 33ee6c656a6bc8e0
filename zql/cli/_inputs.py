"""Inputs shared by ``zql lint`` and ``zql fmt``: paths, ``-`` for stdin, ``-q QUERY``."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from zql._fs import FileRefused, ReadText, read_stream, read_text, rewrite, write_atomically

__all__ = ["Source", "UsageError", "add_input_arguments", "exit_for", "iter_sources",
           "write_atomically", "write_back"]


STDIN = "-"


class UsageError(Exception):
    """A mistake in how the command was called or a file that cannot be read (exit code 2)."""


def exit_for(command: str, err: Exception,
             usage: tuple[type[Exception], ...] = ()) -> int:
    """One line on stderr for an expected error, and its exit code; anything else is re-raised.

    2 for a usage mistake (``UsageError``, a bad schema or configuration, or one of ``usage``),
    1 for a query or server error. Syntax and validation errors print as the linter renders
    them, without the command's name.

    >>> exit_for("zql x", UsageError("no such file: a.zql"))
    2
    """
    from zql.client import ConfigurationError, ZephyrError, ZQLValidationError
    from zql.errors import ZQLError, ZQLSyntaxError
    from zql.schema import SchemaError

    if isinstance(err, (UsageError, SchemaError, ConfigurationError, *usage)):
        print(f"{command}: {err}", file=sys.stderr)
        return 2
    if isinstance(err, (ZQLSyntaxError, ZQLValidationError)):
        print(str(err), file=sys.stderr)
        return 1
    if isinstance(err, (ZephyrError, ZQLError)):
        print(f"{command}: {err}", file=sys.stderr)
        return 1
    raise err


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a display name, its text, and the file path to write back (None for stdin).

    ``read`` is how the file was read (BOM, line endings, stamp) for :func:`write_back`.
    """

    name: str
    text: str
    path: Path | None
    read: ReadText | None = None


def write_back(source: Source, text: str, *, force: bool = False) -> None:
    """Rewrite a file input safely (see :mod:`zql._fs`); UsageError when it is refused."""
    if source.read is None:
        raise UsageError(f"{source.name}: not a file; not rewritten")
    try:
        rewrite(source.read, text, force=force)
    except OSError as err:
        raise UsageError(str(err) if isinstance(err, FileRefused) else
                         f"{source.name}: {err.strerror or err}") from None


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """``PATH…``, ``-`` and ``-q/--query``.

    >>> p = argparse.ArgumentParser(); add_input_arguments(p)
    >>> p.parse_args(["-q", "a = 1"]).query
    ['a = 1']
    """
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help=".zql files or directories (all *.zql below), or - for stdin")
    parser.add_argument("-q", "--query", action="append", default=[], metavar="QUERY",
                        help="a query given on the command line (repeatable)")
    parser.add_argument("--force", action="store_true",
                        help="rewrite read-only files too (when rewriting files)")


def _expand(path_arg: str) -> Iterator[Path]:
    path = Path(path_arg)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*.zql") if p.is_file())
        yield from found
        return
    yield path


def iter_sources(args: argparse.Namespace) -> Iterator[Source]:
    """Every input named on the command line, in order; stdin when none is named.

    >>> ns = argparse.Namespace(paths=[], query=["a = 1"])
    >>> [s.text for s in iter_sources(ns)]
    ['a = 1']
    """
    for index, query in enumerate(args.query, 1):
        yield Source(f"<query{'' if len(args.query) == 1 else index}>", query, None)
    paths: list[str] = list(args.paths)
    if not paths and not args.query:
        paths = [STDIN]
    for arg in paths:
        if arg == STDIN:
            yield Source("<stdin>", _stdin_text(), None)
            continue
        if not os.path.exists(arg):
            raise UsageError(f"{arg}: no such file or directory")
        for path in _expand(arg):
            try:
                read = read_text(path)
            except FileRefused as err:
                raise UsageError(str(err)) from None
            yield Source(str(path), read.text, path, read)


def _stdin_text() -> str:
    """Standard input under the rules of a file: size cap, strict UTF-8, BOM dropped."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream with no bytes under it (an embedding's StringIO)
        stream = io.BytesIO(sys.stdin.read().encode("utf-8", "surrogatepass"))
    try:
        return read_stream(stream)
    except FileRefused as err:
        raise UsageError(str(err)) from None
