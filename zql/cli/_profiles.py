"""``--profile NAME`` for commands other than the shell: the shell's config file and profiles.

The profiles are the shell's (``[profiles.NAME]`` of ``$XDG_CONFIG_HOME/zql/config.toml``, see
docs/shell.md); the same rules apply: command-line options win over the profile, the profile
over ``ZEPHYR_*`` variables, and no secret is ever read from the file.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zql.cli._inputs import UsageError

__all__ = ["add_profile_arguments", "load_profile", "profile_credentials", "profile_names"]

_DEFAULT_TOKEN_ENV = "ZEPHYR_TOKEN"
_DEFAULT_PASSWORD_ENV = "ZEPHYR_PASSWORD"


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    """``--profile NAME`` and ``--config FILE``.

    >>> p = argparse.ArgumentParser(); add_profile_arguments(p)
    >>> p.parse_args(["--profile", "work"]).profile
    'work'
    """
    action = parser.add_argument("--profile", metavar="NAME",
                                 help="connect with a [profiles.NAME] of the shell's config file "
                                 "(its entity, release and project are defaults too)")
    action.completer = lambda **kw: profile_names(kw.get("parsed_args"))  # type: ignore[attr-defined]
    parser.add_argument("--config", metavar="FILE",
                        help="config file (default $XDG_CONFIG_HOME/zql/config.toml)")


def _config(args: argparse.Namespace | None) -> Any:
    from zql.user_config import ConfigError, load_config

    path = getattr(args, "config", None)
    try:
        return load_config(Path(path).expanduser() if path else None, create=False)
    except ConfigError as err:
        raise UsageError(str(err)) from None


def profile_names(args: argparse.Namespace | None = None) -> list[str]:
    """The profile names of the config file (for completion); [] when there is none.

    >>> ns = argparse.Namespace(config="/nonexistent/config.toml")
    >>> profile_names(ns)
    []
    """
    try:
        return sorted(_config(args).profiles)
    except (UsageError, ImportError):
        return []


def load_profile(args: argparse.Namespace) -> Any:
    """The profile named by ``--profile`` (None without it); unknown → :class:`UsageError`.

    >>> load_profile(argparse.Namespace(profile=None)) is None
    True
    """
    name = getattr(args, "profile", None)
    if not name:
        return None
    from zql.user_config import ConfigError

    config = _config(args)
    try:
        return config.profile(name)
    except ConfigError as err:
        where = f"{config.path}: " if config.path else "no config file: "
        raise UsageError(where + str(err)) from None


def profile_credentials(args: argparse.Namespace, profile: Any,
                        environ: Mapping[str, str]) -> tuple[str, str | None, str | None,
                                                             str | None, str | None]:
    """``(url, token, username, password, auth)`` from the options, the profile, the variables.

    >>> from zql.user_config import Profile
    >>> ns = argparse.Namespace(url=None, username=None, auth=None, token_env="ZEPHYR_TOKEN",
    ...                         password_env="ZEPHYR_PASSWORD")
    >>> profile_credentials(ns, Profile("w", url="http://z", token_env="T"), {"T": "t0k"})[:2]
    ('http://z', 't0k')
    """
    from zql.user_config import ConfigError, resolve_credentials

    try:
        creds = resolve_credentials(
            profile, url=args.url,
            token_env=None if args.token_env == _DEFAULT_TOKEN_ENV else args.token_env,
            username=args.username,
            password_env=None if args.password_env == _DEFAULT_PASSWORD_ENV else args.password_env,
            auth=args.auth, environ=environ)
    except ConfigError as err:
        raise UsageError(str(err)) from None
    if creds is None:
        raise UsageError(f"profile {profile.name!r} names no server (url)")
    return creds.url, creds.token, creds.username, creds.password, creds.auth
