"""The shell's configuration: ``$XDG_CONFIG_HOME/zql/config.toml``, profiles and credentials.

The parsing, profiles and credentials are the engine :mod:`zql.user_config` (``zql search
--profile`` reads the same file); this module re-exports them and adds what only the shell
does: the default file ships as package data (``config.toml``, fully commented, like pgcli's
``pgclirc``) and is copied to the user's config directory on the first run.

>>> cfg = parse_config('[defaults]\\nentity = "execution"\\n[profiles.w]\\nurl = "http://x"')
>>> cfg.defaults.entity, cfg.profiles["w"].url
('execution', 'http://x')
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from zql.user_config import (
    FORMATS,
    Config,
    ConfigError,
    Credentials,
    Defaults,
    Profile,
    config_dir,
    data_dir,
    parse_config,
    resolve_credentials,
    with_overrides,
)
from zql.user_config import load_config as _load_config

__all__ = [
    "FORMATS",
    "Config",
    "ConfigError",
    "Credentials",
    "Defaults",
    "Profile",
    "config_dir",
    "data_dir",
    "default_config_text",
    "load_config",
    "parse_config",
    "resolve_credentials",
    "with_overrides",
]


def default_config_text() -> str:
    """The shipped, fully commented default config (package data).

    >>> parse_config(default_config_text()) == Config(defaults=Defaults())
    True
    """
    return (resources.files("zql_repl") / "config.toml").read_text(encoding="utf-8")


def load_config(path: Path | None = None, *, create: bool = True) -> Config:
    """Read the config file, first writing the commented default there if it does not exist.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "zql" / "config.toml"
    >>> load_config(p).defaults.entity, p.read_text().startswith("# zql shell configuration")
    ('testcase', True)
    """
    return _load_config(path, create=create,
                        default_text=default_config_text() if create else None)
