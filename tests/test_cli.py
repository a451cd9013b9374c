"""The `dlint` command's behaviour: discovery, exit status, fixes on disk, output, dispatch."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from docklint import cli
from docklint.discovery import Excluder, discover, is_dockerfile_name
from docklint.writer import WriteError, read_with_snapshot, write_atomic
from tests.conftest import CORPUS, corpus_files

DATA = Path(__file__).parent / "data"
FIX_INPUT = (DATA / "fix" / "Dockerfile").read_bytes()


def dlint(*args: str, cwd: Path | None = None) -> int:
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return cli.main(list(args))
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a `.dlint.yaml` that selects the foundation rules (as `tests/data/` does)."""
    shutil.copy(DATA / ".dlint.yaml", tmp_path / ".dlint.yaml")
    return tmp_path


# --- discovery -------------------------------------------------------------------------------


def test_discovery_finds_every_corpus_file() -> None:
    expected = {p.relative_to(CORPUS).as_posix() for p in corpus_files()}
    assert expected, "the corpus manifest lists no files"
    found = [t.path.relative_to(CORPUS).as_posix() for t in discover([str(CORPUS)], Excluder(()))]
    assert set(found) == expected
    assert len(found) == len(set(found))
    assert found == sorted(found, key=lambda p: p.encode())


def test_discovery_names_skips_and_excludes(tmp_path: Path) -> None:
    names = ["Dockerfile", "Containerfile", "api.Dockerfile", "x.dockerfile", "y.containerfile",
             "z.Containerfile", "Dockerfile.dev", "Dockerfile-alpine", "Dockerfile_ci", "Containerfile.x"]
    for name in [*names, "README.md", "Dockerfile.md", "dockerfile-notes", "Dockerfile.orig"]:
        (tmp_path / name).write_text("FROM alpine:3.20\n")
    for skipped in (".git", "node_modules", ".venv", "vendor/deep"):
        (tmp_path / skipped).mkdir(parents=True)
        (tmp_path / skipped / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / ".devcontainer").mkdir()
    (tmp_path / ".devcontainer" / "Dockerfile").write_text("FROM alpine:3.20\n")
    found = [t.display for t in discover([str(tmp_path)], Excluder(["vendor", "*.dockerfile"]))]
    rel = [Path(p).relative_to(tmp_path).as_posix() for p in found]
    wanted = sorted([n for n in names if n != "x.dockerfile"] + [".devcontainer/Dockerfile"], key=str.encode)
    assert rel == wanted


def test_named_file_is_linted_whatever_its_name(project: Path) -> None:
    (project / "build.txt").write_text("FROM alpine\n")
    assert dlint("--format", "json", "--output", "out.json", "build.txt", cwd=project) == 1
    assert [f["code"] for f in json.loads((project / "out.json").read_text())["findings"]] == ["DL3006"]
    assert is_dockerfile_name("Dockerfile.prod") and not is_dockerfile_name("Dockerfile.md")


def test_folder_without_dockerfiles_warns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert dlint(str(tmp_path)) == 0
    assert "no Dockerfiles found" in capsys.readouterr().err


# --- exit status and options -------------------------------------------------------------------


def test_exit_status_follows_threshold(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Dockerfile").write_text("FROM alpine:latest\n")  # DL3007, a warning
    assert dlint("Dockerfile", cwd=project) == 1
    assert dlint("--failure-threshold", "error", "Dockerfile", cwd=project) == 0
    assert dlint("--severity-override", "DL3007=error", "--failure-threshold", "error", "Dockerfile", cwd=project) == 1
    assert dlint("--severity-override", "image-tag-latest=off", "Dockerfile", cwd=project) == 0
    assert dlint("--ignore", "DL3006,DL3007", "Dockerfile", cwd=project) == 0
    (project / "Dockerfile").write_text("FROM alpine:3.20\nUSER 1000\n")
    assert dlint("Dockerfile", cwd=project) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("No problems found in 1 file")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unsafe-fixes", "x"], "--unsafe-fixes needs --fix or --diff"),
        (["--jobs", "0", "x"], "--jobs must be 1 or more"),
        (["--failure-threshold", "high", "x"], "invalid choice"),
        (["--select", "DL9999", "x"], "unknown rule 'DL9999'"),
        (["--severity-override", "DL3007", "x"], "expected CODE=LEVEL"),
        (["--config", "nope.yaml", "x"], "no such file"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlint: error: ") and message in lines[0], lines


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("dlint 0.")


def test_internal_error_is_one_line_unless_debug(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from docklint import runner

    (project / "Dockerfile").write_text("FROM alpine:3.20\n")

    def explode(self: object, outcomes: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner.Run, "finish", explode)
    assert dlint("Dockerfile", cwd=project) == 2
    err = capsys.readouterr().err
    assert err.startswith("dlint: error: internal error: RuntimeError: boom") and len(err.splitlines()) == 1
    with pytest.raises(RuntimeError):
        dlint("--debug", "Dockerfile", cwd=project)


def test_debug_prints_counters(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Dockerfile").write_text("FROM alpine:3.20\n")
    assert dlint("--debug", "Dockerfile", cwd=project) == 0
    assert "dlint: debug: files=1 findings=0 unreadable=0" in capsys.readouterr().err


def test_color_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    args = cli.lint_parser().parse_args([])
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli.color_wanted(args, Terminal()) is True
    assert cli.color_wanted(args, io.StringIO()) is False
    assert cli.color_wanted(cli.lint_parser().parse_args(["--no-color"]), Terminal()) is False
    assert cli.color_wanted(cli.lint_parser().parse_args(["--format", "json"]), Terminal()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.color_wanted(args, Terminal()) is False


def test_output_file_is_written_atomically(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "Dockerfile").write_text("FROM alpine\n")
    (project / "report.json").write_text("old")
    assert dlint("--format", "json", "--output", "report.json", "Dockerfile", cwd=project) == 1
    assert capsys.readouterr().out == ""
    assert json.loads((project / "report.json").read_text())["findings"][0]["code"] == "DL3006"
    assert not [p for p in project.iterdir() if p.name.endswith(".dlint-tmp")]


def test_process_pool_gives_the_same_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(40):
        folder = project / f"svc{i:02d}"
        folder.mkdir()
        (folder / "Dockerfile").write_text(f"FROM alpine{':latest' if i % 3 else ''}\nADD f{i} /f\n")
    assert dlint("--format", "json", "--jobs", "1", ".", cwd=project) == 1
    serial = capsys.readouterr().out
    assert dlint("--format", "json", "--jobs", "2", ".", cwd=project) == 1
    pooled = capsys.readouterr().out
    assert pooled == serial
    paths = [f["path"] for f in json.loads(serial)["findings"]]
    assert paths == sorted(paths) and len(set(paths)) == 40


# --- fixes -----------------------------------------------------------------------------------


def test_fix_keeps_crlf_final_newline_and_mode(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = project / "Dockerfile"
    target.write_bytes(FIX_INPUT)
    target.chmod(0o640)
    assert dlint("--fix", "Dockerfile", cwd=project) == 1  # DL4000 (an unsafe fix) remains
    expected = FIX_INPUT.replace(b"ADD conf/", b"COPY conf/").replace(b"ADD \\\r\n", b"COPY \\\r\n")
    assert target.read_bytes() == expected
    assert (target.stat().st_mode & 0o777) == 0o640
    err = capsys.readouterr().err
    assert "Dockerfile: fixed 2 DL3020; remaining 1 DL4000" in err
    assert not [p for p in project.iterdir() if p.name.endswith(".dlint-tmp")]
    assert dlint("--fix", "Dockerfile", cwd=project) == 1  # idempotent
    assert target.read_bytes() == expected


def test_unsafe_fixes(project: Path) -> None:
    target = project / "Dockerfile"
    target.write_bytes(FIX_INPUT)
    assert dlint("--fix", "--unsafe-fixes", "Dockerfile", cwd=project) == 0
    text = target.read_bytes()
    assert b"MAINTAINER" not in text and b"\r\n" in text and not text.endswith(b"\n")


def test_diff_exit_status_and_no_write(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = project / "Dockerfile"
    target.write_text("FROM alpine:3.20\nCOPY a /a\n")
    assert dlint("--diff", "Dockerfile", cwd=project) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "No fixes available" in captured.err
    target.write_text("FROM alpine:3.20\nADD a /a\n")
    assert dlint("--diff", "Dockerfile", cwd=project) == 1
    assert "+COPY a /a\n" in capsys.readouterr().out
    assert target.read_text() == "FROM alpine:3.20\nADD a /a\n"


def test_fix_does_not_overwrite_a_file_changed_meanwhile(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from docklint import fixer

    target = project / "Dockerfile"
    target.write_text("FROM alpine:3.20\nADD a /a\n")
    original = fixer.fix_text

    def fix_while_someone_saves(*args: object, **kwargs: object) -> object:
        outcome = original(*args, **kwargs)  # type: ignore[arg-type]
        target.write_text("FROM alpine:3.20\nADD b /b\n")  # an editor saved meanwhile
        return outcome

    monkeypatch.setattr(fixer, "fix_text", fix_while_someone_saves)
    assert dlint("--fix", "--jobs", "1", "Dockerfile", cwd=project) == 2
    assert target.read_text() == "FROM alpine:3.20\nADD b /b\n"
    assert "changed on disk while dlint was fixing it; not written" in capsys.readouterr().err


def test_write_atomic_checks_snapshot(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(b"one\r\n")
    _, snapshot = read_with_snapshot(target)
    write_atomic(target, b"two\r\n", snapshot)
    assert target.read_bytes() == b"two\r\n"
    with pytest.raises(WriteError):
        write_atomic(target, b"three\r\n", snapshot)  # the snapshot is of "one"
    assert target.read_bytes() == b"two\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]


def run_module(*args: str, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "docklint", *args], input=stdin, cwd=cwd,
                          capture_output=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})


def test_fix_stdin_prints_fixed_text(project: Path) -> None:
    proc = run_module("--fix", "-", stdin=b"FROM alpine:3.20\r\nADD a /a", cwd=project)
    assert proc.stdout == b"FROM alpine:3.20\r\nCOPY a /a"
    assert proc.returncode == 0, proc.stderr
    assert b"Fixed 1 problem" in proc.stderr


def test_stdin_that_is_not_text(project: Path) -> None:
    proc = run_module("-", stdin=b"FROM \x00\xff", cwd=project)
    assert proc.returncode == 2
    assert b"-: error: not a text file" in proc.stdout


# --- subcommands -----------------------------------------------------------------------------


def test_delegates_pass_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    fake = types.ModuleType("docklint.fake_server")
    fake.main = lambda argv: seen.append(list(argv)) or 3  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "docklint.fake_server", fake)
    monkeypatch.setitem(cli.DELEGATES, "lsp", ("docklint.fake_server", "the language server"))
    assert cli.main(["lsp", "--tcp", "127.0.0.1:0"]) == 3
    assert seen == [["--tcp", "127.0.0.1:0"]]


def test_missing_delegate_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(cli.DELEGATES, "image", ("docklint.no_such_module", "image mode"))
    assert cli.main(["image", "x.tar"]) == 2
    assert capsys.readouterr().err == (
        "dlint: error: image mode is not available in this installation (docklint.no_such_module is missing)\n"
    )


def test_explain_markdown_and_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", "--markdown", "copy-instead-of-add"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# DL3020 copy-instead-of-add\n") and "## Why it matters" in out
    assert cli.main(["rules"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["CODE", "NAME", "SEVERITY", "FIX", "STATUS"]
    assert any(line.startswith("DL3020 ") for line in table)


def test_explain_a_shellcheck_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", "sc2086"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("SC2086\n") and "https://www.shellcheck.net/wiki/SC2086" in out
    assert "# dlint ignore=SC2086" in out
    assert cli.main(["explain", "SC99999"]) == 2
    assert capsys.readouterr().err.startswith("dlint: error: unknown rule 'SC99999'")


def test_config_file_bare_off_turns_a_rule_off(tmp_path: Path) -> None:
    """YAML 1.1 reads `off` as false; `severity: {DL3007: off}` must still mean off."""
    (tmp_path / ".dlint.yaml").write_text("select: [DL3007]\nseverity:\n  DL3007: off\n")
    (tmp_path / "Dockerfile").write_text("FROM alpine:latest\n")
    assert dlint("Dockerfile", cwd=tmp_path) == 0


def test_config_exclude_applies_to_found_and_named_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".dlint.yaml").write_text("select: [DL3006]\nexclude: [vendor, '*.tmpl.Dockerfile']\n")
    for rel in ("vendor/lib/Dockerfile", "app/x.tmpl.Dockerfile", "app/Dockerfile"):
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("FROM alpine\n")
    assert dlint("--format", "json", ".", "vendor/lib/Dockerfile", cwd=project) == 1
    paths = {f["path"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert paths == {"app/Dockerfile"}
    assert Excluder(["vendor"]).excludes("src/vendor/Dockerfile")
    assert not Excluder(["vendor"]).excludes("src/vendored/Dockerfile")
    assert Excluder(["ci/*.Dockerfile"]).excludes("a/ci/x.Dockerfile")


def test_fix_loop_is_reported_as_internal_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from docklint import fixer

    (project / "Dockerfile").write_text("FROM alpine:3.20\nADD a /a\n")

    def loops(*args: object, **kwargs: object) -> object:
        raise fixer.FixLoopError(["DL3020"])

    monkeypatch.setattr(fixer, "fix_text", loops)
    assert dlint("--diff", "--jobs", "1", "Dockerfile", cwd=project) == 2
    assert "fixes did not settle after 10 passes: DL3020" in capsys.readouterr().err
    assert dlint("--fix", "--jobs", "1", "--format", "json", "Dockerfile", cwd=project) == 1
    codes = [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert codes[0] == "DF000" and "DL3020" in codes
    assert (project / "Dockerfile").read_text() == "FROM alpine:3.20\nADD a /a\n"
