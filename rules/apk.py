"""Rules for Alpine's apk in RUN: version pins and the package cache."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.packages import PackageSpec, installs
from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.package_common import APK_CACHE, cache_mounted, removes_path, unpinned_words
from docklint.rules.run_edits import command_range, insert_flag, order, run_commands

APK_CACHE_LINK = "/etc/apk/cache"


@rule(
    code="DL3018",
    name="apk-pin-versions",
    severity=Severity.WARNING,
    summary="apk add of a package without a version",
    message="`{package}` is installed without a version, so a rebuild may install a different "
    "one; pin it as `{package}=<version>`",
    rationale=(
        "Without a version, `apk add` takes whatever the repository offers on the day of the "
        "build, so two builds of the same Dockerfile can produce different images. A pin "
        "(`pkg=1.2.3-r0`, or `pkg~1.2` for a release series) makes updates deliberate."
    ),
    bad="FROM alpine:3.20\nRUN apk add --no-cache curl",
    good="FROM alpine:3.20\nRUN apk add --no-cache curl=8.9.1-r2",
    needs_instructions=("RUN",),
    needs_text=("apk",),
    each=("RUN",),
    onbuild=True,
)
def apk_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("apk", subcommand="add", inst=inst):
        install = installs(command)
        if install is None:
            continue
        for word, name in unpinned_words(df, install, _apk_unpinned):
            yield ctx.finding(word.range, package=name)


def _apk_unpinned(spec: PackageSpec) -> bool:
    """No version; a local `.apk` file (even without `./`) fixes its own version."""
    return spec.version is None and not spec.name.endswith(".apk")


@rule(
    code="DL3019",
    name="apk-add-no-cache",
    severity=Severity.INFO,
    summary="apk add without --no-cache",
    message="`apk add` without `--no-cache` leaves the package index in this layer; add "
    "`--no-cache`",
    rationale=(
        "`apk` keeps the package index it downloaded under `/var/cache/apk`. It is useless once "
        "the packages are installed and stays in the layer. `--no-cache` fetches the index "
        "without storing it; removing `/var/cache/apk/*` in the same `RUN` or a cache mount "
        "works too."
    ),
    bad="FROM alpine:3.20\nRUN apk add curl=8.9.1-r2",
    good="FROM alpine:3.20\nRUN apk add --no-cache curl=8.9.1-r2",
    fix_safety="Safe: the same packages are installed; only the downloaded index is not kept.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("apk",),
    each=("RUN",),
    onbuild=True,
)
def apk_add_no_cache(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("apk", subcommand="add", inst=inst):
        if command.has_flag("--no-cache", "--no-network"):
            continue  # `--no-network` installs from what is already there: nothing is fetched
        script = command.script
        if script is None or command.instruction is None or cache_mounted(script, APK_CACHE, APK_CACHE_LINK):
            continue
        commands = run_commands(df, inst)
        later = commands[order(command, commands) + 1 :]
        if any(removes_path(c, APK_CACHE) for c in later):
            continue
        edit = insert_flag(command, "--no-cache")
        yield ctx.finding(command_range(command), fix=Fix.safe("Add `--no-cache`", edit) if edit else None)
