"""Rules for language package managers in RUN: pip, npm, yarn, gem and go."""

from __future__ import annotations

import posixpath
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.packages import PackageSpec, installs
from docklint.model.shell import Command, ShellWord
from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.package_common import PIP_CACHE, covers, normalize, removes, unpinned_words
from docklint.rules.run_edits import append_command, command_range, in_image, insert_flag, order, run_commands

# Go module queries that name a moving target rather than a version.
_GO_MOVING = frozenset({"latest", "upgrade", "patch", "master", "main", "HEAD"})


def _pip_installs(df: Dockerfile, inst: Instruction) -> Iterator[Command]:
    """The `pip install` commands of one RUN."""
    for command in df.commands("pip", subcommand="install", inst=inst):
        if command.tool == "pip":
            yield command


@rule(
    code="DL3013",
    name="pip-pin-versions",
    severity=Severity.WARNING,
    summary="pip install of a package without a version specifier",
    message="`{package}` is installed without a fixed version, so a rebuild may install a "
    "different one; pin it as `{pin}` or install from a requirements file",
    rationale=(
        "Without a version specifier pip installs the newest release on the day of the build, so "
        "two builds of the same Dockerfile can differ and a breaking release can arrive "
        "unnoticed. Requirements and constraints files (`-r`, `-c`) are taken as pinning the "
        "command; local paths, archives and URLs are not registry packages."
    ),
    bad="FROM python:3.12-slim\nRUN pip install --no-cache-dir flask",
    good="FROM python:3.12-slim\nRUN pip install --no-cache-dir flask==3.0.3",
    needs_instructions=("RUN",),
    needs_text=("pip",),
    each=("RUN",),
    onbuild=True,
)
def pip_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in _pip_installs(df, inst):
        install = installs(command)
        if install is None or command.has_flag("-r", "--requirement", "-c", "--constraint"):
            continue
        found = [(s.word, s.word.value, f"{s.word.value}@<ref>") for s in install.packages if s.kind == "vcs" and not _vcs_pinned(s.word.value)]
        found.extend((w, n, f"{n}==<version>") for w, n in unpinned_words(df, install, lambda spec: spec.version is None))
        for word, name, pin in sorted(found, key=lambda item: item[0].offset):
            yield ctx.finding(word.range, package=name, pin=pin)


def _vcs_pinned(url: str) -> bool:
    """`git+https://host/repo@v1.2#egg=x`: a ref after the last path segment."""
    return "@" in url.split("#", 1)[0].rsplit("/", 1)[-1]


@rule(
    code="DL3042",
    name="pip-no-cache-dir",
    severity=Severity.WARNING,
    summary="pip install without --no-cache-dir",
    message="`pip install` keeps downloaded packages in pip's cache inside this layer; add "
    "`--no-cache-dir`",
    rationale=(
        "pip caches every wheel it downloads or builds under `~/.cache/pip`. In an image the "
        "cache is never reused, yet it stays in the layer. `--no-cache-dir`, "
        "`PIP_NO_CACHE_DIR`, a cache mount or removing the cache in the same `RUN` avoid it."
    ),
    bad="FROM python:3.12-slim\nRUN pip install flask==3.0.3",
    good="FROM python:3.12-slim\nRUN pip install --no-cache-dir flask==3.0.3",
    fix_safety="Safe: the same packages are installed; pip just does not keep a copy.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("pip",),
    each=("RUN",),
    onbuild=True,
)
def pip_no_cache_dir(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in _pip_installs(df, inst):
        if command.has_flag("--no-cache-dir") or _pip_cache_off(df, command):
            continue
        edit = insert_flag(command, "--no-cache-dir")
        yield ctx.finding(command_range(command), fix=Fix.safe("Add `--no-cache-dir`", edit) if edit else None)


def _pip_cache_off(df: Dockerfile, command: Command) -> bool:
    inst, script = command.instruction, command.script
    if inst is None or script is None:
        return True
    scope = df.scope(inst.parent or inst)
    env = dict(scope)
    commands = run_commands(df, inst)
    index = order(command, commands)
    for earlier in commands[:index] + [command]:
        for word in earlier.assignments if earlier is command else _exports(earlier):
            name, _, value = word.value.partition("=")
            env[name] = value
    if env.get("PIP_NO_CACHE_DIR") not in (None, ""):
        return True
    cache_dirs = [PIP_CACHE, "/root/.cache"]
    for configured in (env.get("PIP_CACHE_DIR"), command.flag_value("--cache-dir")):
        if configured:
            cache_dirs.append(normalize(configured))
    if any(covers(m.target, d) or normalize(m.target).endswith("/.cache/pip") for m in script.mounts if m.target for d in cache_dirs):
        return True
    return any(_clears_pip_cache(later, cache_dirs) for later in commands[index + 1 :])


def _exports(command: Command) -> tuple[ShellWord, ...]:
    """`export NAME=value` words (a bare `NAME=value` is not exported, so pip does not see it)."""
    if command.name == "export":
        return tuple(w for w in command.args if "=" in w.value)
    return ()


def _clears_pip_cache(command: Command, cache_dirs: list[str]) -> bool:
    if command.tool == "pip" and command.subcommand_name == "cache" and any(w.value == "purge" for w in command.operands()):
        return True
    return removes(command, lambda p: any(covers(p, d) for d in cache_dirs) or normalize(p).endswith("/.cache/pip"))


@rule(
    code="DL3016",
    name="npm-pin-versions",
    severity=Severity.WARNING,
    summary="npm install of a package without a version",
    message="`{package}` is installed without a fixed version, so a rebuild may install a "
    "different one; pin it as `{pin}`",
    rationale=(
        "Without a version (or with the `latest` tag) npm installs the newest release on the day "
        "of the build. Pin a version, or install from `package.json` with its lock file "
        "(`npm ci`). Git dependencies need a `#ref`; local folders and tarballs are fine."
    ),
    bad="FROM node:20-slim\nRUN npm install -g typescript",
    good="FROM node:20-slim\nRUN npm install -g typescript@5.5.4",
    needs_instructions=("RUN",),
    needs_text=("npm",),
    each=("RUN",),
    onbuild=True,
)
def npm_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("npm", subcommand="install", inst=inst):
        install = installs(command)
        if install is None or command.name != "npm":
            continue
        found = [(s.word, s.name, f"{s.name}#<ref>") for s in install.packages if s.kind == "vcs" and s.version is None]
        found.extend((w, n, f"{n}@<version>") for w, n in unpinned_words(df, install, _npm_unpinned))
        for word, name, pin in sorted(found, key=lambda item: item[0].offset):
            yield ctx.finding(word.range, package=name, pin=pin)


def _npm_unpinned(spec: PackageSpec) -> bool:
    return not spec.pinned


@rule(
    code="DL3028",
    name="gem-pin-versions",
    severity=Severity.WARNING,
    summary="gem install without a version",
    message="`{package}` is installed without a version, so a rebuild may install a different "
    "one; pin it with `gem install {package}:<version>` or `-v <version>`",
    rationale=(
        "Without a version gem installs the newest release on the day of the build, so two "
        "builds of the same Dockerfile can produce different images."
    ),
    bad="FROM ruby:3.3-slim\nRUN gem install bundler",
    good="FROM ruby:3.3-slim\nRUN gem install bundler:2.5.16",
    needs_instructions=("RUN",),
    needs_text=("gem",),
    each=("RUN",),
    onbuild=True,
)
def gem_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("gem", subcommand="install", inst=inst):
        install = installs(command)
        if install is None:
            continue
        for word, name in unpinned_words(df, install, lambda spec: spec.version is None):
            yield ctx.finding(word.range, package=name)


@rule(
    code="DL3060",
    name="yarn-cache-clean-missing",
    severity=Severity.INFO,
    summary="yarn install without yarn cache clean in the same RUN",
    message="`{command}` leaves yarn's package cache in this layer, bloating the image; run "
    "`yarn cache clean` in the same `RUN`",
    rationale=(
        "yarn keeps a copy of every package it fetched in its global cache. In an image the cache "
        "is never reused, yet it stays in the layer. `yarn cache clean` in the same `RUN`, or a "
        "cache mount on yarn's cache folder, avoids it. Stages that do not reach the final image "
        "are not checked."
    ),
    bad="FROM node:20-slim\nRUN yarn install --frozen-lockfile",
    good="FROM node:20-slim\nRUN yarn install --frozen-lockfile && yarn cache clean",
    fix_safety="Safe: the installed `node_modules` stay; only the download cache goes.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("yarn",),
    each=("RUN",),
    onbuild=True,
    given=(in_image,),
)
def yarn_cache_clean_missing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if not in_image(df, inst):
        return  # as hadolint: a builder stage's cache never reaches the image
    for command in df.commands("yarn", inst=inst):
        if command.name != "yarn" or (command.subcommand_name not in (None, "install")):
            continue
        if command.subcommand is None and command.has_flag("--version", "-v", "--help", "-h"):
            continue  # bare `yarn` installs, but `yarn --version` only prints
        script = command.script
        if command.instruction is None or script is None:
            continue
        if any("yarn" in m.target for m in script.mounts if m.target):
            continue
        commands = run_commands(df, inst)
        if any(_clears_yarn_cache(c) for c in commands[order(command, commands) + 1 :]):
            continue
        edit = append_command(df, script, "yarn cache clean")
        fix = Fix.safe("Run `yarn cache clean` in the same RUN", edit) if edit else None
        name = "yarn install" if command.subcommand is not None else "yarn"
        yield ctx.finding(command_range(command), fix=fix, command=name)
        return  # one finding per RUN


def _clears_yarn_cache(command: Command) -> bool:
    if command.name == "yarn" and command.subcommand_name == "cache":
        return any(w.value == "clean" for w in command.operands())
    return removes(command, lambda p: "yarn" in p and "cache" in p)


@rule(
    code="DL3062",
    name="go-pin-versions",
    severity=Severity.WARNING,
    summary="go install, get or run of a module without a version",
    message="`{package}` is fetched without a fixed version, so a rebuild may get different "
    "code; pin it as `{package}@<version>`",
    rationale=(
        "`go install pkg@latest` (or a branch such as `@master`) and a module path without "
        "`@version` resolve to whatever is newest on the day of the build. A version or commit "
        "makes the build repeatable. Local packages (`./cmd/...`, `main.go`) are not checked."
    ),
    bad="FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@latest",
    good="FROM golang:1.23\nRUN go install golang.org/x/tools/gopls@v0.16.1",
    needs_instructions=("RUN",),
    needs_text=("go",),
    each=("RUN",),
    onbuild=True,
)
def go_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("go", subcommand=("install", "get", "run"), inst=inst):
        install = installs(command)
        if install is None or command.name != "go" or _module_versions(command):
            continue
        for word, name in unpinned_words(df, install, lambda spec: spec.version is None or spec.version in _GO_MOVING):
            yield ctx.finding(word.range, package=name)


def _module_versions(command: Command) -> bool:
    """Versions come from a `go.mod`: `go install tool` (Go 1.24) or a RUN that mounts `go.mod`."""
    if any(word.value == "tool" for word in command.operands()):
        return True
    script = command.script
    mounts = script.mounts if script is not None else ()
    return any(posixpath.basename((m.source or m.target or "").rstrip("/")) == "go.mod" for m in mounts)
