"""DF125: passwordless sudo written to sudoers, or a user added to an administrators' group."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction
from docklint.model.shell import Command, ShellWord
from docklint.model.source import Range
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.written_config import written_texts

ADMIN_GROUPS = frozenset({"sudo", "wheel", "admin"})
_NOPASSWD = re.compile(r"\bNOPASSWD\s*:")


@rule(
    code="DF125",
    name="passwordless-sudo",
    severity=Severity.WARNING,
    summary="`NOPASSWD` is written to sudoers, or a user joins the sudo or wheel group",
    message="{what}, so any process running as that user can become root in the container; "
    "do root work in build steps or the entrypoint instead of shipping sudo rights",
    rationale=(
        "An unprivileged runtime user is only a barrier if it cannot become root again. "
        "`NOPASSWD` rules, and membership of `sudo`, `wheel` or `admin` (the groups sudoers "
        "grants root to), let a compromised service escalate with one command. Build steps "
        "already run as root before `USER`, and entrypoints can drop privileges with "
        "`gosu`/`su-exec`, so the running image rarely needs sudo at all."
    ),
    bad="FROM debian:12\nRUN useradd -m app && echo 'app ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/app\nUSER app",
    good="FROM debian:12\nRUN useradd -m app\nUSER app",
    history=True,
    tags=("root",),
    needs_instructions=("RUN", "COPY", "ADD"),
    needs_text=("NOPASSWD", "sudo", "wheel", "admin"),
    each=("RUN", "COPY", "ADD"),
    onbuild=True,
)
def passwordless_sudo(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    found: list[Finding] = []
    for command in df.commands(inst=inst):
        for rng, what in _sudoers_lines(command):
            found.append(ctx.finding(rng, what=what))
        group = _admin_group(command)
        if group is not None:
            word, name = group
            found.append(ctx.finding(word.range, what=f"`{command.name}` adds a user to the `{name}` group"))
    if inst.keyword in ("COPY", "ADD") and inst.heredocs:
        _sources, dest = copy_paths(inst)
        if dest is not None and "sudoers" in dest.value:
            for heredoc in inst.heredocs:
                for match in _NOPASSWD.finditer(heredoc.body.text):
                    rng = heredoc.body.range(match.start(), match.start() + len("NOPASSWD"))
                    found.append(ctx.finding(rng, what="`NOPASSWD` in sudoers lets the user run sudo without a password"))
    yield from sorted(found, key=lambda f: f.range.start)


def _sudoers_lines(command: Command) -> Iterator[tuple[Range, str]]:
    for written in written_texts(command):
        if not any("sudoers" in target for target in written.targets):
            continue
        for match in _NOPASSWD.finditer(written.text):
            start = match.start()
            yield written.range(start, start + len("NOPASSWD")), "`NOPASSWD` in sudoers lets the user run sudo without a password"


def _admin_group(command: Command) -> tuple[ShellWord, str] | None:
    """The group word when `command` puts a user into sudo, wheel or admin."""
    name = command.name
    args = command.args
    if name in ("usermod", "useradd") or (name == "adduser" and any(w.value == "-G" for w in args)):
        for index, word in enumerate(args[:-1]):
            value = word.value
            if value in ("-G", "--groups") or (value.startswith("-") and not value.startswith("--") and value.endswith("G") and len(value) <= 4):
                groups = args[index + 1]
                hit = next((g for g in groups.value.split(",") if g in ADMIN_GROUPS), None)
                if hit is not None:
                    return groups, hit
            if value.startswith("--groups="):
                hit = next((g for g in value.partition("=")[2].split(",") if g in ADMIN_GROUPS), None)
                if hit is not None:
                    return word, hit
        return None
    if name in ("adduser", "addgroup", "gpasswd"):
        operands = [w for w in args if not w.value.startswith("-")]
        if name == "gpasswd":
            if any(w.value in ("-a", "--add", "-M", "--members") for w in args) and operands and operands[-1].value in ADMIN_GROUPS:
                return operands[-1], operands[-1].value
            return None
        if len(operands) == 2 and operands[1].value in ADMIN_GROUPS:
            return operands[1], operands[1].value  # `adduser USER GROUP`, busybox `addgroup USER GROUP`
    return None
