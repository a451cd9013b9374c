"""Package installs seen in RUN commands: which manager, which packages, which versions.

`installs(command)` reads one `Command` (from `Dockerfile.commands`) as an install by apt-get/apt,
apk, yum/dnf/microdnf/tdnf, zypper, pip (and `python -m pip`), pipx, conda/mamba, npm, yarn,
pnpm, gem, go or cargo. Each operand becomes a `PackageSpec` with the exact word, the name and
the version written in that manager's syntax; requirement files, local paths, URLs and VCS
references are kinds of their own so pinning rules can skip them.

Version syntax per manager:
- apt: `pkg=1.2-1` (also `pkg=1.2*`); `pkg/bookworm-backports` names a release, not a version.
- apk: `pkg=1.2-r0`, `pkg~1.2`, `pkg>1.2`, `pkg<1.2` (`>=`/`<=`/`~=` too); `pkg@edge` is a
  repository tag, not a version.
- yum/dnf/microdnf/tdnf: `pkg-1.2.3[-release][.arch]`. Heuristic: rpm names may contain dashes
  and digits (`java-1.8.0-openjdk`), so a `-` starts the version only when a digit follows and
  everything after it reads as `version[-release][.arch]` with the release starting with a digit
  or the version being the end of the word; otherwise the next `-` is tried. So
  `java-1.8.0-openjdk` is unversioned and `nodejs-16.14.0` is versioned. Names that end in a
  number (`libcudnn9-cuda-13`, `cuda-toolkit-12-4`) read as versioned; for those the number does
  select a version line. `pkg = 1.2` and `pkg >= 1.2` as separate words are not read. (hadolint's
  DL3033 is looser still: any `-` in the word counts as a version.)
- zypper: `pkg=1.2`, `pkg>=1.2`, `pkg<1.2` (and `>`/`<=`), also `pkg-1.2` by the rpm heuristic.
- pip/pipx: PEP 440 specifiers (`==`, `===`, `~=`, `!=`, `>=`, `<=`, `>`, `<`), extras
  (`pkg[extra]==1`), markers after `;`, direct references `pkg @ url` written `pkg@url`.
- conda: `pkg=1.2`, `pkg==1.2`, `pkg>=1.2`, `channel::pkg=1.2`.
- npm/yarn/pnpm: `pkg@1.2`, `@scope/pkg@^1.2`; `pkg@latest` is a version `latest` (rules treat
  it as unpinned); git, GitHub shorthand (`user/repo#ref`), tarball URLs and paths are kinds.
- gem: `-v 1.2`/`--version 1.2` (applies to the gems named) or `name:1.2`.
- go: `module@v1.2.3` (`@latest` is a version `latest`); `./...` is a path.
- cargo: `--version 1.2`/`--vers` or `crate@1.2`; `--git`/`--path` installs name a source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from docklint.model.shell import Command, ShellFlag, ShellWord
from docklint.model.source import Range

if TYPE_CHECKING:
    from docklint.model.dockerfile import Dockerfile
    from docklint.model.nodes import Stage

# manager -> (family, install subcommands)
MANAGERS: dict[str, tuple[str, frozenset[str]]] = {
    "apt-get": ("apt", frozenset({"install"})),
    "apt": ("apt", frozenset({"install"})),
    "aptitude": ("apt", frozenset({"install"})),
    "apk": ("apk", frozenset({"add"})),
    "yum": ("rpm", frozenset({"install", "groupinstall", "localinstall"})),
    "dnf": ("rpm", frozenset({"install", "groupinstall", "localinstall"})),
    "microdnf": ("rpm", frozenset({"install"})),
    "tdnf": ("rpm", frozenset({"install"})),
    "zypper": ("zypper", frozenset({"install"})),
    "pip": ("pip", frozenset({"install"})),
    "pipx": ("pip", frozenset({"install"})),
    "conda": ("conda", frozenset({"install", "create"})),
    "mamba": ("conda", frozenset({"install", "create"})),
    "micromamba": ("conda", frozenset({"install", "create"})),
    "npm": ("npm", frozenset({"install", "ci"})),
    "yarn": ("npm", frozenset({"add", "install"})),
    "pnpm": ("npm", frozenset({"add", "install"})),
    "gem": ("gem", frozenset({"install"})),
    "go": ("go", frozenset({"install", "get", "run"})),
    "cargo": ("cargo", frozenset({"install"})),
}


@dataclass(frozen=True, slots=True)
class PackageSpec:
    """One operand of an install. `kind`: package, variable (the word is one expansion such as
    `$PKGS`), requirements, constraints, editable, path, url, vcs, group (`@group` of yum/dnf)
    or the zypper `--type` (pattern, patch, product)."""

    name: str
    version: str | None  # as written after the operator (`1.2-1`, `^1.2`, `1,<2`, `latest`)
    operator: str | None  # `=`, `==`, `~=`, `>=`, `@`, `-`, `:`, `-v`, `--version`, ...
    word: ShellWord
    kind: str = "package"
    version_word: ShellWord | None = None  # a separate version word (`gem -v 1.2`, `cargo --version`)
    release: str | None = None  # apt `pkg/release`, apk `pkg@tag`

    @property
    def range(self) -> Range:
        return self.word.range

    @property
    def is_package(self) -> bool:
        return self.kind == "package"

    @property
    def pinned(self) -> bool:
        """A version is written and it is not a moving tag (`latest`, `*`, `x`)."""
        return self.version is not None and self.version.strip() not in ("", "latest", "*", "x", "next")


@dataclass(frozen=True, slots=True)
class Install:
    """An install command: its manager, action word, operands and flags."""

    manager: str  # apt-get, apt, apk, yum, dnf, microdnf, tdnf, zypper, pip, pipx, conda, npm, yarn, pnpm, gem, go, cargo
    family: str  # apt, apk, rpm, zypper, pip, conda, npm, gem, go, cargo
    action: str  # install, add, ci, get, run, groupinstall, ...
    command: Command
    subcommand: ShellWord | None
    packages: tuple[PackageSpec, ...]  # every operand, with its kind
    flags: tuple[ShellFlag, ...]
    global_: bool = False  # `yarn global add`, `npm -g`, `pnpm -g`

    @property
    def named(self) -> tuple[PackageSpec, ...]:
        """Operands that name registry packages (not files, paths, URLs or VCS references)."""
        return tuple(p for p in self.packages if p.kind == "package")

    def has_flag(self, *names: str) -> bool:
        return self.command.has_flag(*names)


def installs(command: Command) -> Install | None:
    """Read `command` as a package install; None when it installs nothing."""
    manager = _manager(command)
    if manager is None:
        return None
    family, actions = MANAGERS[manager]
    subcommand = command.subcommand
    operands = list(command.operands())
    action = command.subcommand_name
    global_ = False
    if manager in ("yarn", "pnpm") and action == "global" and operands:
        global_, subcommand, action = True, operands[0], operands[0].value
        operands = operands[1:]
    if action is None or action not in actions:
        return None
    global_ = global_ or command.has_flag("-g", "--global")
    packages = [_variable(spec) for spec in _READERS[family](command, manager, operands)]
    return Install(manager, family, action, command, subcommand, tuple(packages), command.flags, global_)


def iter_installs(
    df: Dockerfile, manager: str | set[str] | frozenset[str] | None = None, stage: Stage | int | None = None
) -> Iterator[Install]:
    """Every install in the RUNs of `df` (ONBUILD included), optionally by manager or family."""
    wanted = {manager} if isinstance(manager, str) else manager
    for command in df.commands(stage=stage):
        found = installs(command)
        if found is not None and (wanted is None or found.manager in wanted or found.family in wanted):
            yield found


def _variable(spec: PackageSpec) -> PackageSpec:
    """A word that is one expansion (`$PKGS`, `${DEPS}`, `$(cat list)`) is of kind `variable`:
    it may stand for several packages, pinned or not."""
    if spec.kind == "package" and _WHOLE_EXPANSION.fullmatch(spec.word.value):
        return PackageSpec(spec.name, spec.version, spec.operator, spec.word, "variable", spec.version_word, spec.release)
    return spec


_WHOLE_EXPANSION = re.compile(r"\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|\(.*\)|`.*`)|`.*`", re.DOTALL)


def _manager(command: Command) -> str | None:
    tool = command.tool
    if tool in MANAGERS:
        return tool
    if tool == "pip" or re.fullmatch(r"pip\d+(\.\d+)?", command.name):
        return "pip"
    return None


# -- operand readers per family ---------------------------------------------------------------

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_APT = re.compile(r"^(?P<name>[^=/\s]+)(?:=(?P<version>.*)|/(?P<release>.+))?$")
_APK = re.compile(r"^(?P<name>[^=<>~@\s]+)(?:@(?P<tag>[^=<>~\s]+))?(?:(?P<op>>=|<=|~=|=~|=|~|>|<)(?P<version>.*))?$")
_PIP_OP = re.compile(r"===|==|~=|!=|>=|<=|>|<")
_PIP_NAME = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]*\])?")
_RPM_VERSION = re.compile(r"(?:\d+:)?\d[\w.+~^*]*(?:-\d[\w.+~^*]*)?(?:\.(?:noarch|x86_64|aarch64|i686|i386|ppc64le|s390x|armv7hl|src))?$")
_ZYPPER_OP = re.compile(r"(>=|<=|=|>|<)")
_CONDA_OP = re.compile(r"==|>=|<=|!=|=|>|<|~=")


def _is_path(value: str) -> bool:
    return value in (".", "..") or value.startswith(("./", "../", "/", "~", "file:")) or "/" in value and "://" not in value


def _apt(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    specs: list[PackageSpec] = []
    for word in operands:
        value = word.value
        if value.endswith(".deb"):
            specs.append(PackageSpec(value, None, None, word, "path"))
            continue
        match = _APT.match(value)
        if match is None:
            specs.append(PackageSpec(value, None, None, word))
            continue
        version = match.group("version")
        specs.append(PackageSpec(match.group("name"), version, "=" if version is not None else None, word, release=match.group("release")))
    return specs


def _apk(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    specs: list[PackageSpec] = []
    for word in operands:
        value = word.value
        if value.endswith(".apk"):
            specs.append(PackageSpec(value, None, None, word, "path"))
            continue
        match = _APK.match(value)
        if match is None:
            specs.append(PackageSpec(value, None, None, word))
            continue
        specs.append(PackageSpec(match.group("name"), match.group("version"), match.group("op"), word, release=match.group("tag")))
    return specs


def split_rpm(value: str) -> tuple[str, str | None]:
    """`nodejs-16.14.0` -> (`nodejs`, `16.14.0`); see the module docstring for the heuristic."""
    start = 0
    while True:
        dash = value.find("-", start)
        if dash < 0 or dash + 1 >= len(value):
            return value, None
        rest = value[dash + 1 :]
        if (rest[0].isdigit() or rest[0] == "$") and dash > 0:
            if rest[0] == "$" or _RPM_VERSION.match(rest):
                return value[:dash], rest
        start = dash + 1


def _rpm(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    specs: list[PackageSpec] = []
    for word in operands:
        value = word.value
        if _URL.match(value):
            specs.append(PackageSpec(value, None, None, word, "url"))
        elif value.endswith(".rpm") or value.startswith(("/", "./")):
            specs.append(PackageSpec(value, None, None, word, "path"))
        elif value.startswith("@") or command.subcommand_name == "groupinstall":
            specs.append(PackageSpec(value.removeprefix("@"), None, None, word, "group"))
        else:
            name, version = split_rpm(value)
            specs.append(PackageSpec(name, version, "-" if version is not None else None, word))
    return specs


def _zypper(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    kind = command.flag_value("-t", "--type") or "package"
    specs: list[PackageSpec] = []
    for word in operands:
        value = word.value
        if _URL.match(value):
            specs.append(PackageSpec(value, None, None, word, "url"))
            continue
        if value.endswith(".rpm") or value.startswith(("/", "./")):
            specs.append(PackageSpec(value, None, None, word, "path"))
            continue
        parts = _ZYPPER_OP.split(value, maxsplit=1)
        if len(parts) == 3:
            specs.append(PackageSpec(parts[0], parts[2], parts[1], word, kind))
        else:
            name, version = split_rpm(value)
            specs.append(PackageSpec(name, version, "-" if version is not None else None, word, kind))
    return specs


def _pip(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    specs: list[PackageSpec] = []
    for kind, names in _PIP_FILE_FLAGS:
        for flag in command.flag_values(*names):
            specs.append(PackageSpec(flag.value or "", None, None, flag.value_word or flag.word, kind))
    specs.extend(pip_spec(word) for word in operands)
    return sorted(specs, key=lambda s: s.word.offset)


_PIP_FILE_FLAGS = (
    ("requirements", ("-r", "--requirement")),
    ("constraints", ("-c", "--constraint")),
    ("editable", ("-e", "--editable")),
)


def pip_spec(word: ShellWord) -> PackageSpec:
    """Read one pip requirement specifier."""
    value = word.value
    if _URL.match(value) or value.startswith("git+"):
        return PackageSpec(value, None, None, word, "vcs" if "+" in value.split(":", 1)[0] else "url")
    match = _PIP_NAME.match(value)
    if match is None or _is_path(value.split(";", 1)[0].split("@", 1)[0]) or value.endswith((".whl", ".tar.gz", ".zip")):
        return PackageSpec(value, None, None, word, "path")
    name = match.group("name")
    rest = value[match.end() :].split(";", 1)[0].strip()
    if rest.startswith("@"):
        return PackageSpec(name, rest[1:].strip(), "@", word, "url")
    op = _PIP_OP.match(rest)
    if op is None:
        return PackageSpec(name, None, None, word)
    return PackageSpec(name, rest[op.end() :].strip(), op.group(0), word)


def _conda(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    specs: list[PackageSpec] = []
    for word in operands:
        value = word.value.split("::", 1)[-1]
        parts = _CONDA_OP.split(value, maxsplit=1)
        op = _CONDA_OP.search(value)
        if op is not None and len(parts) == 2:
            specs.append(PackageSpec(parts[0], parts[1], op.group(0), word))
        else:
            specs.append(PackageSpec(value, None, None, word))
    return specs


def _npm(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    return [npm_spec(word) for word in operands]


def npm_spec(word: ShellWord) -> PackageSpec:
    """Read one npm/yarn/pnpm package operand."""
    value = word.value
    if value.startswith(("git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:")) or (
        _URL.match(value) and (".git" in value or "#" in value)
    ):
        ref = value.split("#", 1)[1] if "#" in value else None
        return PackageSpec(value, ref, "#" if ref else None, word, "vcs")
    if _URL.match(value):
        return PackageSpec(value, None, None, word, "url")
    if value.startswith(("file:", "link:", ".", "/", "~")) or value.endswith((".tgz", ".tar.gz")):
        return PackageSpec(value, None, None, word, "path")
    at = value.find("@", 1)
    body = value if at < 0 else value[:at]
    if "/" in body and not value.startswith("@"):
        ref = value.split("#", 1)[1] if "#" in value else None
        return PackageSpec(value.split("#", 1)[0], ref, "#" if ref else None, word, "vcs")  # GitHub `user/repo`
    if at < 0:
        return PackageSpec(value, None, None, word)
    return PackageSpec(value[:at], value[at + 1 :], "@", word)


def _gem(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    flag = command.flag("-v", "--version")
    separator = next((w.offset for w in command.args if w.value == "--"), None)
    if separator is not None:  # `gem install x -- --with-opt`: build options, not gems
        operands = [w for w in operands if w.offset < separator]
    specs: list[PackageSpec] = []
    for word in operands:
        value = word.value
        if value.endswith(".gem"):
            specs.append(PackageSpec(value, None, None, word, "path"))
        elif ":" in value:
            name, _, version = value.partition(":")
            specs.append(PackageSpec(name, version, ":", word))
        elif flag is not None:
            specs.append(PackageSpec(value, flag.value, flag.name, word, version_word=flag.value_word or flag.word))
        else:
            specs.append(PackageSpec(value, None, None, word))
    return specs


def _go(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    specs: list[PackageSpec] = []
    if command.subcommand_name == "run":
        operands = operands[:1]  # the rest are the program's own arguments
    for word in operands:
        value = word.value
        if value.startswith((".", "/")) or value in ("all", "std", "cmd") or value.endswith(".go"):
            specs.append(PackageSpec(value, None, None, word, "path"))
            continue
        name, at, version = value.partition("@")
        specs.append(PackageSpec(name, version if at else None, "@" if at else None, word))
    return specs


def _cargo(command: Command, manager: str, operands: list[ShellWord]) -> list[PackageSpec]:
    flag = command.flag("--version", "--vers")
    specs: list[PackageSpec] = []
    for source in ("--git", "--path"):
        found = command.flag(source)
        if found is not None:
            specs.append(PackageSpec(found.value or "", None, None, found.value_word or found.word, "vcs" if source == "--git" else "path"))
    for word in operands:
        name, at, version = word.value.partition("@")
        if at:
            specs.append(PackageSpec(name, version, "@", word))
        elif flag is not None:
            specs.append(PackageSpec(name, flag.value, flag.name, word, version_word=flag.value_word or flag.word))
        else:
            specs.append(PackageSpec(name, None, None, word))
    return sorted(specs, key=lambda s: s.word.offset)


_READERS = {
    "apt": _apt, "apk": _apk, "rpm": _rpm, "zypper": _zypper, "pip": _pip, "conda": _conda,
    "npm": _npm, "gem": _gem, "go": _go, "cargo": _cargo,
}


def specs_for(command: Command, words: list[ShellWord]) -> list[PackageSpec]:
    """Read `words` as operands of `command`'s install (words from an expanded variable, say)."""
    manager = _manager(command)
    if manager is None:
        return []
    family = MANAGERS[manager][0]
    return _READERS[family](command, manager, words)
