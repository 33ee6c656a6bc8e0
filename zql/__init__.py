"""zephyr-zql: parse, validate, format and build ZQL queries for Zephyr Enterprise.

>>> import zql
>>> zql.format('status="Fail" AND priority IN ("P1","P2")')
'status = "Fail" and priority in ("P1", "P2")'
"""

from zql.ast import And, Boolean, Clause, Empty, Node, Not, Number, Op, Or, String, ValueList
from zql.builder import Expr, Field, Fields, all_of, and_, any_of, field, fields, not_, or_
from zql.errors import Diagnostic, Fix, Severity, Span, TextEdit, ZQLError, ZQLSyntaxError
from zql.format import format, quote
from zql.lint import Rule, lint
from zql.parser import parse
from zql.schema import FieldSpec, Schema, SchemaError, load_schema
from zql.validate import validate

__version__ = "0.1.0"

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
