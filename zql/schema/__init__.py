"""Field facts: which fields each entity has, their types, operators and lookups.

The one source of field knowledge for the validator, builder, completion, sandbox and docs.
Bundled profiles (``ze6``, ``ze7`` — the default) are JSON data beside this module; a schema can
also be built from a server's ``/v3/zql/metadata`` answer and saved to / loaded from a JSON file.

>>> s = load_schema("ze7")
>>> s.field("testcase", "PRIORITY").name
'priority'
>>> sorted(op.text for op in s.field("testcase", "automated").operators)
['!=', '=']
"""

from __future__ import annotations

import difflib
import functools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zql import _vocabulary
from zql._fs import write_atomically
from zql.ast import Op
from zql.errors import ZQLError

__all__ = [
    "CUSTOM_KINDS",
    "ENTITIES",
    "STATUS_LOOKUP",
    "FieldSpec",
    "Schema",
    "SchemaError",
    "Status",
    "ValueFacts",
    "load_schema",
    "profile_names",
]

# Package data beside this module (inside the wheel too); a plain path is cheaper to import
# than importlib.resources and the package is never zipped.
_PROFILES = Path(__file__).resolve().parent / "profiles"

#: The searchable entities, as the search API's ``entitytype`` names them.
ENTITIES: tuple[str, ...] = ("testcase", "requirement", "execution")
#: Field types a schema may declare.
TYPES: tuple[str, ...] = ("string", "long", "int", "decimal", "boolean")
_TEXT_OPS = (Op.IS, Op.IS_NOT, Op.CONTAINS, Op.NOT_CONTAINS)
#: Custom field kinds -> (type, operators), per the ZE 7 documentation.
CUSTOM_KINDS: dict[str, tuple[str, tuple[Op, ...]]] = {
    "text": ("string", _TEXT_OPS),
    "longtext": ("string", _TEXT_OPS),
    "picklist": ("string", (Op.IS, Op.IS_NOT, Op.IN, Op.EQ, Op.NE)),
    "number": ("long", (Op.IN, Op.EQ, Op.NE)),
    "checkbox": ("boolean", (Op.EQ, Op.NE, Op.IN)),
}
# The metadata API calls executions "testSchedule".
_ENTITY_ALIASES = {"testschedule": "execution", "schedule": "execution", "tc": "testcase",
                   "req": "requirement", "executions": "execution", "testcases": "testcase",
                   "requirements": "requirement"}
_METADATA_TYPES = {"string": "string", "text": "string", "long": "long", "integer": "int",
                   "int": "int", "decimal": "decimal", "double": "decimal", "float": "decimal",
                   "boolean": "boolean", "bool": "boolean", "date": "string"}


class SchemaError(ZQLError, ValueError):
    """A schema file or name that cannot be used.

    >>> load_schema("ze9")
    Traceback (most recent call last):
      ...
    zql.schema.SchemaError: unknown schema profile 'ze9'; bundled profiles: ze6, ze7 \
(or give a path to a JSON schema file)
    """


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What one field of one entity is: its canonical name, type and allowed operators.

    >>> f = load_schema().field("testcase", "automated")
    >>> f.type, f.accepts(Op.NE), f.accepts(Op.IN)
    ('boolean', True, False)
    """

    name: str
    entity: str
    type: str
    operators: frozenset[Op]
    api_only: bool = False
    #: operators completed by analogy where the documentation was cut off
    inferred: bool = False
    #: custom field kind (text, longtext, picklist, number, checkbox) or None
    custom: str | None = None
    #: key for value suggestions (``/v3/zql/val/{lookup}``), if the server offers them
    lookup: str | None = None
    #: known values (picklists, statuses...) for completion and validation hints
    values: tuple[str, ...] = ()
    #: value format for strings, e.g. ``HH:MM:SS``
    format: str | None = None
    #: the field takes several values per item (tags): ``=`` means "has this value"
    multi: bool = False
    description: str = ""

    def accepts(self, op: Op) -> bool:
        """Whether the field allows ``op``.

        >>> load_schema().field("testcase", "name").accepts(Op.CONTAINS)
        True
        """
        return op in self.operators

    @property
    def operator_texts(self) -> list[str]:
        """Allowed operators in a stable, readable order.

        >>> load_schema().field("testcase", "priority").operator_texts
        ['=', '!=', 'in', 'is', 'is not']
        """
        return [op.text for op in Op if op in self.operators]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the schema file format; defaults are omitted).

        >>> load_schema().field("testcase", "name").to_json()
        {'name': 'name', 'type': 'string', 'operators': ['~', '!~'], 'description': 'name'}
        """
        out: dict[str, Any] = {"name": self.name, "type": self.type,
                               "operators": self.operator_texts}
        for key in ("api_only", "inferred", "custom", "lookup", "format", "multi", "description"):
            value = getattr(self, key)
            if value:
                out[key] = value
        if self.values:
            out["values"] = list(self.values)
        return out

    @classmethod
    def from_json(cls, entity: str, data: Mapping[str, Any]) -> FieldSpec:
        """Build from the schema file format; errors name the field and the problem.

        >>> FieldSpec.from_json("testcase", {"name": "x", "type": "long", "operators": ["="]}).type
        'long'
        """
        try:
            name = str(data["name"])
            ftype = str(data.get("type", "string"))
            ops = frozenset(Op.from_text(str(o)) for o in data["operators"])
        except (KeyError, TypeError, ValueError) as err:
            raise SchemaError(f"bad field entry for {entity}: {data!r} ({err})") from None
        if ftype not in TYPES:
            raise SchemaError(f"field {entity}.{name}: unknown type {ftype!r}; one of {TYPES}")
        return cls(
            name=name, entity=entity, type=ftype, operators=ops,
            api_only=bool(data.get("api_only", False)), inferred=bool(data.get("inferred", False)),
            custom=data.get("custom"), lookup=data.get("lookup"),
            values=tuple(str(v) for v in data.get("values", ())), format=data.get("format"),
            multi=bool(data.get("multi", False)), description=str(data.get("description", "")),
        )


#: The lookup key of the execution status field: its values come from ``Schema.values``.
STATUS_LOOKUP = "status"


@dataclass(frozen=True, slots=True)
class Status:
    """One execution status as a server configures it (``testresult.testresultStatus.LOV``).

    >>> Status(1, "Pass")
    Status(id=1, name='Pass', active=True)
    """

    id: int
    name: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class ValueFacts:
    """Facts about values rather than fields: statuses, never-run rows, the URL limit.

    The bundled defaults live in each profile's ``values`` object; a server's own list (read by
    the client) replaces ``statuses`` through :meth:`Schema.with_statuses`.

    >>> facts = load_schema().values
    >>> [s.name for s in facts.statuses], facts.not_executed.name, facts.url_limit
    (['Pass', 'Fail', 'WIP', 'Blocked'], 'Not Executed', 4000)
    """

    statuses: tuple[Status, ...] = ()
    #: how a never-run execution reads: no ``lastTestResult``, or one of ``not_executed_ids``
    not_executed: Status = Status(-1, "Not Executed")
    not_executed_ids: tuple[str, ...] = ("-1", "0", "")
    #: longest GET URL the client sends before switching to POST; ZQL307 warns past it
    url_limit: int = 4000

    def to_json(self) -> dict[str, Any]:
        """The ``values`` object of the schema file format.

        >>> ValueFacts().to_json()["url_limit"]
        4000
        """
        return {
            "statuses": [{"id": s.id, "name": s.name, "active": s.active} for s in self.statuses],
            "not_executed": {"id": self.not_executed.id, "name": self.not_executed.name,
                             "ids": list(self.not_executed_ids)},
            "url_limit": self.url_limit,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ValueFacts:
        """Build from the ``values`` object; a missing one gives the defaults (format 1 files).

        >>> ValueFacts.from_json({"statuses": [{"id": 11, "name": "Outscoped"}]}).statuses
        (Status(id=11, name='Outscoped', active=True),)
        """
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise SchemaError("'values' in a schema file must be a JSON object")
        try:
            statuses = tuple(Status(int(s["id"]), str(s["name"]), bool(s.get("active", True)))
                             for s in data.get("statuses", ()))
            ne = data.get("not_executed") or {}
            not_executed = Status(int(ne.get("id", -1)), str(ne.get("name", "Not Executed")))
            ids = tuple(str(i) for i in ne.get("ids", ("-1", "0", "")))
            url_limit = int(data.get("url_limit", 4000))
        except (KeyError, TypeError, ValueError) as err:
            raise SchemaError(f"bad 'values' object in a schema file: {err}") from None
        return cls(statuses, not_executed, ids, url_limit)


@dataclass(frozen=True, slots=True)
class Rename:
    """A field that another profile spells differently (``id`` in ze6 is ``testcaseId`` in ze7).

    >>> Rename("id", "testcaseId", "ze6").old
    'id'
    """

    old: str
    new: str
    profile: str
    entities: tuple[str, ...] = ENTITIES


@dataclass(frozen=True)
class Schema:
    """The fields of each entity. Look-ups are case-insensitive; names come back canonical.

    >>> s = load_schema("ze7")
    >>> [f.name for f in s.fields("requirement")][:3]
    ['altId', 'details', 'url']
    >>> s.field("execution", "cyclephase") is None, s.rename_for("execution", "cyclephase").new
    (True, 'cycle')
    """

    name: str
    entities: Mapping[str, Mapping[str, FieldSpec]]
    renames: tuple[Rename, ...] = ()
    description: str = ""
    values: ValueFacts = field(default_factory=ValueFacts)
    _lower: dict[str, dict[str, FieldSpec]] = field(default_factory=dict, repr=False,
                                                     compare=False)

    def __post_init__(self) -> None:
        # A status field's values are the value facts' statuses (one fact, one place): active
        # ones first, then "never run", then inactive ones.
        object.__setattr__(self, "entities", {
            entity: {name: self._status_values(spec) for name, spec in fields.items()}
            for entity, fields in self.entities.items()})
        for entity, fields in self.entities.items():
            self._lower[entity] = {name.lower(): spec for name, spec in fields.items()}

    def _status_values(self, spec: FieldSpec) -> FieldSpec:
        if spec.lookup != STATUS_LOOKUP:
            return spec
        facts = self.values
        names = ([s.name for s in facts.statuses if s.active] + [facts.not_executed.name]
                 + [s.name for s in facts.statuses if not s.active])
        return replace(spec, values=tuple(dict.fromkeys(names)))

    # ---- queries

    @staticmethod
    def entity_name(entity: str) -> str:
        """Canonical entity name; raises :class:`SchemaError` for an unknown one.

        >>> Schema.entity_name("testSchedule")
        'execution'
        """
        key = entity.strip().lower()
        key = _ENTITY_ALIASES.get(key, key)
        if key not in ENTITIES:
            raise SchemaError(
                f"unknown entity {entity!r}; one of: {', '.join(ENTITIES)}")
        return key

    def field(self, entity: str, name: str) -> FieldSpec | None:
        """The field named ``name`` (any case) of ``entity``, or None.

        >>> load_schema().field("testcase", "altid").name
        'altId'
        """
        return self._lower.get(self.entity_name(entity), {}).get(name.lower())

    def fields(self, entity: str) -> list[FieldSpec]:
        """All fields of ``entity``, in schema order.

        >>> len(load_schema().fields("testcase")) > 10
        True
        """
        return list(self.entities.get(self.entity_name(entity), {}).values())

    def entities_with(self, name: str) -> list[str]:
        """Which entities have a field of this name.

        >>> load_schema().entities_with("notes")
        ['execution']
        """
        return [e for e in self.entities if name.lower() in self._lower.get(e, {})]

    def rename_for(self, entity: str, name: str) -> Rename | None:
        """A known rename of a field this schema does not have (e.g. ze6 ``id`` in ze7).

        >>> load_schema("ze7").rename_for("testcase", "id").new
        'testcaseId'
        """
        entity = self.entity_name(entity)
        for rename in self.renames:
            if (rename.old.lower() == name.lower() and entity in rename.entities
                    and self.field(entity, rename.new) is not None):
                return rename
        return None

    def suggest(self, entity: str, name: str, n: int = 3) -> list[str]:
        """Did-you-mean candidates for an unknown field name.

        >>> load_schema().suggest("testcase", "prority")
        ['priority']
        """
        names = {f.name.lower(): f.name for f in self.fields(entity)}
        close = difflib.get_close_matches(name.lower(), list(names), n=n, cutoff=0.6)
        return [names[c] for c in close]

    # ---- building

    def with_custom_fields(self, entity: str, fields: Iterable[tuple[str, str]]) -> Schema:
        """A copy with custom fields ``(search name, kind)`` added to ``entity``.

        >>> s = load_schema().with_custom_fields("testcase", [("customtext", "text")])
        >>> s.field("testcase", "customtext").operator_texts
        ['~', '!~', 'is', 'is not']
        """
        entity = self.entity_name(entity)
        added = dict(self.entities.get(entity, {}))
        for name, kind in fields:
            spec = custom_field(entity, name, kind)
            if name.lower() in self._lower.get(entity, {}):
                raise SchemaError(f"custom field {name!r} clashes with a field of {entity}")
            added[spec.name] = spec
        entities = dict(self.entities)
        entities[entity] = added
        return replace(self, entities=entities, _lower={})

    def with_statuses(self, statuses: Iterable[Status]) -> Schema:
        """A copy whose statuses are the server's own list (they replace the bundled ones).

        >>> s = load_schema().with_statuses([Status(1, "Pass"), Status(12, "Deferred", False)])
        >>> [x.name for x in s.values.statuses]
        ['Pass', 'Deferred']
        """
        return replace(self, values=replace(self.values, statuses=tuple(statuses)), _lower={})

    def to_json(self) -> dict[str, Any]:
        """The schema file format (see ``docs/schema.md``).

        >>> load_schema("ze7").to_json()["name"]
        'ze7'
        """
        return {
            "format": "zql-schema/2",
            "name": self.name,
            "description": self.description,
            "values": self.values.to_json(),
            "entities": {e: [_without_status_values(f) for f in fs.values()]
                         for e, fs in self.entities.items()},
            "renames": [
                {"old": r.old, "new": r.new, "profile": r.profile, "entities": list(r.entities)}
                for r in self.renames
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, name: str | None = None) -> Schema:
        """Build from the schema file format.

        >>> Schema.from_json(load_schema("ze6").to_json()) == load_schema("ze6")
        True
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("entities"), Mapping):
            raise SchemaError("a schema file is a JSON object with an 'entities' object")
        entities: dict[str, dict[str, FieldSpec]] = {}
        for entity, fields in data["entities"].items():
            key = cls.entity_name(entity)
            if not isinstance(fields, list):
                raise SchemaError(f"entity {entity!r}: expected a list of fields")
            entities[key] = {}
            for item in fields:
                spec = FieldSpec.from_json(key, item)
                entities[key][spec.name] = spec
        renames = tuple(
            Rename(str(r["old"]), str(r["new"]), str(r.get("profile", "")),
                   tuple(r.get("entities", ENTITIES)))
            for r in data.get("renames", ())
        )
        return cls(name or str(data.get("name", "custom")), entities, renames,
                   str(data.get("description", "")), ValueFacts.from_json(data.get("values")))

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any], *, name: str = "server",
                      base: Schema | None = None) -> Schema:
        """Build from a server's ``GET /v3/zql/metadata`` answer.

        Entries are ``{name, dataType, operatorToFieldMap, lookupKey, visible, ...}`` grouped by
        entity (``testcase``, ``requirement``, ``testSchedule``). Renames come from ``base``.

        >>> meta = {"testcase": [{"name": "name", "dataType": "string",
        ...     "operatorToFieldMap": {"~": "name", "!~": "name"}, "visible": True}]}
        >>> Schema.from_metadata(meta).field("testcase", "name").operator_texts
        ['~', '!~']
        """
        if not isinstance(metadata, Mapping):
            raise SchemaError("the metadata answer is not a JSON object")
        base = base or load_schema()
        entities: dict[str, dict[str, FieldSpec]] = {}
        for raw_entity, entries in metadata.items():
            try:
                entity = cls.entity_name(str(raw_entity))
            except SchemaError:
                continue  # other metadata the UI keeps; not a searchable entity
            entities[entity] = {}
            for entry in entries or ():
                if not isinstance(entry, Mapping) or "name" not in entry:
                    continue
                ops = frozenset(
                    Op.from_text(o) for o in (entry.get("operatorToFieldMap") or {})
                    if _known_op(o))
                ftype = _METADATA_TYPES.get(str(entry.get("dataType", "string")).lower(), "string")
                known = base.field(entity, str(entry["name"]))
                spec = FieldSpec(
                    name=str(entry["name"]), entity=entity, type=ftype, operators=ops,
                    api_only=not entry.get("visible", True),
                    custom=entry.get("customFieldKind") or (None if known else
                                                             _custom_kind(entry)),
                    lookup=entry.get("lookupKey") if entry.get("lookup") or
                    entry.get("lookupKey") else None,
                    values=known.values if known else (),
                    format=known.format if known else None,
                    multi=known.multi if known else False,
                    description=known.description if known else "",
                )
                entities[entity][spec.name] = spec
        return cls(name, entities, base.renames, f"fetched from a server's metadata ({name})",
                   base.values)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the schema file atomically (never a half-written file).

        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.json"
        >>> load_schema("ze7").save(p); load_schema(p).name
        'ze7'
        """
        write_atomically(Path(path), json.dumps(self.to_json(), indent=2, ensure_ascii=False)
                         + "\n")


def _without_status_values(spec: FieldSpec) -> dict[str, Any]:
    # Status values are derived from the `values` object; writing them twice would duplicate it.
    out = spec.to_json()
    if spec.lookup == STATUS_LOOKUP:
        out.pop("values", None)
    return out


def _known_op(text: str) -> bool:
    try:
        Op.from_text(text)
    except ValueError:
        return False
    return True


def _custom_kind(entry: Mapping[str, Any]) -> str | None:
    if not str(entry.get("name", "")).lower().startswith("custom"):
        return None
    return {"string": "text", "long": "number", "boolean": "checkbox"}.get(
        str(entry.get("dataType", "")).lower(), "text")


def custom_field(entity: str, name: str, kind: str) -> FieldSpec:
    """A custom field spec from its search name and kind.

    >>> custom_field("testcase", "customnumber", "number").operator_texts
    ['=', '!=', 'in']
    """
    if kind not in CUSTOM_KINDS:
        raise SchemaError(f"unknown custom field kind {kind!r}; one of: {', '.join(CUSTOM_KINDS)}")
    if not name or not name[0].isalpha() or not all(c.isalnum() or c in "_-" for c in name):
        raise SchemaError(f"custom field search name {name!r} must be a letter then letters, "
                          "digits, '_' or '-' (no spaces)")
    if name.lower() in _vocabulary.vocabulary().keyword_by_text:
        raise SchemaError(f"custom field search name {name!r} is a reserved word")
    ftype, ops = CUSTOM_KINDS[kind]
    return FieldSpec(name=name, entity=Schema.entity_name(entity), type=ftype,
                     operators=frozenset(ops), custom=kind)


@functools.cache
def profile_names() -> list[str]:
    """Names of the bundled schema profiles.

    >>> profile_names()
    ['ze6', 'ze7']
    """
    return sorted(p.name.removesuffix(".json") for p in _PROFILES.iterdir()
                  if p.name.endswith(".json"))


@functools.cache
def _bundled(name: str) -> Schema:
    data = (_PROFILES / f"{name}.json").read_text("utf-8")
    return Schema.from_json(json.loads(data), name=name)


def load_schema(source: str | os.PathLike[str] | Schema | None = None) -> Schema:
    """A bundled profile by name (``ze7`` by default), a schema JSON file, or a Schema as is.

    >>> load_schema().name, load_schema("ZE6").name
    ('ze7', 'ze6')
    """
    if isinstance(source, Schema):
        return source
    if source is None:
        return _bundled("ze7")
    text = os.fspath(source)
    if text.lower() in profile_names():
        return _bundled(text.lower())
    path = Path(text)
    if not path.suffix and not path.exists():
        raise SchemaError(
            f"unknown schema profile {text!r}; bundled profiles: {', '.join(profile_names())} "
            "(or give a path to a JSON schema file)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SchemaError(f"schema file not found: {text}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SchemaError(f"cannot read schema file {text}: {err}") from None
    except json.JSONDecodeError as err:
        raise SchemaError(f"schema file {text} is not valid JSON: {err}") from None
    return Schema.from_json(data, name=str(data.get("name", path.stem)) if isinstance(data, dict)
                            else path.stem)
