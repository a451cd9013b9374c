"""Linting and fixing many files: one job per file, run in order or on a process pool.

A job reads its file once as bytes (keeping CRLF, a BOM and a missing final newline exactly),
lints or fixes the text, and for `--fix` writes it back atomically unless the file changed on
disk meanwhile. Jobs are independent, so a pool runs them on every core; results come back in
job order, so output never depends on scheduling. The pool starts only when there are enough
files to pay for it, and its workers are forked after the parent has imported the engine and
the rules, so no worker imports them again (where fork is unavailable, each worker imports them
once in its initializer).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from docklint.config import Config
from docklint.engine import LintResult, decode_text, internal_error, lint_document
from docklint.errors import DlintError, InputError

POOL_MIN_FILES = 16  # below this, starting worker processes costs more than it saves
MODES = ("lint", "fix", "diff")
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class Job:
    """One input: a file (`path`) or text already read (stdin), and what to do with it."""

    display: str
    config: Config
    path: Path | None = None
    text: str | None = None
    mode: str = "lint"
    unsafe: bool = False
    context_dir: str | None = None
    error: str | None = None  # the input could not be read (stdin read before the job ran)


@dataclass
class Outcome:
    result: LintResult
    fixed: Counter[str] = field(default_factory=Counter)
    original: str | None = None  # the text as read (fix and diff modes)
    new_text: str | None = None  # the text after fixes (fix and diff modes)
    write_error: str | None = None

    @property
    def changed(self) -> bool:
        return self.new_text is not None and self.original is not None and self.new_text != self.original


def run_job(job: Job) -> Outcome:
    """Read, lint or fix, and (for `--fix` on a file) write; never raises for bad input."""
    snapshot = None
    if job.error is not None:
        return Outcome(LintResult(path=job.display, error=job.error))
    if job.text is not None:
        text = job.text
    else:
        assert job.path is not None
        try:
            text, snapshot = _read(job.path, job.display, job.mode == "fix")
        except InputError as error:
            return Outcome(LintResult(path=job.display, error=str(error)))
    if job.mode == "lint":
        result = lint_document(text, job.display, job.config, context_dir=job.context_dir)
        result.model = None  # formats need only the text; the model is costly to send back
        return Outcome(result)
    return _fix(job, text, snapshot)


def _read(path: Path, display: str, snapshot: bool) -> tuple[str, object]:
    """The file's text, and (for `--fix`) a snapshot to compare before writing it back."""
    try:
        if snapshot:
            from docklint.writer import read_with_snapshot

            data, taken = read_with_snapshot(path)
        else:
            data, taken = path.read_bytes(), None
    except FileNotFoundError:
        raise InputError(f"{display}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{display}: is a directory") from None
    except OSError as error:
        raise InputError(f"{display}: cannot read: {error.strerror or error}") from None
    return decode_text(data, display), taken


def _fix(job: Job, text: str, snapshot: object) -> Outcome:
    from docklint.fixer import FixLoopError, fix_text

    try:
        fixed = fix_text(text, job.display, job.config, unsafe=job.unsafe, context_dir=job.context_dir)
    except FixLoopError as error:
        result = lint_document(text, job.display, job.config, context_dir=job.context_dir)
        result.model = None
        result.findings.insert(0, internal_error(job.display, f"--fix: {error}"))
        return Outcome(result, original=text, new_text=text)
    result = LintResult(path=job.display, findings=fixed.remaining, source_text=fixed.text)
    outcome = Outcome(result, fixed=Counter(fixed.fixed), original=text, new_text=fixed.text)
    if job.mode == "fix" and job.path is not None and outcome.changed:
        from docklint.writer import Snapshot, write_atomic

        try:
            write_atomic(job.path, fixed.text.encode("utf-8"), snapshot if isinstance(snapshot, Snapshot) else None)
        except DlintError as error:
            outcome.write_error = str(error)
            outcome.fixed = Counter()  # nothing was written, so nothing is fixed
    return outcome


# --- running many jobs ----------------------------------------------------------------------


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_all(
    jobs: Sequence[Job], workers: int, on_done: Callable[[], None] | None = None
) -> Iterator[Outcome]:
    """Every job's outcome, in job order; on a pool when `workers` > 1 and there are enough jobs."""
    _shellcheck_notice(jobs)
    if workers <= 1 or len(jobs) < POOL_MIN_FILES:
        for start in range(0, len(jobs), GROUP_SIZE):
            for outcome in run_group(jobs[start : start + GROUP_SIZE]):
                yield outcome
                if on_done is not None:
                    on_done()
        return
    yield from _pooled(jobs, workers, on_done)


GROUP_SIZE = 16  # files whose RUN scripts share one ShellCheck call (when run one by one)


def run_group(jobs: Sequence[Job]) -> list[Outcome]:
    """Run a few jobs in order; when linting, their RUN scripts go to ShellCheck in one call
    (one process per file would cost more than checking the scripts)."""
    if len(jobs) < 2 or jobs[0].mode != "lint" or not any(job.config.shellcheck for job in jobs):
        return [run_job(job) for job in jobs]  # one file: ShellCheck runs while the rules do
    from docklint import shellcheck

    return shellcheck.lint_batched(jobs, run_job, lambda outcome: outcome.result)


def _shellcheck_notice(jobs: Sequence[Job]) -> None:
    """Look for ShellCheck once, before any worker starts, so a missing one is noted once."""
    if any(job.config.shellcheck for job in jobs):
        from docklint import shellcheck

        shellcheck.available()


def _pooled(jobs: Sequence[Job], workers: int, on_done: Callable[[], None] | None) -> Iterator[Outcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from docklint.registry import registry

    registry().of_kind("dockerfile")  # imported here, before the fork, so the workers inherit them
    method = "fork" if sys.platform == "linux" else None
    context = multiprocessing.get_context(method)
    workers = min(workers, len(jobs))
    # Small chunks keep every core busy to the end (file sizes vary a lot); not so small that
    # sending them dominates.
    chunk = max(1, min(GROUP_SIZE, len(jobs) // (workers * 8)))
    groups = [jobs[start : start + chunk] for start in range(0, len(jobs), chunk)]
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm) as pool:
        for outcomes in pool.map(run_group, groups):
            for outcome in outcomes:
                yield outcome
                if on_done is not None:
                    on_done()


def _warm() -> None:
    """Worker initializer: load the rules once (a no-op after fork, where they are inherited)."""
    from docklint.registry import registry

    registry()


# --- diffs ----------------------------------------------------------------------------------


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff of two texts, line ends kept (CRLF shows), `\\ No newline` marked."""
    import difflib

    old, new = _lines(before), _lines(after)
    out: list[str] = []
    name = path.lstrip("/")  # as git writes absolute paths: `a/tmp/x`, not `a//tmp/x`
    for line in difflib.unified_diff(old, new, f"a/{name}", f"b/{name}", n=3):
        if line.startswith(("---", "+++", "@@")):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(text: str) -> list[str]:
    """Lines with their ends, split only at \\n, \\r\\n and \\r (as `model.source` does)."""
    return _LINES.findall(text)
