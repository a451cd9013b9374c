"""Rules for the RPM package managers in RUN: yum, dnf/microdnf/tdnf and zypper.

Each manager has three checks in hadolint's catalogue: a prompt flag (`-y`, `-n`), a cache
cleanup in the same RUN, and version pins.
"""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.packages import installs
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.package_common import RPM_CACHES, ZYPPER_CACHE, cache_mounted, removes_path, unpinned_words
from docklint.rules.run_edits import append_command, command_range, earlier_runs, insert_flag, order, run_commands

YUM = frozenset({"yum"})
DNF = frozenset({"dnf", "microdnf", "tdnf"})
_INSTALLS = frozenset({"install", "groupinstall", "localinstall", "reinstall"})
# Subcommands that change the system and ask for confirmation without `-y`.
_PROMPTING = _INSTALLS | frozenset({"update", "upgrade", "remove", "erase", "downgrade", "distro-sync", "autoremove"})
_ZYPPER_PROMPTING = frozenset({"install", "remove", "source-install", "patch", "update", "dist-upgrade"})


def _commands(df: Dockerfile, inst: Instruction, names: frozenset[str], subcommands: frozenset[str]) -> Iterator[Command]:
    """The commands of one RUN run by one of `names` with one of `subcommands`."""
    for command in df.commands(names, inst=inst):
        if command.name in names and command.subcommand_name in subcommands:
            yield command


def _assume_yes(df: Dockerfile, command: Command) -> bool:
    """`-y`, an answering pipe, or `assumeyes=1` written to yum.conf/dnf.conf by an earlier RUN."""
    if command.has_flag("-y", "--assumeyes"):
        return True
    source = command.piped_from
    if source is not None and source.name in ("yes", "echo", "printf"):
        return True
    inst = command.instruction
    return inst is not None and any("assumeyes=1" in r.args.text.replace(" ", "").lower() for r in earlier_runs(df, inst))


def _cleaned(df: Dockerfile, command: Command, cleans: frozenset[str], caches: tuple[str, ...]) -> bool:
    """A `clean all` of one of `cleans`, or removal of a cache dir, after `command` in its RUN."""
    script, inst = command.script, command.instruction
    if script is None or inst is None or cache_mounted(script, *caches):
        return True
    commands = run_commands(df, inst)
    for later in commands[order(command, commands) + 1 :]:
        if later.name in cleans and later.subcommand_name == "clean":
            operands = [w.value for w in later.operands()]
            if "all" in operands or later.name == "zypper":
                return True
        if removes_path(later, *caches):
            return True
    return False


def _missing_cleanup(
    df: Dockerfile, inst: Instruction, ctx: Context, names: frozenset[str], cleans: frozenset[str], caches: tuple[str, ...]
) -> Iterator[Finding]:
    """One finding per RUN: its first install that no cleanup follows."""
    for command in _commands(df, inst, names, _INSTALLS):
        if command.instruction is None or _cleaned(df, command, cleans, caches):
            continue
        clean = "zypper clean --all" if command.name == "zypper" else f"{command.name} clean all"
        edit = append_command(df, command.script, clean) if command.script is not None else None
        fix = Fix.safe(f"Run `{clean}` in the same RUN", edit) if edit else None
        yield ctx.finding(command_range(command), fix=fix, command=f"{command.name} {command.subcommand_name}", clean=clean)
        return


def _unpinned(
    df: Dockerfile, inst: Instruction, ctx: Context, names: frozenset[str], subcommands: frozenset[str]
) -> Iterator[Finding]:
    for command in _commands(df, inst, names, subcommands):
        install = installs(command)
        if install is None:
            continue
        for word, name in unpinned_words(df, install, lambda spec: spec.version is None):
            yield ctx.finding(word.range, package=name)


def _missing_yes(df: Dockerfile, inst: Instruction, ctx: Context, names: frozenset[str]) -> Iterator[Finding]:
    for command in _commands(df, inst, names, _PROMPTING):
        if _assume_yes(df, command):
            continue
        if command.name == "microdnf" and command.subcommand_name not in _INSTALLS:
            continue  # microdnf never prompts; hadolint still asks for `-y` on its installs
        edit = insert_flag(command, "-y")
        yield ctx.finding(command_range(command), fix=Fix.safe("Add `-y`", edit) if edit else None,
                          command=f"{command.name} {command.subcommand_name}")


@rule(
    code="DL3030",
    name="yum-missing-yes",
    severity=Severity.WARNING,
    summary="yum install without -y",
    message="`{command}` without `-y` waits for a confirmation no one can give in a build; add `-y`",
    rationale=(
        "A build has no terminal: when yum asks whether to continue, it reads end of input and "
        "gives up, failing the build. `-y` answers yes up front."
    ),
    bad="FROM centos:7\nRUN yum install httpd-2.4.6 && yum clean all",
    good="FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all",
    fix_safety="Safe: the command installs the same packages without stopping to ask.",
    needs_instructions=("RUN",),
    needs_text=("yum",),
    each=("RUN",),
    onbuild=True,
)
def yum_missing_yes(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    return _missing_yes(df, inst, ctx, YUM)


@rule(
    code="DL3032",
    name="yum-clean-all-missing",
    severity=Severity.WARNING,
    summary="yum install without yum clean all in the same RUN",
    message="`{command}` leaves yum's cache in this layer, bloating the image; run `{clean}` in "
    "the same `RUN`",
    rationale=(
        "yum keeps repository metadata (and sometimes packages) under `/var/cache/yum`. Unless "
        "the same `RUN` cleans it, the cache stays in the layer for good. A cache mount on "
        "`/var/cache/yum` or removing that folder works too."
    ),
    bad="FROM centos:7\nRUN yum install -y httpd-2.4.6",
    good="FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all",
    fix_safety="Safe: the cache is not needed once the packages are installed.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("yum",),
    each=("RUN",),
    onbuild=True,
)
def yum_clean_all_missing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    return _missing_cleanup(df, inst, ctx, YUM, YUM | DNF, RPM_CACHES)


@rule(
    code="DL3033",
    name="yum-pin-versions",
    severity=Severity.WARNING,
    summary="yum install of a package without a version",
    message="`{package}` is installed without a version, so a rebuild may install a different "
    "one; pin it as `{package}-<version>`",
    rationale=(
        "Without a version, yum installs whatever the repositories offer on the day of the build, "
        "so two builds of the same Dockerfile can produce different images."
    ),
    bad="FROM centos:7\nRUN yum install -y httpd && yum clean all",
    good="FROM centos:7\nRUN yum install -y httpd-2.4.6 && yum clean all",
    needs_instructions=("RUN",),
    needs_text=("yum",),
    each=("RUN",),
    onbuild=True,
)
def yum_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    return _unpinned(df, inst, ctx, YUM, _INSTALLS)


@rule(
    code="DL3038",
    name="dnf-missing-yes",
    severity=Severity.WARNING,
    summary="dnf or microdnf install without -y",
    message="`{command}` without `-y` waits for a confirmation no one can give in a build; add `-y`",
    rationale=(
        "A build has no terminal: when dnf asks whether to continue, it reads end of input and "
        "gives up, failing the build. `-y` answers yes up front."
    ),
    bad="FROM fedora:40\nRUN dnf install httpd-2.4.62 && dnf clean all",
    good="FROM fedora:40\nRUN dnf install -y httpd-2.4.62 && dnf clean all",
    fix_safety="Safe: the command installs the same packages without stopping to ask.",
    needs_instructions=("RUN",),
    needs_text=("dnf",),
    each=("RUN",),
    onbuild=True,
)
def dnf_missing_yes(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    return _missing_yes(df, inst, ctx, DNF)


@rule(
    code="DL3040",
    name="dnf-clean-all-missing",
    severity=Severity.WARNING,
    summary="dnf or microdnf install without dnf clean all in the same RUN",
    message="`{command}` leaves dnf's cache in this layer, bloating the image; run `{clean}` in "
    "the same `RUN`",
    rationale=(
        "dnf keeps repository metadata under `/var/cache/dnf` (microdnf and tdnf likewise). Unless "
        "the same `RUN` cleans it, the cache stays in the layer for good. A cache mount on the "
        "cache folder or removing it works too."
    ),
    bad="FROM fedora:40\nRUN dnf install -y httpd-2.4.62",
    good="FROM fedora:40\nRUN dnf install -y httpd-2.4.62 && dnf clean all",
    fix_safety="Safe: the cache is not needed once the packages are installed.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("dnf",),
    each=("RUN",),
    onbuild=True,
)
def dnf_clean_all_missing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    return _missing_cleanup(df, inst, ctx, DNF, YUM | DNF, RPM_CACHES)


@rule(
    code="DL3041",
    name="dnf-pin-versions",
    severity=Severity.WARNING,
    summary="dnf or microdnf install of a package without a version",
    message="`{package}` is installed without a version, so a rebuild may install a different "
    "one; pin it as `{package}-<version>`",
    rationale=(
        "Without a version, dnf installs whatever the repositories offer on the day of the build, "
        "so two builds of the same Dockerfile can produce different images."
    ),
    bad="FROM fedora:40\nRUN dnf install -y httpd && dnf clean all",
    good="FROM fedora:40\nRUN dnf install -y httpd-2.4.62 && dnf clean all",
    needs_instructions=("RUN",),
    needs_text=("dnf",),
    each=("RUN",),
    onbuild=True,
)
def dnf_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    return _unpinned(df, inst, ctx, DNF, _INSTALLS)


@rule(
    code="DL3034",
    name="zypper-missing-non-interactive",
    severity=Severity.WARNING,
    summary="zypper install, remove or patch without -n",
    message="`{command}` without `-n` waits for a confirmation no one can give in a build; use "
    "`zypper -n`",
    rationale=(
        "A build has no terminal: when zypper asks whether to continue, the command aborts and "
        "the build fails. `--non-interactive` (`-n`) answers every question with its default."
    ),
    bad="FROM opensuse/leap:15.6\nRUN zypper install curl=8.6.0 && zypper clean",
    good="FROM opensuse/leap:15.6\nRUN zypper -n install curl=8.6.0 && zypper clean",
    fix_safety="Safe: the command does the same without stopping to ask.",
    needs_instructions=("RUN",),
    needs_text=("zypper",),
    each=("RUN",),
    onbuild=True,
)
def zypper_missing_non_interactive(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in _commands(df, inst, frozenset({"zypper"}), _ZYPPER_PROMPTING):
        if command.has_flag("-n", "--non-interactive", "-y", "--no-confirm"):
            continue
        # `-n` is a global option: it goes before the subcommand (after it, it means `--name`).
        edit = TextEdit.insert(command.argv[0].range.end, " -n")
        yield ctx.finding(command_range(command), fix=Fix.safe("Add `-n`", edit),
                          command=f"zypper {command.subcommand_name}")


@rule(
    code="DL3035",
    name="zypper-dist-upgrade",
    severity=Severity.WARNING,
    summary="zypper dist-upgrade in a build",
    message="`zypper {subcommand}` upgrades the whole distribution during the build, so the "
    "result depends on the day it runs; use a newer base image instead",
    rationale=(
        "A distribution upgrade can change any package of the base image, including major "
        "versions, and makes builds unrepeatable. Pick a base image with the release you need."
    ),
    bad="FROM opensuse/leap:15.5\nRUN zypper -n dist-upgrade",
    good="FROM opensuse/leap:15.6",
    needs_instructions=("RUN",),
    needs_text=("zypper",),
    each=("RUN",),
    onbuild=True,
)
def zypper_dist_upgrade(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in _commands(df, inst, frozenset({"zypper"}), frozenset({"dist-upgrade"})):
        yield ctx.finding(command_range(command), subcommand=command.subcommand.value if command.subcommand else "dup")


@rule(
    code="DL3036",
    name="zypper-clean-missing",
    severity=Severity.WARNING,
    summary="zypper install without zypper clean in the same RUN",
    message="`{command}` leaves zypper's cache in this layer, bloating the image; run `{clean}` "
    "in the same `RUN`",
    rationale=(
        "zypper keeps repository metadata and packages under `/var/cache/zypp`. Unless the same "
        "`RUN` cleans it, the cache stays in the layer for good."
    ),
    bad="FROM opensuse/leap:15.6\nRUN zypper -n install curl=8.6.0",
    good="FROM opensuse/leap:15.6\nRUN zypper -n install curl=8.6.0 && zypper clean --all",
    fix_safety="Safe: the cache is not needed once the packages are installed.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("zypper",),
    each=("RUN",),
    onbuild=True,
)
def zypper_clean_missing(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    zypper = frozenset({"zypper"})
    return _missing_cleanup(df, inst, ctx, zypper, zypper, (ZYPPER_CACHE,))


@rule(
    code="DL3037",
    name="zypper-pin-versions",
    severity=Severity.WARNING,
    summary="zypper install of a package without a version",
    message="`{package}` is installed without a version, so a rebuild may install a different "
    "one; pin it as `{package}=<version>`",
    rationale=(
        "Without a version, zypper installs whatever the repositories offer on the day of the "
        "build, so two builds of the same Dockerfile can produce different images."
    ),
    bad="FROM opensuse/leap:15.6\nRUN zypper -n install curl && zypper clean",
    good="FROM opensuse/leap:15.6\nRUN zypper -n install curl=8.6.0 && zypper clean",
    needs_instructions=("RUN",),
    needs_text=("zypper",),
    each=("RUN",),
    onbuild=True,
)
def zypper_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    return _unpinned(df, inst, ctx, frozenset({"zypper"}), frozenset({"install"}))
