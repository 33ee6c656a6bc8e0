"""Deterministic sample data: projects, releases, cycles, users, folders, test cases,
requirements and executions, with realistic names and skewed distributions.

The same ``(size, seed)`` always gives the same rows (one ``random.Random`` seeded from both,
no clock, no hash randomisation). :data:`TABLES` is the relational layout the store creates;
:func:`generate` yields its rows table by table.

>>> tables = dict(generate("small", 1))
>>> len(tables["testcases"]) == SIZES["small"].testcases
True
>>> dict(generate("small", 1))["users"][0][:2]
(1, 'admin')
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from zql.sandbox import words
from zql.sandbox.model import CUSTOM_FIELDS, NOT_EXECUTED, STATUSES

__all__ = ["SIZES", "TABLES", "Size", "generate"]

_T = TypeVar("_T")
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Size:
    """How much data a size name means.

    >>> SIZES["large"].executions >= 100_000 and SIZES["large"].testcases >= 50_000
    True
    """

    projects: int
    releases_per_project: int
    users: int
    testcases: int
    requirements: int
    executions: int


SIZES: dict[str, Size] = {
    "small": Size(projects=3, releases_per_project=2, users=24, testcases=400,
                  requirements=120, executions=1500),
    "large": Size(projects=8, releases_per_project=4, users=150, testcases=50_000,
                  requirements=8_000, executions=120_000),
}

#: table -> column definitions (SQLite). The generator yields rows in this column order.
TABLES: dict[str, str] = {
    "users": "id INTEGER PRIMARY KEY, username TEXT NOT NULL, first_name TEXT, last_name TEXT, "
             "email TEXT, role TEXT",
    "projects": "id INTEGER PRIMARY KEY, name TEXT NOT NULL, short_name TEXT, description TEXT, "
                "lead_id INTEGER, created_on INTEGER",
    "releases": "id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, name TEXT NOT NULL, "
                "description TEXT, status TEXT, start_date INTEGER, end_date INTEGER",
    "cycles": "id INTEGER PRIMARY KEY, release_id INTEGER NOT NULL, name TEXT NOT NULL, "
              "build TEXT, environment TEXT, start_date INTEGER, end_date INTEGER",
    "phases": "id INTEGER PRIMARY KEY, cycle_id INTEGER NOT NULL, name TEXT NOT NULL",
    "folders": "id INTEGER PRIMARY KEY, release_id INTEGER NOT NULL, parent_id INTEGER, "
               "name TEXT NOT NULL, path TEXT NOT NULL",
    "statuses": "id INTEGER PRIMARY KEY, name TEXT NOT NULL",
    "testcases": "id INTEGER PRIMARY KEY, testcase_id INTEGER NOT NULL, version_id INTEGER, "
                 "version INTEGER, release_id INTEGER NOT NULL, project_id INTEGER NOT NULL, "
                 "folder_id INTEGER, name TEXT NOT NULL, contents TEXT, comment TEXT, "
                 "alt_id TEXT, priority TEXT, automated INTEGER NOT NULL, estimated_time TEXT, "
                 "creator_id INTEGER, created_on INTEGER, modified_on INTEGER, tags TEXT, "
                 "tags_json TEXT NOT NULL, customtext TEXT, custompicklist TEXT, "
                 "customnumber INTEGER, customcheckbox INTEGER",
    "testcase_tags": "tc_id INTEGER NOT NULL, tag TEXT NOT NULL",
    "requirements": "id INTEGER PRIMARY KEY, release_id INTEGER NOT NULL, "
                    "project_id INTEGER NOT NULL, name TEXT NOT NULL, details TEXT, "
                    "alt_id TEXT, url TEXT, priority TEXT, creator_id INTEGER, "
                    "created_on INTEGER, modified_on INTEGER, tags TEXT, "
                    "tags_json TEXT NOT NULL, customtext TEXT, custompicklist TEXT",
    "requirement_tags": "req_id INTEGER NOT NULL, tag TEXT NOT NULL",
    "executions": "id INTEGER PRIMARY KEY, tct_id INTEGER NOT NULL, phase_id INTEGER NOT NULL, "
                  "cycle_id INTEGER NOT NULL, release_id INTEGER NOT NULL, "
                  "project_id INTEGER NOT NULL, tester_id INTEGER, creator_id INTEGER, "
                  "status_id INTEGER NOT NULL, executed_on INTEGER, actual_time TEXT, "
                  "notes TEXT, assigned_on INTEGER, modified_on INTEGER",
}

_DAY_MS = 86_400_000
_EPOCH_MS = 1_672_617_600_000  # 2023-01-02T00:00Z: the data's time line starts here
_PRIORITIES = (("Critical", 6), ("High", 24), ("Medium", 50), ("Low", 17), (None, 3))
# (status id, weight): most scheduled runs pass; some have not run yet.
_STATUS_WEIGHTS = ((1, 58), (2, 12), (3, 5), (4, 6), (NOT_EXECUTED[0], 19))


def generate(size: str, seed: int, extra_statuses: Sequence[tuple[int, str]] = ()
             ) -> Iterator[tuple[str, list[Row]]]:
    """Yield ``(table, rows)`` for every table of :data:`TABLES`, deterministically.

    ``extra_statuses`` (a server's custom statuses, ``(id, name)``) are each given to a few
    percent of the executions that ran, chosen by a generator of their own, so every other
    row stays as it is without them.

    >>> [name for name, _ in generate("small", 7)][:3]
    ['users', 'projects', 'releases']
    >>> ex = dict(generate("small", 1, [(11, "Outscoped")]))["executions"]
    >>> sum(row[8] == 11 for row in ex) > 0
    True
    """
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; one of: {', '.join(SIZES)}")
    gen = _Generator(SIZES[size], random.Random(f"zql-sandbox:{size}:{seed}"))
    yield "users", gen.users()
    yield "projects", gen.projects()
    yield "releases", gen.releases()
    yield "folders", gen.folders()
    yield "statuses", [(k, v) for k, v in STATUSES.items()] + [NOT_EXECUTED] + \
        [tuple(s) for s in extra_statuses]
    tcs, tc_tags = gen.testcases()
    yield "testcases", tcs
    yield "testcase_tags", tc_tags
    reqs, req_tags = gen.requirements()
    yield "requirements", reqs
    yield "requirement_tags", req_tags
    cycles, phases, executions = gen.executions()
    yield "cycles", cycles
    yield "phases", phases
    yield "executions", _custom_statuses(executions, extra_statuses, f"{size}:{seed}")


def _custom_statuses(rows: list[Row], extra: Sequence[tuple[int, str]], key: str) -> list[Row]:
    if not extra:
        return rows
    rng = random.Random(f"zql-sandbox-custom-statuses:{key}")
    out = []
    for row in rows:
        if row[8] != NOT_EXECUTED[0] and rng.random() < 0.03 * len(extra):
            row = (*row[:8], rng.choice(extra)[0], *row[9:])
        out.append(row)
    return out


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c == "."))


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Generator:
    """Builds the tables in dependency order, remembering what later tables refer to."""

    def __init__(self, size: Size, rng: random.Random) -> None:
        self.size = size
        self.rng = rng
        self.user_weights: list[tuple[int, int]] = []  # (user id, how often they act)
        self.project_rows: list[Row] = []
        self.products: dict[int, str] = {}
        self.release_rows: list[Row] = []
        self.leaf_folders: dict[int, list[tuple[int, str]]] = {}  # release -> (id, area)
        self.release_tcs: dict[int, list[int]] = {}

    # ---- helpers

    def weighted(self, pairs: Sequence[tuple[_T, int]]) -> _T:
        values = [v for v, _ in pairs]
        return self.rng.choices(values, weights=[w for _, w in pairs])[0]

    def maybe(self, probability: float, value: _T) -> _T | None:
        return value if self.rng.random() < probability else None

    def user(self) -> int:
        return self.weighted(self.user_weights)

    def tags(self, most: int) -> list[str]:
        count = self.weighted([(0, 20), (1, 35), (2, 28), (3, 12), (4, 5)][: most + 1])
        chosen: list[str] = []
        while len(chosen) < count:
            tag = self.weighted(words.TAGS)
            if tag not in chosen:
                chosen.append(tag)
        return chosen

    # ---- tables

    def users(self) -> list[Row]:
        rows: list[Row] = [(1, "admin", "Sandbox", "Administrator", "admin@example.com",
                            "Administrator")]
        seen = {"admin"}
        while len(rows) < self.size.users:
            first = self.rng.choice(words.FIRST_NAMES)
            last = self.rng.choice(words.LAST_NAMES)
            username = f"{_ascii(first)}.{_ascii(last)}".lower()
            if username in seen:
                continue
            seen.add(username)
            role = self.weighted(words.ROLES)
            rows.append((len(rows) + 1, username, first, last, f"{username}@example.com", role))
            # Testers and leads do most of the work; a Zipf-like weight spreads it unevenly.
            weight = (40 if role in ("Tester", "Test Lead") else 6) // (1 + len(rows) % 5)
            self.user_weights.append((len(rows), max(1, weight)))
        # The read-only account (writes answer 403 for it); it never acts in the data.
        rows.append((len(rows) + 1, "viewer", "Read", "Only", "viewer@example.com",
                     "Read Only"))
        return rows

    def projects(self) -> list[Row]:
        for i, (name, key, product) in enumerate(words.PROJECTS[: self.size.projects], 1):
            self.products[i] = product
            self.project_rows.append((i, name, key, f"{product}: product test project",
                                      self.user(), _EPOCH_MS + i * 7 * _DAY_MS))
        return self.project_rows

    def releases(self) -> list[Row]:
        for pid, product in self.products.items():
            major = self.rng.randint(1, 5)
            start = _EPOCH_MS + self.rng.randint(0, 90) * _DAY_MS
            for k in range(self.size.releases_per_project):
                last = k == self.size.releases_per_project - 1
                name = f"{product} {major}.{k}" + (" Beta" if last and k > 1 else "")
                end = start + self.rng.randint(60, 120) * _DAY_MS
                rid = len(self.release_rows) + 1
                self.release_rows.append((rid, pid, name, f"{name} release of {product}",
                                          "Active" if last else "Completed", start, end))
                start = end + _DAY_MS
        return self.release_rows

    def folders(self) -> list[Row]:
        rows: list[Row] = []
        areas = list(words.AREAS)
        for release in self.release_rows:
            rid = release[0]
            self.leaf_folders[rid] = []
            for area in self.rng.sample(areas, k=min(len(areas), self.rng.randint(6, 10))):
                parent = len(rows) + 1
                rows.append((parent, rid, None, area, area))
                self.leaf_folders[rid].append((parent, area))
                for sub in ("Smoke", "Edge Cases")[: self.rng.randint(0, 2)]:
                    fid = len(rows) + 1
                    rows.append((fid, rid, parent, sub, f"{area}/{sub}"))
                    self.leaf_folders[rid].append((fid, area))
        return rows

    def testcases(self) -> tuple[list[Row], list[Row]]:
        rows: list[Row] = []
        tag_rows: list[Row] = []
        rng = self.rng
        keys = {p[0]: p[2] for p in self.project_rows}
        customs = {c.search_name: c for c in CUSTOM_FIELDS["testcase"]}
        for i in range(1, self.size.testcases + 1):
            release = rng.choice(self.release_rows)
            rid, pid = release[0], release[1]
            folder_id, area = rng.choice(self.leaf_folders[rid])
            thing = rng.choice(words.AREAS[area])
            if rng.random() < 0.02:
                name = rng.choice(words.INTERNATIONAL_NAMES)
            else:
                name = f"{rng.choice(words.VERBS)} {thing} {rng.choice(words.QUALIFIERS)}"
            contents = (f"1. Open the {area} area\n2. Use the {thing} "
                        f"{rng.choice(words.QUALIFIERS)}\n"
                        f"Expected: {rng.choice(words.EXPECTED)}")
            version = self.weighted([(1, 65), (2, 20), (3, 10), (4, 3), (5, 2)])
            created = release[5] + rng.randint(0, 50) * _DAY_MS + rng.randint(0, _DAY_MS)
            tags = self.tags(4)
            points = self.maybe(0.6, rng.choice((1, 2, 3, 5, 8, 13)))
            rows.append((
                i, 1000 + i, 5000 + i * 3, version, rid, pid, folder_id, name, contents,
                self.maybe(0.25, rng.choice(words.COMMENTS)),
                self.maybe(0.55, f"{keys[pid]}-{rng.randint(100, 9999)}"),
                self.weighted(_PRIORITIES),
                int(rng.random() < 0.35),
                self.maybe(0.85, _hms(rng.randint(2, 90) * 60 + rng.choice((0, 0, 30)))),
                self.user(), created, created + rng.randint(0, 200) * _DAY_MS,
                " ".join(tags), json.dumps(tags),
                self.maybe(0.4, rng.choice(words.TEST_DATA)),
                self.maybe(0.85, rng.choice(customs["custompicklist"].options)),
                points,
                int(rng.random() < 0.15),
            ))
            tag_rows.extend((i, t) for t in tags)
            self.release_tcs.setdefault(rid, []).append(i)
        return rows, tag_rows

    def requirements(self) -> tuple[list[Row], list[Row]]:
        rows: list[Row] = []
        tag_rows: list[Row] = []
        rng = self.rng
        keys = {p[0]: p[2] for p in self.project_rows}
        component = CUSTOM_FIELDS["requirement"][1].options
        for i in range(1, self.size.requirements + 1):
            release = rng.choice(self.release_rows)
            rid, pid = release[0], release[1]
            role = rng.choice(("shopper", "administrator", "support agent", "team lead",
                               "new user", "auditor"))
            capability = rng.choice(words.CAPABILITIES)
            key = f"{keys[pid]}-{rng.randint(100, 9999)}"
            created = release[5] + rng.randint(0, 30) * _DAY_MS
            tags = self.tags(2)
            rows.append((
                i, rid, pid, f"As a {role}, I can {capability}",
                f"The {role} needs to {capability} so that the workflow does not stall.",
                self.maybe(0.7, f"REQ-{rng.randint(10, 4999)}"),
                self.maybe(0.6, f"https://jira.example.com/browse/{key}"),
                self.weighted(_PRIORITIES), self.user(), created,
                created + rng.randint(0, 120) * _DAY_MS, " ".join(tags), json.dumps(tags),
                self.maybe(0.35, f"Accepted when the {role} can {capability} twice in a row"),
                self.maybe(0.9, rng.choice(component)),
            ))
            tag_rows.extend((i, t) for t in tags)
        return rows, tag_rows

    def executions(self) -> tuple[list[Row], list[Row], list[Row]]:
        cycles: list[Row] = []
        phases: list[Row] = []
        rows: list[Row] = []
        rng = self.rng
        total_tcs = sum(len(v) for v in self.release_tcs.values()) or 1
        for release in self.release_rows:
            rid, pid = release[0], release[1]
            tcs = self.release_tcs.get(rid, [])
            if not tcs:
                continue
            budget = round(self.size.executions * len(tcs) / total_tcs)
            release_phases: list[tuple[int, int, int]] = []  # (phase id, cycle id, start)
            for _ in range(rng.randint(2, 5)):
                number = rng.randint(2, 60)
                name = rng.choice(words.CYCLES).format(n=number)
                start = release[5] + rng.randint(0, 40) * _DAY_MS
                cid = len(cycles) + 1
                cycles.append((cid, rid, name, f"build {number}.{rng.randint(0, 9)}",
                               rng.choice(("staging", "qa", "pre-prod", "local")), start,
                               start + rng.randint(5, 20) * _DAY_MS))
                for phase in rng.sample(words.PHASES, k=rng.randint(1, 3)):
                    phases.append((len(phases) + 1, cid, phase))
                    release_phases.append((len(phases), cid, start))
            per_phase = -(-budget // len(release_phases))
            for phase_id, cid, start in release_phases:
                if budget <= 0:
                    break
                count = min(per_phase, budget)
                budget -= count
                for tct in self._pick(tcs, count):
                    rows.append(self._execution(len(rows) + 1, tct, phase_id, cid, rid, pid,
                                                start))
        return cycles, phases, rows

    def _pick(self, tcs: list[int], count: int) -> list[int]:
        # A phase schedules each test case at most once, unless asked for more than exist.
        if count <= len(tcs):
            return self.rng.sample(tcs, count)
        return [self.rng.choice(tcs) for _ in range(count)]

    def _execution(self, eid: int, tct: int, phase: int, cycle: int, rid: int, pid: int,
                   start: int) -> Row:
        rng = self.rng
        status = self.weighted(_STATUS_WEIGHTS)
        ran = status != NOT_EXECUTED[0]
        assigned = start + rng.randint(0, 3) * _DAY_MS
        executed = assigned + rng.randint(0, 10) * _DAY_MS + rng.randint(0, _DAY_MS) if ran \
            else None
        notes = self.maybe(0.5 if status in (2, 4) else 0.15, rng.choice(words.NOTES)) \
            if ran else None
        return (eid, tct, phase, cycle, rid, pid, self.maybe(0.95, self.user()), self.user(),
                status, executed,
                _hms(rng.randint(1, 120) * 60) if ran and rng.random() < 0.9 else None,
                notes, assigned, executed or assigned)
