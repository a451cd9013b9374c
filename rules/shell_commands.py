"""Rules about what RUN scripts call: `cd`, `sudo`, `ln ... /bin/sh`, tools that make no sense
in a build, `useradd` with a huge UID, chatty `wget`, wget and curl side by side, and archives
copied in only to be unpacked.

Every rule reads the shell analysis (`Dockerfile.commands`): commands reached through `sh -c`,
`sudo`, `$(...)`, heredoc bodies and ONBUILD are seen too, and findings point at the command.
"""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, copy_paths
from docklint.model.nodes import Instruction, Word
from docklint.model.shell import Command, ShellWord
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.instructions import is_archive, is_url

# hadolint's DL3001 list, plus `ifconfig`, which its message names.
POINTLESS = frozenset("free ifconfig kill mount ps service shutdown ssh top vim".split())
SHELL_LINKS = frozenset({"/bin/sh", "/usr/bin/sh"})
# Programs that unpack an archive named on their command line (hadolint's DL3010 list).
UNPACKERS = frozenset("unzip gunzip bunzip2 unlzma unxz zgz uncompress zcat gzcat".split())


@rule(
    code="DL3001",
    name="pointless-command",
    severity=Severity.INFO,
    summary="RUN calls a program that makes no sense during a build",
    message="`{command}` in `RUN` acts on a throwaway build container (no services, terminal "
    "or network setup survive the step); do it when the container runs, or drop it",
    rationale=(
        "Each RUN step runs in a short-lived container whose processes, mounts and sessions end "
        "with the step. Interactive or system-management programs (`ssh`, `vim`, `service`, "
        "`ps`, `top`, `kill`, `mount`, `shutdown`, `free`, `ifconfig`) therefore change nothing "
        "in the image, or hide that the real work belongs in the container's start-up."
    ),
    bad="FROM debian:12\nRUN service nginx start",
    good='FROM debian:12\nCMD ["nginx", "-g", "daemon off;"]',
    needs_instructions=("RUN",),
    needs_text=("free", "ifconfig", "kill", "mount", "ps", "service", "shutdown", "ssh", "top", "vim"),
    each=("RUN",),
    onbuild=True,
)
def pointless_command(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(POINTLESS, inst=inst):
        if command.name in POINTLESS:
            yield ctx.finding(command.range, command=command.name)


@rule(
    code="DL3003",
    name="cd-instead-of-workdir",
    severity=Severity.WARNING,
    summary="RUN changes directory with cd",
    message="`cd` only lasts until the end of this `RUN`, which makes later steps easy to misread; "
    "set the directory with `WORKDIR`",
    rationale=(
        "A `cd` inside RUN affects that one step only; the next instruction starts again in the "
        "WORKDIR. Scripts that hop around with `cd` hide where files land. `WORKDIR` states the "
        "directory once, creates it if needed, and applies to every later instruction."
    ),
    bad="FROM debian:12\nRUN cd /usr/src/app && make",
    good="FROM debian:12\nWORKDIR /usr/src/app\nRUN make",
    needs_instructions=("RUN",),
    # `cd`, and PowerShell/cmd names in any case: `sl`, `chDir`/`pusHd` (hd), `Set-Location` (t-l).
    needs_text=("cd", "Cd", "cD", "CD", "sl", "Sl", "sL", "SL", "hd", "Hd", "hD", "HD", "t-l", "t-L", "T-l", "T-L"),
    each=("RUN",),
    onbuild=True,
)
def cd_instead_of_workdir(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for script in df.scripts(inst):
        if script.shell in ("powershell", "cmd"):
            for start, end in windows_statements(script.text.text, WINDOWS_CD):
                yield ctx.finding(script.text.range(start, end))
        for command in script.commands:
            if command.name == "cd":
                yield ctx.finding(command.range)


# Directory changes in PowerShell (`cd`, `sl` and `chdir` are aliases of Set-Location) and cmd.
WINDOWS_CD = frozenset({"cd", "chdir", "set-location", "sl", "pushd"})
_WINDOWS_SEPARATORS = re.compile(r"&&|\|\||[;|&\n{}()]")


def windows_statements(text: str, names: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Spans of PowerShell/cmd statements whose first word is one of `names` (lower case).

    A light split, not a parser: statements end at `;`, `|`, `&`, `&&`, `||`, newlines and
    braces or parentheses outside quotes; that is enough to find a leading `cd`.
    """
    start = i = 0
    quote = ""
    while i <= len(text):
        separator = _WINDOWS_SEPARATORS.match(text, i) if i < len(text) and not quote else None
        if i == len(text) or separator is not None:
            piece = text[start:i]
            words = piece.split(None, 1)
            if words and words[0].lower() in names:
                offset = start + len(piece) - len(piece.lstrip())
                yield offset, offset + len(piece.strip())
            i = start = separator.end() if separator is not None else i + 1
            continue
        if quote:
            quote = "" if text[i] == quote else quote
        elif text[i] in "'\"":
            quote = text[i]
        i += 1


@rule(
    code="DL3004",
    name="sudo-in-run",
    severity=Severity.ERROR,
    summary="RUN uses sudo",
    message="`sudo` in a build step has unpredictable TTY and environment behaviour, and build "
    "steps already run as the `USER` in effect; switch with `USER`, or use `gosu`/`su-exec` at run time",
    rationale=(
        "Build steps run as whatever `USER` says, so `sudo` is either useless (already root) or "
        "a sign that an unprivileged user was given passwordless root. sudo also needs a TTY "
        "and resets the environment in ways that differ between distributions. Change user with "
        "`USER`, and use `gosu` or `su-exec` when an entrypoint must drop privileges."
    ),
    bad="FROM debian:12\nUSER app\nRUN sudo apt-get update",
    good="FROM debian:12\nUSER root\nRUN apt-get update\nUSER app",
    history=True,
    tags=("root",),
    needs_instructions=("RUN",),
    needs_text=("sudo",),
    each=("RUN",),
    onbuild=True,
)
def sudo_in_run(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("sudo", inst=inst):
        if command.name == "sudo":
            yield ctx.finding(command.argv[0].range)


@rule(
    code="DL4005",
    name="ln-bin-sh-instead-of-shell",
    severity=Severity.WARNING,
    summary="RUN replaces /bin/sh with a link",
    message="linking `{link}` swaps the shell behind every later `RUN` without saying so; "
    "choose the shell with `SHELL [\"/bin/bash\", \"-c\"]`",
    rationale=(
        "Replacing `/bin/sh` changes how every later RUN, CMD and ENTRYPOINT in shell form is "
        "interpreted, and the change is buried in a script. The `SHELL` instruction selects the "
        "shell for the rest of the stage explicitly, and leaves the image's `/bin/sh` intact."
    ),
    bad="FROM debian:12\nRUN ln -sf /bin/bash /bin/sh",
    good='FROM debian:12\nSHELL ["/bin/bash", "-c"]',
    needs_instructions=("RUN",),
    needs_text=("ln",),
    each=("RUN",),
    onbuild=True,
)
def ln_bin_sh_instead_of_shell(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("ln", inst=inst):
        if command.name != "ln" or (command.script is not None and command.script.kind == "exec" and command.nested is None):
            continue  # exec form: the image has no shell yet, so the link creates /bin/sh, not swaps it
        operands = command.positionals()
        if len(operands) >= 2 and operands[-1].value.rstrip("/") in SHELL_LINKS:
            yield ctx.finding(command.range, link=operands[-1].value)


def _resolved_uid(df: Dockerfile, command: Command, value: str) -> str | None:
    """The UID text with build variables expanded, or None when it cannot be known here."""
    if "$" not in value:
        return value
    assert command.instruction is not None
    expanded, resolved = df.expand(command.instruction, value)
    return expanded if resolved and "$" not in expanded else None


def _insert_after_name(command: Command, text: str, title: str) -> Fix | None:
    """A fix inserting `text` right after the command's name (`wget` -> `wget -nv`)."""
    name = command.argv[0]
    if not name.exact:
        return None
    return Fix.safe(title, TextEdit.insert(name.range.end, text))


@rule(
    code="DL3046",
    name="useradd-without-no-log-init",
    severity=Severity.WARNING,
    summary="useradd with a high UID and without -l",
    message="`useradd` with UID `{uid}` and no `-l` writes sparse lastlog/faillog files sized by "
    "the UID, which bloat the layer; add `-l` (`--no-log-init`)",
    rationale=(
        "`useradd` reserves an entry for the new UID in `/var/log/lastlog` and "
        "`/var/log/faillog`. Both files are indexed by UID, so a UID such as 100000 makes them "
        "tens of megabytes. The holes are sparse on disk, but image layers store them in full. "
        "`-l` skips those databases, which a container never needs."
    ),
    bad="FROM debian:12\nRUN useradd -u 123456 app",
    good="FROM debian:12\nRUN useradd -l -u 123456 app",
    fix_safety="Safe: the user is created the same way; only its lastlog and faillog entries "
    "are skipped.",
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("useradd",),
    each=("RUN",),
    onbuild=True,
)
def useradd_without_no_log_init(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("useradd", inst=inst):
        if command.name != "useradd" or command.has_flag("-l", "--no-log-init"):
            continue
        value = command.flag_value("-u", "--uid")
        uid = _resolved_uid(df, command, value) if value else None
        if uid is None or len(uid) <= 5:
            continue
        fix = _insert_after_name(command, " -l", "Add `-l` (`--no-log-init`)")
        yield ctx.finding(command.range, fix=fix, uid=uid)


def _wget_is_quiet(command: Command) -> bool:
    """hadolint's list of wget options that already keep the progress bar out of logs."""
    if command.has_flag("--progress", "-q", "--quiet", "-o", "--output-file", "-a", "--append-output", "--no-verbose"):
        return True
    return any(word.value == "-nv" for word in command.args)


@rule(
    code="DL3047",
    name="wget-without-progress",
    severity=Severity.INFO,
    summary="wget without --progress, -q or -nv",
    message="`wget` without `--progress`, `-q` or `-nv` fills the build log with progress lines; "
    "add `-nv` (or `--progress=dot:giga`)",
    rationale=(
        "In a build, wget's progress bar is not redrawn in place: every update becomes output, "
        "and large downloads produce thousands of lines that bury the useful ones. `-nv` keeps "
        "one line per file and still prints errors."
    ),
    bad="FROM debian:12\nRUN wget https://example.com/tool.tar.gz",
    good="FROM debian:12\nRUN wget -nv https://example.com/tool.tar.gz",
    fix_safety="Safe: only log output changes. The fix adds `-nv`, which GNU wget and BusyBox "
    "wget both accept (BusyBox rejects `--progress`).",
    needs_instructions=("RUN",),
    needs_text=("wget",),
    each=("RUN",),
    onbuild=True,
)
def wget_without_progress(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands("wget", inst=inst):
        if command.name != "wget" or _wget_is_quiet(command):
            continue
        yield ctx.finding(command.range, fix=_insert_after_name(command, " -nv", "Add `-nv`"))


@rule(
    code="DL4001",
    name="wget-and-curl",
    severity=Severity.WARNING,
    summary="Both wget and curl are used in one stage",
    message="`{tool}` and `{other}` are both used in this stage, so it depends on two download "
    "tools; pick one of them",
    rationale=(
        "Each download tool is one more package to install, patch and keep in the image. "
        "Using both in one stage is almost always an accident of copy-pasted snippets; one of "
        "them can do every download."
    ),
    bad="FROM debian:12\nRUN curl -fsSLO https://example.com/a.tgz\nRUN wget -nv https://example.com/b.tgz",
    good="FROM debian:12\nRUN curl -fsSLO https://example.com/a.tgz\nRUN curl -fsSLO https://example.com/b.tgz",
    needs_instructions=("RUN",),
    needs_text=("wget",),
    each=("RUN",),
    onbuild=True,
)
def wget_and_curl(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    # Like hadolint: per stage (ONBUILD triggers on their own), every RUN that uses one of the
    # two tools once both have been seen, in it or in an earlier RUN.
    used = [c for s in df.scripts(inst) for c in s.commands if c.name in ("curl", "wget")]
    if not used:
        return
    names = {c.name for c in used}
    if len(names) == 1 and not _used_before(df, inst, "wget" if "curl" in names else "curl"):
        return
    first = used[0]
    yield ctx.finding(first.range, tool=first.name, other="wget" if first.name == "curl" else "curl")


def _used_before(df: Dockerfile, inst: Instruction, tool: str) -> bool:
    """An earlier RUN of the stage (an earlier ONBUILD RUN, for an ONBUILD one) calls `tool`.

    RUNs whose text does not hold the name are not analysed: an edit at the end of a long file
    then parses only the RUNs that can matter.
    """
    top = inst.parent or inst
    stage = df.stage_of(top)
    before = stage.instructions if stage is not None else df.instructions
    for other in before:
        if other.index >= top.index:
            break
        if other.stage_index != top.stage_index:
            continue
        run = other.onbuild if inst.parent is not None else other
        if run is None or run.keyword != "RUN" or tool not in df.source.slice(other.range):
            continue
        if any(c.name == tool for s in df.scripts(run) for c in s.commands):
            return True
    return False


def _basename(text: str) -> str:
    return re.split(r"[/\\]", text.strip("\"'"))[-1]


def _extracts(command: Command) -> tuple[ShellWord, ...]:
    """The words naming archives this command unpacks (tar -x, unzip, gunzip, ...)."""
    args = command.args
    if command.name in UNPACKERS:
        return tuple(w for w in args if not w.value.startswith("-"))
    if command.name != "tar" or not args:
        return ()
    first = args[0].value
    old_style = not first.startswith("-") and "x" in first and "/" not in first and "." not in first
    extract = old_style or any(
        w.value in ("--extract", "--get") or (w.value.startswith("-") and not w.value.startswith("--") and "x" in w.value)
        for w in args
    )
    if not extract:
        return ()
    words = args[1:] if old_style else args
    return tuple(w for w in words if not w.value.startswith("-") or w.value.startswith("--file="))


def _copied_archives(inst: Instruction) -> list[tuple[str, Word]]:
    """(basename, word) of each local archive a COPY brings in (the target's name when the
    target itself is an archive file name, as hadolint reads it)."""
    if inst.flag("from") is not None:
        return []
    sources, target = copy_paths(inst)
    if target is not None and is_archive(target.value):
        return [(_basename(target.value), target)]
    return [(_basename(w.value), w) for w in sources if is_archive(w.value) and not is_url(w.value)]


@rule(
    code="DL3010",
    name="archive-extract-with-add",
    severity=Severity.INFO,
    summary="A local archive is copied and then unpacked by RUN",
    message="`{archive}` is copied in and then unpacked by a later `RUN`, so the archive stays in "
    "a layer; `ADD` unpacks local tar archives in one step",
    rationale=(
        "COPY followed by an unpacking RUN stores the archive in one layer and its contents in "
        "another, so the image carries both. `ADD` extracts a local tar archive (plain, gzip, "
        "bzip2 or xz) straight into the destination in a single layer."
    ),
    bad="FROM debian:12\nCOPY app.tar.gz /tmp/\nRUN tar -xzf /tmp/app.tar.gz -C /opt",
    good="FROM debian:12\nADD app.tar.gz /opt/",
    tags=("bloat",),
    needs_instructions=("COPY",),
    needs_text=("tar", "unzip", "unlzma", "unxz", "zgz", "uncompress", "zcat"),  # `unzip` is in gunzip, bunzip2
)
def archive_extract_with_add(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for stage in df.stages:
        copied: dict[str, Word] = {}
        unpacked: dict[int, Word] = {}
        for inst in stage.instructions:
            if inst.keyword == "COPY":
                copied.update(_copied_archives(inst))
            elif inst.keyword == "RUN" and copied:
                for command in (c for s in df.scripts(inst) for c in s.commands):
                    for word in _extracts(command):
                        copy_word = copied.get(_basename(word.value.removeprefix("--file=")))
                        if copy_word is not None:
                            unpacked[id(copy_word)] = copy_word
        for copy_word in sorted(unpacked.values(), key=lambda w: w.range):
            yield ctx.finding(copy_word.range, archive=_basename(copy_word.value))
