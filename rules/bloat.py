"""DF302: build toolchains installed in the image that ships.

The npm, conda and gem leftovers (DF305-DF307) live in `rules/package_caches.py`, language
build caches (DF308) in `rules/build_caches.py`, what one layer leaves for another to remove
(DF303) in `rules/layers.py`, COPY layers (DF304, DF309) in `rules/copies.py`.
"""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction, Stage
from docklint.model.packages import Install, installs
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.package_common import unpinned_words, variable_value
from docklint.rules.run_edits import run_commands, shipped_runs
from docklint.rules.stage_refs import root_base

_SYSTEM_FAMILIES = frozenset({"apt", "apk", "rpm", "zypper"})
# Compilers, build systems, headers and SDKs: needed to build software, not to run it.
TOOLCHAIN_NAMES = frozenset(
    "build-essential build-base alpine-sdk gcc g++ gcc-c++ c++ clang llvm cmake autoconf automake "
    "libtool bison flex nasm yasm kernel-devel golang golang-go go rust rustc cargo maven gradle ant "
    "default-jdk default-jdk-headless gfortran meson ninja-build scons".split()
)
# Build helpers that are also used at run time (make as a task runner, libc-dev for programs that
# load `libdl.so`): reported only next to a real toolchain package in the same install.
WEAK_TOOLCHAIN = frozenset(
    "make pkg-config pkgconf pkgconfig libc6-dev libc-dev musl-dev linux-headers linux-libc-dev "
    "kernel-headers ccache dpkg-dev".split()
)
_TOOLCHAIN = re.compile(
    r"(?:gcc|g\+\+|clang|llvm|gfortran)-[\d.]+|openjdk-?\d+-jdk(?:-headless)?"
    r"|java-[\d.]+-openjdk-devel|openjdk\d+(?:-jdk)?|temurin-\d+-jdk|@development(?:-tools)?"
)
# Headers (`libpq-dev`, `openssl-devel`): alone they are often installed for the unversioned
# `.so` link a program loads at run time, so they count only next to a compiler.
_HEADERS = re.compile(r".+-(?:dev|devel)")
# Programs whose image is a build environment (`ENTRYPOINT ["bazel"]`).
BUILD_PROGRAMS = frozenset(
    "go bazel bazelisk make cmake gcc cc clang mvn mvnw gradle gradlew cargo rustc javac dotnet "
    "msbuild ant sbt dpkg-buildpackage debuild rpmbuild mock kaniko buildah".split()
)
_REMOVALS: dict[str, frozenset[str]] = {
    "apt": frozenset({"purge", "remove", "autoremove"}),
    "apk": frozenset({"del"}),
    "rpm": frozenset({"remove", "erase", "autoremove"}),
    "zypper": frozenset({"remove"}),
}


def is_toolchain(name: str, weak: bool = False) -> bool:
    """A build-only package; with `weak`, also build helpers that some images run."""
    name = name.split(":", 1)[0].lower()
    if name in TOOLCHAIN_NAMES or _TOOLCHAIN.fullmatch(name) is not None:
        return True
    return weak and (name in WEAK_TOOLCHAIN or _HEADERS.fullmatch(name) is not None)


# Official images that are build environments themselves: adding tools to them is their purpose.
TOOLCHAIN_BASES = frozenset(
    "buildpack-deps gcc golang rust maven gradle openjdk haskell swift clojure erlang elixir crystal "
    "julia perl php-zendserver sdk".split()
)


@rule(
    code="DF302",
    name="build-toolchain-in-final-stage",
    severity=Severity.INFO,
    summary="The image that ships installs compilers or build-only packages",
    message="{packages} {verb} installed in the image that ships, adding size and attack surface "
    "the application does not need to run; build in an earlier stage and copy only the results, "
    "or remove them in the same `RUN`",
    rationale=(
        "Compilers, headers (`*-dev`, `*-devel`), build systems and JDKs are needed to build "
        "software, not to run it. Left in the final image they add hundreds of megabytes and give "
        "an attacker tools to compile and fetch code. A multi-stage build compiles in a builder "
        "stage and copies only the result; official images that build in place remove the "
        "toolchain in the same `RUN` (`apt-get purge --auto-remove` after `apt-mark auto`, "
        "`apk del .build-deps`), which is not flagged. Images that are build or tool "
        "environments are not checked either: no `CMD`/`ENTRYPOINT` or only a shell or REPL, a "
        "build tool as the entry point, a toolchain base (`golang`, `rust`, `buildpack-deps`, "
        "...), or a development or test image by stage or path name (`dev`, `test`, `ci`, "
        "`devcontainer`). Headers (`*-dev`) and helpers such as `make` count only next to a "
        "compiler, and package lists published with ENV (`$PHPIZE_DEPS`) are for child images."
    ),
    bad=(
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \\\n"
        " && pip install --no-cache-dir psycopg2==2.9.9\nCMD [\"python\", \"app.py\"]"
    ),
    good=(
        "FROM python:3.12-slim AS build\nRUN apt-get update && apt-get install -y --no-install-recommends gcc "
        "libpq-dev \\\n && pip wheel --wheel-dir /wheels psycopg2==2.9.9\n\nFROM python:3.12-slim\n"
        "COPY --from=build /wheels /wheels\nRUN pip install --no-cache-dir /wheels/*.whl\nCMD [\"python\", \"app.py\"]"
    ),
    history=True,
    tags=("bloat",),
    needs_instructions=("CMD", "ENTRYPOINT"),
    needs_text=("apt", "apk", "yum", "dnf", "zypper"),
)
def build_toolchain_in_final_stage(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    final = df.final_stage
    if final is None or not _runs_an_application(df, final):
        return
    for inst in shipped_runs(df):
        commands = run_commands(df, inst)
        for index, command in enumerate(commands):
            install = installs(command)
            if install is None or install.family not in _SYSTEM_FAMILIES:
                continue
            published = _published_lists(df, inst)
            found = [
                (w, n) for w, n in unpinned_words(df, install, lambda spec: is_toolchain(spec.name, weak=True))
                if w.value.strip("${}") not in published
            ]
            if not any(is_toolchain(n) for _w, n in found) or _removed_later(df, install, commands[index + 1 :], commands[:index]):
                continue
            names = [f"`{n}`" for n in dict.fromkeys(n for _w, n in found)]
            shown = names[:3] + ([f"{len(names) - 3} more"] if len(names) > 3 else [])
            listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
            yield ctx.finding(found[0][0].range, packages=listed, verb="is" if len(names) == 1 else "are")


def _runs_an_application(df: Dockerfile, final: Stage) -> bool:
    """The final image starts a program of its own (CMD or ENTRYPOINT in its chain of stages) and
    is not built on a toolchain image: images without one are bases or tool environments, where
    compilers are what the image is for."""
    program = _start_program(df, final)
    if not program or program in BUILD_PROGRAMS or "build" in program:
        return False
    base = root_base(df, final).base
    return base is None or base.name not in TOOLCHAIN_BASES


def _start_program(df: Dockerfile, final: Stage) -> str | None:
    """The program the image starts (ENTRYPOINT, else CMD, in the stage chain), by base name
    without extension: `build` when a build tool appears in it, "" for a bare shell or
    interpreter, None when neither instruction is set."""
    chain = df.lineage(final)
    for keyword in ("ENTRYPOINT", "CMD"):
        for current in chain:
            found = [i for i in current.of(keyword)]
            if found:
                inst = found[-1]
                words = " ".join(inst.json_args if inst.json_args is not None else [w.value for w in inst.words]).split()
                programs = [w.rsplit("/", 1)[-1].split(".", 1)[0].lower() for w in words]
                if any(p in BUILD_PROGRAMS or "build" in p for p in programs):
                    return "build"
                programs = [p for p in programs if p not in _LAUNCHERS]
                while len(programs) > 1 and programs[0] in _SHELLS_AND_REPLS:
                    programs = programs[1:]  # `bash start.sh`: the script is the program
                if not programs or programs[0] in _SHELLS_AND_REPLS:
                    return ""  # an interactive shell or interpreter: a tool environment
                return programs[0]
    return None


_LAUNCHERS = frozenset({"exec", "env", "tini", "dumb-init", "--", "-c", "-e", "-ex", "-eux", "-l", "-i"})
_SHELLS_AND_REPLS = frozenset(
    "sh bash zsh ash fish pwsh powershell cmd python python2 python3 ipython node irb ruby erl iex r "
    "julia ghci php perl lua jshell scala clojure lein".split()
)


def _published_lists(df: Dockerfile, inst: Instruction) -> set[str]:
    """Variables set by ENV: a package list published in the image config (`$PHPIZE_DEPS`) is
    meant for images built on this one, which install and remove it as they need."""
    stage = df.stage_of(inst)
    names: set[str] = set()
    for current in df.lineage(stage) if stage is not None else ():
        for env in current.of("ENV"):
            names.update(kv.key for kv in df.key_values(env))
    return names


def _removed_later(df: Dockerfile, install: Install, later: list[Command], before: list[Command]) -> bool:
    """The same RUN removes what `install` added: by name, by its variable or virtual package,
    or everything marked automatic (`apt-mark auto` then `--auto-remove`)."""
    removals = _REMOVALS[install.family]
    virtual = install.command.flag_value("-t", "--virtual") if install.family == "apk" else None
    installed = {spec.word.value for spec in install.packages} | {spec.name for spec in install.packages}
    marked_auto = any(_marks_auto(c) for c in before)
    for command in later:
        marked_auto = marked_auto or _marks_auto(command)
        sub = command.subcommand_name
        if sub in ("history", "undo") and command.tool in ("dnf", "yum") and any(w.value == "undo" for w in command.operands()):
            return True
        if sub not in removals or installs_family(command) != install.family:
            continue
        if install.family == "apt" and marked_auto and (sub == "autoremove" or command.has_flag("--auto-remove", "--autoremove")):
            return True
        words = [w.value for w in command.operands()]
        if virtual is not None and virtual in words:
            return True
        names = set(words)
        for word in command.operands():
            if not word.has_expansion:
                continue
            ref = re.fullmatch(r"\$\{?([A-Za-z_]\w*)\}?", word.value)
            value = variable_value(df, command, ref.group(1)) if ref else None
            if value is None:
                return True  # a computed list (`$(diff before after)`): it may hold anything
            names.update(value.split())
        if installed & names:
            return True
    return False


def _marks_auto(command: Command) -> bool:
    operands = command.positionals()
    return command.name == "apt-mark" and bool(operands) and operands[0].value == "auto"


def installs_family(command: Command) -> str | None:
    """The package family of a system package manager command (`apt-get purge` -> `apt`)."""
    tool = command.tool
    if tool in ("apt-get", "apt", "aptitude"):
        return "apt"
    if tool == "apk":
        return "apk"
    if tool in ("yum", "dnf", "microdnf", "tdnf"):
        return "rpm"
    if tool == "zypper":
        return "zypper"
    return None
