"""Both ways of loading the grammar work: from the checkout, and from an installed wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from zql import _grammar

ROOT = Path(__file__).resolve().parent.parent


def test_checkout_loads_the_grammar_from_grammar_dir() -> None:
    assert _grammar.grammar_path() == ROOT / "grammar" / "zql.lark"
    assert not (ROOT / "zql" / "zql.lark").exists(), "the grammar has exactly one copy"


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_parses(tmp_path: Path) -> None:
    """The wheel carries the grammar and the console script.

    Only the wheel goes into the fresh venv (``--no-deps``): its dependencies come from the test
    environment's site-packages through ``PYTHONPATH``, which never processes that environment's
    editable-install ``.pth``, so ``zql`` can only be the wheel's. Resolving dependencies is
    pip's job and not what this test is about; downloading them made it the slowest test.
    """
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT, check=True, capture_output=True, timeout=300,
    )
    wheel = next(dist.glob("zephyr_zql-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
                    "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    script = (
        "import zql, zql._grammar as g;"
        "print(g.grammar_path());"
        "print(zql.format(zql.parse('status=\"Fail\" AND priority IN (\"P1\")')));"
        "print(zql.__file__)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    out = subprocess.run([str(python), "-c", script], cwd=tmp_path, check=True,
                         capture_output=True, text=True, env=env, timeout=120).stdout.splitlines()
    assert out[0].endswith(os.path.join("site-packages", "zql", "zql.lark"))
    assert out[1] == 'status = "Fail" and priority in ("P1")'
    assert Path(out[2]).is_relative_to(env_dir), "zql must come from the wheel, not the checkout"
    console = subprocess.run([str(env_dir / "bin" / "zql"), "fmt", "-q", "a=1"], cwd=tmp_path,
                             capture_output=True, text=True, env=env, timeout=120)
    assert console.stdout == "a = 1\n"


def _run_fresh(code: str, cache: Path) -> str:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    return subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True, timeout=120).stdout.strip()


def test_grammar_analysis_is_cached_and_parsing_then_skips_lark(tmp_path: Path) -> None:
    probe = ("import sys, zql; zql.parse('a = 1 and b ~ \"x\"');"
             "print('lark' in sys.modules)")
    assert _run_fresh(probe, tmp_path) == "True"  # first run: Lark analyses the grammar
    cached = list((tmp_path / "zql").glob("grammar-*.json"))
    assert len(cached) == 1
    assert _run_fresh(probe, tmp_path) == "False"  # later runs: the tables come from the cache


def test_corrupt_or_unwritable_cache_is_recomputed(tmp_path: Path) -> None:
    probe = "import zql; print(zql.format('A=1'))"
    _run_fresh(probe, tmp_path)
    for path in (tmp_path / "zql").glob("grammar-*.json"):
        path.write_text("{not json")
    assert _run_fresh(probe, tmp_path) == "A = 1"
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    assert _run_fresh(probe, blocked) == "A = 1"  # cache dir cannot be created: still works
