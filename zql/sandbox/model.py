"""What the sandbox serves: its schema (ze7 plus its own custom fields), statuses and naming.

Every other sandbox module takes field facts from :func:`sandbox_schema` — the store builds one
search column per schema field, the compiler and the reference evaluator read the same specs,
and ``/v3/zql/metadata`` is generated from it.

>>> sandbox_schema().field("testcase", "CUSTOMNUMBER").custom
'number'
>>> column("estimatedTime")
'f_estimatedtime'
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from zql.schema import ENTITIES, FieldSpec, Schema, load_schema

__all__ = [
    "CUSTOM_FIELDS",
    "NOT_EXECUTED",
    "STATUSES",
    "CustomField",
    "column",
    "fold",
    "lookup_key",
    "multi_table",
    "sandbox_schema",
]


@dataclass(frozen=True, slots=True)
class CustomField:
    """A searchable custom field the sandbox defines: search name, kind, label and options.

    >>> CUSTOM_FIELDS["testcase"][1].options[:2]
    ('Web', 'iOS')
    """

    search_name: str
    kind: str
    display_name: str
    options: tuple[str, ...] = ()


#: The sandbox's searchable custom fields per entity (ZE lets admins define these per entity).
CUSTOM_FIELDS: dict[str, tuple[CustomField, ...]] = {
    "testcase": (
        CustomField("customtext", "text", "Test Data Notes"),
        CustomField("custompicklist", "picklist", "Platform",
                    ("Web", "iOS", "Android", "API", "Desktop")),
        CustomField("customnumber", "number", "Story Points"),
        CustomField("customcheckbox", "checkbox", "Regulatory"),
    ),
    "requirement": (
        CustomField("customtext", "text", "Acceptance Notes"),
        CustomField("custompicklist", "picklist", "Component",
                    ("Frontend", "Backend", "Data", "Infrastructure")),
    ),
    "execution": (),
}

#: Execution status ids as ZE reports them in ``lastTestResult.executionStatus``: the
#: schema data's defaults (a server profile adds its own, :mod:`zql.sandbox.servers`).
STATUSES: dict[int, str] = {s.id: s.name for s in load_schema("ze7").values.statuses}
#: A scheduled test that has not run yet (no ``lastTestResult``), from the schema data.
NOT_EXECUTED: tuple[int, str] = (load_schema("ze7").values.not_executed.id,
                                 load_schema("ze7").values.not_executed.name)

_IDENT = re.compile(r"[^a-z0-9_]")


@functools.cache
def sandbox_schema() -> Schema:
    """The bundled ``ze7`` profile plus the sandbox's custom fields (computed once).

    >>> [f.name for f in sandbox_schema().fields("requirement")][-2:]
    ['customtext', 'custompicklist']
    """
    schema = load_schema("ze7")
    for entity in ENTITIES:
        schema = schema.with_custom_fields(
            entity, [(c.search_name, c.kind) for c in CUSTOM_FIELDS[entity]])
    return schema


def column(name: str) -> str:
    """The search-document column holding field ``name`` (any case; schema names only).

    Field names come from the schema, never from a request, and are reduced to ``[a-z0-9_]``
    so they are safe SQL identifiers.

    >>> column("altId"), column("my-field")
    ('f_altid', 'f_my_field')
    """
    return "f_" + _IDENT.sub("_", name.lower())


def multi_table(entity: str, spec: FieldSpec) -> str:
    """The side table holding a multi-valued field's values (``tag``): one row per value.

    >>> multi_table("testcase", sandbox_schema().field("testcase", "tag"))
    'doc_testcase_f_tag'
    """
    return f"doc_{entity}_{column(spec.name)}"


def fold(text: str) -> str:
    """The case-insensitive form of a string, as stored and as compared (Unicode casefold).

    >>> fold("Überprüfung"), fold("STRASSE") == fold("Straße")
    ('überprüfung', True)
    """
    return text.casefold()


def lookup_key(spec: FieldSpec) -> str | None:
    """The ``/v3/zql/val/{lookupKey}`` key offering values for a field, if any.

    Custom picklists offer their options under their search name.

    >>> schema = sandbox_schema()
    >>> lookup_key(schema.field("execution", "executedBy")), lookup_key(schema.field(
    ...     "testcase", "custompicklist")), lookup_key(schema.field("testcase", "name"))
    ('executedby', 'custompicklist', None)
    """
    if spec.lookup:
        return spec.lookup
    return spec.name.lower() if spec.custom == "picklist" else None
