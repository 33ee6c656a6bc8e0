"""``zql schema``: snapshot a server's live schema to a file, or show a schema's fields.

``zql schema pull --url URL -o schema.json`` fetches ``/v3/zql/metadata`` through
:class:`zql.client.ZephyrClient` (custom fields included) and writes the schema file format
(``docs/schema.md``) atomically, so editors and CI lint against the real server offline::

    # zql.toml
    schema = "schema.json"
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from zql.cli._connect import add_connection_arguments
from zql.cli._inputs import UsageError

__all__ = ["register", "show"]


def register(subparsers: Any) -> None:
    """Add the ``schema`` subcommand with ``pull`` and ``show``.

    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register(sub)
    >>> sub.choices["schema"].parse_args(["pull", "-o", "s.json"]).output
    's.json'
    """
    parser = subparsers.add_parser(
        "schema", help="save a server's schema to a file, or show a schema",
        description="Work with ZQL schemas: 'pull' saves a server's live field list (custom "
        "fields included) as a schema file for offline linting; 'show' lists a schema's fields.")
    actions = parser.add_subparsers(dest="schema_action", metavar="ACTION")
    pull = actions.add_parser(
        "pull", help="save the server's schema to a JSON file",
        description="Fetch the server's ZQL metadata (/v3/zql/metadata) and write it as a "
        "schema file. Exit 0 saved, 1 the server has no usable metadata or failed, 2 usage.")
    add_connection_arguments(pull)
    pull.add_argument("-o", "--output", required=True, metavar="FILE",
                      help="where to write the schema ('-' for stdout)")
    pull.add_argument("--name", default=None,
                      help="name recorded in the file (default: the server's host)")
    pull.set_defaults(run=run_pull)
    show_parser = actions.add_parser(
        "show", help="list the fields of a schema profile or file",
        description="List each field of a schema: entity, name, type, operators and flags.")
    show_parser.add_argument("--schema", default="ze7", metavar="ze6|ze7|FILE",
                             help="schema profile or schema JSON file (default ze7)")
    show_parser.add_argument("--entity", default=None,
                             help="only this entity (testcase, requirement, execution)")
    show_parser.add_argument("--format", default="table", choices=("table", "json"),
                             dest="output_format", help="output format (default table)")
    show_parser.set_defaults(run=run_show)
    parser.set_defaults(run=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def run_pull(args: argparse.Namespace) -> int:
    """Fetch and save; one-line messages for every failure, never a secret.

    >>> ns = argparse.Namespace(url=None, username=None, auth=None, token_env="NO_SUCH_VAR",
    ...     password_env="NO_SUCH_VAR", timeout=5.0, insecure=False, sandbox=False,
    ...     output="s.json", name=None)
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     code = run_pull(ns)
    >>> code, err.getvalue().split(":")[0]
    (2, 'zql schema pull')
    """
    from dataclasses import replace
    from pathlib import Path
    from urllib.parse import urlsplit

    from zql.cli._connect import connect
    from zql.cli._inputs import write_atomically
    from zql.client import ZephyrError

    try:
        with connect(args) as client:
            schema = client.schema(refresh=True)
            origin = urlsplit(client.base_url).netloc
    except UsageError as err:
        print(f"zql schema pull: {err}", file=sys.stderr)
        return 2
    except ZephyrError as err:
        print(f"zql schema pull: {err}", file=sys.stderr)
        return 1
    if not schema.name.startswith("server:"):
        # The client fell back to a bundled profile: saving that would pass it off as live.
        print("zql schema pull: the server offers no usable ZQL metadata; nothing saved",
              file=sys.stderr)
        return 1
    schema = replace(schema, name=args.name or origin)
    text = json.dumps(schema.to_json(), indent=2, ensure_ascii=False) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            write_atomically(Path(args.output), text)
        except OSError as err:
            print(f"zql schema pull: cannot write {args.output}: {err.strerror or err}",
                  file=sys.stderr)
            return 2
    fields = [f for e in schema.entities for f in schema.fields(e)]
    custom = sum(1 for f in fields if f.custom)
    print(f"saved {len(fields)} fields ({custom} custom) of {len(schema.entities)} entities "
          f"from {origin} to {args.output}", file=sys.stderr)
    return 0


def show(schema_source: str = "ze7", entity: str | None = None) -> str:
    """A table of a schema's fields.

    >>> print(show("ze6", "testcase").splitlines()[5])
    testcase  automated  boolean  = !=
    """
    from zql.schema import Schema, load_schema

    schema = load_schema(schema_source)
    entities = [Schema.entity_name(entity)] if entity else list(schema.entities)
    rows = [("ENTITY", "FIELD", "TYPE", "OPERATORS", "NOTES")]
    for name in entities:
        for f in schema.fields(name):
            notes = [n for n, on in (("api-only", f.api_only), (f"custom:{f.custom}", f.custom),
                                     ("multi", f.multi), ("inferred", f.inferred)) if on]
            if f.format:
                notes.append(f.format)
            rows.append((name, f.name, f.type, " ".join(f.operator_texts), " ".join(notes)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])).rstrip()
        + (f"  {row[4]}" if row[4] else "") for row in rows)


def run_show(args: argparse.Namespace) -> int:
    """Print a schema's fields; exit 2 for an unknown profile, file or entity.

    >>> run_show(argparse.Namespace(schema="ze6", entity="testcase", output_format="table"))
    ENTITY    FIELD      TYPE     OPERATORS  NOTES
    testcase  altid      string   ~ !~
    ...
    0
    """
    from zql.errors import ZQLError
    from zql.schema import Schema, load_schema

    try:
        if args.output_format == "json":
            data = load_schema(args.schema).to_json()
            if args.entity:
                key = Schema.entity_name(args.entity)
                data["entities"] = {key: data["entities"].get(key, [])}
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            print(show(args.schema, args.entity))
    except ZQLError as err:
        print(f"zql schema show: {err}", file=sys.stderr)
        return 2
    return 0
