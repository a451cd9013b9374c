"""Leftovers of language package tools in the shipped image: npm's cache (DF305), conda's
package cache (DF306) and gem documentation (DF307)."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.package_common import NPM_CACHE, cache_mounted, covers, normalize, removes
from docklint.rules.run_edits import append_command, command_range, earlier_runs, insert_flag, order, run_commands, ships
from docklint.rules.stage_refs import root_base

# -- DF305 ----------------------------------------------------------------------------------



@rule(
    code="DF305",
    name="npm-cache-not-cleaned",
    severity=Severity.INFO,
    summary="npm install or ci without cleaning npm's cache in the same RUN",
    message="`{command}` leaves npm's download cache (`~/.npm`) in this layer, bloating the image; "
    "run `npm cache clean --force` in the same `RUN` or mount a cache on `~/.npm`",
    rationale=(
        "npm keeps a copy of every package tarball it fetched in `~/.npm/_cacache`. The image "
        "never reuses it, yet it stays in the layer, often tens of megabytes. `npm cache clean "
        "--force` in the same `RUN`, `--cache` pointing at a temporary folder, or a cache mount "
        "keeps it out. Stages that do not reach the final image are not checked."
    ),
    bad="FROM node:20-slim\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev",
    good="FROM node:20-slim\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev && npm cache clean --force",
    fix_safety="Safe: the installed `node_modules` stay; only npm's download cache goes.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("npm",),
    each=("RUN",),
    given=(ships,),
)
def npm_cache_not_cleaned(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if not ships(df, inst):
        return
    commands = run_commands(df, inst)
    for command in commands:
        if command.name != "npm" or command.subcommand_name not in ("install", "ci"):
            continue
        if _npm_cache_elsewhere(df, command) or _npm_cache_mounted(command):
            break
        if any(_clears_npm_cache(c) for c in commands[order(command, commands) + 1 :]):
            break
        script = command.script
        edit = append_command(df, script, "npm cache clean --force") if script is not None else None
        fix = Fix.safe("Run `npm cache clean --force` in the same RUN", edit) if edit else None
        yield ctx.finding(command_range(command), fix=fix, command=f"npm {command.subcommand_name}")
        break


def _npm_cache_elsewhere(df: Dockerfile, command: Command) -> bool:
    """`--cache /tmp/...` (or `npm_config_cache`) puts the cache in a temporary folder."""
    inst = command.instruction
    scope = df.scope(inst) if inst is not None else {}
    configured = command.flag_value("--cache") or next(
        (w.value.partition("=")[2] for w in command.assignments if w.value.lower().startswith("npm_config_cache=")), None
    ) or scope.get("npm_config_cache") or scope.get("NPM_CONFIG_CACHE")
    return configured is not None and normalize(configured).startswith(("/tmp", "/dev/shm"))


def _npm_cache_mounted(command: Command) -> bool:
    script = command.script
    if script is None:
        return True
    return any(m.target and normalize(m.target).endswith("/.npm") for m in script.mounts) or cache_mounted(script, NPM_CACHE)


def _clears_npm_cache(command: Command) -> bool:
    if command.name == "npm" and command.subcommand_name == "cache":
        return any(w.value in ("clean", "rm", "clear") for w in command.operands())
    return removes(command, lambda p: covers(p, NPM_CACHE) or normalize(p).endswith("/.npm") or "/.npm/" in p)


# -- DF306 ----------------------------------------------------------------------------------

_CONDA = frozenset({"conda", "mamba", "micromamba"})
_CONDA_ACTIONS = frozenset({"install", "create", "update", "upgrade"})


@rule(
    code="DF306",
    name="conda-cache-not-cleaned",
    severity=Severity.INFO,
    summary="conda or mamba install without conda clean in the same RUN",
    message="`{command}` leaves the downloaded package archives and index in this layer, "
    "bloating the image; run `{clean}` in the same `RUN`",
    rationale=(
        "conda and mamba keep every package they downloaded, as a tarball and unpacked, in the "
        "`pkgs` cache of the installation: often hundreds of megabytes the image never uses. "
        "`conda clean -afy` (`mamba clean -afy`, `micromamba clean --all --yes`) in the same "
        "`RUN`, or a cache mount on the `pkgs` folder, keeps it out. Stages that do not reach the "
        "final image are not checked."
    ),
    bad="FROM continuumio/miniconda3:24.7.1-0\nRUN conda install -y numpy=2.1.1",
    good="FROM continuumio/miniconda3:24.7.1-0\nRUN conda install -y numpy=2.1.1 && conda clean -afy",
    fix_safety="Safe: the installed packages stay; only the download cache and index go.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("conda", "mamba"),
    each=("RUN",),
    given=(ships,),
)
def conda_cache_not_cleaned(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if not ships(df, inst):
        return
    commands = run_commands(df, inst)
    for command in commands:
        if command.name not in _CONDA or not _conda_installs(command):
            continue
        script = command.script
        if script is None or any(m.target and "pkgs" in m.target for m in script.mounts if m.type == "cache"):
            break
        if any(_cleans_conda(c) for c in commands[order(command, commands) + 1 :]):
            break
        clean = "micromamba clean --all --yes" if command.name == "micromamba" else f"{command.name} clean -afy"
        edit = append_command(df, script, clean)
        fix = Fix.safe(f"Run `{clean}` in the same RUN", edit) if edit else None
        yield ctx.finding(command_range(command), fix=fix, command=_label(command), clean=clean)
        break


def _conda_installs(command: Command) -> bool:
    sub = command.subcommand_name
    if sub in _CONDA_ACTIONS:
        return not command.has_flag("--dry-run", "--download-only", "--help", "-h")
    operands = command.operands()
    return sub == "env" and bool(operands) and operands[0].value in ("create", "update")


def _label(command: Command) -> str:
    operands = command.operands()
    sub = command.subcommand.value if command.subcommand is not None else ""
    extra = f" {operands[0].value}" if command.subcommand_name == "env" and operands else ""
    return f"{command.name} {sub}{extra}"


def _cleans_conda(command: Command) -> bool:
    if command.name in _CONDA and command.subcommand_name == "clean":
        return command.has_flag("-a", "--all", "-t", "--tarballs", "-p", "--packages")
    return removes(command, lambda p: normalize(p).endswith("/pkgs") or "/pkgs/" in p)


# -- DF307 ----------------------------------------------------------------------------------

_GEMRC = re.compile(r"no-document|no-rdoc|no-ri\b")
# The official ruby and jruby images, and images built on them (`.../devcontainers/ruby`).
_RUBY_IMAGE = re.compile(r"(?:^|/)j?ruby(?:[:@]|$)", re.IGNORECASE)


@rule(
    code="DF307",
    name="gem-docs-installed",
    severity=Severity.INFO,
    summary="gem install without --no-document",
    message="`{command}` also generates ri and RDoc documentation nobody reads in a container; "
    "add `--no-document`",
    rationale=(
        "RubyGems builds the documentation of every gem it installs unless told not to, which "
        "slows the build and adds megabytes to the layer. `--no-document` (`-N`) skips it. "
        "Official `ruby` images already turn documentation off in their `gemrc`, and so does a "
        "`gem: --no-document` line written by an earlier `RUN`; neither is flagged."
    ),
    bad="FROM debian:12\nRUN gem install rake:13.2.1",
    good="FROM debian:12\nRUN gem install --no-document rake:13.2.1",
    fix_safety="Safe: the same gems are installed, without their generated documentation.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("gem",),
    each=("RUN",),
    onbuild=True,
)
def gem_docs_installed(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("gem", subcommand="install", inst=inst):
        if command.name != "gem" or command.has_flag("--no-document", "-N", "--no-rdoc", "--no-ri", "--document", "--no-doc"):
            continue
        run = command.instruction
        if run is None or _docs_off(df, run, command):
            continue
        edit = insert_flag(command, "--no-document")
        fix = Fix.safe("Add `--no-document`", edit) if edit else None
        yield ctx.finding(command_range(command), fix=fix, command="gem install")


def _docs_off(df: Dockerfile, inst: Instruction, command: Command) -> bool:
    """The base is an official ruby image, or a gemrc line turns documentation off earlier."""
    target = inst.parent or inst
    stage = df.stage_of(target)
    if stage is not None and _RUBY_IMAGE.search(root_base(df, stage).base_text):
        return True
    for other in earlier_runs(df, inst):
        if _GEMRC.search(other.args.text) or any(_GEMRC.search(h.body.text) for h in other.heredocs):
            return True
    return bool(_GEMRC.search(command.text.text[: command.start]))
