"""Where data goes between the commands of a RUN: downloads and their output, pipes through
wrappers and `tee`, programs that run code read from stdin, checksum and signature checks,
and values that come from secret mounts.

Shared by the remote-fetch, TLS and credential rule families. Everything reads the shell
analysis (`Dockerfile.scripts`/`commands`); nothing re-parses text.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from docklint.model.shell import Command, ShellWord
from docklint.model.source import Range

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.nodes import Instruction
    from docklint.model.shell import Mount, Script

# Nested kinds that are not a wrapper running the rest of a command line.
_NOT_WRAPPER = frozenset({"sh -c", "su -c", "runuser -c", "eval", "$(", "<(", ">(", "python -m", "find -exec"})
POSIX_SHELLS = frozenset("sh bash dash ash zsh ksh mksh yash posh".split())
# Interpreter -> the flags that give it the program on the command line instead of a file.
INTERPRETERS: dict[str, frozenset[str]] = {
    "python": frozenset({"-c", "-m"}),
    "pypy": frozenset({"-c", "-m"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "php": frozenset({"-r", "--run"}),
    "lua": frozenset({"-e"}),
}
CODE_FLAGS: dict[str, frozenset[str]] = {"python": frozenset({"-c"}), "pypy": frozenset({"-c"}), "perl": frozenset({"-e", "-E"}),
                                         "ruby": frozenset({"-e"}), "node": frozenset({"-e", "--eval", "-p", "--print"}),
                                         "nodejs": frozenset({"-e", "--eval", "-p", "--print"}), "php": frozenset({"-r"}),
                                         "lua": frozenset({"-e"})}  # fmt: skip
STDIN_PATHS = frozenset({"-", "/dev/stdin", "/proc/self/fd/0", "/dev/fd/0"})
DOWNLOADERS = frozenset({"curl", "wget"})
_LOCAL_HOST = re.compile(r"^(?:localhost|127(?:\.\d+){3}|0\.0\.0\.0|\[::1\]|host\.docker\.internal)$", re.I)


def interpreter(command: Command) -> str | None:
    """`sh` for POSIX shells, the interpreter's tool name (`python`, `perl`, ...), else None."""
    if command.name in POSIX_SHELLS:
        return "sh"
    tool = command.tool
    if tool in INTERPRETERS:
        return tool
    if command.name == "busybox" and command.args and command.args[0].value in POSIX_SHELLS:
        return "busybox"
    return None


def outermost(command: Command) -> Command:
    """The wrapper chain's outer command (`sudo` for the `curl` in `sudo curl ...`)."""
    while command.parent is not None and command.nested is not None and command.nested not in _NOT_WRAPPER:
        command = command.parent
    return command


def wrapped(command: Command) -> Command:
    """The command a wrapper chain finally runs (`bash` for `sudo -E bash -`)."""
    script = command.script
    if script is None:
        return command
    current = command
    while True:
        child = next((c for c in script.commands if c.parent is current and c.nested == current.name), None)
        if child is None:
            return current
        current = child


def receivers(command: Command) -> Iterator[Command]:
    """Commands reading `command`'s standard output through pipes (wrappers unwrapped; `tee`,
    `cat` and `tee -a` pass the data on, so the command after them is a receiver too)."""
    current = outermost(command).piped_to
    while current is not None:
        inner = wrapped(current)
        yield inner
        passes_on = inner.name in ("tee", "zcat", "gunzip", "bzcat", "xzcat", "zstdcat") or (
            inner.name in ("cat", "base64", "xz", "zstd") and not inner.positionals()
        )
        if not passes_on:
            return
        current = outermost(inner).piped_to


def runs_stdin(command: Command) -> bool:
    """Whether `command` is a shell or interpreter that runs the program it reads on stdin."""
    kind = interpreter(command)
    if kind is None:
        return False
    args = command.args[1:] if kind == "busybox" else command.args
    if kind in ("sh", "busybox"):
        flags = _shell_letters(args)
        if "c" in flags:
            return False
        if "s" in flags:
            return True
        operand = _first_operand(args)
        return operand is None or operand.value in STDIN_PATHS
    if command.has_flag(*INTERPRETERS[kind]):
        return False
    if kind == "php" and any(w.value == "--" for w in command.args):
        first = next(w for w in command.args if w.value == "--" or not w.value.startswith("-"))
        if first.value == "--":
            return True  # `php -- --install-dir=...`: the script comes from stdin, the rest are its args
    operands = command.positionals()
    return not operands or operands[0].value in STDIN_PATHS


def script_operand(command: Command) -> ShellWord | None:
    """The program file a shell or interpreter runs (`x.sh` in `bash -e x.sh arg`), if any."""
    kind = interpreter(command)
    if kind is None:
        return None
    args = command.args[1:] if kind == "busybox" else command.args
    if kind in ("sh", "busybox"):
        letters = _shell_letters(args)
        return None if "c" in letters or "s" in letters else _first_operand(args)
    if command.has_flag(*INTERPRETERS[kind]):
        return None
    operands = command.positionals()
    return operands[0] if operands else None


def code_word(command: Command) -> ShellWord | None:
    """The word holding program text: the `-c` string of a shell, `-e` of perl, `eval`'s argument."""
    if command.name == "eval":
        return command.args[0] if command.args else None
    kind = interpreter(command)
    if kind in ("sh", "busybox"):
        from docklint.model.shell_wrappers import shell_script_word

        return shell_script_word(command.args[1:] if kind == "busybox" else command.args)
    if kind in CODE_FLAGS:
        args = command.args
        for index, word in enumerate(args[:-1]):
            if word.value in CODE_FLAGS[kind]:
                return args[index + 1]
    return None


def _shell_letters(args: tuple[ShellWord, ...]) -> set[str]:
    letters: set[str] = set()
    skip = False
    for word in args:
        text = word.value
        if skip:
            skip = False
            continue
        if text == "--" or len(text) < 2 or text[0] not in "-+" or text.startswith("--"):
            if text.startswith("--") and text != "--":
                continue
            break
        if text[0] == "-":
            letters.update(text[1:])
        skip = "o" in text[1:] or "O" in text[1:]
    return letters


def _first_operand(args: tuple[ShellWord, ...]) -> ShellWord | None:
    skip = False
    for index, word in enumerate(args):
        text = word.value
        if skip:
            skip = False
            continue
        if text == "--":
            return args[index + 1] if index + 1 < len(args) else None
        if len(text) >= 2 and text[0] in "-+":
            skip = not text.startswith("--") and ("o" in text[1:] or "O" in text[1:])
            continue
        return word
    return None


def holding_word(command: Command) -> ShellWord | None:
    """For a command inside `$(...)` or `<(...)`: the word of its parent that holds it."""
    parent = command.parent
    if parent is None or command.nested not in ("$(", "<(", ">("):
        return None
    start = command.range.start
    for word in (*parent.assignments, *parent.argv):
        rng = word.range
        if rng.start <= start < rng.end:
            return word
    return None


# -- downloads ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Download:
    """A curl or wget call: its URLs, and where the body goes (`-` for standard output)."""

    command: Command
    urls: tuple[ShellWord, ...]
    output: str | None  # a file path, "-" for stdout, None when unknown (`curl -O $URL`)
    output_word: ShellWord | None = None

    @property
    def to_stdout(self) -> bool:
        return self.output == "-"


def download(command: Command) -> Download | None:
    """Read a curl/wget command as a download, or None for other commands."""
    if command.name == "curl":
        return _curl(command)
    if command.name == "wget":
        return _wget(command)
    return None


def _url_words(command: Command, *url_flags: str) -> tuple[ShellWord, ...]:
    words = [w for w in command.positionals() if "://" in w.value or w.has_expansion]
    words.extend(f.value_word for f in command.flag_values(*url_flags) if f.value_word is not None)
    return tuple(sorted(words, key=lambda w: w.offset))


def _curl(command: Command) -> Download:
    urls = _url_words(command, "--url")
    output: str | None = "-"
    output_word: ShellWord | None = None
    for flag in command.flags:
        if flag.name in ("-o", "--output") and flag.value is not None:
            output, output_word = flag.value, flag.value_word
        elif flag.name in ("-O", "--remote-name", "--remote-name-all"):
            output = _remote_name(urls)
    directory = command.flag_value("--output-dir")
    if directory and output not in (None, "-"):
        output = posixpath.join(directory, output)
    return Download(command, urls, _redirected(command, output), output_word)


def _wget(command: Command) -> Download:
    urls = _url_words(command)
    value_flag = command.flag("-O", "--output-document")
    output: str | None
    output_word: ShellWord | None = None
    if value_flag is not None and value_flag.value is not None:
        output, output_word = value_flag.value, value_flag.value_word
    else:
        output = _remote_name(urls)
        prefix = command.flag_value("-P", "--directory-prefix")
        if prefix and output is not None:
            output = posixpath.join(prefix, output)
    if command.has_flag("-i", "--input-file", "-r", "--recursive", "-m", "--mirror"):
        output = None
    return Download(command, urls, _redirected(command, output), output_word)


def _remote_name(urls: tuple[ShellWord, ...]) -> str | None:
    if len(urls) != 1:
        return None
    path = urls[0].value.split("://", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    name = posixpath.basename(path)
    return name or None


def _redirected(command: Command, output: str | None) -> str | None:
    if output != "-":
        return output
    for redirect in outermost(command).redirects:
        if redirect.op in (">", ">>", ">|", "&>") and redirect.fd in (None, 1) and redirect.target is not None:
            return redirect.target.value
    return output


def url_host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return authority.rsplit("@", 1)[-1]


def plain_http(url: str) -> bool:
    """An `http://` URL to a host other than this machine."""
    if not url[:7].lower() == "http://":
        return False
    host = url_host(url)
    name = host[: host.find("]") + 1] if host.startswith("[") else host.partition(":")[0]
    return bool(name) and not name.startswith("$") and not _LOCAL_HOST.match(name)


# -- verification ---------------------------------------------------------------------------

CHECKSUM_TOOLS = frozenset(
    "sha1sum sha224sum sha256sum sha384sum sha512sum md5sum b2sum b3sum shasum cksum rhash gpgv gpgv2 "
    "minisign signify signify-openbsd cosign slsa-verifier sigstore notation sq sqv".split()
)
_HASH_CODE = re.compile(r"hash_file|hashlib|Digest::SHA|createHash|sha256_file|openssl_verify", re.I)


def verifies(command: Command) -> bool:
    """Whether a command checks a checksum or a signature."""
    name = command.name
    if name in CHECKSUM_TOOLS:
        return name not in ("cosign", "notation", "sq") or any("verify" in w.value for w in command.args)
    if name in ("gpg", "gpg2"):
        return any(w.value in ("--verify", "--verify-files") for w in command.args)
    if name == "openssl":
        return bool(command.args) and command.args[0].value in ("dgst", "sha256", "sha512", "sha1", "md5", "smime", "cms")
    if name in ("rpm", "rpmkeys"):
        return command.has_flag("-K", "--checksig")
    if name == "dpkg-sig":
        return command.has_flag("--verify")
    if interpreter(command) is not None:
        word = code_word(command)
        return word is not None and bool(_HASH_CODE.search(word.value))
    return False


def verified_commands(df: Dockerfile, inst: Instruction) -> list[Command]:
    """The commands of a RUN that check a checksum or signature."""
    return [c for c in run_commands(df, inst) if verifies(c)]


def run_commands(df: Dockerfile, inst: Instruction) -> list[Command]:
    """Every analysed command of one RUN, over all its scripts, in order."""
    return [command for script in df.scripts(inst) if script.analysed for command in script.commands]


# -- paths ----------------------------------------------------------------------------------


def same_path(a: str, b: str) -> bool:
    """Whether two path words name the same file, allowing for `./` and a `cd` (basenames)."""
    a, b = a.strip(), b.strip()
    if not a or not b:
        return False
    if a == b:
        return True
    na, nb = posixpath.normpath(a), posixpath.normpath(b)
    if na == nb:
        return True
    if "*" in nb or "?" in nb:
        return fnmatch.fnmatchcase(na, nb) or fnmatch.fnmatchcase(posixpath.basename(na), posixpath.basename(nb))
    if not na.startswith(("/", "$", "~")) or not nb.startswith(("/", "$", "~")):
        return posixpath.basename(na) == posixpath.basename(nb)
    return False


# -- secret mounts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecretSource:
    """What a RUN can read secrets from: mounted files and environment variables."""

    paths: tuple[str, ...]
    variables: tuple[str, ...]

    def in_text(self, text: str) -> bool:
        if any(path and path in text for path in self.paths):
            return True
        return any(re.search(r"\$\{?" + re.escape(name) + r"\b", text) for name in self.variables)

    def __bool__(self) -> bool:
        return bool(self.paths or self.variables)


def secret_sources(mounts: tuple[Mount, ...]) -> SecretSource:
    """Files and variables the secret mounts of a RUN provide (`/run/secrets/<id>` by default)."""
    paths: list[str] = []
    variables: list[str] = []
    for mount in mounts:
        if mount.type != "secret":
            continue
        env = mount.option("env")
        if env:
            variables.append(env)
        if mount.target:
            paths.append(mount.target)
        elif not env:
            ident = mount.id or (posixpath.basename(mount.source) if mount.source else None)
            paths.append(f"/run/secrets/{ident}" if ident else "/run/secrets/")
    return SecretSource(tuple(paths), tuple(variables))


def script_mounts(df: Dockerfile, inst: Instruction) -> tuple[Mount, ...]:
    scripts: list[Script] = df.scripts(inst)
    return scripts[0].mounts if scripts else ()


def span(first: Command, last: Command) -> Range:
    """From the start of `first` to the end of `last` (one pipeline, one text)."""
    return Range(first.range.start, max(first.range.end, last.range.end))
