"""Rules about what RUN downloads and how: scripts piped into a shell, downloads used without
a checksum or signature check, and plain-http downloads and package sources."""

from __future__ import annotations

import posixpath
import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.shell import Command, ShellWord
from docklint.model.source import Range
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.command_flow import (
    DOWNLOADERS,
    Download,
    code_word,
    download,
    holding_word,
    interpreter,
    outermost,
    plain_http,
    receivers,
    run_commands,
    runs_stdin,
    same_path,
    script_operand,
    span,
    verifies,
)
from docklint.rules.run_edits import run_instructions


@rule(
    code="DF108",
    name="curl-pipe-shell",
    severity=Severity.WARNING,
    summary="A downloaded script is piped or fed straight into a shell or interpreter",
    message="`{fetch}` output is run by `{runner}` unchecked, so whoever controls the server or "
    "the network path runs code in the build; download to a file, verify its checksum or "
    "signature, then run it",
    rationale=(
        "`curl ... | sh` runs whatever the server sends at that moment: a compromised host, a "
        "hijacked domain or a truncated download executes in the build with the build's "
        "privileges, and nothing records what ran. Saving the script, checking it against a "
        "known checksum or signature, and then running it makes the build fail instead."
    ),
    bad="FROM debian:12\nRUN curl -fsSL https://example.com/install.sh | sh",
    good="FROM debian:12\nRUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\\n"
    " && echo \"<sha256>  /tmp/install.sh\" | sha256sum -c - \\\n && sh /tmp/install.sh",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("curl", "wget"),
    each=("RUN",),
    onbuild=True,
)
def curl_pipe_shell(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(DOWNLOADERS, inst=inst):
        fetched = download(command)
        if fetched is None or not fetched.to_stdout:
            continue
        found = _runner(command)
        if found is not None:
            runner, rng = found
            yield ctx.finding(rng, fetch=command.name, runner=_runner_text(runner))


def _runner(command: Command) -> tuple[Command, Range] | None:
    """The shell or interpreter that runs `command`'s output, and the range to report."""
    for receiver in receivers(command):
        if runs_stdin(receiver):
            return receiver, span(outermost(command), receiver)
    parent = command.parent
    word = holding_word(command)
    if parent is None or word is None:
        return None
    if command.nested == "$(" and code_word(parent) is word and word.value.startswith(("$(", "`")):
        return parent, parent.range  # `sh -c "$(curl ...)"`, `eval "$(curl ...)"`
    if command.nested == "<(":
        if parent.name in ("source", ".") or (interpreter(parent) is not None and script_operand(parent) is word):
            return parent, parent.range  # `bash <(curl ...)`, `source <(curl ...)`
    return None


def _runner_text(command: Command) -> str:
    return command.name if command.name != "busybox" else f"busybox {command.args[0].value}"


# -- DF109: downloads used without a check -------------------------------------------------

UNPACKERS = frozenset("tar bsdtar unzip gunzip bunzip2 unxz xz 7z 7za unrar jar busybox funzip zcat unzstd zstd".split())
BIN_DIRS = ("/usr/local/bin/", "/usr/bin/", "/bin/", "/usr/local/sbin/", "/usr/sbin/", "/sbin/")
INSTALLERS = {
    "dpkg": ("-i", "--install"), "rpm": ("-i", "-U", "--install", "--upgrade", "-F", "--freshen"),
}  # fmt: skip
PACKAGE_SUFFIXES = (".deb", ".rpm", ".apk", ".whl", ".gem", ".tgz", ".tar.gz", ".jar", ".msi", ".pkg")
_COMMIT_IN_PATH = re.compile(r"/[0-9a-f]{40}(?:[0-9a-f]{24})?(?=[/.]|$)")
_EXEC_MODE = re.compile(r"^(?:[ugoa]*\+[rwxXst]*x[rwxXst]*|0?[0-7]?[1357][0-7]{2}|0?[0-7]?[0-7][1357][0-7]|0?[0-7]?[0-7]{2}[1357])$")


@rule(
    code="DF109",
    name="remote-download-unverified",
    severity=Severity.INFO,
    summary="A downloaded file is run, installed or unpacked without a checksum or signature check",
    message="`{file}` is downloaded and {use} in this `RUN` with no checksum or signature check, "
    "so a changed or tampered file goes unnoticed; verify it first (`sha256sum -c`, `gpg --verify`)",
    rationale=(
        "Release files on a server can be replaced, and mirrors and proxies can serve something "
        "else. A checksum pinned in the Dockerfile, or a signature checked against a known key, "
        "turns a silent substitution into a failed build. Any checksum or signature tool in the "
        "same RUN (`sha256sum -c`, `gpg --verify`, `cosign verify-blob`, ...) counts as a check."
    ),
    bad="FROM debian:12\nRUN curl -fsSLo /tmp/tool.tgz https://example.com/tool.tgz \\\n"
    " && tar -xzf /tmp/tool.tgz -C /usr/local/bin",
    good="FROM debian:12\nARG TOOL_SHA256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
    "RUN curl -fsSLo /tmp/tool.tgz https://example.com/tool.tgz \\\n"
    " && echo \"$TOOL_SHA256  /tmp/tool.tgz\" | sha256sum -c - \\\n && tar -xzf /tmp/tool.tgz -C /usr/local/bin",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("curl", "wget"),
)
def remote_download_unverified(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for inst in run_instructions(df):
        commands = run_commands(df, inst)
        if not any(c.name in DOWNLOADERS for c in commands) or any(verifies(c) for c in commands):
            continue
        for index, command in enumerate(commands):
            fetched = download(command) if command.name in DOWNLOADERS else None
            if fetched is None or not fetched.urls:
                continue
            url = df.expand(inst, fetched.urls[0].value)[0]
            if _COMMIT_IN_PATH.search(url.split("?", 1)[0]):
                continue  # the URL names a commit: its content cannot change
            use = _piped_use(command) if fetched.to_stdout else _file_use(fetched, commands[index + 1 :])
            if use is None or (not fetched.to_stdout and _checked_later(df, inst, fetched.output or "")):
                continue
            label = fetched.output if not fetched.to_stdout else fetched.urls[0].value
            yield ctx.finding(command.range, file=_short(label or ""), use=use)


def _checked_later(df: Dockerfile, inst: Instruction, path: str) -> bool:
    """Whether a later RUN of the same stage checks the file (download, verify, then use)."""
    stage = df.stage_of(inst.parent or inst)
    if stage is None:
        return False
    for other in stage.instructions:
        if other.keyword != "RUN" or other.index <= (inst.parent or inst).index:
            continue
        if any(verifies(c) and _mentions(c.args, path) for c in run_commands(df, other)):
            return True
    return False


def _piped_use(command: Command) -> str | None:
    chain = list(receivers(command))
    if any(runs_stdin(receiver) for receiver in chain):
        return None  # a script run straight from the pipe is DF108's
    return "unpacked" if any(_unpacks(receiver, None) for receiver in chain) else None


def _file_use(fetched: Download, later: list[Command]) -> str | None:
    path = fetched.output
    if path is None or path == "-":
        return None
    uses: list[str] = []
    for command in later:
        if command.name in DOWNLOADERS:
            other = download(command)
            if other is not None and other.output is not None and same_path(other.output, path):
                break  # overwritten by a later download
        if _runs(command, path):
            uses.append("run")
        elif _installs(command, path):
            uses.append("installed")
        elif _unpacks(command, path):
            uses.append("unpacked")
        elif _makes_executable(command, path):
            uses.append("installed as a program")
    for use in ("run", "installed", "unpacked", "installed as a program"):
        if use in uses:
            return use
    return None


def _mentions(words: tuple[ShellWord, ...] | list[ShellWord], path: str) -> bool:
    return any(same_path(w.value, path) for w in words if not w.value.startswith("-"))


def _runs(command: Command, path: str) -> bool:
    if command.argv and "/" in command.argv[0].value and same_path(command.argv[0].value, path):
        return True
    operand = script_operand(command)
    return operand is not None and same_path(operand.value, path)


def _installs(command: Command, path: str) -> bool:
    name = command.name
    if name in INSTALLERS and command.has_flag(*INSTALLERS[name]) and _mentions(command.positionals(), path):
        return True
    sub = command.subcommand_name
    if sub in ("install", "add", "localinstall") and _mentions(command.operands(), path):
        return path.endswith(PACKAGE_SUFFIXES) or name in ("apt-get", "apt", "dpkg", "yum", "dnf", "apk", "pip", "gem")
    if name in ("mv", "cp", "install") and command.positionals():
        *sources, target = command.positionals()
        if _mentions(sources, path) and target.value.rstrip("/").startswith(tuple(d.rstrip("/") for d in BIN_DIRS)):
            return True
    return False


def _makes_executable(command: Command, path: str) -> bool:
    if command.name != "chmod":
        return False
    operands = command.positionals()
    return len(operands) >= 2 and bool(_EXEC_MODE.match(operands[0].value)) and _mentions(operands[1:], path)


def _unpacks(command: Command, path: str | None) -> bool:
    """Whether `command` unpacks `path` (or its standard input when `path` is None)."""
    name = command.name
    if name == "busybox" and command.args:
        name = command.args[0].value
    if name not in UNPACKERS:
        return False
    if name in ("tar", "bsdtar"):
        return _tar_extracts(command, path)
    if name in ("xz", "zstd") and not command.has_flag("-d", "--decompress"):
        return False
    if name in ("7z", "7za") and not (command.args and command.args[0].value in ("x", "e")):
        return False
    operands = [w for w in command.positionals() if w.value not in ("x", "e")]
    if path is None:
        return not operands or operands[0].value == "-"
    return _mentions(operands, path)


def _tar_extracts(command: Command, path: str | None) -> bool:
    args = command.args
    first = args[0].value if args else ""
    letters = first if first and not first.startswith("-") else ""
    extract = "x" in letters or command.has_flag("-x", "--extract", "--get")
    if not extract:
        return False
    archive = command.flag_value("-f", "--file")
    if archive is None and "f" in letters:
        index = letters.index("f")
        position = 1 + letters[:index].count("f") + sum(1 for ch in letters[:index] if ch in "bC")
        archive = args[position].value if position < len(args) else None
    if path is None:
        return archive is None or archive == "-"
    return archive is not None and same_path(archive, path)


# -- DF117: plain http -----------------------------------------------------------------------

_REPO_FILES = ("/etc/apt/sources.list", "/etc/apk/repositories", "/etc/yum.repos.d/", "/etc/zypp/repos.d/")
_HTTP_IN_TEXT = re.compile(r"(?i)\bhttp://[^\s\"'`<>]+")
# Flags naming a package index or registry, per tool.
INDEX_FLAGS = {
    "pip": ("-i", "--index-url", "--extra-index-url", "-f", "--find-links"),
    "npm": ("--registry",), "yarn": ("--registry",), "pnpm": ("--registry",), "npx": ("--registry",),
    "apk": ("-X", "--repository"), "gem": ("-s", "--source"), "pipx": ("--index-url",),
    "conda": ("-c", "--channel"), "uv": ("--index-url", "--extra-index-url", "-i", "--index"),
}  # fmt: skip
REPO_ADDERS = {"add-apt-repository", "apt-add-repository", "yum-config-manager", "zypper"}
# Commands whose operands or arguments may name a package source.
_SOURCE_TOOLS = frozenset({"pip", "yum", "dnf", "rpm", "gem", "npm", "pipx", "yarn", "pnpm", "conda", "echo", "printf"}) | REPO_ADDERS
CONFIG_KEYS = re.compile(r"(?i)^(?:global\.)?(?:index-url|extra-index-url|registry|@[\w-]+:registry|find-links|channels)$")


@rule(
    code="DF117",
    name="insecure-http-fetch",
    severity=Severity.WARNING,
    summary="A download or package source uses plain `http://`",
    message="`{url}` is fetched over plain http, which anyone on the network path can read and "
    "tamper with; use `https://`",
    rationale=(
        "Plain http has no integrity or authenticity: a proxy, a hostile network or a "
        "compromised router can swap the file or the package index the build reads. Package "
        "managers that check signatures still leak what is installed and can be served stale "
        "indexes. Downloads checked against a checksum or signature in the same RUN, and ADD "
        "with `--checksum`, are not reported."
    ),
    bad="FROM debian:12\nRUN curl -fsSLo /tmp/tool.tgz http://example.com/tool.tgz",
    good="FROM debian:12\nRUN curl -fsSLo /tmp/tool.tgz https://example.com/tool.tgz",
    history=True,
    needs_instructions=("RUN", "ADD"),
    needs_text=("tp", "tP", "Tp", "TP"),  # `http://` in any case
    each=("RUN", "ADD"),
    onbuild=True,
)
def insecure_http_fetch(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    from docklint.rules.base_images.remote import sources_of

    found: list[Finding] = []
    if inst.keyword == "ADD":
        if inst.flag("checksum") is None:
            for source, value in sources_of(df, inst):
                if plain_http(value):
                    found.append(ctx.finding(source.range, url=_short(source.value)))  # ADD http://
    else:
        commands = run_commands(df, inst)
        checked = any(verifies(c) for c in commands)
        for command in commands:
            for word, inside in _source_words(command, checked):
                urls = _plain_urls(word.value, inside)
                if not urls and "$" in word.value:  # `http://$MIRROR/...`, `$REPO_URL`
                    urls = _plain_urls(df.expand(inst, word.value)[0], inside)
                for url in urls:
                    found.append(ctx.finding(_url_range(word, url), url=_short(url)))
    seen: set[Range] = set()
    for finding in sorted(found, key=lambda f: f.range.start):
        if finding.range not in seen:
            seen.add(finding.range)
            yield finding


def _plain_urls(value: str, inside: bool) -> list[str]:
    return _http_urls(value) if inside else [value] if plain_http(value) else []


def _source_words(command: Command, checked: bool) -> Iterator[tuple[ShellWord, bool]]:
    """Words of `command` naming a download or a package source, each with whether URLs sit
    inside it (`deb http://... main`) rather than being the whole word."""
    tool = command.tool
    if command.name in DOWNLOADERS:
        fetched = download(command)
        if not checked and fetched is not None:
            yield from ((w, False) for w in fetched.urls)
        return
    if command.name == "git" and command.subcommand_name in ("clone", "fetch", "pull", "submodule"):
        yield from ((w, False) for w in command.operands())
        return
    if tool not in INDEX_FLAGS and tool not in _SOURCE_TOOLS and command.name not in _SOURCE_TOOLS:
        return
    for flag in command.flag_values(*INDEX_FLAGS.get(tool, ())) if tool in INDEX_FLAGS else ():
        if flag.value_word is not None:
            yield flag.value_word, False
        elif flag.value is not None and flag.word.value.endswith("=" + flag.value):
            yield flag.word, True
    sub = command.subcommand_name
    if sub in ("install", "add", "localinstall") and tool in ("pip", "yum", "dnf", "rpm", "gem", "npm", "pipx"):
        yield from ((w, False) for w in command.operands())
    elif command.name == "rpm" and command.has_flag("-i", "-U", "--install", "--upgrade"):
        yield from ((w, False) for w in command.positionals())
    elif sub in ("config", "set") and tool in ("pip", "npm", "yarn", "pnpm", "conda"):
        yield from _config_words(command)
    elif command.name in REPO_ADDERS or (tool in ("dnf", "yum") and sub == "config-manager"):
        yield from ((w, True) for w in (*command.positionals(), *(f.value_word for f in command.flags if f.value_word)))
    elif command.name in ("echo", "printf") and _writes_repo_file(command):
        yield from ((w, True) for w in command.args)


def _config_words(command: Command) -> Iterator[tuple[ShellWord, bool]]:
    operands = list(command.operands())
    if operands and operands[0].value in ("set", "add", "--set", "--add"):
        operands = operands[1:]
    for index, word in enumerate(operands):
        key, eq, _value = word.value.partition("=")
        if eq and CONFIG_KEYS.match(key):
            yield word, True
        elif CONFIG_KEYS.match(word.value) and index + 1 < len(operands):
            yield operands[index + 1], False


def _writes_repo_file(command: Command) -> bool:
    targets = [r.target.value for r in outermost(command).redirects if r.op in (">", ">>") and r.target is not None]
    for receiver in receivers(command):
        if receiver.name == "tee":
            targets.extend(w.value for w in receiver.positionals())
    return any(t.startswith(_REPO_FILES) or posixpath.basename(t).endswith((".list", ".repo")) for t in targets)


def _http_urls(text: str) -> list[str]:
    """Plain-http URLs inside a word (`deb http://... main`, `baseurl=http://...`)."""
    return [m.group() for m in _HTTP_IN_TEXT.finditer(text) if plain_http(m.group())]


def _url_range(word: ShellWord, url: str) -> Range:
    """The URL's own range when the word is written as read, else the word's."""
    index = word.raw.find(url)
    if index < 0 or not word.exact:
        return word.range
    return word.text.range(word.offset + index, word.offset + index + len(url))


def _short(url: str) -> str:
    url = re.sub(r"//[^/@\s]*@", "//", url)  # never print credentials
    return url if len(url) <= 60 else url[:57] + "..."
