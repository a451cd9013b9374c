"""`dlint` on compose files and daemon.json: found in folders next to Dockerfiles, linted by their
kind, reported with their paths and lines, fixed and diffed like Dockerfiles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from docklint import cli
from docklint.discovery import Excluder, discover

COMPOSE = 'services:\n  web:\n    image: nginx:1.27\n    privileged: true\n    ports:\n      - "8080:80"\n'
OVERRIDE = "services:\n  web:\n    image: nginx\n"
DAEMON = '{\n  "log-level": "debug",\n  "icc": false\n}\n'
SELECT = "select: [DL3007, RT101, RT123, RT129, RT153, RT159]\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".dlint.yaml").write_text(SELECT)
    (tmp_path / "Dockerfile").write_text("FROM alpine:latest\n")
    (tmp_path / "compose.yaml").write_text(COMPOSE)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "docker-compose.override.yml").write_text(OVERRIDE)
    (tmp_path / "etc" / "docker").mkdir(parents=True)
    (tmp_path / "etc" / "docker" / "daemon.json").write_text(DAEMON)
    (tmp_path / "values.yaml").write_text("privileged: true\n")  # not a compose file name
    return tmp_path


def dlint(*args: str, cwd: Path) -> int:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return cli.main(list(args))
    finally:
        os.chdir(old)


def test_discovery_finds_every_kind(project: Path) -> None:
    found = [t.display for t in discover([str(project)], Excluder(()))]
    names = [Path(p).relative_to(project).as_posix() for p in found]
    assert names == ["Dockerfile", "compose.yaml", "deploy/docker-compose.override.yml", "etc/docker/daemon.json"]


def test_folder_report_has_paths_lines_and_exit_status(project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "docklint", "--format", "json", "."], cwd=project, capture_output=True, text=True,
        timeout=120, env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 1, proc.stderr
    found = [(f["path"], f["line"], f["column"], f["code"]) for f in json.loads(proc.stdout)["findings"]]
    assert found == [
        ("Dockerfile", 1, 6, "DL3007"),
        ("compose.yaml", 4, 17, "RT101"),
        ("compose.yaml", 6, 9, "RT123"),
        ("deploy/docker-compose.override.yml", 3, 12, "RT129"),
        ("etc/docker/daemon.json", 2, 16, "RT159"),
    ]
    fix = json.loads(proc.stdout)["findings"][4]["fix"]
    assert fix["edits"] == [{"line": 2, "column": 16, "end_line": 2, "end_column": 23, "text": '"info"'}]


def test_tty_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dlint("--no-color", "compose.yaml", "etc/docker/daemon.json", cwd=project) == 1
    out = capsys.readouterr().out
    assert "compose.yaml:4:17: RT101 [*] error " in out
    assert "etc/docker/daemon.json:2:16: RT159 [*] info " in out


def test_fix_safe_and_unsafe(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dlint("--fix", ".", cwd=project) == 1  # only RT159's fix is safe
    assert (project / "etc/docker/daemon.json").read_text() == DAEMON.replace('"debug"', '"info"')
    assert (project / "compose.yaml").read_text() == COMPOSE
    assert "etc/docker/daemon.json: fixed 1 RT159; nothing remains" in capsys.readouterr().err
    assert dlint("--fix", "--unsafe-fixes", ".", cwd=project) == 1  # DL3007 and RT129 have no fix
    fixed = (project / "compose.yaml").read_text()
    assert fixed == COMPOSE.replace("true", "false").replace('"8080:80"', '"127.0.0.1:8080:80"')
    err = capsys.readouterr().err
    assert "compose.yaml: fixed 1 RT101, 1 RT123; nothing remains" in err
    assert dlint("--diff", "--unsafe-fixes", ".", cwd=project) == 0  # nothing left to fix


def test_diff_does_not_write(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dlint("--diff", "--unsafe-fixes", "compose.yaml", cwd=project) == 1
    out = capsys.readouterr().out
    assert "-    privileged: true\n+    privileged: false\n" in out
    assert '+      - "127.0.0.1:8080:80"\n' in out
    assert (project / "compose.yaml").read_text() == COMPOSE


def test_stdin_takes_its_kind_from_the_stdin_filename(project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "docklint", "--format", "json", "--stdin-filename", "compose.yaml", "-"],
        cwd=project, input=COMPOSE, capture_output=True, text=True, timeout=120,
    )
    codes = [f["code"] for f in json.loads(proc.stdout)["findings"]]
    assert codes == ["RT101", "RT123"] and proc.returncode == 1


def test_broken_files_are_findings_not_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "compose.yaml").write_text("services:\n  web: [\n")
    (project / "etc/docker/daemon.json").write_text('{"icc": false,}\n')
    (project / ".dlint.yaml").write_text("select: [RT100, RT150]\n")
    assert dlint("--no-color", "--format", "json", "--output", "out.json", ".", cwd=project) == 1
    found = [(f["path"], f["line"], f["column"], f["code"]) for f in json.loads((project / "out.json").read_text())["findings"]]
    assert found == [("compose.yaml", 3, 1, "RT100"), ("etc/docker/daemon.json", 1, 15, "RT150")]


def test_pre_commit_hook_matches_the_names_dlint_lints() -> None:
    import re

    import yaml

    from docklint.kinds import kind_of

    hook = yaml.safe_load((Path(__file__).resolve().parent.parent / ".pre-commit-hooks.yaml").read_text())[0]
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    names = [
        "Dockerfile", "web/api.Dockerfile", "Containerfile.dev", "compose.yaml", "deploy/compose.prod.yml",
        "docker-compose.yml", "docker-compose.override.yaml", "etc/docker/daemon.json", "values.yaml",
        "mycompose.yaml", "compose.yaml.bak", "daemon.json.orig", "README.md",
    ]  # fmt: skip
    for name in names:
        hooked = bool(files.search(name)) and not exclude.search(name)
        assert hooked == (kind_of(name) is not None), name


def test_secret_values_are_never_printed(tmp_path: Path) -> None:
    """RT130 finds a password by its variable's name; the terminal snippet must mask it too."""
    password = "hunter" + "2-Correct-Horse"
    (tmp_path / "compose.yaml").write_text(
        f"services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {password}\n"
        f"    build:\n      context: .\n      args: [DB_PASSWORD={password}]\n"
    )
    (tmp_path / ".dlint.yaml").write_text("select: [RT130, RT131]\n")
    outputs = {}
    for fmt in ("tty", "json", "sarif", "checkstyle", "gitlab", "github", "junit"):
        proc = subprocess.run(
            [sys.executable, "-m", "docklint", "--no-color", "--format", fmt, "."], cwd=tmp_path,
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
        outputs[fmt] = proc.stdout + proc.stderr
        assert password[4:] not in outputs[fmt], fmt
    shown = min(4, len(password) // 4)  # as `secrets.mask` shows it
    assert "POSTGRES_PASSWORD: " + password[:shown] + "*" * (len(password) - shown) in outputs["tty"]
