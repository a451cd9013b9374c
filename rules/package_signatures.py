"""DF116: packages installed with their signature checks switched off."""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.command_flow import run_commands, same_path, script_mounts, verifies
from docklint.rules.tls_checks import Hit, flag_hit
from docklint.rules.written_config import written_texts

UNSIGNED_FLAGS: dict[str, tuple[str, ...]] = {
    "apt-get": ("--allow-unauthenticated", "--force-yes", "--allow-insecure-repositories"),
    "yum": ("--nogpgcheck", "--no-gpgcheck"),
    "zypper": ("--no-gpg-checks", "--no-gpgcheck", "-G"),
    "rpm": ("--nosignature", "--nodigest", "--nofiledigest", "--noverify"),
}
for _alias in ("apt", "aptitude"):
    UNSIGNED_FLAGS[_alias] = UNSIGNED_FLAGS["apt-get"]
for _alias in ("dnf", "microdnf", "tdnf"):
    UNSIGNED_FLAGS[_alias] = UNSIGNED_FLAGS["yum"]
_APT_UNSIGNED = re.compile(
    r"(?i)^(?:APT::Get::AllowUnauthenticated|Acquire::AllowInsecureRepositories|"
    r"Acquire::AllowDowngradeToInsecureRepositories)\s*=\s*\"?(?:true|1|yes)\"?;?$"
)
_SETOPT_GPG = re.compile(r"(?i)^(?:[\w.*-]+\.)?gpgcheck=(?:false|0|no|off)$")
# Written by hand: `gpgcheck=0` in a .repo file, `[trusted=yes]` in an apt source (a local
# `file:`/`copy:` repository of packages built in this build is left alone), deb822 `Trusted: yes`.
_WRITTEN = re.compile(
    r"(?im)^[ \t]*gpgcheck[ \t]*=[ \t]*(?:0|false|no|off)[ \t]*$|"
    r"\[[^\]\n]*\b(?:trusted|allow-insecure)=yes\b[^\]\n]*\](?P<uri>[ \t]+\S+)?|"
    r"^[ \t]*Trusted:[ \t]*yes[ \t]*$|APT::Get::AllowUnauthenticated[ \t]+\"?(?:true|1)\"?;?"
)
_CONFIG_FILES = (".repo", "yum.conf", "dnf.conf", "zypp", "sources.list", ".list", ".sources", "apt.conf")
_LOCAL_URI = re.compile(r"^\s*(?:file|copy|cdrom):")
_APK_INSTALLING = frozenset({"add", "fix", "upgrade", "del"})


@rule(
    code="DF116",
    name="package-signature-check-disabled",
    severity=Severity.ERROR,
    summary="Packages are installed with their signature checks switched off",
    message="`{setting}` lets {tool} install packages nobody signed, so a tampered mirror or "
    "download goes unnoticed; import the repository's key instead",
    rationale=(
        "Package signatures are what ties a package to its publisher; mirrors, proxies and "
        "plain-http transports are only safe because they are checked. apk `--allow-untrusted`, "
        "apt `--allow-unauthenticated`/`--force-yes`/`[trusted=yes]`, yum/dnf `--nogpgcheck` or "
        "`gpgcheck=0`, and rpm `--nosignature` install whatever arrives. Locally built packages "
        "(a `file:` apt source, apk packages from another stage or checked with `gpg --verify`) "
        "are not reported."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y --allow-unauthenticated curl",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y curl",
    fix_safety="Unsafe: installing a package that really is unsigned fails until its key is imported.",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("apk", "apt", "yum", "dnf", "zypp", "rpm", ".repo", ".list", ".sources"),
    each=("RUN",),
    onbuild=True,
)
def package_signature_check_disabled(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(inst=inst):
        for hit in _unsigned(df, command):
            fix = Fix.unsafe(f"Remove `{hit.setting}`", hit.edit) if hit.edit is not None else None
            yield ctx.finding(hit.range, fix=fix, setting=hit.setting, tool=hit.tool)


def _unsigned(df: Dockerfile, command: Command) -> Iterator[Hit]:
    tool = command.tool
    if tool == "apk":
        if command.subcommand_name in _APK_INSTALLING and not _vouched(df, command):
            for flag in command.flag_values("--allow-untrusted"):
                yield flag_hit(df, command, flag, "apk")
    elif tool in UNSIGNED_FLAGS:
        for flag in command.flag_values(*UNSIGNED_FLAGS[tool]):
            if tool == "zypper" and flag.name == "-G" and command.subcommand_name not in ("ar", "addrepo"):
                continue
            yield flag_hit(df, command, flag, tool)
    if tool in ("apt-get", "apt", "aptitude"):
        for flag in command.flag_values("-o", "--option"):
            if flag.value is not None and _APT_UNSIGNED.match(flag.value):
                yield flag_hit(df, command, flag, "apt")
    elif tool in ("yum", "dnf", "microdnf", "tdnf"):
        for flag in command.flag_values("--setopt"):
            if flag.value is not None and _SETOPT_GPG.match(flag.value):
                yield flag_hit(df, command, flag, tool)
    elif command.name in ("add-apt-repository", "apt-add-repository"):
        for word in command.positionals():
            match = _WRITTEN.search(word.value)
            if match is not None and not _LOCAL_URI.match(match.group("uri") or ""):
                yield Hit(word.range, match.group().strip(), "apt")
    for written in written_texts(command):
        if not any(name in target for target in written.targets for name in _CONFIG_FILES):
            continue
        for match in _WRITTEN.finditer(written.text):
            if match.group("uri") and _LOCAL_URI.match(match.group("uri")):
                continue  # a repository of packages built right here
            text = match.group().strip()
            if match.group("uri"):
                text = text[: text.index("]") + 1]
            start = match.start() + match.group().index(text)
            yield Hit(written.range(start, start + len(text)), text, "apt" if "yes" in text.lower() else "yum/dnf")


def _vouched(df: Dockerfile, command: Command) -> bool:
    """Whether every package file apk installs was built in this build or checked by signature."""
    files = [w.value for w in command.operands() if "/" in w.value or w.value.endswith(".apk")]
    if not files or len(files) != len(command.operands()):
        return False
    inst = command.instruction
    if inst is None:
        return False
    built = [m.target for m in script_mounts(df, inst) if m.type == "bind" and m.from_ and m.target]
    built.extend(_copied_from_stages(df, inst))
    checked = _checked_files(df, inst)
    for path in files:
        inside = any(path.startswith(root.rstrip("/") + "/") for root in built)
        if not inside and not any(same_path(path, other) for other in checked):
            return False
    return True


def _copied_from_stages(df: Dockerfile, inst: Instruction) -> list[str]:
    """Destinations of `COPY --from=<stage>` before `inst` in its stage."""
    stage = df.stage_of(inst.parent or inst)
    found: list[str] = []
    if stage is None:
        return found
    for other in stage.instructions:
        if other.index >= (inst.parent or inst).index:
            break
        if other.keyword == "COPY" and other.flag("from") is not None:
            _sources, dest = copy_paths(other)
            if dest is not None:
                found.append(dest.value if dest.value.endswith("/") else posixpath.dirname(dest.value) or dest.value)
    return found


def _checked_files(df: Dockerfile, inst: Instruction) -> list[str]:
    """Words of checksum and signature commands in `inst` and the RUNs before it in its stage."""
    target = inst.parent or inst
    stage = df.stage_of(target)
    words: list[str] = []
    for other in stage.instructions if stage is not None else ():
        if other.keyword == "RUN" and other.index <= target.index:
            words.extend(w.value for c in run_commands(df, other) if verifies(c) for w in c.args)
    return words
