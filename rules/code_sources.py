"""Where a build's code and trust come from: repository keys added with apt-key or fetched by a
short GPG key ID (DF210), and git clones that follow a moving branch (DF211)."""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.shell import Command, ShellWord
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.package_common import variable_value
from docklint.rules.run_edits import command_range

# -- DF210 ----------------------------------------------------------------------------------

_KEY_ID = re.compile(r"(?:0x)?([0-9A-Fa-f]{8}|[0-9A-Fa-f]{16})")
_RECV_FLAGS = frozenset({"--recv-keys", "--recv-key", "--recv", "--receive-keys"})
_GLOBAL_KEYRINGS = ("/etc/apt/trusted.gpg",)
_GPG_MESSAGE = (
    "`{key}` names the key by a short ID ({digits} hex digits), which a forged key can share; "
    "receive it by its full 40-character fingerprint"
)


@rule(
    code="DF210",
    name="apt-key-used",
    severity=Severity.WARNING,
    summary="apt-key adds a repository key, or a key is fetched by a short ID",
    message="{action} puts the key in apt's global keyring, trusting it for every repository, and "
    "`apt-key` is deprecated; save the key{short} under `/etc/apt/keyrings/` and name it with "
    "`signed-by=` in the source entry",
    rationale=(
        "`apt-key add` and `apt-key adv --recv-keys` add keys to `/etc/apt/trusted.gpg(.d)`, "
        "where apt accepts them for every repository: a key meant for one vendor's repository "
        "can then sign packages that replace Debian's. `apt-key` is deprecated and gone from "
        "current apt. A key stored in its own keyring and referenced with `signed-by=` is "
        "trusted only for its repository. Keys fetched from a keyserver by an 8- or 16-digit ID "
        "(with `apt-key adv` or `gpg --recv-keys`) can be impersonated by a key with a colliding "
        "ID; use the full fingerprint."
    ),
    bad="FROM debian:12\nRUN curl -fsSL https://example.com/key.asc | apt-key add -",
    good=(
        "FROM debian:12\nRUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o "
        "/etc/apt/keyrings/example.gpg && echo 'deb [signed-by=/etc/apt/keyrings/example.gpg] "
        "https://example.com/apt stable main' > /etc/apt/sources.list.d/example.list"
    ),
    history=True,
    needs_instructions=("RUN",),
    needs_text=("apt-key", "gpg"),
    each=("RUN",),
    onbuild=True,
)
def apt_key_used(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(("apt-key", "gpg", "gpg2"), inst=inst):
        if command.name == "apt-key":
            finding = _apt_key(ctx, df, command)
            if finding is not None:
                yield finding
        elif command.name in ("gpg", "gpg2"):
            for word, key in _short_keys(df, command):
                yield ctx.finding(word.range, message=_GPG_MESSAGE, key=key, digits=len(key.removeprefix("0x")))


def _apt_key(ctx: Context, df: Dockerfile, command: Command) -> Finding | None:
    sub = command.subcommand_name
    if sub not in ("add", "adv"):
        return None
    if sub == "adv" and not any(w.value in _RECV_FLAGS or w.value in ("--import", "--fetch-keys") for w in command.args):
        return None
    keyring = command.flag_value("--keyring")
    if keyring is not None and not keyring.startswith(_GLOBAL_KEYRINGS):
        return None  # a keyring of its own (used with signed-by=): only the deprecation remains
    short = _short_keys(df, command)
    detail = f" (fetched by its full fingerprint, not the short ID `{short[0][1]}`)" if short else ""
    return ctx.finding(command_range(command), action=f"`apt-key {sub}`", short=detail)


def _short_keys(df: Dockerfile, command: Command) -> list[tuple[ShellWord, str]]:
    """Key IDs after `--recv-keys` that are not full fingerprints, variables resolved."""
    starts = [w.offset for w in command.args if w.value in _RECV_FLAGS]
    if not starts:
        return []
    found: list[tuple[ShellWord, str]] = []
    for word in command.positionals():
        if word.offset < starts[0]:
            continue
        for key in _key_values(df, command, word):
            if _KEY_ID.fullmatch(key):
                found.append((word, key))
                break
    return found


_REF = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


def _key_values(df: Dockerfile, command: Command, word: ShellWord) -> list[str]:
    if not word.has_expansion:
        return [word.value]
    ref = _REF.fullmatch(word.value)
    if ref is None:
        return []
    name = ref.group(1) or ref.group(2)
    loops = list(re.finditer(rf"\bfor\s+{name}\s+in\s+([^;]*?)\s*;?\s*do\b", command.text.text[: command.start], re.S))
    if loops:
        loop = loops[-1]
        items = loop.group(1).replace("\\\n", " ").split()
        if len(items) == 1 and _REF.fullmatch(items[0].strip('"')):
            inner = _REF.fullmatch(items[0].strip('"'))
            assert inner is not None
            value = variable_value(df, command, inner.group(1) or inner.group(2))
            return value.split() if value else []
        return [] if any("$" in item for item in items) else items
    value = variable_value(df, command, name)
    return value.split() if value else []


# -- DF211 ----------------------------------------------------------------------------------

# Branch names that move; any other ref with a digit in it reads as a tag (`v1.2.3`, `jdk-21+35`).
_MOVING_REFS = frozenset(
    "master main trunk develop development dev devel stable head latest next nightly edge unstable "
    "testing release beta alpha canary default gh-pages".split()
)
_COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")


@rule(
    code="DF211",
    name="git-clone-unpinned",
    severity=Severity.INFO,
    summary="git clone without checking out a fixed tag or commit",
    message="`{repo}` is cloned at {where}, which moves, so a rebuild may build different code; "
    "clone a tag (`--branch <tag>`) or check out a commit after cloning",
    rationale=(
        "A clone takes whatever the default branch (or the named branch) holds on the day of the "
        "build: two builds of the same Dockerfile can compile different code, and a compromised "
        "upstream lands silently. Cloning a tag or checking out a commit (`git checkout`, "
        "`git reset --hard`, `git fetch <sha>`, in the same or a later RUN) makes the input "
        "fixed. Refs that come from a build argument with no known value are taken as pinned."
    ),
    bad="FROM debian:12\nRUN git clone https://github.com/madler/zlib.git /src/zlib",
    good="FROM debian:12\nRUN git clone --depth 1 --branch v1.3.1 https://github.com/madler/zlib.git /src/zlib",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("git",),
)
def git_clone_unpinned(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    commands = list(df.commands("git"))
    for index, command in enumerate(commands):
        if command.name != "git" or command.subcommand_name != "clone" or command.has_flag("--bare", "--mirror", "--revision"):
            continue
        operands = command.operands()
        if not operands or not _remote(operands[0].value):
            continue
        repo = operands[0]
        branch = command.flag("-b", "--branch")
        if branch is not None and branch.value is not None:
            word = branch.value_word or branch.word
            if _fixed(df, command, word, branch.value):
                continue
        if _checked_out_later(df, command, commands[index + 1 :]):
            continue
        if branch is not None and branch.value is not None:
            yield ctx.finding((branch.value_word or branch.word).range, repo=_short_repo(repo.value), where=f"branch `{branch.value}`")
        else:
            yield ctx.finding(repo.range, repo=_short_repo(repo.value), where="its default branch")


def _remote(value: str) -> bool:
    return "://" in value or value.startswith("git@") or re.match(r"^[\w.-]+@[\w.-]+:", value) is not None


def _short_repo(url: str) -> str:
    return url.split("://", 1)[-1].split("@", 1)[-1].removesuffix(".git")


def _fixed(df: Dockerfile, command: Command, word: ShellWord, ref: str) -> bool:
    """A tag- or commit-looking ref, or one from a variable with no known value."""
    if "$" in ref:
        found = _REF.fullmatch(ref) if word.has_expansion else None
        value = variable_value(df, command, found.group(1) or found.group(2)) if found else None
        if value is None or "$" in value:
            return True
        ref = value
    ref = ref.removeprefix("refs/tags/").removeprefix("tags/")
    lowered = ref.lower().removeprefix("origin/").removeprefix("refs/heads/")
    if _COMMIT.fullmatch(ref):
        return True
    if lowered in _MOVING_REFS or lowered.endswith((".x", "-stable", "_stable", "-dev", "-branch", "-latest")):
        return False
    if lowered.startswith(("release/", "releases/", "feature/", "dev/", "origin/", "refs/heads/")):
        return False
    return any(ch.isdigit() for ch in ref)


def _checked_out_later(df: Dockerfile, clone: Command, later: list[Command]) -> bool:
    """A checkout of a fixed ref before the next clone, in the same stage."""
    inst = clone.instruction
    stage = inst.stage_index if inst is not None else None
    for command in later:
        if command.instruction is None or command.instruction.stage_index != stage or command.name != "git":
            continue
        sub = command.subcommand_name
        if sub == "clone":
            return False
        operands = command.operands()
        if sub == "checkout" or sub == "switch" and command.has_flag("--detach", "-d"):
            refs = tuple(w for w in operands if w.value != "--")[:1]
        elif sub == "reset" and command.has_flag("--hard"):
            refs = operands[:1]
        elif sub == "fetch" and len(operands) >= 2:
            refs = operands[1:2]
        else:
            continue
        if refs and refs[0].value != "FETCH_HEAD" and _fixed(df, command, refs[0], refs[0].value):
            return True
    return False
