"""One search-options object, sync/async parity, and the client package's layering."""

from __future__ import annotations

import ast
import asyncio
import inspect
from pathlib import Path

import pytest

from tests.client_support import TOKEN, sandbox_fixture, sb_fixture, searches  # noqa: F401
from zql.client import AsyncZephyrClient, SearchOptions, ZephyrClient
from zql.sandbox import Sandbox

CLIENT = Path(__file__).resolve().parent.parent / "zql" / "client"
#: async names of the sync methods that differ only by the "a" of asyncio convention
_RENAMED = {"close": "aclose", "__enter__": "__aenter__", "__exit__": "__aexit__"}


def _public(cls: type) -> dict[str, inspect.Signature]:
    out = {}
    for name, member in vars(cls).items():
        if name.startswith("_") and name not in _RENAMED and name not in _RENAMED.values():
            continue
        if callable(member) or isinstance(member, classmethod | property):
            target = member.fget if isinstance(member, property) else member
            if isinstance(target, classmethod):
                target = target.__func__
            out[name] = inspect.signature(target)
    return out


def test_sync_and_async_clients_have_the_same_methods_and_signatures() -> None:
    sync, aio = _public(ZephyrClient), _public(AsyncZephyrClient)
    assert {_RENAMED.get(name, name) for name in sync} == set(aio)
    for name, signature in sync.items():
        other = aio[_RENAMED.get(name, name)]
        if name in ("__exit__", "__enter__", "from_env"):
            assert list(signature.parameters) == list(other.parameters), name
            continue
        assert [(p.name, p.kind, p.default) for p in signature.parameters.values()] == \
            [(p.name, p.kind, p.default) for p in other.parameters.values()], name


def test_no_test_hook_in_public_signatures() -> None:
    for cls in (ZephyrClient, AsyncZephyrClient):
        assert "sleep" not in inspect.signature(cls).parameters


def test_search_takes_options_or_keywords_alike(sb: Sandbox) -> None:
    options = SearchOptions(entity="execution", limit=4, page_size=2)
    with ZephyrClient(sb.url or "", token=TOKEN) as client:
        by_options = [item["id"] for item in client.search('status = "Fail"', options)]
        by_keywords = [item["id"] for item in client.search(
            'status = "Fail"', entity="execution", limit=4, page_size=2)]
        mixed = [item["id"] for item in client.search('status = "Fail"', options, limit=2)]
    assert by_options == by_keywords and len(by_options) == 4
    assert mixed == by_options[:2]


def test_async_search_takes_the_same_options(sb: Sandbox) -> None:
    options = SearchOptions(entity="execution", limit=3)

    async def main() -> tuple[list[int], list[int]]:
        async with AsyncZephyrClient(sb.url or "", token=TOKEN) as client:
            one = [item["id"] async for item in client.search('status = "Fail"', options)]
            two = [item["id"] async for item in client.search('status = "Fail"',
                                                               entity="execution", limit=3)]
        return one, two

    one, two = asyncio.run(main())
    assert one == two and len(one) == 3


def test_quick_option_sends_free_text(sb: Sandbox) -> None:
    since = len(sb.control.requests)
    with ZephyrClient(sb.url or "", token=TOKEN) as client:
        list(client.search("login", SearchOptions(quick=True, limit=1)))
    assert searches(sb, since)[0]["zql"] == "false"


@pytest.mark.parametrize("bad", [{"page_size": 0}, {"limit": -1}, {"page_size": True},
                                 {"release": 1.5}, {"entity": "nothing"}])
def test_options_refuse_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        SearchOptions(**bad)  # type: ignore[arg-type]


def _imports(path: Path) -> set[str]:
    """Every zql.client module ``path`` imports, lazily inside functions too (only
    ``if TYPE_CHECKING:`` blocks are exempt)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            exempt |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("zql.client."):
            found.add(node.module.rsplit(".", 1)[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.rsplit(".", 1)[1] for a in node.names
                      if a.name.startswith("zql.client.")}
    return found


def test_no_import_cycle_inside_the_client() -> None:
    graph = {p.stem: _imports(p) for p in CLIENT.glob("_*.py")}
    state: dict[str, int] = {}

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if state.get(name) == 2:
            return
        assert state.get(name) != 1, f"import cycle: {' -> '.join((*trail, name))}"
        state[name] = 1
        for dep in graph.get(name, ()):
            visit(dep, (*trail, name))
        state[name] = 2

    for module in graph:
        visit(module, ())
    assert "_sync" not in graph["_async"] and "_sync" not in graph["_results"]


def test_results_talk_to_a_driver_not_to_client_internals() -> None:
    source = (CLIENT / "_results.py").read_text(encoding="utf-8")
    for private in ("._run(", "._request(", "_driver._core", "._client"):
        assert private not in source, private
    assert not {"_sync", "_async"} & _imports(CLIENT / "_results.py")
