"""zephyr-zql: parse, validate, format and build ZQL queries for Zephyr Enterprise.

>>> import zql
>>> zql.format('status="Fail" AND priority IN ("P1","P2")')
'status = "Fail" and priority in ("P1", "P2")'
"""

from typing import TYPE_CHECKING

from zql._lazy import lazy_names
from zql._quote import quote
from zql.ast import And, Boolean, Clause, Empty, Node, Not, Number, Op, Or, String, ValueList
from zql.errors import Diagnostic, Fix, Severity, Span, TextEdit, ZQLError, ZQLSyntaxError

if TYPE_CHECKING:
    from zql.formatting import format
    from zql.linting import lint
    from zql.validation import validate
else:  # each is the module that calls the function of the same name (docs/design.md, "Names")
    from zql import format, lint, validate
from zql.linting import Rule
from zql.parser import parse
from zql.schema import FieldSpec, Schema, SchemaError, load_schema

__version__ = "0.1.0"

# The builder is imported on first use: `zql lint` and the parser start faster without it.
_LAZY = {name: "zql.builder" for name in (
    "Expr", "Field", "Fields", "all_of", "and_", "any_of", "field", "fields", "not_", "or_")}

if TYPE_CHECKING:
    from zql.builder import Expr, Field, Fields, all_of, and_, any_of, field, fields, not_, or_
else:  # mypy reads the imports above: a misspelt name stays an error
    __getattr__, __dir__ = lazy_names(__name__, _LAZY)

__all__ = [
    "And",
    "Boolean",
    "Clause",
    "Diagnostic",
    "Empty",
    "Expr",
    "Field",
    "FieldSpec",
    "Fields",
    "Fix",
    "Node",
    "Not",
    "Number",
    "Op",
    "Or",
    "Rule",
    "Schema",
    "SchemaError",
    "Severity",
    "Span",
    "String",
    "TextEdit",
    "ValueList",
    "ZQLError",
    "ZQLSyntaxError",
    "all_of",
    "and_",
    "any_of",
    "field",
    "fields",
    "format",
    "lint",
    "load_schema",
    "not_",
    "or_",
    "parse",
    "quote",
    "validate",
]
