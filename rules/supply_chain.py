"""Supply-chain rules on RUN: distribution upgrades, extra package indexes and unpinned tool
installs.

Lock-file enforcement (DF208) lives in `rules/lockfiles.py`; repository keys and git clones
(DF210, DF211) in `rules/code_sources.py`.
"""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.packages import installs, npm_spec, pip_spec
from docklint.model.shell import Command, ShellWord
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.package_common import unpinned_words
from docklint.rules.run_edits import command_range

_APT_TOOLS = frozenset({"apt-get", "apt", "aptitude"})


@rule(
    code="DF206",
    name="apt-get-dist-upgrade",
    severity=Severity.INFO,
    summary="apt-get dist-upgrade or full-upgrade in a build",
    message="`{command}` lets apt install and remove packages to move the whole base system "
    "forward, so the image depends on the day it was built; use a newer base image instead",
    rationale=(
        "`dist-upgrade` (`full-upgrade`) may pull in new packages and remove others to resolve "
        "dependencies, changing the distribution the base image was tested as. Its result "
        "depends on the mirror on the day of the build, and it duplicates every upgraded file in "
        "a new layer. Rebuilding on a current base image gets the same fixes. Plain "
        "`apt-get upgrade` is not flagged: hadolint and KICS dropped that check (see "
        "`zypper dist-upgrade` in DL3035)."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get dist-upgrade -y",
    good="FROM debian:12.8\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("apt",),
    each=("RUN",),
    onbuild=True,
)
def apt_get_dist_upgrade(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(_APT_TOOLS, subcommand=("dist-upgrade", "full-upgrade"), inst=inst):
        if command.name in _APT_TOOLS and command.subcommand is not None:
            yield ctx.finding(command_range(command), command=f"{command.name} {command.subcommand.value}")


# -- DF207 ----------------------------------------------------------------------------------

_EXTRA_INDEX_ENV = "PIP_EXTRA_INDEX_URL"
# A pip.conf line, also inside a `printf`/`echo -e` string with `\n` escapes.
_PIP_CONF_LINE = re.compile(r"(?:^|\n|\\n)[ \t]*extra[-_]index[-_]url[ \t]*=[ \t]*\S")


@rule(
    code="DF207",
    name="pip-extra-index-url",
    severity=Severity.WARNING,
    summary="pip install with an extra package index",
    message="{what} makes pip pick each package from whichever index offers the highest version, "
    "so a public package can stand in for a private one; use one `--index-url` that proxies "
    "both, or require hashes",
    rationale=(
        "With `--extra-index-url` pip treats PyPI and the extra index as one pool and takes the "
        "highest version of a name from either. Anyone can publish a private package's name on "
        "PyPI with a higher version and have it installed (dependency confusion; the PyTorch "
        "nightly `torchtriton` compromise of December 2022 came this way). A single index that "
        "proxies PyPI, or `--require-hashes`, closes the gap. `PIP_EXTRA_INDEX_URL` in ENV, ARG "
        "defaults and RUN, `pip config set global.extra-index-url` and pip.conf lines written "
        "in RUN count too."
    ),
    bad="FROM python:3.12-slim\nRUN pip install --extra-index-url https://pypi.example.com/simple internal-lib==1.2.0",
    good="FROM python:3.12-slim\nRUN pip install --index-url https://pypi.example.com/simple internal-lib==1.2.0",
    needs_instructions=("ENV", "ARG", "RUN"),
    needs_text=("extr", "EXTRA"),
    each=("ENV", "ARG", "RUN"),
    onbuild=True,
)
def pip_extra_index_url(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if inst.keyword in ("ENV", "ARG") and _EXTRA_INDEX_ENV in inst.args.text:
        for kv in df.key_values(inst):
            if kv.key == _EXTRA_INDEX_ENV and kv.value:
                yield ctx.finding(kv.key_range, what=f"`{_EXTRA_INDEX_ENV}`")
    elif inst.keyword == "RUN":
        for script in df.scripts(inst):
            for command in script.commands:
                yield from _extra_index_words(ctx, command)


def _extra_index_words(ctx: Context, command: Command) -> Iterator[Finding]:
    for word in command.assignments:
        if word.value.startswith(_EXTRA_INDEX_ENV + "=") and word.value != _EXTRA_INDEX_ENV + "=":
            yield ctx.finding(word.range, what=f"`{_EXTRA_INDEX_ENV}`")
    if command.name == "export":
        for word in command.args:
            if word.value.startswith(_EXTRA_INDEX_ENV + "=") and word.value != _EXTRA_INDEX_ENV + "=":
                yield ctx.finding(word.range, what=f"`{_EXTRA_INDEX_ENV}`")
    if command.tool == "pip":
        sub = command.subcommand_name
        if sub in ("install", "download", "wheel") and not command.has_flag("--require-hashes", "--no-index"):
            for flag in command.flag_values("--extra-index-url"):
                yield ctx.finding(flag.word.range, what="`--extra-index-url`")
        elif sub == "config":
            operands = [w.value for w in command.operands()]
            if len(operands) >= 2 and operands[0] == "set" and operands[1].endswith(".extra-index-url"):
                yield ctx.finding(command.operands()[1].range, what=f"`{operands[1]}`")
    elif command.name in ("echo", "printf"):
        for word in command.args:
            if _PIP_CONF_LINE.search(word.value):
                yield ctx.finding(word.range, what="an `extra-index-url` setting")


# -- DF209 ----------------------------------------------------------------------------------

_SEMVER_RANGE = re.compile(r"[\^~<>=*x]|\|\|")
_TOOLS = ("cargo", "pipx", "conda", "mamba", "micromamba", "dotnet", "composer", "npx", "bunx", "uv")


@rule(
    code="DF209",
    name="tool-install-unpinned",
    severity=Severity.WARNING,
    summary="A tool or package installed without a version by another installer",
    message="`{package}` is installed by `{tool}` without a fixed version, so a rebuild may "
    "install a different one; pin it as `{pin}`",
    rationale=(
        "The pinning rules DL3008-DL3062 cover the system package managers, pip, npm, gem and "
        "go. The same drift comes from `cargo install`, `pipx install`, `uv tool install`, "
        "`uv pip install`, `conda`/`mamba`/`micromamba install`, `dotnet tool install`, "
        "`composer require` and `npx`/`bunx` when they fetch a package: without a version they "
        "take the newest release on the day of the build. `cargo install --locked` pins the "
        "crate's dependencies, not the crate, so it still needs `--version`. `npx` and `bunx` "
        "are checked only when they must download the package (`-y`, `--package`, or no "
        "dependencies installed earlier in the stage)."
    ),
    bad="FROM rust:1.81\nRUN cargo install ripgrep",
    good="FROM rust:1.81\nRUN cargo install --locked ripgrep --version 14.1.1",
    needs_instructions=("RUN",),
    needs_text=("cargo", "pipx", "conda", "mamba", "dotnet", "composer", "npx", "bunx", "uv"),
    each=("RUN",),
    onbuild=True,
)
def tool_install_unpinned(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(_TOOLS, inst=inst):
        for word, name, pin in _unpinned_tools(df, command):
            yield ctx.finding(word.range, package=name, tool=_tool_label(command), pin=pin)


def _tool_label(command: Command) -> str:
    sub = command.subcommand
    return f"{command.name} {sub.value}" if sub is not None else command.name


def _unpinned_tools(df: Dockerfile, command: Command) -> Iterator[tuple[ShellWord, str, str]]:
    name = command.name
    if name in ("cargo", "pipx", "conda", "mamba", "micromamba"):
        yield from _registry_installs(df, command)
    elif name == "dotnet":
        yield from _dotnet(command)
    elif name == "composer":
        yield from _composer(command)
    elif name in ("npx", "bunx"):
        yield from _npx(df, command)
    elif name == "uv":
        yield from _uv(command)


def _registry_installs(df: Dockerfile, command: Command) -> Iterator[tuple[ShellWord, str, str]]:
    install = installs(command)
    if install is None or install.manager != command.name:
        return
    if install.family == "conda" and command.has_flag("--file", "--revision"):
        return
    if install.family == "cargo":
        git = command.flag("--git")
        if git is not None and git.value:
            if not command.has_flag("--rev", "--tag"):
                yield git.value_word or git.word, git.value, "--git <url> --rev <commit>"
            return  # the crates named come from that repository, not the registry
        if command.has_flag("--path"):
            return
        pin = "{name} --version <version>"
    elif install.family == "conda":
        pin = "{name}=<version>"
    else:
        pin = "{name}==<version>"
    for word, package in unpinned_words(df, install, lambda spec: spec.version is None):
        yield word, package, pin.format(name=package)


def _dotnet(command: Command) -> Iterator[tuple[ShellWord, str, str]]:
    operands = command.operands()
    if command.subcommand_name != "tool" or len(operands) < 2 or operands[0].value not in ("install", "update"):
        return
    if command.has_flag("--version"):
        return
    word = operands[1]
    if "@" not in word.value and not word.has_expansion:
        yield word, word.value, f"{word.value} --version <version>"


def _composer(command: Command) -> Iterator[tuple[ShellWord, str, str]]:
    operands = list(command.operands())
    if command.subcommand_name == "global" and operands:
        operands = operands[1:] if operands[0].value == "require" else []
    elif command.subcommand_name != "require":
        return
    for index, word in enumerate(operands):
        value = word.value
        if "/" not in value or word.has_expansion or re.search(r"[:=]", value):
            continue  # a version word, a variable, or `vendor/pkg:^1.2`
        following = operands[index + 1].value if index + 1 < len(operands) else ""
        if following and "/" not in following:
            continue  # `vendor/pkg "^1.2"`
        yield word, value, f"{value}:<version>"


def _npx(df: Dockerfile, command: Command) -> Iterator[tuple[ShellWord, str, str]]:
    packages = [(f.value_word or f.word, f.value) for f in command.flag_values("-p", "--package") if f.value]
    if not packages:
        operands = command.positionals()
        if not operands or (not command.has_flag("-y", "--yes") and _dependencies_installed(df, command)):
            return
        packages = [(operands[0], operands[0].value)]
    for word, value in packages:
        if "$" in value:
            continue
        spec = npm_spec(ShellWord(value, word.raw, word.text, word.offset))
        if spec.kind == "package" and not spec.pinned:
            yield word, spec.name, f"{spec.name}@<version>"


_JS_INSTALLERS = frozenset({"npm", "yarn", "pnpm", "bun"})


def _dependencies_installed(df: Dockerfile, command: Command) -> bool:
    """An earlier command of the stage (or a COPY of `node_modules`) installed JS dependencies,
    so `npx tool` may well run the project's own pinned copy. Instructions after the command's
    are not read (DF209 checks one RUN at a time); the commands of its own RUN all count."""
    inst = command.instruction
    if inst is None:
        return True
    target = inst.parent or inst
    stage = df.stage_of(target)
    if stage is None:
        return True
    for inst_before in stage.instructions:
        if inst_before.index > target.index:
            break
        if inst_before.keyword in ("COPY", "ADD") and "node_modules" in inst_before.args.text:
            return True
        run = inst_before.onbuild if inst_before.keyword == "ONBUILD" else inst_before
        if run is None or run.keyword != "RUN":
            continue
        for other in df.commands(_JS_INSTALLERS, inst=run):
            if other is command:
                return False
            if other.name in _JS_INSTALLERS and other.subcommand_name in (None, "install", "ci", "add"):
                return True
    return False


def _uv(command: Command) -> Iterator[tuple[ShellWord, str, str]]:
    operands = command.operands()
    sub = command.subcommand_name
    if sub == "tool" and operands and operands[0].value == "install":
        words = operands[1:2]
    elif sub == "pip" and operands and operands[0].value == "install":
        if command.has_flag("-r", "--requirement", "--requirements", "-c", "--constraint", "--constraints"):
            return
        words = operands[1:]
    else:
        return
    for word in words:
        if word.has_expansion:
            continue
        spec = pip_spec(word)
        if spec.kind == "package" and spec.version is None:
            yield word, spec.name, f"{spec.name}==<version>"
