"""Rules for apt-get and apt in RUN: pins, prompts, recommends, index lists and `apt` itself."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.packages import installs
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.run_edits import (
    append_command,
    command_range,
    earlier_runs,
    in_image,
    insert_flag,
    run_commands,
)
from docklint.rules.package_common import (
    APT_LISTS,
    APT_TOOLS,
    cache_mounted,
    is_apt_update,
    removes_path,
    runs_unknown_code,
    unpinned_words,
)

LISTS_CLEANUP = "rm -rf /var/lib/apt/lists/*"
# Subcommands `apt` shares with `apt-get` and `apt-cache` with the same meaning (`apt upgrade`
# may install new packages, `apt list` has no equivalent: neither is rewritten).
_APT_GET_SAME = frozenset(
    "install update remove purge autoremove autoclean clean source build-dep download dist-upgrade "
    "satisfy check changelog".split()
)
_APT_CACHE_SAME = frozenset("search show policy depends rdepends showsrc showpkg madison".split())
_NO_RECOMMENDS = re.compile(r"APT::Install-Recommends\s*=\s*[\"']?(?:false|0|no)\b", re.IGNORECASE)
_ASSUME_YES = re.compile(r"APT::Get::Assume-Yes\s*=\s*[\"']?(?:true|1|yes)\b", re.IGNORECASE)
# Earlier RUNs may configure apt for the whole image (`APT::Install-Recommends "false";`).
_CONF_NO_RECOMMENDS = re.compile(r"Install-Recommends\W{1,6}(?:false|0|no)\b", re.IGNORECASE)
_CONF_ASSUME_YES = re.compile(r"Assume-Yes\W{1,6}(?:true|1|yes)\b", re.IGNORECASE)


def apt_get_installs(df: Dockerfile, inst: Instruction) -> Iterator[Command]:
    """The `apt-get install` commands of one RUN."""
    return df.commands("apt-get", subcommand="install", inst=inst)


def _option_set(command: Command, pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(f.value or "") for f in command.flag_values("-o", "--option"))


def _configured(df: Dockerfile, command: Command, pattern: re.Pattern[str]) -> bool:
    """True when an earlier RUN under this one writes this apt setting into a config file."""
    inst = command.instruction
    if inst is None:
        return False
    for other in earlier_runs(df, inst):
        if pattern.search(other.args.text) or any(pattern.search(h.body.text) for h in other.heredocs):
            return True
    return False


@rule(
    code="DL3008",
    name="apt-get-pin-versions",
    severity=Severity.WARNING,
    summary="apt-get install of a package without a version",
    message="`{package}` is installed without a version, so a rebuild may install a different "
    "one; pin it as `{package}=<version>`",
    rationale=(
        "Without a version, `apt-get install` takes whatever the package index offers on the day "
        "of the build, so two builds of the same Dockerfile can produce different images and a "
        "breaking update can arrive unnoticed."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5",
    needs_instructions=("RUN",),
    needs_text=("apt-get",),
    each=("RUN",),
    onbuild=True,
)
def apt_get_pin_versions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in apt_get_installs(df, inst):
        install = installs(command)
        if install is None:
            continue
        for word, name in unpinned_words(df, install, lambda spec: spec.version is None and spec.release is None):
            yield ctx.finding(word.range, package=name)


@rule(
    code="DL3009",
    name="apt-lists-not-deleted",
    severity=Severity.INFO,
    summary="apt lists are left in the image after apt-get update",
    message="`{command}` leaves the package lists in this layer, adding megabytes to the image; "
    "remove them in the same `RUN` with `rm -rf /var/lib/apt/lists/*`",
    rationale=(
        "`apt-get update` downloads package indexes to `/var/lib/apt/lists`. They are only needed "
        "while installing, but unless the same `RUN` deletes them they stay in the layer and "
        "every image built from it. Deleting them in a later `RUN` does not shrink the image. "
        "Stages that do not reach the final image are not checked."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5",
    good=(
        "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends "
        "curl=7.88.1-10+deb12u5 && rm -rf /var/lib/apt/lists/*"
    ),
    fix_safety="Safe: the lists are only read while installing; the same RUN removes them afterwards.",
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("apt",),
    each=("RUN",),
    onbuild=True,
    given=(in_image,),
)
def apt_lists_not_deleted(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if not in_image(df, inst):
        return
    commands = run_commands(df, inst)
    updates = [i for i, c in enumerate(commands) if is_apt_update(c)]
    if not updates or any(cache_mounted(s, APT_LISTS) for s in df.scripts(inst)):
        return
    last = updates[-1]
    if any(_cleans_lists(c) for c in commands[last + 1 :]):
        return
    first = commands[updates[0]]
    script = commands[last].script
    edit = append_command(df, script, LISTS_CLEANUP) if script is not None else None
    fix = Fix.safe("Remove the apt lists in the same RUN", edit) if edit else None
    yield ctx.finding(command_range(first), fix=fix, command=f"{first.name} update")


def _cleans_lists(command: Command) -> bool:
    if command.name in APT_TOOLS and command.subcommand_name in ("dist-clean", "distclean"):
        return True
    return removes_path(command, APT_LISTS)


@rule(
    code="DL3014",
    name="apt-get-missing-yes",
    severity=Severity.WARNING,
    summary="apt-get install without -y",
    message="`apt-get install` without `-y` waits for a confirmation no one can give in a build; "
    "add `-y`",
    rationale=(
        "A build has no terminal: when apt asks whether to continue, the install aborts and the "
        "build fails, or it depends on how many packages happen to be pulled in. `-y` answers "
        "yes up front."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y curl",
    fix_safety="Safe: the command installs the same packages without stopping to ask.",
    needs_instructions=("RUN",),
    needs_text=("apt-get",),
    each=("RUN",),
    onbuild=True,
)
def apt_get_missing_yes(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in apt_get_installs(df, inst):
        if command.has_flag("-y", "--yes", "--assume-yes", "--force-yes") or _quiet_two(command):
            continue
        if _option_set(command, _ASSUME_YES) or _answered(command) or _configured(df, command, _CONF_ASSUME_YES):
            continue
        edit = insert_flag(command, "-y")
        yield ctx.finding(command_range(command), fix=Fix.safe("Add `-y`", edit) if edit else None)


def _quiet_two(command: Command) -> bool:
    """`-qq` and `-q=2` imply `-y` (apt-get(8))."""
    quiet = command.flag_values("-q", "--quiet")
    return len(quiet) >= 2 or any(f.value == "2" for f in quiet)


def _answered(command: Command) -> bool:
    """`yes | apt-get install ...`: a pipe answers the prompt."""
    source = command.piped_from
    return source is not None and source.name in ("yes", "echo", "printf")


@rule(
    code="DL3015",
    name="apt-get-no-install-recommends",
    severity=Severity.INFO,
    summary="apt-get install without --no-install-recommends",
    message="`apt-get install` also pulls in recommended packages, bloating the image; add "
    "`--no-install-recommends`",
    rationale=(
        "Recommended packages are optional extras that apt installs by default. They grow the "
        "image and its attack surface without anything in the build asking for them."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl",
    fix_safety="Safe: the listed packages are still installed; only optional extras are dropped.",
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("apt-get",),
    each=("RUN",),
    onbuild=True,
)
def apt_get_no_install_recommends(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in apt_get_installs(df, inst):
        if command.has_flag("--no-install-recommends") or _option_set(command, _NO_RECOMMENDS):
            continue
        if _configured(df, command, _CONF_NO_RECOMMENDS):
            continue
        edit = insert_flag(command, "--no-install-recommends")
        fix = Fix.safe("Add `--no-install-recommends`", edit) if edit else None
        yield ctx.finding(command_range(command), fix=fix)


@rule(
    code="DL3027",
    name="apt-instead-of-apt-get",
    severity=Severity.WARNING,
    summary="apt used in a script instead of apt-get or apt-cache",
    message="`apt` is meant for people at a terminal and warns that its interface may change; "
    "use {instead}",
    rationale=(
        "`apt` is the interactive front end: its output and behaviour may change between "
        "releases and it prints a warning when used in scripts. `apt-get` and `apt-cache` have a "
        "stable command-line interface for scripts."
    ),
    bad="FROM debian:12\nRUN apt update && apt install -y curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y curl",
    fix_safety=(
        "Safe: only subcommands that `apt-get`/`apt-cache` run the same way are rewritten; "
        "`apt upgrade` (which may also install new packages) and `apt list` are left alone."
    ),
    needs_instructions=("RUN",),
    needs_text=("apt",),
    each=("RUN",),
    onbuild=True,
)
def apt_instead_of_apt_get(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("apt", inst=inst):
        if command.name != "apt":
            continue
        sub = command.subcommand_name
        tool = "apt-cache" if sub in _APT_CACHE_SAME else "apt-get"
        word = command.argv[0]
        fix = None
        if (sub in _APT_GET_SAME or sub in _APT_CACHE_SAME) and word.exact and word.raw == "apt":
            fix = Fix.safe(f"Use `{tool}`", TextEdit.replace(word.range, tool))
        known = sub in _APT_GET_SAME or sub in _APT_CACHE_SAME or sub in ("upgrade", "full-upgrade")
        instead = f"`{tool}`" if known else "`apt-get`, `apt-cache` or `dpkg-query`"
        yield ctx.finding(word.range, fix=fix, instead=instead)


@rule(
    code="DF416",
    name="apt-get-install-without-update",
    severity=Severity.INFO,
    summary="apt-get install in a RUN that does not run apt-get update first",
    message="`{command}` relies on package lists from an earlier layer (or none at all), so it "
    "can fail or install outdated versions; run `{update} &&` before it in the same `RUN`",
    rationale=(
        "Official Debian and Ubuntu images ship without package lists, and lists downloaded by an "
        "earlier `RUN` are frozen in that cached layer: an install that does not update first "
        "either fails or fetches versions the mirror may no longer have. Updating in the same "
        "`RUN` keeps the lists and the install in step."
    ),
    bad="FROM debian:12\nRUN apt-get install -y curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y curl",
    fix_safety=(
        "Safe: the same packages are installed, from fresh lists, as a clean build needs anyway."
    ),
    needs_instructions=("RUN",),
    needs_text=("apt",),
    each=("RUN",),
    onbuild=True,
)
def apt_get_install_without_update(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if any(cache_mounted(s, APT_LISTS) for s in df.scripts(inst)):
        return
    commands = run_commands(df, inst)
    for index, command in enumerate(commands):
        if command.name not in ("apt-get", "apt") or command.subcommand_name != "install":
            continue
        before = commands[:index]
        if is_apt_update(command) or any(_refreshes(c) for c in before) or runs_unknown_code(before):
            continue
        install = installs(command)
        if install is not None and install.packages and not install.named:
            continue  # only local .deb files
        yield ctx.finding(command_range(command), fix=_update_first(command), command=f"{command.name} install",
                          update=f"{command.name} update")


def _refreshes(command: Command) -> bool:
    if is_apt_update(command):
        return True
    # add-apt-repository updates the lists itself unless told not to (`-n`).
    return command.name in ("add-apt-repository", "apt-add-repository") and not command.has_flag("-n", "--no-update")


def _update_first(command: Command) -> Fix | None:
    script = command.script
    if command.nested is not None or command.negated or command.piped_from is not None or script is None:
        return None
    if script.kind not in ("run", "heredoc") or command.text is not script.text:
        return None
    first = command.assignments[0] if command.assignments else command.argv[0]
    edit = TextEdit.insert(first.range.start, f"{command.name} update && ")
    return Fix.safe(f"Run `{command.name} update` first", edit)
