"""The `dlint` command: lint files and folders, list and explain rules, start the server.

    dlint [OPTIONS] [PATH ...]     lint (folders are searched; `-` reads stdin)
    dlint rules [SELECTOR ...]     the catalogue: code, name, severity, fix, on/off
    dlint explain CODE|NAME        one rule's documentation
    dlint lsp ... | dlint image ...  the language server and image mode (their own options)

A subcommand word must come first; to lint a file called `rules`, write `./rules`.
Exit status: 0 when nothing reaches the failure threshold, 1 when something does, 2 for a
usage or configuration error or when an input could not be read (the other inputs are still
linted and reported; 2 wins over 1). Errors are one line, `dlint: error: ...`, on stderr; a
traceback only with `--debug`. Heavy libraries (rich, yaml) load only on the paths that use them.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Sequence, TextIO

from docklint import __version__
from docklint.errors import DlintError, UsageError

if TYPE_CHECKING:
    from docklint.batch import Job, Outcome
    from docklint.config import Config
    from docklint.config_files import Layer

FORMATS = ("tty", "json", "sarif", "checkstyle", "gitlab", "github", "junit")
THRESHOLDS = ("error", "warning", "info", "style", "none")
LEVELS = ("error", "warning", "info", "style", "off")
PROGRESS_MIN_FILES = 20
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
DELEGATES = {
    "lsp": ("docklint.lsp.server", "the language server"),
    "image": ("docklint.image_cli", "image mode"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one `dlint: error: ...` line, not usage plus message."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _split(values: Sequence[str] | None) -> list[str]:
    """Repeatable options that also take comma lists: `--ignore DL3008,DL3009 --ignore DF1`."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def _selection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("rule selection and configuration")
    group.add_argument("--config", metavar="FILE", help="read settings from FILE (above discovered config files)")
    group.add_argument("--select", action="append", metavar="CODES", help="run only these rules (codes, names, prefixes, `all`)")
    group.add_argument("--extend-select", action="append", metavar="CODES", help="run these rules as well (opt-in rules)")
    group.add_argument("--ignore", action="append", metavar="CODES", help="do not run these rules")
    group.add_argument("--severity-override", action="append", metavar="CODE=LEVEL", help="change a rule's severity (error, warning, info, style, off)")
    group.add_argument("--failure-threshold", choices=THRESHOLDS, help="lowest severity that makes the exit status 1 (default: info)")
    group.add_argument("--trusted-registry", action="append", metavar="HOST", help="a registry base images may come from (repeatable)")
    group.add_argument("--require-digest", action="store_true", default=None, help="base images must be pinned by digest")
    group.add_argument("--strict", action="store_true", default=None, help="strict supply-chain checks (implies --require-digest)")
    group.add_argument("--no-shellcheck", dest="shellcheck", action="store_false", default=None, help="do not run ShellCheck on RUN instructions")


def lint_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dlint",
        description="Lint Dockerfiles: security, base images, size and correctness. "
        "Subcommands: `dlint rules`, `dlint explain CODE`, `dlint lsp`, `dlint image ARCHIVE`.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files and folders to lint (default: .); `-` reads stdin")
    parser.add_argument("--version", action="version", version=f"dlint {__version__}")
    out = parser.add_argument_group("output")
    out.add_argument("--format", default="tty", metavar="FORMAT", help=f"report format: {', '.join(FORMATS)} (default: tty)")
    out.add_argument("--output", metavar="FILE", help="write the report to FILE (atomically) instead of stdout")
    out.add_argument("--no-color", action="store_true", help="no colours (also when NO_COLOR is set)")
    out.add_argument("--statistics", action="store_true", help="count findings per rule, most frequent first")
    out.add_argument("--no-progress", action="store_true", help="no progress bar on a terminal")
    out.add_argument("--debug", action="store_true", help="tracebacks, rule crash details and counters on stderr")
    _selection_options(parser)
    files = parser.add_argument_group("inputs and fixes")
    files.add_argument("--stdin-filename", metavar="NAME", help="the name to report for stdin (also where config is looked up)")
    files.add_argument("--exclude", action="append", metavar="GLOB", help="skip paths matching GLOB (repeatable)")
    files.add_argument("--jobs", "-j", type=int, metavar="N", help="worker processes (default: all cores; 1: none)")
    files.add_argument("--fix", action="store_true", help="apply safe fixes in place (atomically)")
    files.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, apply unsafe fixes too")
    files.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; write nothing")
    return parser


def cli_layer(args: argparse.Namespace) -> Layer:
    """The command-line flags as the highest-precedence config layer."""
    from docklint.config_files import Layer

    values: dict[str, object] = {}
    for key, attr in (("select", "select"), ("extend-select", "extend_select"), ("ignore", "ignore")):
        if getattr(args, attr):
            values[key] = _split(getattr(args, attr))
    if args.severity_override:
        severities: dict[str, str] = {}
        for item in _split(args.severity_override):
            code, sep, level = item.partition("=")
            if not sep or not code.strip() or level.strip() not in LEVELS:
                raise UsageError(f"--severity-override {item!r}: expected CODE=LEVEL with LEVEL one of {', '.join(LEVELS)}")
            severities[code.strip()] = level.strip()
        values["severity"] = severities
    if args.failure_threshold:
        values["failure-threshold"] = args.failure_threshold
    if args.trusted_registry:
        values["trusted-registries"] = _split(args.trusted_registry)
    for key, value in (("require-digest", args.require_digest), ("strict", args.strict), ("shellcheck", args.shellcheck)):
        if value is not None:
            values[key] = value
    if getattr(args, "exclude", None):
        values["exclude"] = list(args.exclude)
    return Layer("command line", values)


# --- main -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run `dlint`; returns the exit status (never raises, except with `--debug`)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    for stream in (sys.stdout, sys.stderr):  # a Dockerfile's text must never crash the printing
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        if args_list and args_list[0] in DELEGATES:
            return _delegate(args_list[0], args_list[1:])
        if args_list and args_list[0] == "rules":
            return rules_command(args_list[1:])
        if args_list and args_list[0] == "explain":
            return explain_command(args_list[1:])
        return lint_command(args_list)
    except DlintError as error:
        _error(str(error))
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_ERROR
    except Exception as error:  # noqa: BLE001 - a bug of ours still ends in one line
        if debug:
            raise
        _error(f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback; this is a bug in dlint)")
        return EXIT_ERROR


def _error(message: str) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    print(f"dlint: error: {first}", file=sys.stderr)


def _silence_stdout() -> None:
    """After a closed pipe (`dlint ... | head`), keep Python from complaining at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _delegate(name: str, argv: list[str]) -> int:
    import importlib

    module_name, what = DELEGATES[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name):
            raise UsageError(f"{what} is not available in this installation ({module_name} is missing)") from None
        raise UsageError(f"{what} needs the Python module '{error.name}', which is not installed") from None
    status = module.main(argv)
    return int(status or 0)


# --- rules and explain ----------------------------------------------------------------------


def rules_command(argv: list[str]) -> int:
    from docklint.config_files import resolve_config
    from docklint.docs import rules_table
    from docklint.registry import registry

    parser = _Parser(prog="dlint rules", description="List the rules: code, name, severity, fix, and on/off "
                     "under the configuration in effect here.")
    parser.add_argument("selectors", nargs="*", metavar="SELECTOR", help="only these rules (codes, names, prefixes)")
    _selection_options(parser)
    args = parser.parse_args(argv)
    args.exclude = None
    config_file = Path(args.config) if args.config else None
    config = resolve_config(Path.cwd(), cli_layer(args), config_file)
    known = registry()
    rules = list(known.rules)
    if args.selectors:
        chosen: set[str] = set()
        for selector in _split(args.selectors):
            found = known.resolve(selector)
            if not found:
                raise UsageError(f"unknown rule {selector!r}{_suggest(selector)}")
            chosen.update(r.code for r in found)
        rules = [r for r in rules if r.code in chosen]
    _write_stdout(rules_table(rules, lambda r: r.kind == "engine" or config.is_enabled(r)))
    return EXIT_OK


def explain_command(argv: list[str]) -> int:
    from docklint.docs import rule_markdown, rule_text
    from docklint.registry import registry

    parser = _Parser(prog="dlint explain", description="Print a rule's documentation.")
    parser.add_argument("rule", metavar="CODE|NAME", help="a rule code (DL3008) or name (apt-get-pin-versions)")
    parser.add_argument("--markdown", action="store_true", help="Markdown instead of plain text")
    args = parser.parse_args(argv)
    rule = registry().get(args.rule)
    if rule is None:
        shellcheck = _shellcheck_explanation(args.rule.strip().upper(), args.markdown)
        if shellcheck is None:
            raise UsageError(f"unknown rule {args.rule!r}{_suggest(args.rule)}")
        _write_stdout(shellcheck)
        return EXIT_OK
    _write_stdout(rule_markdown(rule) if args.markdown else rule_text(rule))
    return EXIT_OK


def _shellcheck_explanation(code: str, markdown: bool) -> str | None:
    """What dlint can say about a ShellCheck code it reports (the check's text is ShellCheck's)."""
    from docklint.shellcheck import wiki_url

    url = wiki_url(code)
    if url is None:
        return None
    title = f"# {code}" if markdown else code
    link = f"[{url}]({url})" if markdown else url
    return (
        f"{title}\n\n"
        f"{code} is a ShellCheck check: dlint runs ShellCheck on the shell scripts of RUN instructions "
        f"when it is installed (`--no-shellcheck` turns it off) and reports its findings under their "
        f"SC codes, at their place in the Dockerfile. ShellCheck documents the check, with examples, "
        f"at {link}\n\n"
        f"Silence it like a dlint rule: `# dlint ignore={code}` above the instruction, or `ignore: [{code}]` "
        f"in `.dlint.yaml`.\n"
    )


def _suggest(word: str) -> str:
    import difflib

    from docklint.registry import registry

    names = registry().names()
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.upper(), names, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else " (see `dlint rules`)"


def _write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


# --- lint -----------------------------------------------------------------------------------


def lint_command(argv: list[str]) -> int:
    from docklint.runner import Run

    args = lint_parser().parse_args(argv)
    _check_combinations(args)
    if args.debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="dlint: debug: %(message)s")
    started = time.perf_counter()
    run = Run(args, cli_layer(args))
    jobs = run.jobs()
    outcomes = run.execute(jobs)
    status = run.finish(outcomes)
    if args.debug:
        _debug_counters(run, jobs, outcomes, time.perf_counter() - started)
    return status


def _check_combinations(args: argparse.Namespace) -> None:
    from docklint.formats import load

    load(args.format)  # an unknown name fails now, before any linting, with the choices
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise UsageError("--unsafe-fixes needs --fix or --diff")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be 1 or more")
    if args.paths.count("-") > 1:
        raise UsageError("stdin (`-`) can be read only once")


def _debug_counters(run: object, jobs: list[Job], outcomes: list[Outcome], seconds: float) -> None:
    counts: Counter[str] = Counter()
    for outcome in outcomes:
        counts.update(outcome.result.debug)
    findings = sum(len(o.result.findings) for o in outcomes)
    unreadable = sum(1 for o in outcomes if o.result.error is not None)
    extra = "".join(f" {key}={value}" for key, value in sorted(counts.items()))
    print(
        f"dlint: debug: files={len(jobs)} findings={findings} unreadable={unreadable} "
        f"workers={getattr(run, 'workers', 1)} configs={getattr(run, 'config_count', 0)} "
        f"seconds={seconds:.3f}{extra}",
        file=sys.stderr,
    )


def color_wanted(args: argparse.Namespace, out: TextIO) -> bool:
    """Colour only for the tty format on a terminal, unless `--no-color` or `NO_COLOR`."""
    if args.format != "tty" or args.output or args.no_color or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def render(report: object, fmt: str, out: TextIO) -> None:
    """Render with the format module `docklint.formats.<name>` (imported only when chosen)."""
    from docklint.formats import load

    load(fmt).render(report, out)  # type: ignore[arg-type]


def emit(text: str, output: str | None, stream: TextIO) -> None:
    """Write the rendered report to `--output` (atomically) or to `stream`."""
    if output:
        from docklint.writer import write_atomic

        write_atomic(Path(output), text.encode("utf-8"))
    else:
        stream.write(text)
        stream.flush()


def rendered(report: object, fmt: str) -> str:
    buffer = io.StringIO()
    render(report, fmt, buffer)
    return buffer.getvalue()
