"""The user's config file: ``$XDG_CONFIG_HOME/zql/config.toml``, profiles and credentials.

Read by the shell (``zql_repl.config`` re-exports it and adds the shipped, fully commented
default file that the shell writes on its first run) and by ``zql search --profile``. Secrets
are never stored in it: a profile names an environment variable or asks the system keyring.

>>> cfg = parse_config('[defaults]\\nentity = "execution"\\n[profiles.w]\\nurl = "http://x"')
>>> cfg.defaults.entity, cfg.profiles["w"].url
('execution', 'http://x')
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from zql._fs import write_atomically
from zql.rows import FILE_ONLY
from zql.rows import FORMATS as _ALL_FORMATS

#: Formats the shell can show (xlsx is for files: ``\\o hits.xlsx``).
FORMATS: tuple[str, ...] = tuple(f for f in _ALL_FORMATS if f not in FILE_ONLY)

__all__ = [
    "FORMATS",
    "Config",
    "ConfigError",
    "Credentials",
    "Defaults",
    "Profile",
    "config_dir",
    "data_dir",
    "load_config",
    "parse_config",
    "resolve_credentials",
    "with_overrides",
]

_KEY_BINDINGS = ("emacs", "vi")
_AUTH = ("bearer", "basic", "cookie")
#: Keys that would put a secret in the file; refused with a pointer to the safe way.
_SECRET_KEYS = ("token", "password")


class ConfigError(ValueError):
    """A config file or option the shell cannot use; the message is one line.

    >>> str(ConfigError("x"))
    'x'
    """


@dataclass(frozen=True, slots=True)
class Defaults:
    """The ``[defaults]`` table.

    >>> Defaults().format, Defaults().limit
    ('table', 500)
    """

    entity: str = "testcase"
    schema: str = "ze7"
    format: str = "table"
    limit: int = 500
    page_size: int = 100
    key_bindings: str = "emacs"
    style: str = "default"
    timing: bool = True
    pager: bool = True
    complete_while_typing: bool = True
    profile: str = ""
    history_file: str = ""
    named_queries_file: str = ""


@dataclass(frozen=True, slots=True)
class Profile:
    """One ``[profiles.NAME]`` table: a server and how to log in to it.

    >>> Profile("w", url="http://x", token_env="T").auth_method
    'bearer'
    """

    name: str
    url: str = ""
    auth: str = ""
    token_env: str = ""
    keyring: bool = False
    username: str = ""
    password_env: str = ""
    entity: str = ""
    release: str = ""
    project: str = ""
    #: a CA certificate file (PEM) to trust for this server, e.g. the company CA
    ca_cert: str = ""

    @property
    def auth_method(self) -> str:
        """The auth method, defaulting like the client: a username means cookie, else bearer.

        >>> Profile("w", username="u").auth_method
        'cookie'
        """
        return self.auth or ("cookie" if self.username else "bearer")


@dataclass(frozen=True, slots=True)
class Config:
    """The whole file: defaults plus named profiles, and where it was read from.

    >>> Config().profile(None) is None
    True
    """

    defaults: Defaults = field(default_factory=Defaults)
    profiles: Mapping[str, Profile] = field(default_factory=dict)
    path: Path | None = None

    def profile(self, name: str | None) -> Profile | None:
        """The named profile (or the default one); an unknown name is a :class:`ConfigError`.

        >>> Config(profiles={"a": Profile("a")}).profile("a").name
        'a'
        """
        chosen = name if name is not None else self.defaults.profile
        if not chosen:
            return None
        if chosen not in self.profiles:
            known = ", ".join(sorted(self.profiles)) or "none defined"
            raise ConfigError(f"unknown profile {chosen!r} (profiles: {known})")
        return self.profiles[chosen]


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    # XDG says relative paths are invalid and must be ignored.
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/zql`` (default ``~/.config/zql``).

    >>> config_dir().name
    'zql'
    """
    return _xdg("XDG_CONFIG_HOME", ".config") / "zql"


def data_dir() -> Path:
    """``$XDG_DATA_HOME/zql`` (default ``~/.local/share/zql``): history and named queries.

    >>> data_dir().name
    'zql'
    """
    return _xdg("XDG_DATA_HOME", ".local/share") / "zql"


def _check_type(where: str, key: str, value: Any, wanted: type) -> None:
    # bool is an int in Python; TOML keeps them apart, and so do we.
    ok = isinstance(value, wanted) and not (wanted is int and isinstance(value, bool))
    if not ok:
        raise ConfigError(f"{where}: {key} must be {wanted.__name__}, got {value!r}")


def _table(where: str, data: Any, cls: type[Any], extra: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a table")
    known = {f.name for f in fields(cls)}
    values: dict[str, Any] = dict(extra)
    for key, value in data.items():
        if key in _SECRET_KEYS:
            raise ConfigError(f"{where}: a {key} does not belong in the config file; name an "
                              f"environment variable ({key}_env) or use keyring = true")
        if key not in known or key in extra:
            names = ", ".join(k for k in known if k not in extra)
            raise ConfigError(f"{where}: unknown setting {key!r} (settings: {names})")
        default = cls.__dataclass_fields__[key].default
        _check_type(where, key, value, type(default))
        values[key] = value
    return cls(**values)


def _check_choice(where: str, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(choices)}, got {value!r}")


def _check_style(name: str) -> None:
    from pygments.styles import get_all_styles  # type: ignore[import-untyped]

    styles = sorted(get_all_styles())
    if name not in styles:
        close = difflib.get_close_matches(name, styles, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"[defaults]: style {name!r} is not a pygments style ({hint}"
                          "pygmentize -L styles lists them)")


def parse_config(text: str, path: Path | None = None) -> Config:
    """Parse config text; every problem is a one-line :class:`ConfigError`.

    >>> parse_config('[defaults]\\nformat = "xml"')
    Traceback (most recent call last):
      ...
    zql.user_config.ConfigError: [defaults]: format must be one of table, vertical, json, jsonl, \
csv, excel-csv, got 'xml'
    >>> parse_config('[profiles.w]\\ntoken = "s3cret"')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    zql.user_config.ConfigError: [profiles.w]: a token does not belong in the config file; ...
    """
    where_file = f"{path}: " if path else ""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{where_file}not valid TOML: {err}") from None
    unknown = set(data) - {"defaults", "profiles"}
    if unknown:
        raise ConfigError(f"{where_file}unknown table(s): {', '.join(sorted(unknown))} "
                          "(tables: defaults, profiles)")
    try:
        defaults: Defaults = _table("[defaults]", data.get("defaults", {}), Defaults, {})
        _check_choice("[defaults]", "format", defaults.format, FORMATS)
        _check_choice("[defaults]", "key_bindings", defaults.key_bindings, _KEY_BINDINGS)
        _check_style(defaults.style)
        if defaults.limit < 0 or defaults.page_size < 1:
            raise ConfigError("[defaults]: limit must be >= 0 and page_size >= 1")
        raw_profiles = data.get("profiles", {})
        if not isinstance(raw_profiles, Mapping):
            raise ConfigError("[profiles] must be a table of tables")
        profiles: dict[str, Profile] = {}
        for name, body in raw_profiles.items():
            where = f"[profiles.{name}]"
            profile: Profile = _table(where, body, Profile, {"name": name})
            if profile.auth:
                _check_choice(where, "auth", profile.auth, _AUTH)
            profiles[name] = profile
    except ConfigError as err:
        raise ConfigError(f"{where_file}{err}") from None
    return Config(defaults=defaults, profiles=profiles, path=path)


def load_config(path: Path | None = None, *, create: bool = True,
                default_text: str | None = None) -> Config:
    """Read the config file (default ``config_dir()/config.toml``); a missing file means the
    defaults, after ``default_text`` is written there when ``create`` (the shell's first run).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "zql" / "config.toml"
    >>> load_config(p, default_text="# mine\\n").defaults.entity, p.read_text()
    ('testcase', '# mine\\n')
    >>> load_config(Path(tempfile.mkdtemp()) / "none.toml").path is None
    True
    """
    target = path or config_dir() / "config.toml"
    if not target.exists():
        if not create or default_text is None:
            return Config(path=None)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, default_text)
        except OSError:
            # A read-only home must not stop the shell: run with the defaults.
            return Config(path=None)
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{target}: cannot read: {err}") from None
    return parse_config(text, target)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Where to connect and how; the repr never shows the secret values.

    >>> Credentials("http://x", token="s3cret")
    Credentials(url='http://x', auth='bearer', username=None, token=***, password=None)
    """

    url: str
    token: str | None = None
    username: str | None = None
    password: str | None = None
    auth: str | None = None

    def __repr__(self) -> str:
        def hide(value: str | None) -> str:
            return "None" if value is None else "***"

        return (f"Credentials(url={self.url!r}, auth={self.method!r}, "
                f"username={self.username!r}, token={hide(self.token)}, "
                f"password={hide(self.password)})")

    @property
    def method(self) -> str:
        """The auth method the client will use.

        >>> Credentials("u", username="a", password="b").method
        'cookie'
        """
        return self.auth or ("bearer" if self.token else "cookie")

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secret values, so the history can refuse any line that contains one.

        >>> Credentials("u", token="t0k").secrets
        ('t0k',)
        """
        return tuple(s for s in (self.token, self.password) if s)


def _env(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"the environment variable {name} (the {what}) is not set or empty")
    return value


def _from_keyring(profile: str) -> str:
    try:
        import keyring  # optional: only profiles that ask for it need the package
    except ImportError:
        raise ConfigError(f"profile {profile!r} reads its token from the keyring, but the "
                          "keyring package is missing: pip install 'zephyr-zql[keyring]'"
                          ) from None
    try:
        secret = keyring.get_password("zql", profile)
    except Exception as err:  # keyring backends raise their own types
        raise ConfigError(f"keyring lookup for profile {profile!r} failed: "
                          f"{type(err).__name__}") from None
    if not secret:
        raise ConfigError(f"no token in the keyring for service 'zql', user {profile!r} "
                          f"(store one with: keyring set zql {profile})")
    return str(secret)


def resolve_credentials(
    profile: Profile | None,
    *,
    url: str | None = None,
    token: str | None = None,
    token_env: str | None = None,
    username: str | None = None,
    password_env: str | None = None,
    auth: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials | None:
    """Combine command-line options, a profile and ``ZEPHYR_*`` variables; None means offline.

    Options win over the profile, the profile over the environment. A username without a
    password source leaves ``password`` None: the caller asks for it without echo.

    >>> resolve_credentials(Profile("w", url="http://z", token_env="HOME")).method
    'bearer'
    >>> resolve_credentials(None, environ={}) is None
    True
    >>> resolve_credentials(None, environ={"ZEPHYR_URL": "http://z", "ZEPHYR_TOKEN": "t"}).token
    't'
    """
    env = os.environ if environ is None else environ
    p = profile or Profile("")
    where = url or p.url or env.get("ZEPHYR_URL", "")
    if not where:
        return None
    name = p.name or "default"
    chosen_auth = auth or p.auth or env.get("ZEPHYR_AUTH") or None
    if chosen_auth is not None and chosen_auth not in _AUTH:
        raise ConfigError(f"auth must be one of {', '.join(_AUTH)}, got {chosen_auth!r}")
    wants_token = chosen_auth in (None, "bearer") and not (username and chosen_auth is None)
    secret: str | None = token
    if secret is None and token_env and wants_token:
        secret = _env(env, token_env, "token")
    if secret is None and wants_token:
        if p.token_env:
            secret = _env(env, p.token_env, f"token of profile {name!r}")
        elif p.keyring:
            secret = _from_keyring(name)
        elif not p.username:
            secret = env.get("ZEPHYR_TOKEN") or None
    user: str | None = None
    password: str | None = None
    if secret is None and chosen_auth != "bearer":
        user = username or p.username or env.get("ZEPHYR_USERNAME") or None
        if user is not None:
            if password_env:
                password = _env(env, password_env, "password")
            elif p.password_env:
                password = _env(env, p.password_env, f"password of profile {name!r}")
            else:
                password = env.get("ZEPHYR_PASSWORD") or None
    return Credentials(where, token=secret, username=user, password=password, auth=chosen_auth)


def with_overrides(defaults: Defaults, **changes: Any) -> Defaults:
    """A copy of ``defaults`` with the non-None ``changes`` applied.

    >>> with_overrides(Defaults(), entity="execution", schema=None).entity
    'execution'
    """
    return replace(defaults, **{k: v for k, v in changes.items() if v is not None})
