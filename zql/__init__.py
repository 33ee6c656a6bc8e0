"""zephyr-zql: parse, validate, format and build ZQL queries for Zephyr Enterprise."""

from zql.ast import And, Boolean, Clause, Empty, Node, Not, Number, Op, Or, String, ValueList
from zql.errors import Diagnostic, Fix, Severity, Span, TextEdit, ZQLError, ZQLSyntaxError
from zql.parser import parse

__all__ = sorted([
    "And", "Boolean", "Clause", "Diagnostic", "Empty", "Fix", "Node", "Not", "Number", "Op", "Or",
    "Severity", "Span", "String", "TextEdit", "ValueList", "ZQLError", "ZQLSyntaxError", "parse",
])
