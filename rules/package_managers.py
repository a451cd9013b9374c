"""Rules across package managers: index refreshes without installs, and package list order."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.packages import installs
from docklint.model.shell import Command, ShellWord
from docklint.model.source import Pos, Range
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.package_common import runs_unknown_code
from docklint.rules.run_edits import command_range, run_commands

_APT = frozenset({"apt-get", "apt", "aptitude"})
_RPM = frozenset({"yum", "dnf", "microdnf", "tdnf"})
# Subcommands that refresh a package index, per manager.
_REFRESH: dict[frozenset[str], frozenset[str]] = {
    _APT: frozenset({"update"}),
    frozenset({"apk"}): frozenset({"update"}),
    _RPM: frozenset({"makecache"}),
    frozenset({"zypper"}): frozenset({"refresh"}),
}
# Subcommands that use a fresh index besides plain installs.
_USES_INDEX: dict[frozenset[str], frozenset[str]] = {
    _APT: frozenset("upgrade dist-upgrade full-upgrade build-dep source download satisfy reinstall".split()),
    frozenset({"apk"}): frozenset({"upgrade", "fix"}),
    _RPM: frozenset("update upgrade distro-sync downgrade reinstall module group groups swap".split()),
    frozenset({"zypper"}): frozenset({"update", "dist-upgrade", "patch", "source-install"}),
}
_SYSTEM_FAMILIES = frozenset({"apt", "apk", "rpm", "zypper"})


def _in(table: dict[frozenset[str], frozenset[str]], command: Command) -> bool:
    for names, subcommands in table.items():
        if command.name in names and command.subcommand_name in subcommands:
            return True
    return False


# Helpers that install packages through the system package manager.
_INSTALL_HELPERS = frozenset(
    "mk-build-deps install_packages apt-install gdebi debconf-apt-progress unminimize tasksel "
    "xx-apt-get xx-apt xx-apk xx-dnf xx-yum".split()
)


def _uses_index(command: Command) -> bool:
    if _in(_USES_INDEX, command) or command.name in _INSTALL_HELPERS:
        return True
    install = installs(command)
    return install is not None and install.family in _SYSTEM_FAMILIES


@rule(
    code="DF415",
    name="update-instruction-alone",
    severity=Severity.WARNING,
    summary="A RUN refreshes the package index without installing anything",
    message="`{command}` runs in a `RUN` that installs nothing, so later installs use an index "
    "frozen in this cached layer; update and install in the same `RUN`",
    rationale=(
        "Docker caches each `RUN` layer. When the index refresh sits in a `RUN` of its own, a "
        "later change to the install line rebuilds only the install, against the old cached "
        "index: packages may be outdated or no longer downloadable. Refresh and install in one "
        "`RUN` so they always run together."
    ),
    bad="FROM debian:12\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("apt", "apk", "yum", "dnf", "zypper"),
    each=("RUN",),
    onbuild=True,
)
def update_instruction_alone(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    commands = run_commands(df, inst)
    refreshes = [c for c in commands if _in(_REFRESH, c)]
    if not refreshes or any(_uses_index(c) for c in commands) or runs_unknown_code(commands):
        return
    first = refreshes[0]
    yield ctx.finding(command_range(first), command=f"{first.name} {first.subcommand.value if first.subcommand else ''}".strip())


@rule(
    code="DF503",
    name="unsorted-package-list",
    severity=Severity.STYLE,
    summary="A multi-line package list is not sorted or repeats a package",
    message="The packages of `{command}` are not in order ({detail}), which hides duplicates and "
    "makes diffs noisy; sort them alphabetically",
    rationale=(
        "A package list sorted one per line is easy to scan, shows duplicates at once and gives "
        "small diffs when a package is added or removed. Docker's best practices recommend it."
    ),
    bad="FROM debian:12\nRUN apt-get install -y \\\n    wget \\\n    curl",
    good="FROM debian:12\nRUN apt-get install -y \\\n    curl \\\n    wget",
    enabled=False,
    fix_safety="Safe: the same packages are installed; only their order in the command changes.",
    needs_instructions=("RUN",),
    needs_text=("apt", "apk", "yum", "dnf", "zypper", "pip", "conda", "mamba", "npm", "yarn", "gem", "go", "cargo"),
    each=("RUN",),
    onbuild=True,
)
def unsorted_package_list(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(inst=inst):
        install = installs(command)
        if install is None or (install.family == "gem" and command.has_flag("-v", "--version")):
            continue
        operands = {id(w) for w in command.operands()}
        words = [spec.word for spec in install.packages if id(spec.word) in operands]
        if len({w.range.start.line for w in words}) < 2:
            continue
        problem = _first_problem(words)
        if problem is None:
            continue
        word, detail = problem
        sub = command.subcommand.value if command.subcommand is not None else ""
        yield ctx.finding(word.range, fix=_sorted_fix(df, words), command=f"{command.name} {sub}".strip(), detail=detail)


def _key(word: ShellWord) -> tuple[str, str]:
    return (word.value.lower(), word.value)


def _first_problem(words: list[ShellWord]) -> tuple[ShellWord, str] | None:
    seen: set[str] = set()
    for index, word in enumerate(words):
        if word.value in seen:
            return word, f"`{word.value}` is listed twice"
        seen.add(word.value)
        if index and _key(word) < _key(words[index - 1]):
            return word, f"`{word.value}` comes after `{words[index - 1].value}`"
    return None


def _sorted_fix(df: Dockerfile, words: list[ShellWord]) -> Fix | None:
    if not all(w.exact for w in words):
        return None
    keep: list[ShellWord] = []
    repeats: list[ShellWord] = []
    seen: set[str] = set()
    for word in words:
        (repeats if word.value in seen else keep).append(word)
        seen.add(word.value)
    edits = [
        TextEdit.replace(slot.range, word.raw)
        for slot, word in zip(keep, sorted(keep, key=_key))
        if slot is not word
    ]
    for word in repeats:
        deletion = _delete_word(df, word)
        if deletion is None:
            return None
        edits.append(deletion)
    return Fix.safe("Sort the packages", *edits) if edits else None


def _delete_word(df: Dockerfile, word: ShellWord) -> TextEdit | None:
    """Delete a repeated package: its whole line when it stands alone before a continuation."""
    start, end = word.range.start, word.range.end
    if start.line != end.line:
        return None
    line = df.source.line(start.line)
    before, after = line[: start.col], line[end.col :]
    if not before.strip():
        if after.strip() == df.escape:
            return TextEdit.delete(Range(Pos(start.line, 0), Pos(start.line + 1, 0)))
        if not after.strip():
            return None  # the last line of the RUN: its predecessor's continuation would dangle
        gap = len(after) - len(after.lstrip())
        return TextEdit.delete(Range(start, Pos(end.line, end.col + gap)))
    gap = len(before) - len(before.rstrip())
    return TextEdit.delete(Range(Pos(start.line, start.col - gap), end)) if gap else None
