"""The registry of every diagnostic code: syntax ``ZQL1xx``, schema ``ZQL2xx``, style ``ZQL3xx``.

One :class:`Rule` per code, with its kebab-case name, default severity, a one-line summary, why it
matters, and a bad query with its fixed form. The parser, validator and linter take their
severities from here; ``zql lint --list-rules`` / ``--explain``, the language server and SARIF
output read the same records. A test lints every ``bad`` example (it must produce exactly that
code) and every ``good`` one (it must be clean), so the examples cannot drift from the code.

>>> rule("ZQL301").name
'mixed-and-or'
>>> rule("mixed-and-or").code
'ZQL301'
>>> [r.code for r in rules()][:3]
['ZQL100', 'ZQL101', 'ZQL102']
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from dataclasses import dataclass, replace

from zql import _vocabulary
from zql._quote import INVISIBLE
from zql.errors import Diagnostic, Fix, Severity, Span
from zql.parser import MAX_DEPTH
from zql.schema import load_schema

__all__ = ["FIX_KINDS", "Rule", "diagnostic", "rule", "rule_explanation", "rules", "severity"]

#: What a rule's fixes are: ``safe`` ones keep the query's meaning (``zql lint --fix`` applies
#: them), ``unsafe`` ones are guesses (only with ``--unsafe-fixes``; editors do not prefer them).
FIX_KINDS = ("safe", "unsafe")
_S, _U, _SU = ("safe",), ("unsafe",), ("safe", "unsafe")


@dataclass(frozen=True, slots=True)
class Rule:
    """What one diagnostic code means, and an example of it.

    ``entity`` and ``profile`` are the options the examples are linted with; ``fixes`` the
    kinds of fix the rule offers (:data:`FIX_KINDS`; empty: none, only a hint).

    >>> r = rule("ZQL308")
    >>> r.severity, r.bad, r.good, r.fix
    (<Severity.INFO: 1>, 'priority in ("P1")', 'priority = "P1"', 'safe')
    """

    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    bad: str
    good: str
    entity: str = "testcase"
    profile: str = "ze7"
    fixes: tuple[str, ...] = ()
    #: ``query`` (``zql.lint`` finds it in one query) or ``file`` (``zql.documents.lint_text``)
    scope: str = "query"

    @property
    def fix(self) -> str:
        """``safe``, ``unsafe``, ``safe/unsafe`` (which, depends on the case) or ``none``.

        >>> rule("ZQL201").fix, rule("ZQL203").fix, rule("ZQL107").fix
        ('safe/unsafe', 'none', 'safe')
        """
        return "/".join(self.fixes) or "none"

    @property
    def category(self) -> str:
        """``syntax``, ``schema`` or ``style``, from the code's hundreds digit.

        >>> rule("ZQL204").category
        'schema'
        """
        return {"1": "syntax", "2": "schema", "3": "style"}[self.code[3]]


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO


@functools.cache
def _all() -> tuple[Rule, ...]:
    # Built on first use: examples take keyword spellings and limits from the grammar, the
    # parser and the bundled schema's value facts, and importing the registry stays cheap.
    not_kw = _vocabulary.vocabulary().keywords["NOT"]
    url_limit = load_schema().values.url_limit
    passed = load_schema().values.statuses[0].name
    return (
        # ---------------------------------------------------------------- syntax (parser)
        Rule("ZQL100", "empty-query", _E, "the query is empty (or not text at all)",
             "ZE has no 'match everything' query; an empty search is a mistake upstream.",
             "# nothing but a comment", 'name ~ "login"'),
        Rule("ZQL101", "unterminated-string", _E, "a string has no closing double quote",
             "Everything after the quote would be read as part of the value.",
             'priority = "P1', 'priority = "P1"'),
        Rule("ZQL102", "invalid-escape", _E,
             "a string holds an unknown escape, a bad \\u escape or a raw control character",
             "Strings are JSON strings: only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX are "
             "escapes, so a Windows path needs doubled backslashes.",
             'name ~ "C:\\data"', 'name ~ "C:\\\\data"'),
        Rule("ZQL103", "unexpected-character", _E, "a character that no part of ZQL uses",
             "ZQL is `field operator value` joined by and, or, not and parentheses; nothing else.",
             'priority ! "P1"', 'priority != "P1"'),
        Rule("ZQL104", "missing-value", _E, "an operator with no value after it",
             "Every clause compares a field with a value.",
             "priority =", 'priority = "P1"'),
        Rule("ZQL105", "missing-operator", _E, "a field with no operator after it",
             "Every clause is `field operator value`.",
             'priority "P1"', 'priority = "P1"'),
        Rule("ZQL106", "empty-list", _E, "`in ()` holds no value",
             "ZE lists need at least one value; an empty list can never match.",
             "priority in ()", 'priority in ("P1", "P2")'),
        Rule("ZQL107", "bare-word-value", _E, "a value is a bare word instead of a quoted string",
             "ZE values are quoted (`status = \"Fail\"`); bare enum values are Zephyr Squad's "
             "dialect.",
             "priority = P1", 'priority = "P1"'),
        Rule("ZQL108", "single-quoted-string", _E, "a value is in single quotes",
             "Only double quotes delimit strings in ZE; a single quote is an ordinary character.",
             "priority = 'P1'", 'priority = "P1"'),
        Rule("ZQL109", "no-comparison", _E,
             "`>`, `<`, `>=` or `<=`: ZE has no ordering comparisons",
             "ZE compares with =, !=, ~, !~, in and is; list the wanted values with in (…).",
             "version > 2", "version in (3, 4, 5)"),
        Rule("ZQL110", "double-equals", _E, "`==` instead of `=`",
             "ZQL compares with a single '='.",
             'priority == "P1"', 'priority = "P1"'),
        Rule("ZQL111", "symbol-connective", _E, "`&&`, `||`, `&` or `|` instead of and / or",
             "ZQL joins clauses with the words and, or and not.",
             'priority = "P1" && automated = true', 'priority = "P1" and automated = true'),
        Rule("ZQL112", "not-in", _E, "`not in`: ZE has no such operator",
             "`not in` is Zephyr Squad's dialect; in ZE negate the clause or list != clauses.",
             'priority not in ("P1", "P2")', 'priority != "P1" and priority != "P2"'),
        Rule("ZQL113", "order-by", _E, "`ORDER BY` inside the query",
             "Sorting is a parameter of the search API (order, isascorder), never part of ZQL.",
             'priority = "P1" order by name', 'priority = "P1"'),
        Rule("ZQL114", "trailing-connective", _E, "the query ends with and, or or not",
             "A connective needs a clause on both sides.",
             'priority = "P1" and', 'priority = "P1"'),
        Rule("ZQL115", "misplaced-connective", _E,
             "a connective at the start of the query or right after another one",
             "A connective needs a clause on both sides.",
             'priority = "P1" and or tag = "smoke"', 'priority = "P1" or tag = "smoke"'),
        Rule("ZQL116", "unclosed-parenthesis", _E, "a '(' that is never closed",
             "The span points at the '(' that has no partner.",
             '(priority = "P1" or tag = "smoke"', '(priority = "P1" or tag = "smoke")'),
        Rule("ZQL117", "unmatched-parenthesis", _E, "a ')' with no '(' before it",
             "The span points at the ')' that has no partner.",
             'priority = "P1")', 'priority = "P1"'),
        Rule("ZQL118", "in-without-list", _E, "`in` not followed by a parenthesised list",
             "`in` takes a list: field in (\"a\", \"b\").",
             'priority in "P1"', 'priority in ("P1", "P2")'),
        Rule("ZQL119", "list-without-in", _E,
             "a parenthesised list after an operator other than in",
             "Only `in` takes a list of values.",
             'priority = ("P1", "P2")', 'priority in ("P1", "P2")'),
        Rule("ZQL120", "is-without-empty", _E,
             "`is` not followed by empty, or empty / null used without is",
             "`is` and `is not` test for an empty field (this project's reading of the ZE docs, "
             "see grammar/README.md); to compare with a value use = or !=.",
             'priority is "P1"', 'priority = "P1"'),
        Rule("ZQL121", "missing-connective", _E, "two clauses with no and / or between them",
             "ZE needs an explicit connective between clauses.",
             'priority = "P1" tag = "smoke"', 'priority = "P1" and tag = "smoke"'),
        Rule("ZQL122", "bad-field-name", _E,
             "a reserved word or a quoted name where a field belongs",
             "Field names are unquoted, and and, or, not, in, is, empty, null, true and false are "
             "reserved.",
             '"priority" = "P1"', 'priority = "P1"'),
        Rule("ZQL123", "too-deep", _E,
             f"nesting deeper than the parser accepts ({MAX_DEPTH} levels)",
             "Deeply nested queries are machine-made mistakes and would exhaust the stack.",
             f"{not_kw} " * (MAX_DEPTH + 1) + 'name ~ "x"', 'name !~ "x"'),
        Rule("ZQL124", "contains-needs-string", _E, "`~` or `!~` with a value that is not a string",
             "Contains compares text, so its value is always a quoted string.",
             "name ~ 42", 'name ~ "42"'),
        Rule("ZQL126", "list-separator", _E, "list items not separated by commas",
             "List items are separated by commas: (\"a\", \"b\").",
             'priority in ("P1" "P2")', 'priority in ("P1", "P2")'),
        Rule("ZQL127", "lone-surrogate", _E, "a string escape that is half of a surrogate pair",
             "\\uD800-\\uDFFF alone is no character: servers refuse it. A character beyond "
             "U+FFFF is written as itself or as a pair of escapes, high then low.",
             'name ~ "\\ud83d"', 'name ~ "\\ud83d\\ude00"'),
        Rule("ZQL199", "syntax-error", _E, "any other syntax error",
             "The message says what was found and what may come there instead.",
             'priority = "P1" , tag = "smoke"', 'priority = "P1" and tag = "smoke"'),
        # ---------------------------------------------------------------- schema (validator)
        Rule("ZQL201", "unknown-field", _E, "the entity has no field of that name",
             "The server rejects unknown fields. The message suggests a close name, says which "
             "entity has the field, or names its new spelling after a rename between versions.",
             'prority = "P1"', 'priority = "P1"'),
        Rule("ZQL202", "field-case", _W, "a field name spelled in a non-canonical case",
             "Whether the server folds field-name case is undocumented (ZE 6 wrote altid, ZE 7 "
             "altId); the canonical spelling is safe on every version.",
             'ALTID ~ "x"', 'altId ~ "x"'),
        Rule("ZQL203", "operator-not-allowed", _E, "the field does not take that operator",
             "Each field allows only some operators (text fields often only ~ and !~); the "
             "message lists the allowed ones.",
             'name = "login"', 'name ~ "login"'),
        Rule("ZQL204", "value-type", _E, "the value's type does not fit the field",
             "Numbers for number fields, quoted strings for text fields, true / false for "
             "booleans, HH:MM:SS for times; the ZE UI rejects the others and the server may "
             "match nothing.",
             'version = "3"', "version = 3"),
        Rule("ZQL205", "api-only-field", _W, "a field the API accepts but the ZE UI does not offer",
             "A query that uses it cannot be pasted into the web UI's search box.",
             "treeid = 5", 'release = "R1"', "testcase", "ze6"),
        Rule("ZQL206", "unknown-value", _W,
             "a value that is not among the field's known values, or an inactive status",
             "Known values (statuses, priorities, and with a pulled or live schema releases, "
             "projects, cycles, users, tags and custom picklists) are matched exactly; a near "
             "miss finds nothing. Did-you-mean ignores case, spaces and punctuation and "
             "prefers active statuses. Statuses come from the server when connected or "
             "pulled (`zql schema pull`), else from the bundled defaults. Servers can hold "
             "more values than a schema knows, so this is a warning.",
             f'status = "{passed}ed"', f'status = "{passed}"', "execution"),
        # ---------------------------------------------------------------- style and portability
        Rule("ZQL301", "mixed-and-or", _W, "and and or mixed without parentheses",
             "How the server groups mixed connectives is undocumented (the UI grammar has no "
             "precedence); parentheses make the meaning explicit. The fix adds the grouping this "
             "parser uses (and binds tighter than or).",
             'priority = "P1" and automated = true or tag = "smoke"',
             '(priority = "P1" and automated = true) or tag = "smoke"'),
        Rule("ZQL302", "keyword-case", _W, "a keyword not written in lowercase",
             "Every ZE example uses lowercase keywords; whether the server accepts AND is "
             "undocumented.",
             'priority = "P1" AND automated = true', 'priority = "P1" and automated = true'),
        Rule("ZQL303", "prefix-not", _W, "`not` before a term rather than between two terms",
             "The ZE UI grammar only knows `not` between terms (a not b); a leading not fails "
             "there. The fix rewrites the negation into operators (not a = 1 -> a != 1).",
             'not priority = "P1"', 'priority != "P1"'),
        Rule("ZQL304", "empty-string", _W, 'the empty string ""',
             'The ZE UI grammar rejects "". To find fields with no value, use is empty.',
             'priority = ""', "priority is empty"),
        Rule("ZQL305", "duplicate-list-item", _W, "the same value twice in an in list",
             "The duplicate adds nothing; often the other value was meant.",
             'priority in ("P1", "P2", "P1")', 'priority in ("P1", "P2")'),
        Rule("ZQL306", "contradiction", _W, "clauses joined by and that can never all match",
             "A single-valued field cannot equal two different values, equal and not equal the "
             "same value, or be empty and not empty; usually `or` or `in` was meant. "
             "Multi-valued fields (tags) are exempt. Values are compared ignoring case, so this "
             "holds whatever the server's case rules.",
             'priority = "P1" and priority = "P2"', 'priority in ("P1", "P2")'),
        Rule("ZQL307", "url-too-long", _W,
             "the query is longer than a GET URL can safely carry (the schema's url_limit: "
             f"{url_limit} encoded characters in ze7)",
             "The GET search sends the formatted query percent-encoded in the `word` parameter; "
             "common servers and proxies cap the request line at 8 KiB (nginx, Apache, Tomcat "
             "defaults), and the rest of the URL needs room too. Split the query or use POST "
             "/advancesearch.",
             'name ~ "' + "x" * url_limit + '"', 'name ~ "x"'),
        Rule("ZQL308", "single-item-list", _I, "`in` with a single value",
             "`field = value` says the same more simply.",
             'priority in ("P1")', 'priority = "P1"'),
        Rule("ZQL309", "duplicate-clause", _W, "the same clause twice in one and / or",
             "The repeat adds nothing; often a different clause was meant.",
             'priority = "P1" and tag = "smoke" and priority = "P1"',
             'priority = "P1" and tag = "smoke"'),
        Rule("ZQL311", "invisible-character", _W,
             "a value holds a raw bidi control or zero-width character",
             "Bidirectional controls (U+202E …) and zero-width characters (U+200B, U+FEFF …) "
             "are invisible and can make a query read differently from what it searches for "
             "(the Trojan Source attack). The fix writes the character as a \\u escape: the "
             "value stays the same, and now it shows.",
             'name ~ "login\u202e"', 'name ~ "login\\u202e"'),
        Rule("ZQL312", "duplicate-query-name", _E, "two queries of one file share a name",
             "A `# name: NAME` comment line directly above a query names it, and "
             "`zql search -f FILE --name NAME` runs it; a name used twice would be ambiguous. "
             "(Checked per file, by `zql lint` on files and by the language server.)",
             '# name: login\nname ~ "login";\n# name: login\nname ~ "logout"',
             '# name: login\nname ~ "login";\n# name: logout\nname ~ "logout"',
             scope="file"),
        Rule("ZQL310", "null-keyword", _I, "`null` where the canonical spelling is `empty`",
             "`null` is this project's synonym for `empty`; the ZE documentation shows neither, "
             "and the formatter writes empty. (It replaces ZQL302 on the same word.)",
             "priority is null", "priority is empty"),
    )


#: The kinds of fix each rule offers (rules left out offer none: the hint says what to do).
#: tests/test_fix_safety.py checks that every fix produced is of a declared kind and that
#: every safe fix keeps the parse tree's meaning.
_FIXES: dict[str, tuple[str, ...]] = {
    "ZQL101": _U, "ZQL102": _S, "ZQL107": _S, "ZQL108": _S, "ZQL110": _S, "ZQL111": _S,
    "ZQL112": _S, "ZQL113": _U, "ZQL114": _U, "ZQL115": _U, "ZQL116": _U, "ZQL117": _U,
    "ZQL118": _S, "ZQL119": _S, "ZQL121": _U, "ZQL124": _S, "ZQL126": _S,
    "ZQL201": _SU, "ZQL202": _S, "ZQL204": _S, "ZQL206": _U,
    "ZQL301": _S, "ZQL302": _S, "ZQL303": _S, "ZQL304": _U, "ZQL305": _S, "ZQL308": _S,
    "ZQL309": _S, "ZQL310": _S, "ZQL311": _S,
}


@functools.cache
def _with_fixes() -> tuple[Rule, ...]:
    return tuple(replace(r, fixes=_FIXES.get(r.code, ())) for r in _all())


@functools.cache
def _index() -> dict[str, Rule]:
    index: dict[str, Rule] = {}
    for r in _with_fixes():
        index[r.code.lower()] = r
        index[r.name] = r
    return index


def rules() -> list[Rule]:
    """Every rule, ordered by code.

    >>> len(rules()) == len({r.code for r in rules()}), rules()[-1].code
    (True, 'ZQL312')
    """
    return sorted(_with_fixes(), key=lambda r: r.code)


def rule(code: str) -> Rule:
    """The rule for a code (any case) or a name; ``KeyError`` with a suggestion otherwise.

    >>> rule("zql201").name
    'unknown-field'
    >>> rule("ZQL3O1")
    Traceback (most recent call last):
      ...
    KeyError: "unknown rule 'ZQL3O1'; did you mean ZQL301?"
    """
    key = str(code).strip().lower()
    found = _index().get(key)
    if found is not None:
        return found
    raise KeyError(f"unknown rule {code!r}; " + (
        f"did you mean {_closest(key)}?" if _closest(key) else "see `zql lint --list-rules`"))


def _closest(key: str) -> str | None:
    codes = [r.code for r in _all()]
    if len(key) == 6:  # a mistyped code: count differing characters (3O1 is nearer 301 than 310)
        diff, best = min((sum(a != b for a, b in zip(c.lower(), key, strict=True)), c)
                         for c in codes)
        if diff <= 2:
            return best
    names = [r.name for r in _all()]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return close[0] if close else None


_FIX_WORDS = {
    "safe": "Its fix is safe: it keeps what the query means; `zql lint --fix` applies it.",
    "unsafe": "Its fix is a guess that may change what the query means: only `zql lint --fix "
              "--unsafe-fixes` applies it, and editors offer it without preferring it.",
    "safe/unsafe": "Some of its fixes are safe (`--fix` applies them); others are guesses, "
                   "applied only with `--unsafe-fixes`.",
    "none": "It has no automatic fix: the hint says what to do.",
}


def rule_explanation(code: str) -> str:
    """The text of ``zql lint --explain``: what a rule catches, why, its fix kind, an example
    and its fixed form (``KeyError`` for an unknown code or name; digits alone mean ``ZQL``).

    >>> print(rule_explanation("mixed-and-or").splitlines()[0])
    ZQL301 mixed-and-or (warning, style, fix: safe): and and or mixed without parentheses
    """
    r = rule(f"ZQL{code}" if code.strip().isdigit() else code)
    return "\n".join([
        f"{r.code} {r.name} ({r.severity}, {r.category}, fix: {r.fix}): {r.summary}",
        "",
        r.why,
        _FIX_WORDS[r.fix],
        "",
        f"Example ({r.entity}, schema {r.profile}):",
        f"  {_shown(r.bad)}",
        "Fixed:",
        f"  {_shown(r.good)}",
        "",
        f"Silence it with --ignore {r.code}, or ignore = [\"{r.code}\"] in zql.toml.",
    ])


def _shown(example: str, limit: int = 160) -> str:
    # Invisible characters (ZQL311's example) are shown by name, never sent to the terminal;
    # a file-level example keeps its indentation on every line.
    example = example.replace("\n", "\n  ")
    example = "".join(f"<U+{ord(c):04X}>" if ord(c) in INVISIBLE else c for c in example)
    # Some examples are machine-sized (a query too long for a URL); show their start.
    if len(example) <= limit:
        return example
    return f"{example[:limit - 40]}… ({len(example)} characters)"



def severity(code: str) -> Severity:
    """The default severity of a code (used by the validator and linter).

    >>> str(severity("ZQL306"))
    'warning'
    """
    return _index()[code.lower()].severity


def diagnostic(code: str, message: str, span: Span, hint: str | None = None,
               fixes: Iterable[Fix] = ()) -> Diagnostic:
    """A diagnostic with the registry's severity for ``code``.

    >>> diagnostic("ZQL308", "'in' with a single value", Span(9, 11)).severity
    <Severity.INFO: 1>
    """
    return Diagnostic(code, severity(code), message, span, hint, tuple(fixes))
