"""Rules about switching off the checks that make downloads trustworthy: TLS certificate checks
in downloaders (DF113) and package managers (DF115), and package signature checks (DF116).

Each finding points at the flag or setting itself. Fixes drop the flag, or turn the setting
back on, and are unsafe: a build that only worked with the check off (a private CA, an
unsigned local package) fails until the certificate or key is installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.shell import Command, ShellFlag
from docklint.model.source import Range
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.word_edits import delete_flag, replace_in_word
from docklint.rules.written_config import written_texts

OFF = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True, slots=True)
class Hit:
    """One switched-off check: where, what to call it, and the edit that turns it back on."""

    range: Range
    setting: str
    tool: str
    edit: TextEdit | None = None


def flag_range(flag: ShellFlag) -> Range:
    """The flag's own text: its letter inside a cluster (`k` of `-fsSLk`), else flag and value."""
    word = flag.word
    text = word.value
    if not text.startswith("--") and len(text) > 2 and word.raw == text and word.exact and flag.value is None:
        index = text.find(flag.name[1:], 1)
        if index > 0:
            return word.text.range(word.offset + index, word.offset + index + 1)
    end = flag.value_word.range.end if flag.value_word is not None else word.range.end
    return Range(word.range.start, end)


def flag_hit(df: Dockerfile, command: Command, flag: ShellFlag, tool: str) -> Hit:
    """A hit on a flag, with the edit dropping it."""
    if flag.value is None:
        setting = flag.name
    elif flag.value_word is not None:
        setting = f"{flag.name} {flag.value}"
    else:
        setting = f"{flag.name}={flag.value}" if "=" in flag.word.value else flag.word.value
    return Hit(flag_range(flag), setting, tool, delete_flag(df, command, flag))


# -- DF113: downloaders ------------------------------------------------------------------------

INSECURE_FLAGS: dict[str, tuple[str, ...]] = {
    "curl": ("-k", "--insecure", "--proxy-insecure"),
    "wget": ("--no-check-certificate",),
    "helm": ("--insecure-skip-tls-verify",),
}
_RC_FILES = {".curlrc": re.compile(r"(?m)^\s*(?:-k|--insecure|insecure)\s*$"),
             "wgetrc": re.compile(r"(?im)^\s*check_certificate\s*=\s*(?:off|0|false|no)\s*$")}  # fmt: skip


@rule(
    code="DF113",
    name="insecure-download-flag",
    severity=Severity.ERROR,
    summary="A download skips TLS certificate checks (`curl -k`, `wget --no-check-certificate`)",
    message="`{setting}` makes `{tool}` accept any TLS certificate, so anyone on the network path "
    "can swap what it downloads; drop it and install the CA certificate the server needs",
    rationale=(
        "With certificate checks off, https protects nothing: a proxy, a compromised router or a "
        "hostile network can impersonate the server and hand the build a different file. When "
        "a server uses a private CA, add that CA to the image's trust store (or pass `--cacert`) "
        "instead of turning verification off. Also reported: `insecure` in `.curlrc` and "
        "`check_certificate = off` in `.wgetrc`."
    ),
    bad="FROM debian:12\nRUN curl -fsSLk -o /tmp/tool.tgz https://example.com/tool.tgz",
    good="FROM debian:12\nRUN curl -fsSL -o /tmp/tool.tgz https://example.com/tool.tgz",
    fix_safety="Unsafe: a build that reached a server with an untrusted certificate fails until "
    "its CA certificate is installed.",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("curl", "wget", "helm", "aria2c"),
    each=("RUN",),
    onbuild=True,
)
def insecure_download_flag(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(inst=inst):
        for hit in _insecure_download(df, command):
            fix = Fix.unsafe(f"Remove `{hit.setting}`", hit.edit) if hit.edit is not None else None
            yield ctx.finding(hit.range, fix=fix, setting=hit.setting, tool=hit.tool)


def _insecure_download(df: Dockerfile, command: Command) -> Iterator[Hit]:
    names = INSECURE_FLAGS.get(command.name)
    if names is not None:
        for flag in command.flag_values(*names):
            yield flag_hit(df, command, flag, command.name)
    elif command.name == "aria2c":
        for flag in command.flag_values("--check-certificate"):
            if (flag.value or "").lower() in OFF:
                yield flag_hit(df, command, flag, "aria2c")
    for written in written_texts(command):
        for suffix, pattern in _RC_FILES.items():
            if any(t.endswith(suffix) for t in written.targets):
                for match in pattern.finditer(written.text):
                    tool = "curl" if suffix == ".curlrc" else "wget"
                    yield Hit(written.range(match.start(), match.end()), match.group().strip(), tool)


# -- DF115: package managers and git -------------------------------------------------------------

_GIT_KEY = re.compile(r"(?i)^http\.(?:.+\.)?sslverify$")
_APT_OPTION = re.compile(r"(?i)^Acquire::https?::(?:[^:=]+::)?Verify-(?:Peer|Host)\s*=\s*\"?(?:false|0|no|off)\"?;?$")
_SETOPT_SSL = re.compile(r"(?i)^(?:[\w.*-]+\.)?sslverify=(?:false|0|no|off)$")
# Settings written into config files by hand: (pattern, file names it matters in, tool).
WRITTEN_TLS: tuple[tuple[re.Pattern[str], tuple[str, ...], str], ...] = (
    (re.compile(r"(?im)^[ \t]*strict-ssl[ \t]*=[ \t]*false[ \t]*$"), (".npmrc", ".yarnrc"), "npm"),
    (re.compile(r"(?im)^[ \t]*sslverify[ \t]*=[ \t]*(?:0|false|no|off)[ \t]*$"), (".repo", "yum.conf", "dnf.conf"), "yum/dnf"),
    (re.compile(r"(?i)Acquire::https?::(?:[^:\s]+::)?Verify-(?:Peer|Host)[ \t]+\"?(?:false|0|no|off)\"?;?"), ("apt.conf", "apt.conf.d/"), "apt"),
    (re.compile(r"(?im)^[ \t]*sslverify[ \t]*=[ \t]*false[ \t]*$"), (".gitconfig", "gitconfig"), "git"),
    (re.compile(r"(?im)^[ \t]*ssl_verify[ \t]*:[ \t]*(?:false|no)[ \t]*$"), (".condarc",), "conda"),
    (re.compile(r"(?im)^[ \t]*trusted-host[ \t]*=[ \t]*\S+[ \t]*$"), ("pip.conf", "pip.ini"), "pip"),
)
_TLS_TOOLS = frozenset(
    "pip npm yarn pnpm git yum dnf microdnf tdnf apt-get apt aptitude conda composer echo printf cat tee sed".split()
)
# (tool, config key) -> the values that turn checks off, and the value that turns them on.
CONFIG_KEYS: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("npm", "strict-ssl"): (OFF, "true"), ("yarn", "strict-ssl"): (OFF, "true"),
    ("pnpm", "strict-ssl"): (OFF, "true"), ("yarn", "enablestrictssl"): (OFF, "true"),
    ("conda", "ssl_verify"): (OFF, "true"), ("composer", "disable-tls"): (frozenset({"true", "1"}), "false"),
    ("composer", "secure-http"): (OFF, "true"),
}  # fmt: skip


@rule(
    code="DF115",
    name="package-manager-tls-disabled",
    severity=Severity.ERROR,
    summary="A package manager or git is told to skip TLS certificate checks",
    message="`{setting}` makes {tool} accept any TLS certificate, so packages can be swapped in "
    "transit; remove it and install the CA certificate the index or repository needs",
    rationale=(
        "Package managers fetch code that runs in the image. `pip --trusted-host`, npm or yarn "
        "`strict-ssl false`, yum/dnf `sslverify=0`, apt's `Verify-Peer false` and git's "
        "`http.sslVerify false` all let a man in the middle serve anything. Settings written to "
        "config files persist into the image and every container started from it."
    ),
    bad="FROM python:3.12-slim\nRUN pip install --trusted-host pypi.example.com -i https://pypi.example.com/simple app",
    good="FROM python:3.12-slim\nCOPY corp-ca.crt /usr/local/share/ca-certificates/\n"
    "RUN update-ca-certificates && pip install --cert /etc/ssl/certs/ca-certificates.crt "
    "-i https://pypi.example.com/simple app",
    fix_safety="Unsafe: a build whose index uses an untrusted certificate fails until its CA is installed.",
    history=True,
    needs_instructions=("RUN",),
    needs_text=("pip", "npm", "yarn", "git", "yum", "dnf", "apt", "conda", "composer", ".repo"),
    each=("RUN",),
    onbuild=True,
)
def package_manager_tls_disabled(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(inst=inst):
        if command.name not in _TLS_TOOLS and command.tool not in _TLS_TOOLS:
            continue
        for hit in _tls_settings(df, command):
            fix = Fix.unsafe(f"Remove `{hit.setting}`", hit.edit) if hit.edit is not None else None
            yield ctx.finding(hit.range, fix=fix, setting=hit.setting, tool=hit.tool)


def _tls_settings(df: Dockerfile, command: Command) -> Iterator[Hit]:
    tool = command.tool
    if tool == "pip":
        for flag in command.flag_values("--trusted-host"):
            yield flag_hit(df, command, flag, "pip")
    elif tool in ("npm", "yarn", "pnpm"):
        for flag in command.flags:
            if flag.name == "--no-strict-ssl" or (flag.name == "--strict-ssl" and (flag.value or "").lower() in OFF):
                yield flag_hit(df, command, flag, tool)
    elif tool == "git":
        yield from _git_settings(df, command)
    elif tool in ("yum", "dnf", "microdnf", "tdnf"):
        for flag in command.flag_values("--setopt"):
            if flag.value is not None and _SETOPT_SSL.match(flag.value):
                yield flag_hit(df, command, flag, tool)
    elif tool in ("apt-get", "apt", "aptitude"):
        for flag in command.flag_values("-o", "--option"):
            if flag.value is not None and _APT_OPTION.match(flag.value):
                yield flag_hit(df, command, flag, "apt")
    yield from _config_set(command)
    for written in written_texts(command):
        for pattern, files, owner in WRITTEN_TLS:
            if not any(name in target for target in written.targets for name in files):
                continue
            for match in pattern.finditer(written.text):
                text = match.group().strip()
                start = match.start() + match.group().index(text)
                yield Hit(written.range(start, start + len(text)), text, owner)


def _git_settings(df: Dockerfile, command: Command) -> Iterator[Hit]:
    for flag in command.flag_values("-c"):
        key, eq, setting = (flag.value or "").partition("=")
        if eq and _GIT_KEY.match(key) and setting.lower() in OFF:
            yield flag_hit(df, command, flag, "git")
    if command.subcommand_name == "config":
        operands = command.operands()
        for index, word in enumerate(operands[:-1]):
            value = operands[index + 1]
            if _GIT_KEY.match(word.value) and value.value.lower() in OFF:
                edit = replace_in_word(value, value.raw, "true") if value.raw.lower() == value.value.lower() else None
                yield Hit(Range(word.range.start, value.range.end), f"{word.value} {value.value}", "git", edit)


def _config_set(command: Command) -> Iterator[Hit]:
    """`npm config set strict-ssl false`, `yarn config set enableStrictSsl false`, conda and composer."""
    tool = command.tool
    sub = command.subcommand_name
    if sub not in ("config", "set"):
        return
    operands = [w for w in command.operands() if w.value not in ("set", "--set")]
    for index, word in enumerate(operands):
        key, eq, inline = word.value.partition("=")
        found = CONFIG_KEYS.get((tool, key.lower()))
        if found is None:
            continue
        bad, good = found
        if eq and inline.lower() in bad:
            yield Hit(word.range, word.value, tool, replace_in_word(word, inline, good))
        elif not eq and index + 1 < len(operands) and operands[index + 1].value.lower() in bad:
            value = operands[index + 1]
            edit = replace_in_word(value, value.raw, good) if value.raw == value.value else None
            yield Hit(Range(word.range.start, value.range.end), f"{word.value} {value.value}", tool, edit)
