"""What the package-manager rules ask of a RUN: cleanups, cache mounts, unpinned package words."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from docklint.model.packages import PackageSpec, specs_for
from docklint.model.shell import Command, ShellWord
from docklint.model.shell_words import unquote, word_end

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.packages import Install
    from docklint.model.shell import Script

# Where package managers keep what a RUN should not leave in its layer. Several families look
# for them (their own cleanup rules, DF303's leftovers), so they live here rather than in one.
APT_LISTS = "/var/lib/apt/lists"
APK_CACHE = "/var/cache/apk"
RPM_CACHES = ("/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5", "/var/cache/tdnf")
ZYPPER_CACHE = "/var/cache/zypp"
PIP_CACHE = "/root/.cache/pip"
NPM_CACHE = "/root/.npm"
APT_TOOLS = frozenset({"apt-get", "apt", "aptitude"})

_POSIX_SHELLS = frozenset("sh bash dash ash zsh ksh mksh busybox".split())
_SYSTEM_DIRS = ("/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/")


def is_apt_update(command: Command) -> bool:
    """`apt-get update`, or an action run with `--update` (apt 2.9+ refreshes the lists first)."""
    if command.name not in APT_TOOLS:
        return False
    return command.subcommand_name == "update" or command.has_flag("--update")


def normalize(path: str) -> str:
    """`/var/lib/apt/lists/*` -> `/var/lib/apt/lists`; `~` is root's home."""
    if path.startswith("~/") or path == "~":
        path = "/root" + path[1:]
    while path.endswith(("/*", "/**", "/")) and len(path) > 1:
        path = path.removesuffix("*").removesuffix("*").removesuffix("/")
    return posixpath.normpath(path) if path.startswith("/") else path


def covers(path: str, target: str) -> bool:
    """True when removing or mounting `path` takes `target` with it (same or an ancestor).

    `path` may be a glob (`/var/lib/apt/lists*`); paths less than two levels deep (`/var`)
    never count, so `rm -rf /tmp/*` or a mount on `/` is not mistaken for a cleanup.
    """
    path = normalize(path)
    if not path.startswith("/") or path.count("/") < 2:
        return False
    candidate = target
    while candidate.count("/") >= 2:
        if candidate == path or (any(c in path for c in "*?[") and fnmatch.fnmatchcase(candidate, path)):
            return True
        candidate = posixpath.dirname(candidate)
    return False


def cache_mounted(script: Script, *targets: str) -> bool:
    """A `RUN --mount` (cache, tmpfs or bind) keeps one of `targets` out of the layer."""
    for mount in script.mounts:
        if mount.target and any(covers(mount.target, t) for t in targets):
            return True
    return False


def removes(command: Command, matches: Callable[[str], bool]) -> bool:
    """`rm` (or `find ... -delete`/`-exec rm`) of a literal path that `matches` accepts."""
    if command.name == "rm":
        paths = [w.value for w in command.positionals()]
    elif command.name == "find" and any(w.value in ("-delete", "-exec", "-execdir") for w in command.args):
        paths = [w.value for w in command.args[:1]]
    else:
        return False
    return any("$" not in p and matches(p) for p in paths)


def removes_path(command: Command, *targets: str) -> bool:
    return removes(command, lambda p: any(covers(p, t) for t in targets))


def runs_unknown_code(commands: Iterable[Command]) -> bool:
    """A script file or downloaded code runs: it may do anything (e.g. `apt-get update`)."""
    for command in commands:
        name = command.name
        first = command.argv[0].value
        if name.endswith(".sh") or name in ("eval", "source", "."):
            return True
        if "/" in first and not first.startswith(_SYSTEM_DIRS):
            return True
        if name in _POSIX_SHELLS and (command.piped_from is not None or _runs_file(command)):
            return True
    return False


def _runs_file(command: Command) -> bool:
    args = command.args
    if any(a.value.startswith("-") and "c" in a.value[1:] and not a.value.startswith("--") for a in args):
        return False
    return any(not a.value.startswith("-") for a in args)


def unpinned_words(
    df: Dockerfile, install: Install, unpinned: Callable[[PackageSpec], bool]
) -> Iterator[tuple[ShellWord, str]]:
    """`(word, package)` for each named package `unpinned` accepts.

    A word that is just a variable (`$buildDeps`) is read through its value: a build ARG or ENV,
    else the last `buildDeps=...` assignment earlier in the script. When the value is unknown
    the word is skipped, since it may well carry versions. A variable inside a word
    (`postgresql-${PG_MAJOR}`) does not change whether a version is written.
    """
    for spec in install.packages:
        word = spec.word
        ref = _PURE_REF.fullmatch(word.value) if word.has_expansion else None
        if ref is None:
            if spec.kind == "package" and unpinned(spec):
                yield word, spec.name
            continue
        value = variable_value(df, install.command, ref.group(1) or ref.group(2))
        if value is None:
            continue
        pieces = [ShellWord(v, word.raw, word.text, word.offset) for v in value.split()]
        for expanded in specs_for(install.command, pieces):
            if expanded.kind == "package" and unpinned(expanded):
                yield word, expanded.name


_PURE_REF = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


def variable_value(df: Dockerfile, command: Command, name: str) -> str | None:
    """The value of `$name` where `command` runs, or None when it cannot be known."""
    before = command.text.text[: command.start]
    assignments = list(re.finditer(rf"(?:^|[\s;&|(]){name}=", before))
    if assignments:
        start = assignments[-1].end()
        value, _offsets, _quoted, expansion = unquote(before[start : word_end(before, start, len(before))])
        return None if expansion else value
    inst = command.instruction
    if inst is None:
        return None
    value, resolved = df.expand(inst.parent or inst, "${" + name + "}")
    return value if resolved else None
