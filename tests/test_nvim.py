"""One real editor: headless Neovim attaches `zql lsp` to a .zql file and reports a diagnostic.

Neovim comes from Debian's packages; the fixture installs it when it is missing and the tests
run as root (as CI does). If it still cannot be had, the test fails: it is never skipped.
The init file works with Neovim 0.7 (Debian 12: ``vim.lsp.start_client``) and later
(``vim.lsp.start``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.debian_support import install_debian

pytestmark = [pytest.mark.timeout(600), pytest.mark.debian("nvim")]

INIT_LUA = r"""
local out = vim.env.ZQL_NVIM_OUT
local cmd = vim.fn.json_decode(vim.env.ZQL_LSP_CMD)
local raw = nil
local publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
vim.lsp.handlers["textDocument/publishDiagnostics"] = function(err, result, ctx, config)
  raw = result
  return publish(err, result, ctx, config)
end

local function finish(payload)
  vim.fn.writefile({vim.fn.json_encode(payload)}, out)
  vim.cmd("qall!")
end

vim.api.nvim_create_autocmd("VimEnter", {callback = function()
  vim.bo.filetype = "zql"
  local config = {name = "zql", cmd = cmd, root_dir = vim.fn.getcwd()}
  if vim.lsp.start then
    vim.lsp.start(config)
  else
    local id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(0, id)
  end
  local ok = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(found, {code = d.code, source = d.source, lnum = d.lnum, col = d.col,
                         end_lnum = d.end_lnum, end_col = d.end_col, message = d.message})
  end
  finish({ok = ok, diagnostics = found, raw = raw, version = vim.version()})
end})
"""

ZQL_FILE = '# zql: entity=execution\nname ~ "새로운 테스트 😀" and status = Fail\n'


@pytest.fixture(scope="session")
def nvim() -> str:
    found = install_debian("nvim", timeout=280)
    if found is None:
        pytest.fail("Neovim is needed for this test and could not be installed: run "
                    "`apt-get install neovim` (as root) and re-run")
    return found


def test_neovim_shows_the_diagnostic_with_its_code_and_range(nvim: str, tmp_path: Path) -> None:
    source = tmp_path / "broken.zql"
    source.write_text(ZQL_FILE, encoding="utf-8")
    (tmp_path / "init.lua").write_text(INIT_LUA, encoding="utf-8")
    out = tmp_path / "diagnostics.json"
    env = {**os.environ, "ZQL_NVIM_OUT": str(out),
           "ZQL_LSP_CMD": json.dumps([sys.executable, "-m", "zql.cli", "lsp"]),
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_CACHE_HOME": str(tmp_path / "c")}
    proc = subprocess.run(
        [nvim, "--headless", "-n", "-i", "NONE", "--noplugin", "-u", str(tmp_path / "init.lua"),
         str(source)],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
        check=False)
    assert out.exists(), f"Neovim wrote nothing (exit {proc.returncode}): {proc.stderr!r}"
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["ok"], result
    line = ZQL_FILE.splitlines()[1]
    start = line.index("Fail")
    # Neovim keeps byte columns; the protocol carried UTF-16 ones.
    byte_col = len(line[:start].encode("utf-8"))
    utf16_col = len(line[:start].encode("utf-16-le")) // 2
    assert [(d["code"], d["source"], d["lnum"], d["col"], d["end_lnum"], d["end_col"])
            for d in result["diagnostics"]] == [
        ("ZQL107", "zql", 1, byte_col, 1, byte_col + len("Fail"))]
    assert [(d["code"], d["range"]) for d in result["raw"]["diagnostics"]] == [
        ("ZQL107", {"start": {"line": 1, "character": utf16_col},
                    "end": {"line": 1, "character": utf16_col + 4}})]
