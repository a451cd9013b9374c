"""DF308: language build caches (Go, Cargo, Maven, Gradle, Composer, Poetry, Pipenv, Bundler)
left in a layer of the image that ships."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Callable, Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.shell import Command, Script
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.package_common import covers, normalize
from docklint.rules.run_edits import command_range, order, run_commands, ships


@dataclass(frozen=True, slots=True)
class BuildCache:
    """Where one tool keeps its cache, and how a RUN gets rid of it."""

    label: str  # for the message: "Go's build and module caches"
    runs: Callable[[Command], bool]  # the command fills the cache
    paths: Callable[[dict[str, str]], tuple[str, ...]]  # cache folders, given the environment
    cleans: Callable[[Command], bool]  # a tool command that empties the cache
    off: Callable[[Command, dict[str, str]], bool] = lambda command, env: False  # cache disabled


def _sub(command: Command, *names: str) -> bool:
    return command.subcommand_name in names


def _home(env: dict[str, str], name: str, default: str) -> str:
    return env.get(name) or default


CACHES: tuple[BuildCache, ...] = (
    BuildCache(
        "Go's build and module caches",
        lambda c: c.name == "go" and _sub(c, "build", "install", "test", "run", "get", "generate", "vet")
        or c.name == "go" and _sub(c, "mod") and any(w.value == "download" for w in c.operands()),
        lambda env: (
            _home(env, "GOCACHE", "/root/.cache/go-build"),
            _home(env, "GOMODCACHE", posixpath.join(env.get("GOPATH") or "/go", "pkg/mod")),
            "/root/go/pkg/mod",
        ),
        lambda c: c.name == "go" and _sub(c, "clean") and c.has_flag("-cache", "-modcache"),
    ),
    BuildCache(
        "Cargo's registry cache",
        lambda c: c.name == "cargo" and _sub(c, "build", "install", "fetch", "test", "run", "vendor"),
        lambda env: tuple(
            posixpath.join(home, part)
            for home in (_home(env, "CARGO_HOME", "/root/.cargo"), "/usr/local/cargo")
            for part in ("registry", "git")
        ),
        lambda c: c.name == "cargo" and _sub(c, "cache") and c.has_flag("-a", "--autoclean"),
    ),
    BuildCache(
        "Maven's local repository",
        lambda c: c.name in ("mvn", "mvnw") and not c.has_flag("-v", "--version", "-h", "--help"),
        lambda env: ("/root/.m2/repository",),
        lambda c: False,
        lambda c, env: any(w.value.startswith("-Dmaven.repo.local=/tmp") for w in c.args),
    ),
    BuildCache(
        "Gradle's caches",
        lambda c: c.name in ("gradle", "gradlew") and not c.has_flag("-v", "--version", "-h", "--help", "--stop"),
        lambda env: (posixpath.join(_home(env, "GRADLE_USER_HOME", "/root/.gradle"), "caches"),),
        lambda c: False,
    ),
    BuildCache(
        "Composer's download cache",
        lambda c: c.name == "composer" and _sub(c, "install", "update", "require", "create-project", "global"),
        lambda env: (
            env.get("COMPOSER_CACHE_DIR") or posixpath.join(_home(env, "COMPOSER_HOME", "/root/.composer"), "cache"),
            "/root/.cache/composer",
        ),
        lambda c: c.name == "composer" and _sub(c, "clear-cache", "clearcache", "cc"),
        lambda c, env: c.has_flag("--no-cache") or env.get("COMPOSER_CACHE_DIR") == "/dev/null",
    ),
    BuildCache(
        "Poetry's cache",
        lambda c: c.name == "poetry" and _sub(c, "install", "add", "update", "sync"),
        lambda env: (_home(env, "POETRY_CACHE_DIR", "/root/.cache/pypoetry"),),
        lambda c: c.name == "poetry" and _sub(c, "cache") and any(w.value == "clear" for w in c.operands()),
        lambda c, env: c.has_flag("--no-cache"),
    ),
    BuildCache(
        "Pipenv's cache",
        lambda c: c.name == "pipenv" and _sub(c, "install", "sync"),
        lambda env: (_home(env, "PIPENV_CACHE_DIR", "/root/.cache/pipenv"),),
        lambda c: c.name == "pipenv" and c.has_flag("--clear"),
    ),
    BuildCache(
        "Bundler's copies of the downloaded gems",
        lambda c: c.name in ("bundle", "bundler") and (c.subcommand is None or _sub(c, "install"))
        and not c.has_flag("--version", "-v", "--help", "-h"),
        lambda env: (
            posixpath.join(_home(env, "GEM_HOME", "/usr/local/bundle"), "cache"),
            posixpath.join(_home(env, "BUNDLE_PATH", "/usr/local/bundle"), "cache"),
            "/root/.bundle/cache",
        ),
        lambda c: _deletes_gem_cache(c),
    ),
)
_NAMES = frozenset({"go", "cargo", "mvn", "mvnw", "gradle", "gradlew", "composer", "poetry", "pipenv", "bundle", "bundler"})


@rule(
    code="DF308",
    name="build-cache-in-layer",
    severity=Severity.INFO,
    summary="A language build cache is left in a layer of the image that ships",
    message="`{command}` leaves {what} in this layer (`{path}`), bloating the image; mount a "
    "cache there (`RUN --mount=type=cache,target={path}`) or remove it in the same `RUN`",
    rationale=(
        "Build tools keep what they download and compile: Go's build and module caches, "
        "`~/.cargo/registry`, `~/.m2`, `~/.gradle/caches`, Composer, Poetry and Pipenv caches, "
        "Bundler's `.gem` copies. The running application never reads them, yet in the final "
        "image they often outweigh it. A cache mount keeps them out of the layer and speeds up "
        "rebuilds; otherwise remove them in the same `RUN` (or build in an earlier stage). "
        "Stages that do not reach the final image are not checked."
    ),
    bad="FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN go build -o /usr/local/bin/app ./cmd/app",
    good=(
        "FROM golang:1.23\nWORKDIR /src\nCOPY . .\nRUN --mount=type=cache,target=/root/.cache/go-build "
        "--mount=type=cache,target=/go/pkg/mod go build -o /usr/local/bin/app ./cmd/app"
    ),
    history=True,
    tags=("bloat",),
    needs_instructions=("RUN",),
    needs_text=("go", "cargo", "mvn", "gradle", "composer", "poetry", "pipenv", "bundle"),
    each=("RUN",),
    given=(ships,),
)
def build_cache_in_layer(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    if not ships(df, inst):
        return
    commands = run_commands(df, inst)
    reported: set[str] = set()
    for command in commands:
        if command.name not in _NAMES:
            continue
        for cache in CACHES:
            if cache.label in reported or not cache.runs(command):
                continue
            env = _env(df, command, commands)
            paths = tuple(normalize(p) for p in cache.paths(env))
            if any("$" in p for p in paths):
                continue  # the cache was moved to a folder set at build time (`$(mktemp -d)`)
            if cache.off(command, env) or _kept_out(df, command, commands, cache, paths):
                continue
            reported.add(cache.label)
            yield ctx.finding(command_range(command), command=_label(command), what=cache.label, path=paths[0])


def _deletes_gem_cache(command: Command) -> bool:
    """`find vendor/bundle -name cache -exec rm -rf {} +`, `rm -rf .../bundle/.../cache`: with a
    custom bundle path the cache folder moves, so any removal of a gem cache folder counts."""
    args = [w.value for w in command.args]
    if command.name == "find":
        names = [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-name", "-iname", "-path")]
        return any("cache" in n or n.endswith(".gem") for n in names) and ("-delete" in args or "-exec" in args)
    return command.name == "rm" and any("cache" in a and ("bundle" in a or "gem" in a) or a.endswith(".gem") for a in args)


def _label(command: Command) -> str:
    sub = command.subcommand
    return f"{command.name} {sub.value}" if sub is not None else command.name


def _kept_out(df: Dockerfile, command: Command, commands: list[Command], cache: BuildCache, paths: tuple[str, ...]) -> bool:
    script = command.script
    if script is None or _mounted(script, paths):
        return True
    for later in commands[order(command, commands) + 1 :]:
        if cache.cleans(later) or _removes(df, later, paths):
            return True
    return False


def _mounted(script: Script, paths: tuple[str, ...]) -> bool:
    for mount in script.mounts:
        if mount.target and mount.type in ("cache", "tmpfs"):
            target = normalize(mount.target)
            if any(covers(target, p) or p.startswith(target.rstrip("/") + "/") or target == p for p in paths):
                return True
    return False


_VAR = re.compile(r"\$\{?([A-Za-z_]\w*)\}?")
_CACHE_VARIABLE = re.compile(r"GOPATH|GOCACHE|GOMODCACHE|CARGO|M2|MAVEN|GRADLE|COMPOSER|POETRY|PIPENV|BUNDLE|GEM_|CACHE")


def _removes(df: Dockerfile, command: Command, paths: tuple[str, ...]) -> bool:
    """`rm` of a cache folder or a parent of it, variables (`$GOPATH/pkg`, `$HOME`) resolved."""
    if command.name != "rm":
        return False
    env = _env(df, command, [])
    for word in command.positionals():
        value = _VAR.sub(lambda m: env.get(m.group(1), "\0"), word.value)
        if "\0" in value:
            if any(_CACHE_VARIABLE.search(m.group(1)) for m in _VAR.finditer(word.value) if m.group(1) not in env):
                return True  # `rm -rf "$GOPATH"`: a cache location the build set elsewhere
            continue
        value = normalize(value)
        if any(covers(value, p) for p in paths):
            return True
        if value.count("/") == 1 and value not in _SYSTEM_DIRS and any(p.startswith(value + "/") for p in paths):
            return True  # `rm -rf /go` (GOPATH): `covers` leaves top-level folders out
    return False


_SYSTEM_DIRS = frozenset("/ /tmp /var /usr /etc /opt /home /srv /bin /sbin /lib /run /mnt /media".split())


def _env(df: Dockerfile, command: Command, commands: list[Command]) -> dict[str, str]:
    """Build variables where `command` runs, with the `export`s before it in `commands` and its
    own prefix assignments (values kept as written, `$(...)` included)."""
    inst = command.instruction
    if inst is None:
        return {}
    env = {k: v for k, v in df.scope(inst.parent or inst).items() if v is not None}
    env.setdefault("HOME", "/root")
    words = [w for c in commands[: max(order(command, commands), 0)] if c.name == "export" for w in c.args]
    for word in [*words, *command.assignments]:
        key, eq, value = word.value.partition("=")
        if eq:
            env[key] = value
    return env
