"""One `dlint [PATH ...]` run: inputs to jobs (config per folder), jobs to outcomes, a report.

What goes where: the report on stdout (or `--output`); `--diff` prints only the diff there;
`--fix -` prints only the fixed text there and sends the report to stderr. Per-file fix counts,
unreadable inputs and write failures go to stderr as one line each. The report shown on stdout in
the tty format already lists unreadable inputs, so they are not repeated on stderr then.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from docklint.batch import Job, Outcome, default_jobs, run_all, unified_diff
from docklint.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, PROGRESS_MIN_FILES, color_wanted, emit, rendered
from docklint.discovery import Excluder, discover
from docklint.engine import LintResult, decode_text
from docklint.errors import InputError

if TYPE_CHECKING:
    from docklint.config import Config
    from docklint.config_files import Layer


class Run:
    """Settings of one run and the configs it resolved (cached per folder)."""

    def __init__(self, args: argparse.Namespace, layer: Layer) -> None:
        self.args = args
        self.layer = layer
        self.config_file = Path(args.config) if args.config else None
        self.mode = "diff" if args.diff else "fix" if args.fix else "lint"
        self.workers = args.jobs or default_jobs()
        self.excluder = Excluder(args.exclude or ())
        self._configs: dict[Path, Config] = {}
        self.job_configs: list[Config] = []
        self.stdin_name: str | None = None

    @property
    def config_count(self) -> int:
        return len(self._configs)

    def config_for(self, directory: Path) -> Config:
        """The config for files in `directory` (flags, `--config`, discovered files)."""
        from docklint.config_files import resolve_config

        key = Path(directory).absolute()
        config = self._configs.get(key)
        if config is None:
            config = resolve_config(key, self.layer, self.config_file)
            self._configs[key] = config
        return config

    # --- inputs ---------------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """One job per input, sorted by the name printed for it."""
        paths = list(self.args.paths) or (["-"] if self.args.stdin_filename else ["."])
        if self.config_file is not None and not self.config_file.is_file():
            raise InputError(f"--config {self.config_file}: no such file")
        jobs: list[Job] = []
        seen: set[Path] = set()
        for raw in paths:
            if raw == "-":
                jobs.append(self._stdin_job())
                continue
            found = 0
            for target in discover([raw], self.excluder):
                key = target.path.absolute()
                if key in seen:
                    continue
                seen.add(key)
                config = self.config_for(target.path.parent)
                if config.exclude and Excluder(config.exclude).excludes(target.display):
                    continue
                found += 1
                jobs.append(self._job(target.display, config, path=target.path))
            if found == 0 and Path(raw).is_dir():
                print(f"dlint: warning: no Dockerfiles found in {raw}", file=sys.stderr)
        jobs.sort(key=lambda job: job.display.encode("utf-8", "surrogateescape"))
        self.job_configs = [job.config for job in jobs]
        return jobs

    def _job(self, display: str, config: Config, *, path: Path | None = None, text: str | None = None,
             context_dir: str | None = None) -> Job:
        if context_dir is None and path is not None:
            context_dir = str(path.parent)
        return Job(display, config, path=path, text=text, mode=self.mode, unsafe=self.args.unsafe_fixes,
                   context_dir=context_dir)

    def _stdin_job(self) -> Job:
        name = self.args.stdin_filename or "-"
        directory = Path(self.args.stdin_filename).parent if self.args.stdin_filename else Path.cwd()
        config = self.config_for(directory)
        self.stdin_name = name
        try:
            text = decode_text(sys.stdin.buffer.read(), name)
        except InputError as error:
            return Job(name, config, error=str(error))
        return self._job(name, config, text=text, context_dir=str(directory))

    # --- running --------------------------------------------------------------------------

    def execute(self, jobs: list[Job]) -> list[Outcome]:
        if self._progress_wanted(len(jobs)):
            return self._with_progress(jobs)
        return list(run_all(jobs, self.workers))

    def _progress_wanted(self, count: int) -> bool:
        if self.args.no_progress or count < PROGRESS_MIN_FILES:
            return False
        return sys.stderr.isatty()

    def _with_progress(self, jobs: list[Job]) -> list[Outcome]:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("dlint"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        console = Console(stderr=True)
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("lint", total=len(jobs))
            return list(run_all(jobs, self.workers, on_done=lambda: progress.advance(task)))

    # --- output ---------------------------------------------------------------------------

    def finish(self, outcomes: list[Outcome]) -> int:
        """Print what the run found; the exit status."""
        args = self.args
        unreadable = [o.result for o in outcomes if o.result.error is not None]
        write_errors = [o.write_error for o in outcomes if o.write_error]
        if self.mode == "diff":
            status = self._print_diff(outcomes)
        else:
            status = self._print_report(outcomes)
        shown_in_report = args.format == "tty" and not args.output
        if self.mode != "diff" and shown_in_report:
            unreadable = []
        for result in unreadable:
            print(f"dlint: error: {result.error}", file=sys.stderr)
        for message in write_errors:
            print(f"dlint: error: {message}", file=sys.stderr)
        if any(o.result.error for o in outcomes) or write_errors:
            return EXIT_ERROR
        return status

    def _report_to_stderr(self) -> bool:
        """`--fix -` prints the fixed text on stdout, so the report goes to stderr."""
        return self.mode == "fix" and self.stdin_name is not None

    def _print_report(self, outcomes: list[Outcome]) -> int:
        from docklint.config import DEFAULT
        from docklint.report import Report

        args = self.args
        to_stderr = self._report_to_stderr()
        stream = sys.stderr if to_stderr else sys.stdout
        fixed = {o.result.path: o.fixed for o in outcomes if o.fixed}
        report = Report(
            results=[o.result for o in outcomes],
            config=self.job_configs[0] if self.job_configs else DEFAULT,
            fixed=fixed,
            statistics=args.statistics,
            color=color_wanted(args, stream),
        )
        if self.mode == "fix":
            self._print_fix_counts(outcomes, "fixed")
        if to_stderr:
            for outcome in outcomes:
                if outcome.result.path == self.stdin_name and outcome.new_text is not None:
                    sys.stdout.write(outcome.new_text)
            sys.stdout.flush()
        emit(rendered(report, args.format), args.output, stream)
        failed = any(
            config.fails(f.severity) for o, config in zip(outcomes, self.job_configs) for f in o.result.findings
        )
        return EXIT_FINDINGS if failed else EXIT_OK

    def _print_diff(self, outcomes: list[Outcome]) -> int:
        parts = [unified_diff(o.original or "", o.new_text or "", o.result.path) for o in outcomes if o.changed]
        emit("".join(parts), self.args.output, sys.stdout)
        self._print_fix_counts(outcomes, "would fix")
        total: Counter[str] = Counter()
        for outcome in outcomes:
            total.update(outcome.fixed)
        files = sum(1 for o in outcomes if o.changed)
        if total:
            detail = ", ".join(f"{n} {code}" for code, n in sorted(total.items(), key=lambda i: (-i[1], i[0])))
            count = sum(total.values())
            print(f"Would fix {count} problem{'s' * (count != 1)} ({detail}) in {files} file{'s' * (files != 1)}",
                  file=sys.stderr)
        else:
            print("No fixes available", file=sys.stderr)
        broken = [f for o in outcomes for f in o.result.findings if f.code == "DF000"]
        for finding in broken:  # no report is printed with --diff, so say it here
            print(f"dlint: error: {finding.path}: {finding.message}", file=sys.stderr)
        if broken:
            return EXIT_ERROR
        return EXIT_FINDINGS if files else EXIT_OK

    def _print_fix_counts(self, outcomes: list[Outcome], verb: str) -> None:
        """Per file with fixes: how many were fixed and how many findings remain, by code."""
        for outcome in outcomes:
            if not outcome.fixed:
                continue
            remaining = Counter(f.code for f in outcome.result.findings)
            line = f"{outcome.result.path}: {verb} {_by_code(outcome.fixed)}"
            line += f"; remaining {_by_code(remaining)}" if remaining else "; nothing remains"
            print(line, file=sys.stderr)


def _by_code(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {code}" for code, n in sorted(counts.items(), key=lambda i: (-i[1], i[0])))
