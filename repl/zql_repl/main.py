"""Assemble a :class:`~zql_repl.app.Shell` from ``zql shell`` options and the config file.

Order of precedence for every setting: command-line option, then the profile, then the
config's ``[defaults]``. Nothing here touches the network; a missing password is asked for
without echo before the first prompt (typing it is the user's act, not a remote wait).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from zql.schema import Schema, SchemaError, load_schema
from zql_repl.app import SafeHistory, Shell, history_path
from zql_repl.config import (
    ConfigError,
    Credentials,
    Profile,
    data_dir,
    load_config,
    resolve_credentials,
    with_overrides,
)
from zql_repl.connection import Connection, Opener, url_opener
from zql_repl.metadata import Metadata
from zql_repl.named import NamedQueries
from zql_repl.state import ShellState

__all__ = ["ShellError", "build", "start"]

#: Defaults of the shared connection options: only a changed value is an explicit choice.
_DEFAULT_TOKEN_ENV = "ZEPHYR_TOKEN"
_DEFAULT_PASSWORD_ENV = "ZEPHYR_PASSWORD"


class ShellError(Exception):
    """The shell cannot start (bad option, config or credentials); one line.

    >>> str(ShellError("x"))
    'x'
    """


def _verify(args: argparse.Namespace, profile: Profile | None) -> bool | ssl.SSLContext:
    """TLS verification as ``--ca-cert`` (or the profile's ``ca_cert``) and ``--insecure``
    ask (see ``zql.client._tls``)."""
    from zql.client import ConfigurationError
    from zql.client._tls import INSECURE_WARNING, verify_context

    insecure = bool(getattr(args, "insecure", False))
    if insecure:
        print(INSECURE_WARNING, file=sys.stderr)
    try:
        ca_cert = getattr(args, "ca_cert", None) or (profile.ca_cert if profile else "") or None
        return verify_context(ca_cert, insecure=insecure)
    except ConfigurationError as err:
        raise ShellError(str(err)) from None


def _credentials(args: argparse.Namespace, profile: Profile | None,
                 environ: Mapping[str, str] | None) -> Credentials | None:
    token_env = getattr(args, "token_env", None)
    password_env = getattr(args, "password_env", None)
    creds = resolve_credentials(
        profile, url=getattr(args, "url", None), token=getattr(args, "token", None),
        token_env=None if token_env == _DEFAULT_TOKEN_ENV else token_env,
        username=getattr(args, "username", None),
        password_env=None if password_env == _DEFAULT_PASSWORD_ENV else password_env,
        auth=getattr(args, "auth", None), environ=environ)
    if creds is None or creds.token or not creds.username or creds.password:
        return creds
    if not sys.stdin.isatty():
        raise ShellError(f"no password for {creds.username}: set ZEPHYR_PASSWORD or the "
                         "profile's password_env")
    try:
        password = getpass.getpass(f"Zephyr password for {creds.username}: ")
    except (EOFError, KeyboardInterrupt):
        raise ShellError("no password given") from None
    return Credentials(creds.url, username=creds.username, password=password, auth=creds.auth)


def build(args: argparse.Namespace, *, input: Input | None = None, output: Output | None = None,
          out: IO[str] | None = None, environ: Mapping[str, str] | None = None,
          data: Path | None = None, sandbox: Opener | None = None) -> Shell:
    """The shell for ``args`` (an ``argparse`` namespace of ``zql shell``), not yet running.

    ``environ`` replaces ``os.environ`` for credentials, ``data`` the history and named-query
    folder (default :func:`~zql_repl.config.data_dir`). ``sandbox`` opens the connection for
    ``--sandbox``: the launcher (:mod:`zql.cli.shell`) starts the sandbox, as adapters never
    import each other.

    >>> import tempfile
    >>> from zql.cli import build_parser
    >>> tmp = Path(tempfile.mkdtemp())
    >>> argv = ["shell", "--entity", "execution", "--config", str(tmp / "config.toml")]
    >>> shell = build(build_parser().parse_args(argv), environ={}, data=tmp)
    >>> shell.state.entity, shell.connection.opener is None
    ('execution', True)
    >>> shell.close()
    """
    try:
        config = load_config(Path(args.config).expanduser() if args.config else None)
        profile = config.profile(args.profile)
        creds = None if args.sandbox else _credentials(args, profile, environ)
    except ConfigError as err:
        raise ShellError(str(err)) from None
    defaults = with_overrides(config.defaults, schema=args.schema)
    state = ShellState.from_defaults(defaults)
    try:
        state.entity = Schema.entity_name(args.entity or (profile.entity if profile else "")
                                          or defaults.entity)
        fallback = load_schema(defaults.schema)
    except SchemaError as err:
        raise ShellError(str(err)) from None
    state.release = args.release or (profile.release if profile else "") or None
    state.project = args.project or (profile.project if profile else "") or None
    metadata = Metadata(fallback)
    metadata.set_release(state.release)
    opener: Opener | None
    if args.sandbox:
        if sandbox is None:
            raise ShellError("--sandbox: no sandbox launcher given (start it with zql shell)")
        opener, server = sandbox, "sandbox"
    elif creds is not None:
        opener = url_opener(creds, timeout=getattr(args, "timeout", 60.0),
                            verify=_verify(args, profile))
        server = creds.url
    else:
        opener, server = None, ""
    data = data or data_dir()
    history_file = history_path(defaults.history_file, data)
    with contextlib.suppress(OSError):  # SafeHistory.probe says what is wrong, once
        history_file.parent.mkdir(parents=True, exist_ok=True)
    history = SafeHistory(str(history_file), secrets=creds.secrets if creds else ())
    problem = history.probe()
    named_file = (Path(defaults.named_queries_file).expanduser() if defaults.named_queries_file
                  else data / "named_queries.json")
    shell = Shell(
        Connection(opener, metadata, server=server), state, named=NamedQueries(named_file),
        history=history, input=input, output=output, out=out,
        vi=bool(getattr(args, "vi", False)) or defaults.key_bindings == "vi",
        style=defaults.style, complete_while_typing=defaults.complete_while_typing)
    if problem:
        shell.print(problem)
    return shell


def start(args: argparse.Namespace, *, sandbox: Opener | None = None) -> int:
    """Build the shell, run it until the user leaves, and close the connection.

    >>> import tempfile
    >>> from zql.cli import build_parser
    >>> config = str(Path(tempfile.mkdtemp()) / "config.toml")
    >>> start(build_parser().parse_args(["shell", "--schema", "ze9", "--config", config]))
    Traceback (most recent call last):
      ...
    zql_repl.main.ShellError: unknown schema profile 'ze9'; bundled profiles: ze6, ze7 (or give \
a path to a JSON schema file)
    """
    shell = build(args, sandbox=sandbox)
    try:
        return shell.run()
    finally:
        shell.close()
