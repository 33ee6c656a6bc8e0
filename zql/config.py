"""Settings for a ``.zql`` file: its header, the nearest config file, the caller's defaults.

``zql lint`` and the language server resolve the same four settings the same way:

* ``entity`` — ``testcase`` (default), ``requirement`` or ``execution``;
* ``schema`` — a bundled profile (``ze6``, ``ze7``) or a schema JSON file, such as one written
  by ``zql schema pull``; a relative path is relative to the file that names it;
* ``select`` / ``ignore`` — rule codes, code prefixes (``ZQL3``) or rule names.

Each setting is taken from the first of these that sets it: the file's first-line header
``# zql: entity=… schema=… ignore=ZQL301,ZQL302``; then what the caller passes explicitly (``zql
lint`` flags); then the nearest ``zql.toml`` (top-level keys) or ``pyproject.toml`` with a
``[tool.zql]`` table, searching from the file's folder upwards (in one folder ``zql.toml``
wins; a ``pyproject.toml`` without ``[tool.zql]`` is passed over); then the language client's
initialization options; then the defaults.

>>> import pathlib, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "zql.toml").write_text('entity = "execution"\\nignore = ["ZQL3"]\\n')
>>> (root / "q").mkdir()
>>> s = resolve("status = 1", root / "q" / "a.zql")
>>> s.entity, s.ignore, s.schema is None
('execution', ('ZQL3',), True)
>>> resolve("# zql: entity=requirement\\nname ~ 'x'", root / "a.zql").entity
'requirement'
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from zql.errors import ZQLError

__all__ = [
    "CONFIG_NAMES",
    "ConfigCache",
    "ConfigError",
    "Settings",
    "find_config",
    "header_settings",
    "load_config",
    "resolve",
    "settings_from",
]

#: Config file names looked for in each folder, the first found winning.
CONFIG_NAMES: tuple[str, ...] = ("zql.toml", "pyproject.toml")
_KEYS = ("entity", "schema", "select", "ignore")


class ConfigError(ZQLError, ValueError):
    """A config file, header or option that cannot be used; the message names where and why.

    >>> settings_from({"entitty": "x"}, origin="zql.toml")
    Traceback (most recent call last):
      ...
    zql.config.ConfigError: zql.toml: unknown setting 'entitty' (did you mean 'entity'?); \
settings are entity, schema, select, ignore
    """


@dataclass(frozen=True, slots=True)
class Settings:
    """The options one file is linted with; ``None`` means "not set here".

    >>> Settings(entity="execution").over(Settings(entity="testcase", schema="ze6"))
    Settings(entity='execution', schema='ze6', select=None, ignore=None)
    >>> Settings().lint_options()
    {'entity': 'testcase', 'schema': 'ze7', 'select': None, 'ignore': None}
    """

    entity: str | None = None
    schema: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None

    def over(self, base: Settings) -> Settings:
        """These settings where set, ``base`` elsewhere.

        >>> Settings(ignore=("ZQL301",)).over(Settings(ignore=("ZQL3",), entity="x")).ignore
        ('ZQL301',)
        """
        return replace(base, **{f.name: getattr(self, f.name) for f in fields(self)
                                if getattr(self, f.name) is not None})

    def lint_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`zql.lint`, with the defaults filled in.

        >>> Settings(schema="ze6", select=("ZQL2",)).lint_options()["select"]
        ('ZQL2',)
        """
        return {"entity": self.entity or "testcase", "schema": self.schema or "ze7",
                "select": self.select, "ignore": self.ignore}


def _codes(value: Any, key: str, origin: str) -> tuple[str, ...]:
    from zql.rules import rule, rules

    items: Iterable[Any]
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ConfigError(f"{origin}: {key} must be a list of rule codes, not {value!r}")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"{origin}: {key} must be a list of rule codes, not {value!r}")
        code = item.strip()
        if not code:
            continue
        if any(r.code.startswith(code.upper()) for r in rules()):
            out.append(code.upper())
            continue
        try:
            out.append(rule(code).code)
        except KeyError as err:
            raise ConfigError(f"{origin}: {key}: {err.args[0]}") from None
    return tuple(out)


def _schema(value: Any, base_dir: Path | None, origin: str) -> str:
    from zql.schema import profile_names

    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{origin}: schema must be a profile name or a file path, "
                          f"not {value!r}")
    text: str = value.strip()
    if text.lower() in profile_names():
        return text.lower()
    path = Path(os.path.expanduser(text))
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.exists() and not path.suffix and os.sep not in text and "/" not in text:
        return text  # a mistyped profile name: load_schema says "unknown schema profile"
    return str(path)


def settings_from(data: Mapping[str, Any], *, base_dir: Path | None = None,
                  origin: str = "settings") -> Settings:
    """Validate a mapping of settings (a TOML table, a header, initialization options).

    ``base_dir`` is where a relative schema path is taken from; ``origin`` names the source in
    error messages. Empty values count as unset.

    >>> settings_from({"schema": "ZE6", "select": "ZQL2, mixed-and-or"})
    Settings(entity=None, schema='ze6', select=('ZQL2', 'ZQL301'), ignore=None)
    >>> settings_from({"schema": "s.json"}, base_dir=Path("/repo")).schema
    '/repo/s.json'
    """
    from zql.schema import Schema, SchemaError

    unknown = [k for k in data if k not in _KEYS]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), _KEYS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{origin}: unknown setting {unknown[0]!r}{hint}; settings are "
                          f"{', '.join(_KEYS)}")
    values: dict[str, Any] = {}
    entity = data.get("entity")
    if entity not in (None, ""):
        if not isinstance(entity, str):
            raise ConfigError(f"{origin}: entity must be a string, not {entity!r}")
        try:
            values["entity"] = Schema.entity_name(entity)
        except SchemaError as err:
            raise ConfigError(f"{origin}: {err}") from None
    if data.get("schema") not in (None, ""):
        values["schema"] = _schema(data["schema"], base_dir, origin)
    for key in ("select", "ignore"):
        if data.get(key) is not None:
            values[key] = _codes(data[key], key, origin)
    return Settings(**values)


def _candidates(start: Path) -> Iterable[Path]:
    start = start.absolute()
    folder = start if start.is_dir() else start.parent
    for candidate_dir in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_dir / name
            if candidate.is_file():
                yield candidate


def _read(path: Path) -> Settings | None:
    # None: a pyproject.toml that has no [tool.zql] (or that another tool owns and we cannot
    # parse): it is passed over rather than reported, since it is not ours.
    import tomllib  # only when a config file exists: keeps `zql lint` start-up short

    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        if path.name == "pyproject.toml":
            return None
        what = "not valid TOML" if isinstance(err, tomllib.TOMLDecodeError) else "cannot read"
        raise ConfigError(f"{path}: {what}: {err}") from None
    origin = str(path)
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        if not isinstance(tool, dict) or "zql" not in tool:
            return None
        data, origin = tool["zql"], f"{path} [tool.zql]"
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a table of settings")
    return settings_from(data, base_dir=path.parent, origin=origin)


def find_config(start: Path) -> Path | None:
    """The nearest config file at or above ``start`` (a file or a folder), or None.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "pyproject.toml").write_text("[project]\\nname = 'x'\\n")
    >>> find_config(root / "a.zql") is None
    True
    >>> _ = (root / "pyproject.toml").write_text("[tool.zql]\\nentity = 'execution'\\n")
    >>> find_config(root / "a.zql").name
    'pyproject.toml'
    """
    for candidate in _candidates(start):
        if candidate.name != "pyproject.toml" or _read(candidate) is not None:
            return candidate
    return None


def load_config(path: Path) -> Settings:
    """Read the settings of a ``zql.toml`` or of ``[tool.zql]`` in a ``pyproject.toml``.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "zql.toml"
    >>> _ = p.write_text('schema = "schemas/live.json"\\n')
    >>> load_config(p).schema == str(p.parent / "schemas" / "live.json")
    True
    """
    return _read(path) or Settings()


def header_settings(text: str, path: Path | None = None) -> Settings:
    """Settings from the file's ``# zql: key=value`` header; other keys there are left alone.

    >>> header_settings("# zql: entity=execution ignore=ZQL301,ZQL302 author=me\\nx = 1")
    Settings(entity='execution', schema=None, select=None, ignore=('ZQL301', 'ZQL302'))
    """
    from zql.files import parse_header

    header = {k: v for k, v in parse_header(text).items() if k in _KEYS}
    if not header:
        return Settings()
    name = path.name if path is not None else "<text>"
    return settings_from(header, base_dir=path.parent if path is not None else None,
                         origin=f"{name}: header")


def resolve(text: str, path: Path | None = None, *, explicit: Settings | None = None,
            fallback: Settings | None = None, config: Settings | None = None) -> Settings:
    """The settings for one file: header, then ``explicit``, then its config file, then
    ``fallback``. Pass ``config`` to skip the search (the server caches it).

    >>> resolve("x = 1", explicit=Settings(entity="execution")).entity
    'execution'
    """
    if config is None:
        found = find_config(path) if path is not None else None
        config = load_config(found) if found is not None else Settings()
    merged = config.over(fallback or Settings())
    if explicit is not None:
        merged = explicit.over(merged)
    return header_settings(text, path).over(merged)


class ConfigCache:
    """Config lookups for a long-running process: re-read only when a file changes.

    Each call re-checks the candidate files' modification times (cheap ``stat`` calls), so an
    edit to ``zql.toml`` applies on the next keystroke without a restart.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> _ = (root / "zql.toml").write_text('entity = "execution"\\n')
    >>> cache = ConfigCache()
    >>> cache.settings(root / "a.zql").entity
    'execution'
    """

    def __init__(self) -> None:
        self._loaded: dict[Path, tuple[tuple[int, int], Settings | ConfigError | None]] = {}

    def settings(self, path: Path) -> Settings:
        """The config settings that apply to ``path`` (raises :class:`ConfigError`).

        >>> import tempfile
        >>> ConfigCache().settings(Path(tempfile.mkdtemp()) / "a.zql").schema is None
        True
        """
        for candidate in _candidates(path):
            try:
                stat = candidate.stat()
            except OSError:
                continue
            stamp = (stat.st_mtime_ns, stat.st_size)
            cached = self._loaded.get(candidate)
            if cached is None or cached[0] != stamp:
                entry: Settings | ConfigError | None
                try:
                    entry = _read(candidate)
                except ConfigError as err:
                    entry = err
                cached = self._loaded[candidate] = (stamp, entry)
            if isinstance(cached[1], ConfigError):
                raise cached[1]
            if cached[1] is not None:
                return cached[1]
        return Settings()
