"""The optional ShellCheck pass: SC findings mapped back to the Dockerfile, selection,
suppression, batching, and a clean skip when ShellCheck is not installed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from docklint import shellcheck
from docklint.batch import Job, run_all
from docklint.config import Config
from docklint.config_files import config_from_mapping
from docklint.engine import lint_text
from docklint.rule import Severity

needs_shellcheck = pytest.mark.skipif(shellcheck.binary() is None, reason="ShellCheck is not installed")
ONLY_SC = Config(select=("SC",))


def sc(text: str, config: Config = ONLY_SC, crlf: bool = False) -> list[tuple[str, int, int, int, int]]:
    """SC findings as (code, line, col, end_line, end_col), 1-based like the CLI."""
    if crlf:
        text = text.replace("\n", "\r\n")
    found = lint_text(text, "Dockerfile", config).findings
    return [
        (f.code, f.range.start.line + 1, f.range.start.col + 1, f.range.end.line + 1, f.range.end.col + 1)
        for f in found
        if f.code.startswith("SC")
    ]


@needs_shellcheck
def test_positions_across_continuation_lines() -> None:
    text = "FROM debian:12\nRUN set -e; \\\n    echo $lower \\\n  && cd /tmp\n"
    assert sc(text) == [
        ("SC2086", 3, 10, 3, 16),
        ("SC2154", 3, 10, 3, 16),
    ]
    assert sc(text, crlf=True) == sc(text)


@needs_shellcheck
def test_positions_in_heredoc_bodies() -> None:
    text = (
        "FROM debian:12\n"
        "RUN <<-EOF\n"
        "\techo start\n"
        "\t\techo $x\n"
        "\tcd /tmp; make\n"
        "EOF\n"
        "RUN bash <<'EOF'\n"
        "echo `date`\n"
        "EOF\n"
    )
    assert sc(text) == [
        ("SC2086", 4, 8, 4, 10),
        ("SC2154", 4, 8, 4, 10),
        ("SC2164", 5, 2, 5, 9),
        ("SC2005", 8, 6, 8, 12),
        ("SC2006", 8, 6, 8, 12),
        ("SC2046", 8, 6, 8, 12),
    ]


@needs_shellcheck
def test_heredoc_shebang_and_stage_shell_choose_the_dialect() -> None:
    posix = "FROM debian:12\nRUN [[ -n $HOME ]] && echo ok\n"
    assert [c[0] for c in sc(posix)] == ["SC3010"]
    bash = 'FROM debian:12\nSHELL ["/bin/bash", "-c"]\nRUN [[ -n $HOME ]] && echo ok\n'
    assert sc(bash) == []
    inherited = 'FROM debian:12 AS base\nSHELL ["/bin/bash", "-c"]\nFROM base\nRUN [[ -n $HOME ]] && echo ok\n'
    assert sc(inherited) == []
    shebang = "FROM debian:12\nRUN <<EOF\n#!/bin/bash\n[[ -n $HOME ]] && echo $y\nEOF\n"
    assert sc(shebang) == [("SC2086", 4, 24, 4, 26), ("SC2154", 4, 24, 4, 26)]


@needs_shellcheck
def test_build_variables_count_as_assigned() -> None:
    text = "FROM debian:12\nARG version=1\nENV prefix=/opt\nRUN echo \"$version $prefix $http_proxy $other\"\n"
    assert sc(text) == [("SC2154", 4, 40, 4, 46)]


@needs_shellcheck
def test_non_posix_exec_form_and_interpreter_heredocs_are_skipped() -> None:
    text = (
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'SHELL ["powershell", "-Command"]\n'
        "RUN echo $env:PATH | Out-Null\n"
        "FROM debian:12\n"
        'RUN ["sh", "-c", "echo $x"]\n'
        "RUN python3 <<'EOF'\n"
        "print('$x')\n"
        "EOF\n"
    )
    assert sc(text) == []
    # Unquoted, the shell expands the body before python3 reads it: that is shell code.
    assert sc(text.replace("<<'EOF'", "<<EOF")) == [("SC2154", 7, 8, 7, 10)]


@needs_shellcheck
def test_pragmas_suppress_sc_codes() -> None:
    text = (
        "FROM debian:12\n"
        "# dlint ignore=SC2086\n"
        "RUN echo $a_var\n"
        "# hadolint ignore=SC2154,SC2086\n"
        "RUN echo $b_var\n"
        "RUN echo $c_var\n"
    )
    assert sc(text) == [
        ("SC2154", 3, 10, 3, 16),
        ("SC2086", 6, 10, 6, 16),
        ("SC2154", 6, 10, 6, 16),
    ]
    assert sc("# hadolint global ignore=SC2154\n" + text) == [("SC2086", 7, 10, 7, 16)]


@needs_shellcheck
def test_selection_severity_and_off_switch() -> None:
    text = "FROM debian:12\nRUN echo $a_var\n"
    assert [c[0] for c in sc(text, Config())] == ["SC2086", "SC2154"]
    assert [c[0] for c in sc(text, config_from_mapping({"ignore": ["SC2086"]}))] == ["SC2154"]
    assert [c[0] for c in sc(text, config_from_mapping({"select": ["DL3003", "SC2154"]}))] == ["SC2154"]
    assert sc(text, config_from_mapping({"select": ["DL3003"]})) == []
    assert sc(text, config_from_mapping({"ignore": ["shellcheck"]})) == []
    assert sc(text, config_from_mapping({"shellcheck": False})) == []
    assert sc(text, Config(shellcheck=False)) == []
    severe = config_from_mapping({"severity": {"SC2086": "error", "SC2154": "off"}})
    found = [f for f in lint_text(text, "Dockerfile", severe).findings if f.code.startswith("SC")]
    assert [(f.code, f.severity) for f in found] == [("SC2086", Severity.ERROR)]
    assert found[0].name == "shellcheck" and not found[0].message.endswith(".")
    assert shellcheck.wiki_url("SC2086") == "https://www.shellcheck.net/wiki/SC2086"


@needs_shellcheck
def test_batched_calls_give_the_same_findings_as_one_file_at_a_time(tmp_path: Path) -> None:
    texts = [
        "FROM debian:12\nRUN echo $one_var\n",
        "FROM debian:12\n# dlint ignore=SC2086\nRUN echo $two_var && cd /x\n",
        "FROM debian:12\nRUN echo ok\n",
        "FROM debian:12\nRUN echo $one_var\n",  # same script as the first: checked once
    ]
    jobs = [Job(f"f{i}", ONLY_SC, text=text) for i, text in enumerate(texts)]
    batched = [o.result.findings for o in run_all(jobs, workers=1)]
    single = [lint_text(text, f"f{i}", ONLY_SC).findings for i, text in enumerate(texts)]
    assert batched == single
    assert [f.code for f in batched[1]] == ["SC2154", "SC2164"]


def _hide_shellcheck(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("sys.executable", str(tmp_path / "python3"))
    monkeypatch.setattr("sysconfig.get_path", lambda name, *args, **kwargs: str(tmp_path))
    monkeypatch.setattr(shellcheck, "_binary", [])
    monkeypatch.setattr(shellcheck, "_notified", False)


def test_missing_shellcheck_gives_one_notice_and_no_findings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: Any
) -> None:
    _hide_shellcheck(monkeypatch, tmp_path)
    caplog.set_level(logging.INFO, logger="docklint")
    text = "FROM debian:12\nRUN echo $a_var && cd /tmp\n"
    jobs = [Job(f"f{i}", Config(), text=text) for i in range(3)]
    outcomes = list(run_all(jobs, workers=1))
    assert [f.code for o in outcomes for f in o.result.findings if f.code.startswith("SC")] == []
    assert all(any(f.code == "DL3003" for f in o.result.findings) for o in outcomes)
    assert lint_text(text, "Dockerfile", Config()).findings  # the engine path stays quiet too
    notices = [r for r in caplog.records if "ShellCheck not found" in r.getMessage()]
    assert len(notices) == 1
    assert shellcheck.binary() is None


def test_no_notice_when_shellcheck_is_turned_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: Any
) -> None:
    _hide_shellcheck(monkeypatch, tmp_path)
    caplog.set_level(logging.INFO, logger="docklint")
    jobs = [Job("f", Config(shellcheck=False), text="FROM debian:12\nRUN echo $a\n")]
    list(run_all(jobs, workers=1))
    lint_text("FROM debian:12\nRUN echo $a\n", "Dockerfile", Config(shellcheck=False))
    assert not [r for r in caplog.records if "ShellCheck" in r.getMessage()]


def test_shellcheck_failure_is_not_fatal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "shellcheck"
    fake.write_text("#!/bin/sh\necho 'not json'\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shellcheck, "_binary", [str(fake)])
    monkeypatch.setattr(shellcheck, "_cache", {})
    result = lint_text("FROM debian:12\nRUN cd /tmp && echo $zz_var\n", "Dockerfile", Config())
    assert [f.code for f in result.findings if f.code.startswith("SC")] == []
    assert any(f.code == "DL3003" for f in result.findings)


def test_missing_shellcheck_one_notice_across_worker_processes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capfd: Any
) -> None:
    _hide_shellcheck(monkeypatch, tmp_path)
    handler = logging.StreamHandler()  # writes to the inherited stderr in every process
    logger = logging.getLogger("docklint")
    logger.addHandler(handler)
    try:
        jobs = [Job(f"f{i}", Config(), text="FROM debian:12\nRUN echo $a_var\n") for i in range(20)]
        outcomes = list(run_all(jobs, workers=2))
    finally:
        logger.removeHandler(handler)
    assert len(outcomes) == 20
    assert capfd.readouterr().err.count("ShellCheck not found") == 1
