"""Connection options shared by the commands that talk to a server (``search``, ``shell``).

Secrets never travel as argument values (they would land in shell history and ``ps``): the
token and password are read from environment variables, whose *names* can be changed, and a
missing password is prompted for when a terminal is attached.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from zql.cli._inputs import UsageError
from zql.cli._profiles import load_profile, profile_credentials

if TYPE_CHECKING:
    from zql.client import ZephyrClient

__all__ = ["add_connection_arguments", "connect", "count", "positive", "seconds"]

#: ``--timeout`` above this is a typo, not a wish (a day).
_MAX_SECONDS = 86400.0


def seconds(text: str) -> float:
    """An ``argparse`` type: a finite number of seconds above 0 (at most a day).

    >>> seconds("2.5")
    2.5
    >>> for bad in ("-1", "nan", "inf", "0", "soon"):
    ...     try:
    ...         seconds(bad)
    ...     except argparse.ArgumentTypeError as err:
    ...         print(err)
    must be a number of seconds above 0, not -1
    must be a number of seconds above 0, not nan
    must be a number of seconds above 0, not inf
    must be a number of seconds above 0, not 0
    must be a number of seconds above 0, not soon
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value <= _MAX_SECONDS):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text}")
    return value


def _integer(text: str, low: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, not {text}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, not {value}")
    return value


def count(text: str) -> int:
    """An ``argparse`` type: a whole number >= 0 (limits, retries).

    >>> count("0"), count(" 7 ")
    (0, 7)
    >>> count("1e3")
    Traceback (most recent call last):
      ...
    argparse.ArgumentTypeError: must be a whole number >= 0, not 1e3
    """
    return _integer(text, 0)


def positive(text: str) -> int:
    """An ``argparse`` type: a whole number >= 1 (page sizes).

    >>> positive("0")
    Traceback (most recent call last):
      ...
    argparse.ArgumentTypeError: must be >= 1, not 0
    """
    return _integer(text, 1)


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--url``, ``--username``, ``--auth``, ``--token-env``, ``--password-env``, ``--timeout``,
    ``--insecure`` and ``--sandbox``.

    >>> p = argparse.ArgumentParser(); add_connection_arguments(p)
    >>> p.parse_args(["--url", "https://z"]).token_env
    'ZEPHYR_TOKEN'
    """
    group = parser.add_argument_group(
        "connection", "Defaults come from ZEPHYR_URL, ZEPHYR_TOKEN, ZEPHYR_USERNAME,\n"
        "ZEPHYR_PASSWORD and ZEPHYR_AUTH. A token means Bearer auth; a username means a\n"
        "session cookie. Secrets are read from the environment (or prompted for), never\n"
        "from arguments.")
    group.add_argument("--url", metavar="URL",
                       help="Zephyr server address (the web-UI address works too)")
    group.add_argument("--username", metavar="NAME", help="user for Basic/cookie auth")
    group.add_argument("--auth", choices=("bearer", "basic", "cookie"),
                       help="how to authenticate (default: from the credentials given)")
    group.add_argument("--token-env", metavar="VAR", default="ZEPHYR_TOKEN",
                       help="environment variable holding the API token (default ZEPHYR_TOKEN)")
    group.add_argument("--password-env", metavar="VAR", default="ZEPHYR_PASSWORD",
                       help="environment variable holding the password (default "
                       "ZEPHYR_PASSWORD; prompted for when unset and a terminal is attached)")
    group.add_argument("--timeout", type=seconds, default=60.0, metavar="SECONDS",
                       help="time allowed for each whole request (default 60)")
    group.add_argument("--retries", type=count, default=4, metavar="N",
                       help="retries of a failed request (default 4; 0 for none)")
    group.add_argument("--ca-cert", metavar="FILE", dest="ca_cert",
                       help="trust the CA certificates in FILE (PEM), e.g. a company CA; "
                       "SSL_CERT_FILE works too")
    group.add_argument("--insecure", action="store_true",
                       help="do not verify the server's TLS certificate (warns on every run)")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="say on stderr what the client does: which search endpoint it "
                       "uses, retries, fallbacks (never a secret)")
    group.add_argument("--sandbox", action="store_true",
                       help="start the bundled sandbox server and use it (for trying things)")
    group.add_argument("--sandbox-server", metavar="ze6|ze7|ze8|cloud", default="ze7",
                       help="which Zephyr version the --sandbox emulates (default ze7)")


@contextlib.contextmanager
def connect(args: argparse.Namespace,
            environ: Mapping[str, str] | None = None) -> Iterator[ZephyrClient]:
    """A client for the options in ``args`` and ``environ`` (default ``os.environ``); with
    ``--sandbox`` a sandbox is started and stopped with it; with ``-v`` the client's INFO
    lines go to stderr while it is open.

    Raises :class:`~zql.cli._inputs.UsageError` when no server or credentials are given.

    >>> ns = argparse.Namespace(url=None, username=None, auth=None, token_env="ZEPHYR_TOKEN",
    ...     password_env="ZEPHYR_PASSWORD", timeout=5.0, insecure=False, sandbox=False)
    >>> with connect(ns, {"ZEPHYR_TOKEN": "t"}):
    ...     pass
    Traceback (most recent call last):
      ...
    zql.cli._inputs.UsageError: no server: pass --url or set ZEPHYR_URL (or try --sandbox)
    """
    undo = _log_to_stderr() if getattr(args, "verbose", False) else None
    try:
        with _open(args, environ) as client:
            yield client
    finally:
        if undo is not None:
            undo()


@contextlib.contextmanager
def _open(args: argparse.Namespace,
          environ: Mapping[str, str] | None = None) -> Iterator[ZephyrClient]:
    from zql.client import ConfigurationError, ZephyrClient
    from zql.client._tls import INSECURE_WARNING, verify_context

    if args.sandbox:
        from zql.sandbox import Sandbox, SandboxError

        try:
            sandbox = Sandbox(size="small", seed=1,
                              server=getattr(args, "sandbox_server", None) or "ze7").start()
        except (SandboxError, ValueError) as err:
            raise UsageError(f"cannot start the sandbox: {err}") from None
        try:
            with ZephyrClient(sandbox.url or "", token=sandbox.token, timeout=args.timeout,
                              retries=getattr(args, "retries", 4)) as client:
                yield client
        finally:
            sandbox.stop()
        return
    env = os.environ if environ is None else environ
    profile = load_profile(args)
    if profile is not None:  # --profile: the shell's profiles (options still win)
        url, token, username, password, auth = profile_credentials(args, profile, env)
    else:
        url = args.url or env.get("ZEPHYR_URL") or ""
        token = env.get(args.token_env) or None
        username = args.username or env.get("ZEPHYR_USERNAME") or None
        password = env.get(args.password_env) or None
        auth = args.auth or env.get("ZEPHYR_AUTH") or None
    if not url:
        raise UsageError("no server: pass --url or set ZEPHYR_URL (or try --sandbox)")
    if auth == "bearer":
        username = None
    elif auth in ("basic", "cookie") or (username and not token):
        token = None
        if username and not password:
            password = _prompt_password(username, args.password_env)
    if not token and not username:
        raise UsageError(f"no credentials: set {args.token_env} (API token) or give --username "
                         f"and set {args.password_env}")
    insecure = bool(getattr(args, "insecure", False))
    if insecure:
        print(INSECURE_WARNING, file=sys.stderr)
    try:
        verify = verify_context(getattr(args, "ca_cert", None), insecure=insecure, environ=env)
        client = ZephyrClient(url, token=token, username=username, password=password,
                              auth=auth, timeout=args.timeout, verify=verify,
                              retries=getattr(args, "retries", 4))
    except ConfigurationError as err:
        raise UsageError(str(err)) from None
    with client:
        yield client


def _log_to_stderr() -> Callable[[], None]:
    """The client's INFO lines on stderr (``-v``); returns how to stop."""
    import logging

    class Stderr(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            try:
                sys.stderr.write(f"zql: {self.format(record)}\n")
            except Exception:
                self.handleError(record)

    logger = logging.getLogger("zql.client")
    handler, level = Stderr(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    return undo


def _prompt_password(username: str, variable: str) -> str:
    import getpass

    if not sys.stdin.isatty():
        raise UsageError(f"no password for {username}: set {variable}")
    try:
        return getpass.getpass(f"Zephyr password for {username}: ")
    except EOFError:
        raise UsageError(f"no password for {username}: set {variable}") from None
