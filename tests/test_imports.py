"""Start-up stays cheap: heavy libraries load only on the paths that need them.

Each check runs in a fresh interpreter (the test process has imported everything already) and
looks at `sys.modules` afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("rich", "pygls", "lsprotocol", "bashlex", "detect_secrets", "yaml", "zstandard")


def loaded_after(code: str, cwd: Path | None = None) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    proc = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = loaded_after("import docklint.cli")
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_linting_a_file_without_config_loads_neither_yaml_nor_rich(tmp_path: Path) -> None:
    """The plain `dlint Dockerfile` path, output to a pipe (not a terminal), no config file."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:latest\nADD app /app\nCMD run\n")
    code = (
        "import io, contextlib\n"
        "from docklint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = main(['Dockerfile'])\n"
        "assert status == 1, status\n"
    )
    loaded = loaded_after(code, cwd=tmp_path)
    assert not loaded & {"yaml", "rich", "pygls", "lsprotocol"}, sorted(loaded & {"yaml", "rich", "pygls", "lsprotocol"})


def test_rules_and_explain_load_no_heavy_library(tmp_path: Path) -> None:
    code = (
        "import io, contextlib\n"
        "from docklint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['explain', 'DL3020']) == 0\n"
        "    assert main(['rules']) == 0\n"
    )
    loaded = loaded_after(code, cwd=tmp_path)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def rule_modules_after(code: str, cwd: Path | None = None) -> set[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('docklint.rules.'))))\n"
    proc = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_selecting_rules_imports_no_rule_module() -> None:
    """Config, selectors and pragmas are checked against the generated index (rules/_index.py)."""
    loaded = rule_modules_after(
        "from docklint.registry import registry\n"
        "from docklint.config import Config\n"
        "known = registry()\n"
        "assert known.is_known('DL3008') and known.resolve('apt-get-pin-versions')\n"
        "assert [e.code for e in known.entries_of_kind('dockerfile') if Config(select=('DL3',)).is_enabled(e)]\n"
    )
    assert loaded <= {"docklint.rules._index"}, sorted(loaded)


def test_linting_a_dockerfile_imports_only_dockerfile_rule_modules(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\nUSER 10001\nCMD [\"true\"]\n")
    code = (
        "import io, contextlib\n"
        "from docklint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--no-shellcheck', 'Dockerfile'])\n"
    )
    loaded = rule_modules_after(code, cwd=tmp_path)
    assert loaded, "no rule ran"
    others = sorted(m for m in loaded if m.split(".")[2].startswith(("image_", "compose", "daemon")))
    assert not others, others


def test_plain_run_commands_are_read_without_bashlex(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM alpine:3.20\nRUN apk add --no-cache curl && adduser -D app\nUSER app\nCMD [\"curl\", \"--version\"]\n"
    )
    code = (
        "import io, contextlib\n"
        "from docklint.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--no-shellcheck', 'Dockerfile'])\n"
    )
    assert "bashlex" not in loaded_after(code, cwd=tmp_path)
