"""Rules about the order and size of what a build copies in: the whole context copied before the
dependency install (cache busting) and large local archives that stay in a layer."""

from __future__ import annotations

import fnmatch
import posixpath
from functools import lru_cache
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.memo import register_lru
from docklint.model.nodes import Instruction, Stage, Word
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Option, Severity, rule
from docklint.rules.instructions import is_archive

# Manifest and lock files a dependency install reads; a COPY naming one (or a glob matching one)
# before `COPY . .` means the author already split the dependency layer off.
MANIFESTS = (
    "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
    ".yarnrc.yml", "requirements*.txt", "requirements", "pyproject.toml", "poetry.lock",
    "Pipfile", "Pipfile.lock", "uv.lock", "setup.py", "setup.cfg", "Gemfile", "Gemfile.lock",
    "*.gemspec", "go.mod", "go.sum", "composer.json", "composer.lock", "Cargo.toml", "Cargo.lock",
)  # fmt: skip


# -- DF310 ---------------------------------------------------------------------------------------


@rule(
    code="DF310",
    name="copy-context-before-dependency-install",
    severity=Severity.INFO,
    summary="`COPY . .` comes before the RUN that installs dependencies from the manifest",
    message="`{keyword} {source}` copies the whole build context before `{install}` (line {line}), "
    "so any source change re-runs the install; copy only the manifest and lock files first, "
    "install, then `COPY . .`",
    rationale=(
        "A layer's cache is reused only while everything it depends on is unchanged. When the "
        "whole context is copied before the dependency install, editing any source file "
        "invalidates that copy and so the install after it: every build downloads and installs "
        "all dependencies again. Copying just the manifest and lock files, installing, and then "
        "copying the rest keeps the dependency layer cached until the dependencies change."
    ),
    bad="FROM node:22-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"server.js\"]",
    good="FROM node:22-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\n"
    "COPY . .\nCMD [\"node\", \"server.js\"]",
    tags=("bloat",),
    needs_instructions=("COPY", "ADD"),
)
def copy_context_before_dependency_install(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for index, stage in enumerate(df.stages):
        if _copies_manifest(df, stage.base_stage):
            continue  # built on a stage that already installed from the manifest
        by_run: dict[int, list[Command]] = {}
        for command in df.commands(stage=index):
            if command.instruction is not None:
                by_run.setdefault(id(command.instruction), []).append(command)
        whole: tuple[Instruction, Word] | None = None
        for inst in stage.instructions:
            if inst.keyword in ("COPY", "ADD") and inst.flag("from") is None:
                sources, _dest = copy_paths(inst)
                if any(_is_manifest(word.value) for word in sources):
                    break  # dependency files copied on their own: the layering is deliberate
                context_word = next((w for w in sources if w.value in (".", "./")), None)
                if context_word is not None and whole is None:
                    whole = (inst, context_word)
            elif inst.keyword == "RUN" and _binds_manifest(inst):
                break  # `RUN --mount=type=bind,source=uv.lock ...` installed the dependencies first
            elif inst.keyword == "RUN" and whole is not None:
                install = next((label for c in by_run.get(id(inst), ()) if (label := install_label(c))), None)
                if install is not None:
                    copy, word = whole
                    line = inst.keyword_range.start.line + 1
                    yield ctx.finding(word.range, keyword=copy.keyword, source=word.value, install=install, line=line)
                    break


def _copies_manifest(df: Dockerfile, stage_index: int | None) -> bool:
    seen: set[int] = set()
    while stage_index is not None and stage_index not in seen:
        seen.add(stage_index)
        stage: Stage = df.stages[stage_index]
        for inst in stage.instructions:
            if inst.keyword in ("COPY", "ADD") and inst.flag("from") is None:
                if any(_is_manifest(word.value) for word in copy_paths(inst)[0]):
                    return True
        stage_index = stage.base_stage
    return False


def _binds_manifest(inst: Instruction) -> bool:
    for flag in inst.flag_values("mount"):
        fields = dict(part.partition("=")[::2] for part in (flag.value or "").split(","))
        if fields.get("type") == "bind" and _is_manifest(fields.get("source") or fields.get("src") or ""):
            return True
    return False


def _is_manifest(source: str) -> bool:
    name = posixpath.basename(source.rstrip("/"))
    if not name or name in (".", ".."):
        return False
    return _names_manifest(name)


@register_lru
@lru_cache(maxsize=1024)
def _names_manifest(name: str) -> bool:
    """Whether a file name is, or as a pattern covers, a manifest (asked again for the same
    names on every lint of an edited file: ~25 patterns each)."""
    return any(fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(pattern, name) for pattern in MANIFESTS)


def install_label(command: Command) -> str | None:
    """How to name `command` if it installs dependencies from a manifest or lock file, else None."""
    from docklint.model.packages import installs

    name, sub = command.name, command.subcommand_name
    tool = command.tool
    if tool == "npm" and sub in ("install", "ci") and not command.operands():
        return None if command.has_flag("-g", "--global") else f"npm {sub}"
    if name == "yarn" and sub in (None, "install") and not command.operands():
        if command.has_flag("--version", "-v", "--help", "-h", "-g", "--global"):
            return None
        return "yarn install" if sub else "yarn"
    if name == "pnpm" and sub == "install" and not command.operands():
        return None if command.has_flag("-g", "--global") else "pnpm install"
    if tool == "pip":
        found = installs(command)
        if found is not None and any(spec.kind == "requirements" for spec in found.packages):
            return f"{name} install -r"
        return None
    if name in ("poetry", "pipenv", "composer") and sub == "install":
        return None if name == "pipenv" and command.operands() else f"{name} install"
    if name == "uv" and sub == "sync":
        return "uv sync"
    if name in ("bundle", "bundler") and sub in (None, "install") and not command.operands():
        return None if command.has_flag("--version", "-v", "--help", "-h") else f"{name} install"
    if name == "go" and sub == "mod" and [w.value for w in command.operands()[:1]] == ["download"]:
        return "go mod download"
    return None


# -- DF311 ---------------------------------------------------------------------------------------


@rule(
    code="DF311",
    name="large-archive-added",
    severity=Severity.INFO,
    summary="ADD or COPY brings a large local archive from the build context into a layer",
    message="`{file}` is a {size} archive, and its bytes stay in this layer even if a later step "
    "unpacks and deletes it; download, unpack and delete it in one `RUN`, copy only what is "
    "needed from a build stage, or mount it with `RUN --mount=type=bind`",
    rationale=(
        "Every file a COPY or ADD takes becomes part of a layer. An archive that is copied in "
        "and then unpacked is stored twice, and removing it in a later RUN only hides it: the "
        "layer still ships its bytes. Fetching and unpacking in a single RUN, copying the "
        "unpacked files from another stage, or reading the archive through a bind mount keeps "
        "only what the image needs. dlint checks archives in the Dockerfile's folder when that "
        "folder evidently is the build context; archives behind URLs are not measured."
    ),
    bad="FROM debian:12-slim\nCOPY jdk-21.tar.gz /tmp/\nRUN tar -xzf /tmp/jdk-21.tar.gz -C /opt "
    "&& rm /tmp/jdk-21.tar.gz",
    good="FROM debian:12-slim\nRUN --mount=type=bind,source=jdk-21.tar.gz,target=/tmp/jdk.tar.gz "
    "tar -xzf /tmp/jdk.tar.gz -C /opt",
    options=(Option("max-size", int, 50_000_000, "Archives larger than this many bytes are reported"),),
    tags=("bloat",),
    needs_instructions=("COPY", "ADD"),
)
def large_archive_added(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.imagefs.stream import format_size
    from docklint.rules.context_rules import evident_context, excludes_of, local_sources

    context = evident_context(df)
    if context is None:
        return
    limit = int(ctx.option("max-size"))
    for source in local_sources(df):
        if not is_archive(source.path):
            continue
        resolution = context.resolve(source.path, excludes_of(source.inst))
        for entry in resolution.copied:
            if entry.is_dir or entry.is_link or not is_archive(entry.path) or entry.size <= limit:
                continue  # links are never followed: their target may lie outside the context
            yield ctx.finding(source.word.range, file=entry.path, size=format_size(entry.size))
