"""DF303: files removed by a later RUN than the layer that created them (package caches and
lists, downloads, clones, COPY and ADD results): the bytes stay in the earlier layer."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Callable, Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.shell import Command, ShellWord
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.layer_files import Created, absolute, before, copied, fetched, hits
from docklint.rules.package_common import (
    APK_CACHE,
    APT_LISTS,
    NPM_CACHE,
    PIP_CACHE,
    RPM_CACHES,
    ZYPPER_CACHE,
    cache_mounted,
    covers,
    is_apt_update,
    removes_path,
    runs_unknown_code,
)
from docklint.rules.run_edits import command_range, run_commands, shipped_runs

_RPM_TOOLS = frozenset({"yum", "dnf", "microdnf", "tdnf"})
# Commands that may clean a package cache or list (`rm`/`find` by path, the tools themselves).
_CLEANERS = frozenset("rm find apt-get apt apk yum dnf microdnf tdnf zypper pip npm yarn".split())
YARN_CACHES = ("/usr/local/share/.cache/yarn", "/root/.cache/yarn")


@dataclass(frozen=True, slots=True)
class Leftover:
    """Something package tools leave behind unless the same RUN cleans it."""

    what: str
    paths: tuple[str, ...]
    fills: Callable[[Command], bool]
    cleans: Callable[[Command], bool]  # a tool command that empties it (rm is checked by path)


def _sub(command: Command, names: frozenset[str], *subcommands: str) -> bool:
    return command.name in names and command.subcommand_name in subcommands


def _operand(command: Command, *values: str) -> bool:
    return any(w.value in values for w in command.operands())


LEFTOVERS: tuple[Leftover, ...] = (
    Leftover("the apt package lists", (APT_LISTS,), is_apt_update, lambda c: _sub(c, frozenset({"apt-get", "apt"}), "dist-clean", "distclean")),
    Leftover(
        "the apk cache",
        (APK_CACHE,),
        lambda c: _sub(c, frozenset({"apk"}), "update") or _sub(c, frozenset({"apk"}), "add", "upgrade") and not c.has_flag("--no-cache"),
        lambda c: _sub(c, frozenset({"apk"}), "cache") and _operand(c, "clean", "purge"),
    ),
    Leftover(
        "the yum/dnf cache",
        RPM_CACHES,
        lambda c: _sub(c, _RPM_TOOLS, "install", "update", "upgrade", "makecache", "groupinstall", "reinstall"),
        lambda c: _sub(c, _RPM_TOOLS, "clean") and _operand(c, "all", "packages", "metadata", "dbcache"),
    ),
    Leftover(
        "the zypper cache",
        (ZYPPER_CACHE,),
        lambda c: _sub(c, frozenset({"zypper"}), "install", "refresh", "update", "dist-upgrade"),
        lambda c: _sub(c, frozenset({"zypper"}), "clean"),
    ),
    Leftover(
        "pip's cache",
        (PIP_CACHE,),
        lambda c: c.tool == "pip" and c.subcommand_name == "install" and not c.has_flag("--no-cache-dir"),
        lambda c: c.tool == "pip" and c.subcommand_name == "cache" and _operand(c, "purge", "remove"),
    ),
    Leftover(
        "npm's cache",
        (NPM_CACHE,),
        lambda c: _sub(c, frozenset({"npm"}), "install", "ci"),
        lambda c: _sub(c, frozenset({"npm"}), "cache") and _operand(c, "clean", "rm", "clear"),
    ),
    Leftover(
        "yarn's cache",
        YARN_CACHES,
        lambda c: c.name == "yarn" and c.subcommand_name in (None, "install", "add"),
        lambda c: _sub(c, frozenset({"yarn"}), "cache") and _operand(c, "clean"),
    ),
)


def _left_by(df: Dockerfile, inst: Instruction, leftover: Leftover) -> bool:
    """The RUN fills `leftover` and does not clean it after the last time it fills it."""
    if any(cache_mounted(s, *leftover.paths) for s in df.scripts(inst)):
        return False
    left = False
    for command in run_commands(df, inst):
        if leftover.fills(command):
            left = True
        elif left and (leftover.cleans(command) or removes_path(command, *leftover.paths)):
            left = False
    return left


@rule(
    code="DF303",
    name="cleanup-in-separate-layer",
    severity=Severity.WARNING,
    summary="A RUN removes files that an earlier layer created",
    message="{subject} came from the {origin} on line {line}; removing it in this later layer "
    "hides it but keeps its bytes in the image; {advice}",
    rationale=(
        "Every instruction adds a layer on top of the previous ones, and deleting a file in a "
        "later layer only hides it: the image still carries it. Package lists and caches must be "
        "removed in the `RUN` that downloaded them, downloads and clones used and removed in one "
        "`RUN`, and files needed only while building read through `RUN --mount=type=bind` (or "
        "left out of the build context) instead of being copied in and deleted. Only stages "
        "that reach the final image are checked; removals of files the base image brought are "
        "not flagged."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nRUN rm -rf /var/lib/apt/lists/*",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("rm", "apt", "apk", "yum", "dnf", "zypper", "pip", "npm", "yarn"),
)
def cleanup_in_separate_layer(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in shipped_runs(df):
        earlier = before(df, inst)
        runs = [i for i in earlier if i.keyword == "RUN"]
        commands = run_commands(df, inst)
        reported: set[str] = set()
        for index, command in enumerate(commands):
            if command.tool in _CLEANERS:
                yield from _cache_cleanups(df, ctx, command, commands[:index], runs, reported)
            if command.name == "rm":
                yield from _file_removals(df, ctx, inst, command, commands[:index], earlier)


def _cache_cleanups(
    df: Dockerfile, ctx: Context, command: Command, previous: list[Command], runs: list[Instruction], reported: set[str]
) -> Iterator[Finding]:
    for leftover in LEFTOVERS:
        if leftover.what in reported or not (leftover.cleans(command) or _removes_any(command, leftover.paths)):
            continue
        if any(leftover.fills(c) for c in previous) or runs_unknown_code(previous):
            continue  # it cleans what this RUN itself fetched (or a script it ran may have)
        origin = next((r for r in reversed(runs) if _left_by(df, r, leftover)), None)
        if origin is None:
            continue
        reported.add(leftover.what)
        word = _removed_word(command, leftover.paths)
        subject = f"{leftover.what} (`{word.value}`)" if word is not None else leftover.what
        yield ctx.finding(
            word.range if word is not None else command_range(command),
            subject=subject, origin="`RUN`", line=origin.first_line + 1,
            advice="clean up in the `RUN` that fills it, or mount a cache there",
        )


def _removes_any(command: Command, paths: tuple[str, ...]) -> bool:
    """`rm` or `find -delete` of one of `paths` (a cheap prefix test before `covers`)."""
    if command.name not in ("rm", "find"):
        return False
    for word in command.positionals()[:1] if command.name == "find" else command.positionals():
        value = word.value.rstrip("/*")
        if "$" in value or not any(p.startswith(value) for p in paths) and not any(c in word.value for c in "?["):
            continue
        if removes_path(command, *paths):
            return True
    return False


def _removed_word(command: Command, paths: tuple[str, ...]) -> ShellWord | None:
    if command.name != "rm":
        return None
    return next((w for w in command.positionals() if "$" not in w.value and any(covers(w.value, p) for p in paths)), None)


_ADVICE = {
    "COPY": "leave it out of the build context (`.dockerignore`) or read it with `RUN --mount=type=bind` instead of copying it",
    "ADD": "fetch or unpack it in the `RUN` that uses it, or read it with `RUN --mount=type=bind`",
    "download": "download, use and remove it in the same `RUN`",
    "git clone": "clone, build and remove it in the same `RUN`",
}


def _file_removals(
    df: Dockerfile, ctx: Context, inst: Instruction, command: Command, previous: list[Command], earlier: list[Instruction]
) -> Iterator[Finding]:
    for word in command.positionals():
        if word.value.startswith("-") or word.has_expansion and "$(" in word.value:
            continue
        target = absolute(df, inst.parent or inst, word.value) if not word.value.startswith("/") or "$" in word.value else word.value
        origin = _origin(df, earlier, target) if target is not None else None
        if origin is None or target is None or any(_recreates(c, target) for c in previous):
            continue
        if target.rstrip("/") != origin.path and _workspace(previous, target, origin):
            continue
        where = {"download": "download in the `RUN`", "git clone": "`git clone` in the `RUN`"}.get(origin.what, f"`{origin.what}`")
        yield ctx.finding(
            word.range, subject=f"`{word.value}`", origin=where, line=origin.inst.first_line + 1, advice=_ADVICE[origin.what]
        )


def _origin(df: Dockerfile, earlier: list[Instruction], target: str) -> Created | None:
    """The latest earlier COPY, ADD, download or clone whose result `target` removes."""
    for other in reversed(earlier):
        if other.keyword not in ("COPY", "ADD", "RUN"):
            continue
        for item in _created(df, other):
            if hits(target, item.path, item.folder):
                return item
    return None


def _created(df: Dockerfile, inst: Instruction) -> list[Created]:
    """What one COPY, ADD or RUN created (cached on the model: every later rm asks again)."""
    key = ("layer-created", id(inst))
    cached = df._cache.get(key)
    if cached is None:
        cached = df._cache[key] = list(copied(df, inst) if inst.keyword != "RUN" else fetched(df, inst))
    return cached  # type: ignore[return-value]


def _workspace(previous: list[Command], target: str, origin: Created) -> bool:
    """The RUN itself works in the folder it removes (`cd`, `tar -C`, files under it other than
    the copied one): most of what goes is its own, and the earlier layer's part may be small."""
    folder = target.rstrip("/")
    if any(c in folder for c in "*?["):
        folder = folder.rsplit("/", 1)[0]
    return any(
        (w.value == folder or w.value.startswith(folder + "/")) and not _names(w.value, origin.path)
        for command in previous
        for w in command.args
    )


def _names(word: str, path: str) -> bool:
    """`word` is the created item itself (or one of the files a created glob stands for)."""
    return word.rstrip("/") == path or "*" in path and fnmatch.fnmatchcase(word, path)


def _recreates(command: Command, target: str) -> bool:
    """This RUN downloads or clones to the removed path itself before removing it."""
    from docklint.rules.command_flow import download

    got = download(command)
    if got is not None and got.output and got.output.startswith("/"):
        return hits(target, got.output, False)
    return command.name == "git" and command.subcommand_name == "clone" and any(
        w.value.startswith("/") and hits(target, w.value.rstrip("/"), True) for w in command.operands()[1:2]
    )
