"""Rules about privileges granted inside the image: SSH servers, world-writable files, setuid and
file capabilities, and passwordless sudo.

Installs count only in stages that end up in the image (the final stage and the stages it
builds on); permission changes and sudo rules count everywhere a RUN or COPY makes them.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths, exec_words
from docklint.model.nodes import Instruction
from docklint.model.packages import installs
from docklint.model.shell import Command, ShellWord
from docklint.model.source import Range
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.run_edits import in_image

# Packages that install an SSH daemon, per package family (Alpine's and openSUSE's `openssh`
# and Debian's `ssh` are metapackages that pull in the server).
SSH_SERVERS: dict[str, frozenset[str]] = {
    "apt": frozenset({"openssh-server", "ssh", "dropbear", "dropbear-bin", "dropbear-run", "tinysshd", "lsh-server"}),
    "apk": frozenset({"openssh-server", "openssh", "dropbear", "openssh-server-pam"}),
    "rpm": frozenset({"openssh-server", "dropbear"}),
    "zypper": frozenset({"openssh-server", "openssh", "dropbear"}),
}
_OS_MANAGERS = frozenset({"apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "tdnf", "zypper"})
_SSHD_START = re.compile(r"(?<![\w.-])(?:/usr/sbin/|/usr/bin/|/sbin/)?(?:sshd|dropbear)(?![\w.-])|\bservice\s+sshd?\s+start\b|"
                         r"/etc/init\.d/sshd?\s+start\b|\brc-service\s+sshd\s+start\b")  # fmt: skip


def in_final_stage(df: Dockerfile, inst: Instruction) -> bool:
    """Whether `inst` (or the ONBUILD holding it) is in the final stage: a fact DF122 is given,
    since a later FROM changes it."""
    return 0 <= (inst.parent or inst).stage_index == len(df.stages) - 1


@rule(
    code="DF122",
    name="ssh-server-installed",
    severity=Severity.WARNING,
    summary="An SSH server is installed in the image or started by CMD/ENTRYPOINT",
    message="{what}, which adds a remote login service and host keys to the image; use "
    "`docker exec` to get a shell, and install only the SSH client if git or scp need one",
    rationale=(
        "An SSH daemon in a container is one more network service to patch, with keys and "
        "passwords to manage, and it bypasses the runtime's access control and logging. "
        "`docker exec`/`kubectl exec` give a shell without it. Alpine's and openSUSE's "
        "`openssh` and Debian's `ssh` packages are metapackages that include the server; "
        "`openssh-client` is enough for git over SSH."
    ),
    bad="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends openssh-server",
    good="FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends openssh-client",
    history=True,
    tags=("port",),
    needs_instructions=("RUN", "CMD", "ENTRYPOINT"),
    needs_text=("apt", "apk", "yum", "dnf", "zypper", "ssh", "dropbear"),
    each=("RUN", "CMD", "ENTRYPOINT"),
    onbuild=True,
    given=(in_image, in_final_stage),
)
def ssh_server_installed(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if inst.keyword != "RUN":
        if inst.parent is None and in_final_stage(df, inst):
            rng = _sshd_start(inst)
            if rng is not None:
                yield ctx.finding(rng, what=f"`{inst.keyword}` starts an SSH server")
        return
    if not in_image(df, inst):
        return
    found: list[Finding] = []
    for command in df.commands(_OS_MANAGERS, inst=inst):
        install = installs(command)
        if install is None or install.family not in SSH_SERVERS:
            continue
        for spec in install.named:
            if spec.name.lower() in SSH_SERVERS[install.family]:
                what = f"`{spec.name}` installs an SSH server"
                if spec.name.lower() in ("openssh", "ssh"):
                    what = f"`{spec.name}` installs an SSH server along with the client"
                found.append(ctx.finding(spec.range, what=what))
    yield from sorted(found, key=lambda f: f.range.start)


def _sshd_start(inst: Instruction) -> Range | None:
    if inst.json_args is not None:
        for word in exec_words(inst):
            if _SSHD_START.search(word.value):
                return word.range
        return None
    match = _SSHD_START.search(inst.args.text)
    return inst.args.range(match.start(), match.end()) if match else None


# -- modes -------------------------------------------------------------------------------------

_OCTAL = re.compile(r"^0?([0-7]?)([0-7])([0-7])([0-7])$")
_CLAUSE = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*)$")


@dataclass(frozen=True, slots=True)
class Mode:
    """What a chmod-style mode grants: world write, sticky, setuid, setgid."""

    world_write: bool = False
    sticky: bool = False
    setuid: bool = False
    setgid: bool = False


def read_mode(text: str) -> Mode | None:
    """Read an octal (`4755`, `0777`) or symbolic (`u+s,o+w`) mode; None when it is neither."""
    match = _OCTAL.match(text)
    if match is not None:
        special = int(match.group(1) or "0")
        others = int(match.group(4))
        return Mode(bool(others & 2), bool(special & 1), bool(special & 4), bool(special & 2))
    world = sticky = setuid = setgid = False
    for clause in text.split(","):
        found = _CLAUSE.match(clause)
        if found is None:
            return None
        who, op, perms = found.groups()
        if op == "-":
            continue
        world = world or ("w" in perms and ("o" in who or "a" in who))
        sticky = sticky or ("t" in perms and (not who or "o" in who or "a" in who))
        setuid = setuid or ("s" in perms and (not who or "u" in who or "a" in who))
        setgid = setgid or ("s" in perms and (not who or "g" in who or "a" in who))
    return Mode(world, sticky, setuid, setgid)


@dataclass(frozen=True, slots=True)
class ModeChange:
    """A mode given to paths: by chmod, `mkdir -m`, `install -m` or `COPY --chmod`."""

    mode: Mode
    text: str
    range: Range
    paths: tuple[str, ...]
    directories: bool  # the paths are known to be directories
    command: str


def mode_changes(df: Dockerfile, inst: Instruction) -> Iterator[ModeChange]:
    """The mode changes of one instruction: its RUN commands', or a COPY/ADD `--chmod`, in order."""
    found: list[ModeChange] = []
    for command in df.commands({"chmod", "mkdir", "install"}, inst=inst):
        change = _command_mode(command)
        if change is not None:
            found.append(change)
    flag = inst.flag("chmod") if inst.keyword in ("COPY", "ADD") else None
    if flag is not None and flag.value and flag.value_range is not None:
        mode = read_mode(flag.value)
        if mode is not None:
            _sources, dest = copy_paths(inst)
            paths = (dest.value,) if dest is not None else ()
            found.append(ModeChange(mode, flag.value, flag.value_range, paths, False, inst.keyword))
    yield from sorted(found, key=lambda c: c.range.start)


def _command_mode(command: Command) -> ModeChange | None:
    name = command.name
    if name == "chmod":
        operands = command.positionals()
        if len(operands) < 2:
            return None
        word, paths, text = operands[0], operands[1:], operands[0].value
        directories = command.has_flag("-R", "--recursive") or _under_find_dirs(command)
    else:
        found = _mode_option(command)
        if found is None:
            return None
        word, text = found
        paths = tuple(w for w in command.positionals() if w is not word)
        directories = name == "mkdir" or command.has_flag("-d", "--directory")
    mode = read_mode(text)
    if mode is None or word.has_expansion:
        return None
    values = tuple(p.value for p in paths)
    if values and all(_removed_later(command, v) for v in values):
        return None  # a scratch directory deleted before the layer is saved
    directories = directories or (bool(values) and all(v.endswith("/") for v in values)) or _made_here(command, values)
    return ModeChange(mode, text, word.range, values, directories, name)


def _mode_option(command: Command) -> tuple[ShellWord, str] | None:
    """The word and text of `-m MODE`, `-mMODE` or `--mode=MODE` (mkdir and install)."""
    args = command.args
    for index, word in enumerate(args):
        value = word.value
        if value in ("-m", "--mode") and index + 1 < len(args):
            return args[index + 1], args[index + 1].value
        if value.startswith("--mode="):
            return word, value.partition("=")[2]
        if value.startswith("-m") and len(value) > 2 and not value.startswith("--"):
            return word, value[2:]
    return None


def _under_find_dirs(command: Command) -> bool:
    parent = command.parent
    if parent is None or command.nested != "find -exec":
        return False
    args = [w.value for w in parent.args]
    return any(args[i] == "-type" and i + 1 < len(args) and args[i + 1] == "d" for i in range(len(args)))


def _made_here(command: Command, paths: tuple[str, ...]) -> bool:
    """Whether every path was created by `mkdir` earlier in the same script."""
    script = command.script
    if script is None or not paths:
        return False
    made: set[str] = set()
    for other in script.commands[: command.index]:
        if other.name == "mkdir":
            made.update(posixpath.normpath(w.value) for w in other.positionals())
    return all(posixpath.normpath(p) in made for p in paths)


def _removed_later(command: Command, path: str) -> bool:
    """Whether `rm` deletes the path (or a folder holding it) later in the same script."""
    script = command.script
    if script is None:
        return False
    target = posixpath.normpath(path)
    for other in script.commands[command.index + 1 :]:
        if other.name == "rm":
            for word in other.positionals():
                root = posixpath.normpath(word.value)
                if target == root or target.startswith(root.rstrip("/") + "/"):
                    return True
    return False


def _program_path(paths: tuple[str, ...]) -> bool:
    """Whether a path sits in a folder of programs (setgid there is not a shared-folder idiom)."""
    return any(posixpath.basename(posixpath.dirname(p.rstrip("/"))) in ("bin", "sbin", "libexec") for p in paths)


def _where(change: ModeChange) -> str:
    if change.command in ("COPY", "ADD") and change.paths:
        return f"the files copied to `{change.paths[0]}`"
    return _paths_text(change.paths)


def _paths_text(paths: tuple[str, ...]) -> str:
    if not paths:
        return "the files"
    return f"`{paths[0]}`" + (" and more" if len(paths) > 1 else "")


@rule(
    code="DF123",
    name="world-writable-permissions",
    severity=Severity.WARNING,
    summary="`chmod 777`, `o+w` or `--chmod` makes files writable by every user",
    message="`{mode}` makes {where} writable by every user, so any process in the container can "
    "change it; give write access to the owning user or group instead (`chown` plus `775`/`664`)",
    rationale=(
        "World-writable files let any user in the container, including a compromised "
        "unprivileged service, replace programs, configuration or data that other processes "
        "trust. Directories shared by design, like `/tmp`, carry the sticky bit (`1777`), which "
        "stops users from removing each other's files; those are not reported."
    ),
    bad="FROM debian:12\nRUN mkdir -p /app/data && chmod -R 777 /app",
    good="FROM debian:12\nRUN mkdir -p /app/data && chown -R 10001:10001 /app/data && chmod 750 /app/data",
    history=True,
    needs_instructions=("RUN", "COPY", "ADD"),
    needs_text=("hm", "hM", "Hm", "HM", "mkdir", "install"),  # `chmod`, and COPY `--chmod` read in any case
    each=("RUN", "COPY", "ADD"),
    onbuild=True,
)
def world_writable_permissions(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for change in mode_changes(df, inst):
        if change.mode.world_write and not change.mode.sticky:
            yield ctx.finding(change.range, mode=_mode_text(change), where=_where(change))


def _mode_text(change: ModeChange) -> str:
    if change.command == "chmod":
        return f"chmod {change.text}"
    if change.command in ("mkdir", "install"):
        return f"{change.command} -m {change.text}"
    return f"--chmod={change.text}"


# -- DF124: setuid, setgid and file capabilities ---------------------------------------------


@rule(
    code="DF124",
    name="privileged-file-mode",
    severity=Severity.WARNING,
    summary="A setuid or setgid bit (`chmod u+s`, `4755`) or file capabilities (`setcap`) are granted",
    message="`{what}` {effect} {where}, a path to privilege escalation for any user who can run it; "
    "{instead}",
    rationale=(
        "A setuid-root program runs as root whoever starts it, and file capabilities grant "
        "kernel privileges the same way: a bug in such a program hands its powers to an "
        "unprivileged user. Containers can get the few privileges they need at run time "
        "(`--cap-add`, `securityContext`), or avoid them (a port above 1024). Setgid on a "
        "directory only makes new files inherit its group, so setgid is reported only on files in "
        "`bin`, `sbin` or `libexec` folders."
    ),
    bad="FROM debian:12\nRUN chmod u+s /usr/local/bin/helper",
    good="FROM debian:12\nRUN chmod 0755 /usr/local/bin/helper",
    history=True,
    tags=("root",),
    needs_instructions=("RUN", "COPY", "ADD"),
    needs_text=("hm", "hM", "Hm", "HM", "mkdir", "install", "setcap"),  # as DF123, and `setcap`
    each=("RUN", "COPY", "ADD"),
    onbuild=True,
)
def privileged_file_mode(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    found: list[Finding] = []
    for change in mode_changes(df, inst):
        mode = change.mode
        if mode.setuid or (mode.setgid and not change.directories and _program_path(change.paths)):
            bit = "setuid" if mode.setuid else "setgid"
            owner = "owner" if mode.setuid else "group"
            found.append(ctx.finding(change.range, what=_mode_text(change), effect=f"sets the {bit} bit on",
                                     where=_where(change), instead=f"drop the bit, or grant what the program needs when the container starts (it runs as the file's {owner})"))  # fmt: skip
    for command in df.commands("setcap", inst=inst):
        grant = _capability_grant(command)
        if grant is not None:
            word, paths = grant
            found.append(ctx.finding(word.range, what=f"setcap {word.value}", effect="grants file capabilities to",
                                     where=_paths_text(paths), instead="add the capability at run time (`--cap-add`) instead"))  # fmt: skip
    yield from sorted(found, key=lambda f: f.range.start)


def _capability_grant(command: Command) -> tuple[ShellWord, tuple[str, ...]] | None:
    """The capability word of `setcap CAPS FILE...` that adds capabilities (not `-r`, not `-v`)."""
    if command.has_flag("-r", "-v"):
        return None
    operands = [w for w in command.positionals() if w.value != "-q"]
    if len(operands) < 2 or not re.search(r"[+=][eip]+", operands[0].value):
        return None
    return operands[0], tuple(w.value for w in operands[1:])
