"""The rule engine: parse once, run the enabled rules, apply suppressions, sort.

Every front end (the command, the language server, the tests) lints through `lint_text`
or `lint_path`, so they all see the same findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from docklint.config import DEFAULT, Config
from docklint.model.dockerfile import Dockerfile, iter_with_onbuild, parse
from docklint.model.memo import Memo
from docklint.model.source import Pos, Range
from docklint.registry import RuleEntry, registry
from docklint.rule import Context, Finding, Rule, Severity


INTERNAL_ERROR = ("DF000", "internal-error")


@dataclass
class LintResult:
    """What linting one input produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    model: Any = None
    error: str | None = None  # set when the input could not be read at all
    source_text: str | None = None
    debug: dict[str, int] = field(default_factory=dict)


def enabled_rules(config: Config, kind: str = "dockerfile", model: Dockerfile | None = None) -> tuple[Rule, ...]:
    """The rules of `kind` this config runs; given a Dockerfile `model`, only those that can fire
    on it (see `Rule.needs_instructions`), so the modules of the others are never imported."""
    entries = _enabled_entries(config, kind)
    if model is not None:
        keywords, text = instruction_keywords(model), gate_text(model)
        occurs, positions = _finder(model.path, text)
        entries = tuple(e for e in entries if e.can_fire(keywords, occurs))
        _GATE_FINDS.put(model.path, (text, positions))
    return registry().load(entries)


# Where each gate string first occurs (-1: nowhere) in the gate text of the last lint of a path
# (the 64 paths linted last). In an editor the next lint's text differs only from some point on, so only the
# text from there is searched again: a 500-line file needs ~80 strings, each searched for in
# all 20k characters before.
_GATE_FINDS: Memo[tuple[str, dict[str, int]]] = Memo("gate strings per path", 64)


def _finder(path: str, text: str) -> tuple[Callable[[str], bool], dict[str, int]]:
    """`occurs(needed)` for the gates, searching each string once, and where it found them."""
    from docklint.model.source import common_prefix

    last = _GATE_FINDS.get(path)
    before, same = (last[1], common_prefix(last[0], text)) if last is not None else ({}, 0)
    positions: dict[str, int] = {}

    def occurs(needed: str) -> bool:
        found = positions.get(needed)
        if found is None:
            old = before.get(needed)
            if old is not None and old >= 0 and old + len(needed) <= same:
                found = old  # its first place lies in the part that did not change
            else:
                # Not in the unchanged part (or never looked for): only what follows can hold it.
                start = max(0, same - len(needed) + 1) if old is not None else 0
                found = text.find(needed, start)
            positions[needed] = found
        return found >= 0

    return occurs, positions


# Selection per config object: the CLI and the server resolve one Config per folder and reuse it,
# so across a corpus the selectors are matched against each rule once, not once per file.
_ENABLED: dict[tuple[int, str], tuple[Config, tuple[RuleEntry, ...]]] = {}


def _enabled_entries(config: Config, kind: str) -> tuple[RuleEntry, ...]:
    key = (id(config), kind)
    cached = _ENABLED.get(key)
    if cached is not None and cached[0] is config:
        return cached[1]
    entries = tuple(e for e in registry().entries_of_kind(kind) if config.is_enabled(e))
    if len(_ENABLED) >= 64:
        _ENABLED.clear()
    _ENABLED[key] = (config, entries)
    return entries


def instruction_keywords(model: Dockerfile) -> frozenset[str]:
    """The instructions a Dockerfile holds, ONBUILD's wrapped ones included (for rule gates)."""
    return frozenset(inst.keyword for inst in iter_with_onbuild(model.instructions))


def gate_text(model: Dockerfile) -> str:
    """The text `needs_text` gates look in: the file with line continuations joined, since a
    command name may be split across lines (`apt-\\` + `get`) and rules see it whole."""
    text = model.source.text
    marker = model.escape + "\n"
    if marker not in text and model.escape + "\r" not in text:
        return text
    return text.replace(model.escape + "\r\n", "").replace(marker, "").replace(model.escape + "\r", "")


def run_rules(model: Any, rules: Iterable[Rule], config: Config, path: str) -> list[Finding]:
    """Run each rule on the model; a crashing rule becomes one DF000 finding, the rest still run."""
    findings: list[Finding] = []
    for rule in rules:
        ctx = Context(rule, config.severity_of(rule), config, path, config.options_for(rule))
        try:
            findings.extend(rule.run(model, ctx))
        except Exception as error:  # noqa: BLE001 - a rule bug must not stop the others
            _debug("rule %s crashed on %s:\n%s", rule.code, path)
            findings.append(_crash(rule, path, f"{type(error).__name__}: {error}"))
    return findings


def run_dockerfile_rules(model: Dockerfile, rules: Iterable[Rule], config: Config, path: str) -> list[Finding]:
    """`run_rules` for a Dockerfile: per-instruction rules check only the instructions whose
    prefix of the file changed since the last lint of `path` (see `incremental.py`)."""
    from docklint.incremental import run_each_rules, split

    whole, each = split(rules)
    findings = run_rules(model, whole, config, path)
    found, crashed = run_each_rules(model, each, config, path)
    findings.extend(found)
    findings.extend(_crash(rule, path, error) for rule, error in crashed)
    return findings


def _crash(rule: Rule, path: str, error: str) -> Finding:
    return internal_error(path, f"rule {rule.code} ({rule.name}) crashed: {error}")


def internal_error(path: str, message: str) -> Finding:
    return Finding(
        code=INTERNAL_ERROR[0],
        name=INTERNAL_ERROR[1],
        severity=Severity.ERROR,
        message=f"{message}; this is a bug in dlint, please report it",  # DF000's template
        range=Range(Pos(0, 0), Pos(0, 0)),
        path=path,
    )


def lint_text(
    text: str,
    path: str = "Dockerfile",
    config: Config = DEFAULT,
    *,
    context_dir: str | None = None,
    rules: Sequence[Rule] | None = None,
    image_platform: str | None = None,
) -> LintResult:
    """Lint Dockerfile text. `rules` limits the run (rule-case tests); else config decides.

    `image_platform` (`os/arch[/variant]`) is the platform of the image built from this file,
    when image mode knows it (`dlint image --dockerfile`).
    """
    from docklint.suppress import apply_suppressions

    result = LintResult(path=path, source_text=text)
    try:
        model = parse(text, path, context_dir)
    except Exception as error:  # noqa: BLE001 - the parser must never take the run down
        _debug("parser crashed on %s:\n%s", path)
        result.findings.append(internal_error(path, f"the Dockerfile parser crashed: {type(error).__name__}: {error}"))
        return result
    model.image_platform = image_platform
    result.model = model
    chosen = enabled_rules(config, model=model) if rules is None else tuple(rules)
    shellcheck = _start_shellcheck(model, config, path) if rules is None and config.shellcheck else None
    findings = run_dockerfile_rules(model, chosen, config, path)
    if shellcheck is not None:
        findings.extend(_collect_shellcheck(shellcheck, path))
    findings = apply_suppressions(findings, model)
    result.findings = sorted(findings, key=lambda f: f.sort_key)
    from docklint.model.shell import shell_counts  # light: no bashlex

    result.debug.update(shell_counts(model))
    return result


def _start_shellcheck(model: Dockerfile, config: Config, path: str) -> Any:
    """Start the optional ShellCheck pass (it runs while the rules do); None when it cannot run."""
    from docklint import shellcheck

    try:
        return shellcheck.start(model, config, path)
    except Exception:  # noqa: BLE001 - an optional external tool must not take the run down
        _debug("ShellCheck pass failed on %s:\n%s", path)
        return None


def _collect_shellcheck(pending: Any, path: str) -> list[Finding]:
    try:
        return list(pending.collect())
    except Exception:  # noqa: BLE001 - as above
        _debug("ShellCheck pass failed on %s:\n%s", path)
        return []


def lint_document(
    text: str,
    path: str = "Dockerfile",
    config: Config = DEFAULT,
    *,
    kind: str | None = None,
    context_dir: str | None = None,
    rules: Sequence[Rule] | None = None,
    image_platform: str | None = None,
) -> LintResult:
    """Lint a Dockerfile, compose file or `daemon.json` (`kind`; None: by the file name, and a
    Dockerfile when the name says nothing, as files named on the command line are)."""
    if kind is None:
        from docklint.kinds import kind_of

        kind = kind_of(path) or "dockerfile"
    if kind == "dockerfile":
        return lint_text(text, path, config, context_dir=context_dir, rules=rules, image_platform=image_platform)
    from docklint.runtime import lint_runtime

    return lint_runtime(text, path, config, kind, rules=rules)


def lint_compose_text(
    text: str, path: str = "compose.yaml", config: Config = DEFAULT, *, context_dir: str | None = None,
    rules: Sequence[Rule] | None = None,
) -> LintResult:
    """Lint compose text (what the language server calls for `compose` documents)."""
    return lint_document(text, path, config, kind="compose", context_dir=context_dir, rules=rules)


def lint_daemon_text(
    text: str, path: str = "daemon.json", config: Config = DEFAULT, *, context_dir: str | None = None,
    rules: Sequence[Rule] | None = None,
) -> LintResult:
    """Lint `daemon.json` text (what the language server calls for `daemon` documents)."""
    return lint_document(text, path, config, kind="daemon", context_dir=context_dir, rules=rules)


def read_text(path: Path) -> str:
    """Read a file as UTF-8 (a BOM is kept, as editors keep it); raises InputError."""
    from docklint.errors import InputError

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str) -> str:
    """Bytes read from `name` as text: UTF-8, BOM kept, line ends untouched; raises InputError."""
    from docklint.errors import InputError

    if b"\x00" in data[:8192]:
        raise InputError(f"{name}: not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{name}: not UTF-8 text (byte {error.start}); save it as UTF-8") from None


def lint_path(
    path: Path, config: Config = DEFAULT, display: str | None = None, image_platform: str | None = None
) -> LintResult:
    """Lint one Dockerfile on disk; an unreadable file gives a result with `error` set."""
    from docklint.errors import InputError

    name = display if display is not None else str(path)
    try:
        text = read_text(path)
    except InputError as error:
        return LintResult(path=name, error=str(error))
    return lint_text(text, name, config, context_dir=str(path.parent), image_platform=image_platform)


def _debug(message: str, *args: object) -> None:
    """Log the exception being handled, for `--debug` (logging loads only when something failed)."""
    import logging
    import traceback

    logging.getLogger("docklint").debug(message, *args, traceback.format_exc())
