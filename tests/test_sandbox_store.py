"""The sandbox's data and store: determinism, realism, file reuse, and the query semantics
checked against plain SQL over the relational tables (not the search documents)."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from zql.sandbox import data
from zql.sandbox.model import fold, sandbox_schema
from zql.sandbox.sql import MATCH_ALL, Order, QueryError, compile_query, order_by, quick_search
from zql.sandbox.store import Store, StoreError


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with Store.open("small", seed=1) as opened:
        yield opened


def _count(store: Store, entity: str, query: str) -> int:
    return store.search(entity, compile_query(query, entity), limit=0).total


# --------------------------------------------------------------------------- data


def test_generation_is_deterministic_and_seed_dependent() -> None:
    first = dict(data.generate("small", 5))
    assert first == dict(data.generate("small", 5))
    assert first["testcases"] != dict(data.generate("small", 6))["testcases"]


def test_every_table_is_generated_with_matching_columns() -> None:
    generated = dict(data.generate("small", 1))
    assert set(generated) == set(data.TABLES)
    for table, rows in generated.items():
        width = len(data.TABLES[table].split(","))
        assert rows and all(len(row) == width for row in rows), table


def test_small_size_matches_the_brief(store: Store) -> None:
    (tcs,), (execs,), (reqs,) = (store.rows(f"SELECT count(*) FROM {t}")[0]
                                 for t in ("testcases", "executions", "requirements"))
    assert 200 <= tcs <= 1000 and 1000 <= execs <= 2000 and reqs > 50


def test_large_size_meets_the_minimums() -> None:
    large = data.SIZES["large"]
    assert large.testcases >= 50_000 and large.executions >= 100_000


@pytest.mark.parametrize(("sql", "minimum"), [
    ("SELECT count(DISTINCT name) * 1.0 / count(*) FROM testcases", 0.5),
    ("SELECT count(DISTINCT username) * 1.0 / count(*) FROM users", 1.0),
    ("SELECT count(DISTINCT priority) FROM testcases", 4),
    ("SELECT count(DISTINCT tag) FROM testcase_tags", 10),
    ("SELECT count(DISTINCT status_id) FROM executions", 5),
    ("SELECT count(DISTINCT name) FROM cycles", 5),
    ("SELECT count(DISTINCT name) FROM folders", 8),
])
def test_data_is_varied(store: Store, sql: str, minimum: float) -> None:
    assert store.rows(sql)[0][0] >= minimum


def test_distributions_are_skewed_not_uniform(store: Store) -> None:
    counts = dict(store.rows("SELECT tag, count(*) FROM testcase_tags GROUP BY tag"))
    assert counts["regression"] > 5 * counts["manual-only"]
    statuses = dict(store.rows("SELECT status_id, count(*) FROM executions GROUP BY 1"))
    assert statuses[1] > statuses[2] > statuses[3]


def test_names_are_not_numbered_placeholders(store: Store) -> None:
    names = [r[0] for r in store.rows("SELECT name FROM testcases")]
    assert not any(n.rstrip("0123456789") in ("name", "testcase", "test") for n in names)
    assert any(not n.isascii() for n in names)  # the case-folding cases need real Unicode


# --------------------------------------------------------------------------- files


def test_db_file_is_built_once_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "sb.sqlite3"
    with Store.open("small", 3, path) as built:
        assert built.path == path.resolve()
    stamp = path.stat().st_mtime_ns
    with Store.open("small", 3, path) as reused:
        assert reused.count("testcase", MATCH_ALL) == data.SIZES["small"].testcases
    assert path.stat().st_mtime_ns == stamp
    with Store.open("small", 4, path):  # another seed: rebuilt in place
        pass
    assert path.stat().st_mtime_ns != stamp
    assert not list(tmp_path.glob("*.tmp"))


def test_db_file_opens_read_only(tmp_path: Path) -> None:
    with Store.open("small", 1, tmp_path / "sb.sqlite3") as opened, \
            pytest.raises(sqlite3.OperationalError, match="readonly"):
        opened.rows("DELETE FROM testcases")


def test_foreign_file_is_refused_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database")
    with pytest.raises(StoreError, match="not a sandbox database"):
        Store.open("small", 1, path)
    assert path.read_text() == "not a database"


def test_unknown_size_is_refused() -> None:
    with pytest.raises(StoreError, match="unknown size"):
        Store.open("medium")


# --------------------------------------------------------------------------- semantics

_TC = "SELECT count(*) FROM testcases t "
_EX = "SELECT count(*) FROM executions e "
_SMOKE = "(SELECT tc_id FROM testcase_tags WHERE tag = 'smoke')"


@pytest.mark.parametrize(("entity", "query", "sql"), [
    ("testcase", 'priority = "hIgH"', _TC + "WHERE priority = 'High'"),
    ("testcase", 'PRIORITY = "High"', _TC + "WHERE priority = 'High'"),
    ("testcase", 'priority != "High"', _TC + "WHERE priority IS NOT 'High'"),
    ("testcase", 'not priority = "High"', _TC + "WHERE priority IS NOT 'High'"),
    ("testcase", "priority is empty", _TC + "WHERE priority IS NULL"),
    ("testcase", "priority IS NOT NULL", _TC + "WHERE priority IS NOT NULL"),
    ("testcase", 'priority in ("critical", "LOW")', _TC + "WHERE priority IN ('Critical', 'Low')"),
    ("testcase", 'not priority in ("Critical")', _TC + "WHERE priority IS NOT 'Critical'"),
    ("testcase", 'tag = "SMOKE"', _TC + f"WHERE id IN {_SMOKE}"),
    ("testcase", 'tag != "smoke"', _TC + f"WHERE id NOT IN {_SMOKE}"),
    ("testcase", 'tag in ("smoke", "api")',
     _TC + "WHERE id IN (SELECT tc_id FROM testcase_tags WHERE tag IN ('smoke', 'api'))"),
    ("testcase", "tag is empty", _TC + "WHERE tags_json = '[]'"),
    ("testcase", "tag is not empty", _TC + "WHERE tags_json != '[]'"),
    ("testcase", 'name ~ "LOGIN"', _TC + "WHERE lower(name) LIKE '%login%'"),
    ("testcase", 'name !~ "login"', _TC + "WHERE lower(name) NOT LIKE '%login%'"),
    ("testcase", 'comment ~ "sprint"', _TC + "WHERE lower(comment) LIKE '%sprint%'"),
    ("testcase", 'comment !~ "sprint"',
     _TC + "WHERE comment IS NULL OR lower(comment) NOT LIKE '%sprint%'"),
    ("testcase", "altId is not empty", _TC + "WHERE alt_id IS NOT NULL"),
    ("testcase", 'release = "atlas 4.0"',
     _TC + "JOIN releases r ON r.id = t.release_id WHERE r.name = 'Atlas 4.0'"),
    ("testcase", 'project != "PROJECT IRONCLAD"', _TC + "WHERE project_id != 1"),
    ("testcase", 'folder = "checkout"',
     _TC + "JOIN folders f ON f.id = t.folder_id WHERE f.name = 'Checkout'"),
    ("testcase", "automated = true", _TC + "WHERE automated = 1"),
    ("testcase", "automated != true", _TC + "WHERE automated = 0"),
    ("testcase", "version = 2", _TC + "WHERE version = 2"),
    ("testcase", "testcaseId in (1001, 1002, 99)", _TC + "WHERE testcase_id IN (1001, 1002)"),
    ("testcase", "versionId = 5003", _TC + "WHERE version_id = 5003"),
    ("testcase", 'estimatedTime = "00:30:00"', _TC + "WHERE estimated_time = '00:30:00'"),
    ("testcase", "customnumber = 5", _TC + "WHERE customnumber = 5"),
    ("testcase", "customcheckbox = true", _TC + "WHERE customcheckbox = 1"),
    ("testcase", 'custompicklist in ("web", "IOS")',
     _TC + "WHERE custompicklist IN ('Web', 'iOS')"),
    ("testcase", 'customtext ~ "FIXTURE"', _TC + "WHERE customtext LIKE '%fixture%'"),
    ("testcase", "customtext is empty", _TC + "WHERE customtext IS NULL"),
    ("testcase", 'priority = "High" and tag = "smoke" or automated = true',
     _TC + f"WHERE (priority = 'High' AND id IN {_SMOKE}) OR automated = 1"),
    ("testcase", 'priority = "High" and (tag = "smoke" or automated = true)',
     _TC + f"WHERE priority = 'High' AND (id IN {_SMOKE} OR automated = 1)"),
    ("testcase", 'priority = "High" not tag = "smoke"',
     _TC + f"WHERE priority = 'High' AND id NOT IN {_SMOKE}"),
    ("execution", 'status = "fail"', _EX + "WHERE status_id = 2"),
    ("execution", 'status != "Pass"', _EX + "WHERE status_id != 1"),
    ("execution", 'status = "not executed"', _EX + "WHERE status_id = -1"),
    ("execution", "executedBy is empty", _EX + "WHERE tester_id IS NULL"),
    ("execution", 'tag = "smoke"', _EX + f"WHERE tct_id IN {_SMOKE}"),
    ("execution", 'notes ~ "STAGING"', _EX + "WHERE lower(notes) LIKE '%staging%'"),
    ("execution", "actualtime is empty", _EX + "WHERE actual_time IS NULL"),
    ("execution", 'priority = "Critical"',
     _EX + "JOIN testcases t ON t.id = e.tct_id WHERE t.priority = 'Critical'"),
    ("execution", "testcaseId = 1001",
     _EX + "JOIN testcases t ON t.id = e.tct_id WHERE t.testcase_id = 1001"),
    ("requirement", "id in (1, 2, 3)", "SELECT 3"),
    ("requirement", 'url ~ "jira"', "SELECT count(*) FROM requirements WHERE url IS NOT NULL"),
    ("requirement", 'tag = "gdpr"', "SELECT count(DISTINCT req_id) FROM requirement_tags "
                                    "WHERE tag = 'gdpr'"),
    ("requirement", 'custompicklist = "data"',
     "SELECT count(*) FROM requirements WHERE custompicklist = 'Data'"),
])
def test_semantics_match_plain_sql(store: Store, entity: str, query: str, sql: str) -> None:
    expected = store.rows(sql)[0][0]
    assert _count(store, entity, query) == expected
    assert expected > 0 or "99" in query  # every case actually selects something


def test_cycle_and_executor_names_match(store: Store) -> None:
    cycle, tester = store.rows(
        "SELECT c.name, u.username FROM executions e JOIN cycles c ON c.id = e.cycle_id "
        "JOIN users u ON u.id = e.tester_id LIMIT 1")[0]
    expected = store.rows(
        "SELECT count(*) FROM executions e JOIN cycles c ON c.id = e.cycle_id "
        "JOIN users u ON u.id = e.tester_id WHERE c.name = ? AND u.username = ?",
        (cycle, tester))[0][0]
    query = f'cycle = "{cycle.upper()}" and executedBy = "{tester}"'
    assert _count(store, "execution", query) == expected > 0


def test_contains_ignores_case_beyond_ascii(store: Store) -> None:
    names = [r[0] for r in store.rows("SELECT DISTINCT name FROM testcases")
             if not r[0].isascii()]
    assert names
    for name in names:
        piece = unicodedata.normalize("NFC", name[:12])
        for variant in (piece.upper(), piece.lower(), piece.swapcase()):
            page = store.search("testcase", compile_query(f'name ~ "{variant}"', "testcase"),
                                limit=500)
            assert name in {item["testcase"]["name"] for item in page.results()}, variant


def test_quick_search_matches_every_term_anywhere(store: Store) -> None:
    page = store.search("testcase", quick_search("CHECKOUT   promo"), limit=500)
    assert page.total > 0
    for item in page.results():
        text = fold(" ".join(str(item["testcase"][k] or "") for k in
                             ("name", "altId", "contents", "comments")))
        assert "checkout" in text and "promo" in text


def test_quick_search_finds_by_test_case_id(store: Store) -> None:
    page = store.search("testcase", quick_search("1007"), limit=5)
    assert 1007 in {item["testcase"]["testcaseId"] for item in page.results()}


# --------------------------------------------------------------------------- paging


def test_pages_tile_the_result_set(store: Store) -> None:
    where = compile_query('status != "Pass"', "execution")
    order = order_by("execution", "cycle")
    everything = store.page_ids("execution", where, order, 0, 10_000)
    pages = [store.page_ids("execution", where, order, first, 100)
             for first in range(0, len(everything), 100)]
    assert [i for page in pages for i in page] == everything
    assert len(everything) == store.count("execution", where)


def test_search_past_the_end_is_empty_with_the_total(store: Store) -> None:
    page = store.search("requirement", first=10_000, limit=10)
    assert page.items == [] and page.total == data.SIZES["small"].requirements


@pytest.mark.parametrize(("entity", "name", "key"), [
    ("testcase", "name", lambda i: fold(i["testcase"]["name"])),
    ("testcase", "lastModifiedOn", lambda i: i["testcase"]["lastModifiedOn"]),
    ("requirement", "name", lambda i: fold(i["name"])),
    ("execution", "testcaseId", lambda i: i["tcrTreeTestcase"]["testcase"]["testcaseId"]),
])
@pytest.mark.parametrize("ascending", [True, False])
def test_sorting(store: Store, entity: str, name: str, key: object, ascending: bool) -> None:
    assert callable(key)
    page = store.search(entity, order=order_by(entity, name, ascending=ascending), limit=200)
    keys = [key(item) for item in page.results()]
    assert keys == sorted(keys, reverse=not ascending)


def test_custom_field_sort_needs_is_cfield(store: Store) -> None:
    order = order_by("testcase", "customnumber", is_cfield=True, ascending=False)
    page = store.search("testcase", compile_query("customnumber in (1, 13)", "testcase"),
                        order=order, limit=500)
    values = [i["testcase"]["customProperties"]["customnumber"] for i in page.results()]
    assert values == sorted(values, reverse=True) and set(values) == {1, 13}


@pytest.mark.parametrize(("entity", "name", "is_cfield", "message"), [
    ("testcase", "tag", False, "several"),
    ("testcase", "bogus", False, "cannot sort testcase by 'bogus'"),
    ("testcase", "customnumber", False, "is_cfield=true"),
    ("testcase", "name", True, "not a custom field"),
    ("execution", "customtext", True, "custom fields: none"),
])
def test_bad_sorts_are_query_errors(entity: str, name: str, is_cfield: bool,
                                    message: str) -> None:
    with pytest.raises(QueryError, match=message):
        order_by(entity, name, is_cfield=is_cfield)


def test_default_order_is_by_id() -> None:
    assert order_by("testcase", None) == Order("d.id", True)
    assert order_by("requirement", "id", ascending=False) == Order("d.id", False)


# --------------------------------------------------------------------------- lookups


@pytest.mark.parametrize(("key", "partial", "expected"), [
    ("status", "", ["Blocked", "Fail", "Not Executed", "Pass", "WIP"]),
    ("status", "A", ["Fail", "Pass"]),
    ("priority", "", ["Critical", "High", "Low", "Medium"]),
    ("custompicklist", "o", ["Android", "Desktop", "Frontend", "iOS"]),
])
def test_lookup_values(store: Store, key: str, partial: str, expected: list[str]) -> None:
    assert store.lookup(key, partial) == expected


def test_lookup_by_release_and_paging(store: Store) -> None:
    release = store.releases()[0]
    assert store.lookup("release", release_id=release["id"]) == [release["name"]]
    everything = store.lookup("folder", limit=1000)
    assert store.lookup("folder", offset=2, limit=3) == everything[2:5]


def test_lookup_keys_cover_the_schema_lookups(store: Store) -> None:
    wanted = {f.lookup for e in ("testcase", "execution") for f in sandbox_schema().fields(e)
              if f.lookup}
    assert wanted <= set(store.lookup_keys())
