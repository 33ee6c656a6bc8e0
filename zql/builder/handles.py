"""Field handles: :func:`field` (any name) and :func:`fields` (checked against a schema).

>>> import zql
>>> ex = zql.fields("execution")
>>> print(ex.status.in_("Fail", "Blocked") & ex.executedBy.eq("alice"))
status in ("Fail", "Blocked") and executedBy = "alice"
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator
from decimal import Decimal
from typing import final

from zql.ast import Clause, Empty, Op, Scalar, String, ValueList
from zql.builder._values import NONE_HINT, Value, check_field_name, scalar
from zql.builder.expr import Expr, all_of
from zql.errors import ZQLError
from zql.schema import FieldSpec, Schema, SchemaError, custom_field, load_schema

# What `handle == x` compares with when the user meant a clause (`handle.eq(x)`).
_VALUE_TYPES = (str, int, float, Decimal, list, tuple, set, frozenset, range)

__all__ = ["Field", "Fields", "OperatorNotAllowedError", "UnknownFieldError", "field", "fields"]

_METHOD = {Op.EQ: "eq", Op.NE: "ne", Op.CONTAINS: "contains", Op.NOT_CONTAINS: "not_contains",
           Op.IN: "in_", Op.IS: "is_empty", Op.IS_NOT: "is_not_empty"}


class UnknownFieldError(ZQLError, AttributeError, KeyError):
    """A field the schema does not have (an ``AttributeError`` and a ``KeyError``).

    ``suggestions`` holds did-you-mean names, a renamed field's new name first.

    >>> import zql
    >>> try:
    ...     zql.fields("testcase").prority
    ... except AttributeError as err:
    ...     print(err.suggestions, "|", err)
    ('priority',) | testcase has no field 'prority' in schema ze7; did you mean 'priority'?
    """

    def __init__(self, message: str, *, entity: str, name: str,
                 suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.entity, self.name, self.suggestions = entity, name, suggestions

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class OperatorNotAllowedError(ZQLError, ValueError):
    """The schema does not allow this operator on this field; ``allowed`` lists what it does.

    >>> import zql
    >>> try:
    ...     zql.fields("testcase").name.eq("login")
    ... except zql.ZQLError as err:
    ...     print(err.allowed, "|", err)
    ('~', '!~') | testcase.name does not allow = (.eq()); allowed: ~ (.contains()), \
!~ (.not_contains())
    """

    def __init__(self, spec: FieldSpec, op: Op) -> None:
        self.spec, self.op = spec, op
        self.allowed = tuple(spec.operator_texts)
        allowed = ", ".join(f"{o.text} (.{_METHOD[o]}())" for o in Op if o in spec.operators)
        super().__init__(f"{spec.entity}.{spec.name} does not allow {op.text} (.{_METHOD[op]}()); "
                         f"allowed: {allowed or 'nothing'}")


@final
class Field:
    """An immutable handle on one field; its methods make clauses.

    Made by :func:`field` (any valid name, no schema) or by a :class:`Fields` lookup (``spec``
    set: operators and value types are checked against the schema).

    >>> import zql
    >>> zql.field("status")
    <Field status>
    >>> zql.fields("testcase").automated
    <Field testcase.automated (boolean; =, !=)>
    """

    __slots__ = ("_name", "_spec")
    _name: str
    _spec: FieldSpec | None

    def __init__(self, name: str, spec: FieldSpec | None = None) -> None:
        check_field_name(name)
        if spec is not None and spec.name != name:
            raise ValueError(f"field name {name!r} does not match its spec {spec.name!r}")
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_spec", spec)

    @property
    def name(self) -> str:
        """The field name as it is written in the query.

        >>> import zql
        >>> zql.fields("testcase").ALTID.name
        'altId'
        """
        return self._name

    @property
    def spec(self) -> FieldSpec | None:
        """The schema entry this handle checks against, or ``None``.

        >>> import zql
        >>> zql.fields("testcase").version.spec.type
        'int'
        """
        return self._spec

    def eq(self, value: Value) -> Expr:
        """``field = value``.

        >>> import zql
        >>> print(zql.field("priority").eq("P1"), "|", zql.field("automated").eq(False))
        priority = "P1" | automated = false
        """
        self._allow(Op.EQ)
        return self._clause(Op.EQ, scalar(value, self._spec, self._where("eq")))

    def ne(self, value: Value) -> Expr:
        """``field != value``.

        >>> import zql
        >>> print(zql.field("estimate").ne(0.1))
        estimate != 0.1
        """
        self._allow(Op.NE)
        return self._clause(Op.NE, scalar(value, self._spec, self._where("ne")))

    def contains(self, text: str) -> Expr:
        """``field ~ "text"`` (ZQL's ``~`` takes only strings).

        >>> import zql
        >>> print(zql.field("name").contains('" or project = "x'))
        name ~ "\\" or project = \\"x"
        """
        return self._clause(Op.CONTAINS, self._string(text, "contains"))

    def not_contains(self, text: str) -> Expr:
        """``field !~ "text"``.

        >>> import zql
        >>> print(zql.field("name").not_contains("wip"))
        name !~ "wip"
        """
        return self._clause(Op.NOT_CONTAINS, self._string(text, "not_contains"))

    def in_(self, *values: Value | Iterable[Value]) -> Expr:
        """``field in (v1, v2, ...)``: values as arguments or as one iterable; never empty.

        >>> import zql
        >>> print(zql.field("testcaseId").in_(range(3)))
        testcaseId in (0, 1, 2)
        """
        self._allow(Op.IN)
        if len(values) == 1 and isinstance(values[0], Iterable) and not isinstance(
                values[0], str | bytes | bytearray):
            values = tuple(values[0])
        if not values:
            raise ValueError(f"{self._where('in_')}: needs at least one value (ZQL has no empty "
                             "list); skip the filter instead, e.g. with zql.all_of()")
        items = tuple(scalar(v, self._spec, f"{self._where('in_')} value {i + 1}")
                      for i, v in enumerate(values))
        return self._clause(Op.IN, ValueList(items))

    def is_empty(self) -> Expr:
        """``field is empty``: the field has no value.

        >>> import zql
        >>> print(zql.field("tag").is_empty())
        tag is empty
        """
        self._allow(Op.IS)
        return self._clause(Op.IS, Empty())

    def is_not_empty(self) -> Expr:
        """``field is not empty``.

        >>> import zql
        >>> print(zql.field("tag").is_not_empty())
        tag is not empty
        """
        self._allow(Op.IS_NOT)
        return self._clause(Op.IS_NOT, Empty())

    def _where(self, method: str) -> str:
        return f"{self._name}.{method}()"

    def _allow(self, op: Op) -> None:
        if self._spec is not None and not self._spec.accepts(op):
            raise OperatorNotAllowedError(self._spec, op)

    def _string(self, text: object, method: str) -> String:
        self._allow(Op.CONTAINS if method == "contains" else Op.NOT_CONTAINS)
        if not isinstance(text, str):
            raise TypeError(f"{self._where(method)}: " + (
                NONE_HINT if text is None else f"takes a str, not {type(text).__name__}"))
        value = scalar(text, self._spec, self._where(method))
        assert isinstance(value, String)
        return value

    def _clause(self, op: Op, value: Scalar | ValueList | Empty) -> Expr:
        return Expr._trusted(Clause(self._name, op, value), 1)

    def __repr__(self) -> str:
        if self._spec is None:
            return f"<Field {self._name}>"
        spec = self._spec
        return f"<Field {spec.entity}.{spec.name} ({spec.type}; {', '.join(spec.operator_texts)})>"

    def condition_hint(self) -> str:
        """What to write instead of using the handle itself as a condition.

        >>> import zql
        >>> zql.field("status").condition_hint()
        'a Field is not a condition; call a method such as status.eq(...)'
        """
        return f"a Field is not a condition; call a method such as {self._name}.eq(...)"

    def __eq__(self, other: object) -> bool:
        """Handles compare as handles; ``handle == value`` raises (write ``.eq(value)``).

        Python would otherwise make ``ex.status == "Pass"`` a plain ``False``, which then
        filters nothing without a word.

        >>> import zql
        >>> zql.field("status") == zql.field("status")
        True
        >>> zql.field("status") == "Pass"
        Traceback (most recent call last):
          ...
        TypeError: status == 'Pass' is a Python comparison, not a ZQL clause; write \
status.eq('Pass')
        """
        if isinstance(other, Field):
            return (self._name, self._spec) == (other._name, other._spec)
        return self._compared(other, "==", "eq")

    def __ne__(self, other: object) -> bool:
        """``handle != value`` raises too (write ``.ne(value)``).

        >>> import zql
        >>> zql.field("status") != "Pass"
        Traceback (most recent call last):
          ...
        TypeError: status != 'Pass' is a Python comparison, not a ZQL clause; write \
status.ne('Pass')
        """
        if isinstance(other, Field):
            return (self._name, self._spec) != (other._name, other._spec)
        return not self._compared(other, "!=", "ne")

    def _compared(self, other: object, op: str, method: str) -> bool:
        if other is None or isinstance(other, _VALUE_TYPES):
            raise TypeError(f"{self._name} {op} {other!r} is a Python comparison, not a ZQL "
                            f"clause; write {self._name}.{method}({other!r})")
        return NotImplemented  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return hash((Field, self._name, self._spec))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Field is immutable")

    def __reduce__(self) -> tuple[type[Field], tuple[str, FieldSpec | None]]:
        return (Field, (self._name, self._spec))


def field(name: str) -> Field:
    """A handle on the field ``name``, without schema checks (any valid field name).

    The name must be what the grammar calls a field: an ASCII letter, then letters, digits,
    ``_`` or ``-``, and not a reserved word; anything else raises ``ValueError``.

    >>> import zql
    >>> print(zql.field("customtext").contains("x") | zql.field("id").in_([1, 2]))
    customtext ~ "x" or id in (1, 2)
    >>> zql.field("cycle name")
    Traceback (most recent call last):
      ...
    ValueError: invalid field name 'cycle name': a field name is an ASCII letter, then letters, \
digits, '_' or '-'
    """
    return Field(name)


@final
class Fields:
    """The schema-checked fields of one entity: ``tc.priority``, ``tc["customtext"]``.

    Look-ups ignore case and return the canonical name. Names that collide with this class's
    own attributes (``entity``, ``schema``, ``custom``, ``where``) are reached with ``tc[name]``.

    >>> import zql
    >>> tc = zql.fields("testcase", schema="ze7")
    >>> print(tc.PRIORITY.in_("P1", "P2") & tc.automated.eq(True))
    priority in ("P1", "P2") and automated = true
    >>> "version" in tc, len(tc), tc
    (True, 15, <Fields testcase (schema ze7, 15 fields)>)
    """

    __slots__ = ("_entity", "_schema")
    _entity: str
    _schema: Schema

    def __init__(self, entity: str, schema: Schema) -> None:
        object.__setattr__(self, "_entity", Schema.entity_name(entity))
        object.__setattr__(self, "_schema", schema)

    @property
    def entity(self) -> str:
        """The canonical entity name.

        >>> import zql
        >>> zql.fields("testSchedule").entity
        'execution'
        """
        return self._entity

    @property
    def schema(self) -> Schema:
        """The schema the fields come from.

        >>> import zql
        >>> zql.fields("execution", schema="ze6").schema.name
        'ze6'
        """
        return self._schema

    def __getattr__(self, name: str) -> Field:
        if name.startswith("_"):  # dunder probes (copy, pickle, IPython) are not fields
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Field:
        if not isinstance(name, str):
            raise TypeError(f"a field name is a str, not {type(name).__name__}")
        spec = self._schema.field(self._entity, name)
        if spec is None:
            raise self._unknown(name)
        return Field(spec.name, spec)

    def custom(self, name: str, kind: str) -> Field:
        """A custom field by search name and kind (text, longtext, picklist, number, checkbox),
        for schemas that do not list it; a field the schema has is checked to be that kind.

        >>> import zql
        >>> print(zql.fields("testcase").custom("customnumber", kind="number").in_(1, 2))
        customnumber in (1, 2)
        """
        known = self._schema.field(self._entity, name)
        if known is None:
            return Field(name, custom_field(self._entity, name, kind))
        if known.custom != kind:
            what = f"a {known.custom} custom field" if known.custom else "a built-in field"
            raise SchemaError(f"{self._entity}.{known.name} is {what} in schema "
                              f"{self._schema.name}, not a {kind} custom field")
        return Field(known.name, known)

    def where(self, **filters: Value | Iterable[Value] | None) -> Expr | None:
        """Equality filters from keyword arguments, skipping ``None`` and empty collections.

        A collection (list, tuple, set, range...) becomes ``in`` (one item: ``=``); a text-only
        field (``~``, no ``=``) such as ``name`` gets ``~``. ``None`` when nothing is left (see
        :func:`all_of`).

        >>> import zql
        >>> ex = zql.fields("execution")
        >>> print(ex.where(release="R1", status=["Fail", "Blocked"], notes="flaky", cycle=None))
        release = "R1" and status in ("Fail", "Blocked") and notes ~ "flaky"
        >>> print(ex.where(status=["Fail"]))
        status = "Fail"
        """
        parts: list[Expr] = []
        for name, value in filters.items():
            if value is None:
                continue
            handle = self[name]
            if isinstance(value, Collection) and not isinstance(value, str | bytes | bytearray):
                items = list(value)
                if len(items) != 1:
                    if items:
                        parts.append(handle.in_(items))
                    continue
                value = items[0]  # one value: `=`, as ZQL308 prefers to `in ("x")`
            if isinstance(value, str | int | float | Decimal):
                spec = handle.spec
                if (isinstance(value, str) and spec is not None and not spec.accepts(Op.EQ)
                        and spec.accepts(Op.CONTAINS)):
                    parts.append(handle.contains(value))  # text-only field such as name
                else:
                    parts.append(handle.eq(value))
            else:
                raise TypeError(f"where({name}=...): a {type(value).__name__} is not a ZQL value "
                                "or a list of them")
        return all_of(*parts)

    def _unknown(self, name: str) -> UnknownFieldError:
        schema, entity = self._schema, self._entity
        message = f"{entity} has no field {name!r} in schema {schema.name}"
        others = [e for e in schema.entities_with(name) if e != entity]
        if others:
            message += f" (it is a field of {', '.join(others)})"
        suggestions = schema.suggest(entity, name)
        rename = schema.rename_for(entity, name)
        if rename is not None:
            message += f"; it is called {rename.new!r} here ({rename.old!r} in {rename.profile})"
            suggestions = [rename.new, *(s for s in suggestions if s != rename.new)]
        elif suggestions:
            message += "; did you mean " + ", ".join(map(repr, suggestions)) + "?"
        elif not others:
            message += ("; fields: " + ", ".join(f.name for f in schema.fields(entity))
                        + "; for a custom field use .custom(name, kind=...)")
        return UnknownFieldError(message, entity=entity, name=name,
                                 suggestions=tuple(suggestions))

    def __dir__(self) -> list[str]:
        own = ["custom", "entity", "schema", "where"]
        return sorted({*own, *(f.name for f in self._schema.fields(self._entity))})

    def __iter__(self) -> Iterator[Field]:
        return (Field(f.name, f) for f in self._schema.fields(self._entity))

    def __len__(self) -> int:
        return len(self._schema.fields(self._entity))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._schema.field(self._entity, name) is not None

    def __repr__(self) -> str:
        return f"<Fields {self._entity} (schema {self._schema.name}, {len(self)} fields)>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fields):
            return NotImplemented
        return (self._entity, self._schema) == (other._entity, other._schema)

    def __hash__(self) -> int:
        return hash((Fields, self._entity, self._schema.name))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Fields is immutable")

    def __reduce__(self) -> tuple[type[Fields], tuple[str, Schema]]:
        return (Fields, (self._entity, self._schema))


def fields(entity: str, schema: str | os.PathLike[str] | Schema | None = None) -> Fields:
    """Schema-checked field handles for ``entity`` (``testcase``, ``requirement``,
    ``execution``); ``schema`` is a profile name (``ze7`` by default), a JSON file or a Schema.

    >>> import zql
    >>> tc = zql.fields("testcase", schema="ze7")
    >>> try:
    ...     tc.id
    ... except AttributeError as err:
    ...     print(err.suggestions)
    ('testcaseId',)
    >>> tc.automated.eq("yes")
    Traceback (most recent call last):
      ...
    TypeError: automated.eq(): testcase.automated is a boolean field and takes bool, not str
    """
    return Fields(entity, load_schema(schema))
