"""DF208: JavaScript and Ruby dependency installs that may ignore or rewrite the lock file."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.shell import Command
from docklint.rule import Context, Finding, Fix, Severity, TextEdit, rule
from docklint.rules.run_edits import command_range, earlier_runs, insert_flag, order, run_commands

_TRUE = frozenset({"1", "true", "yes"})


@rule(
    code="DF208",
    name="lockfile-not-enforced",
    severity=Severity.INFO,
    summary="A dependency install that may ignore or rewrite the lock file",
    message="`{command}` may resolve versions other than the lock file's, so rebuilds can install "
    "different dependencies; use {instead}",
    rationale=(
        "`npm install`, `yarn install`, `pnpm install` and `bundle install` update the lock file "
        "when it no longer matches the manifest, silently installing newer versions than the ones "
        "tested. `npm ci`, `yarn install --frozen-lockfile` (`--immutable` on Yarn 2+), "
        "`pnpm install --frozen-lockfile` and Bundler's frozen or deployment mode install exactly "
        "the locked versions and fail when the lock file is stale. Installs of named packages are "
        "left to the pinning rules (DL3016, DL3060); `CI=true` (yarn 2+, pnpm), "
        "`YARN_ENABLE_IMMUTABLE_INSTALLS`, `BUNDLE_FROZEN` and `BUNDLE_DEPLOYMENT` count as "
        "frozen."
    ),
    bad="FROM node:20-slim\nCOPY package.json package-lock.json ./\nRUN npm install",
    good="FROM node:20-slim\nCOPY package.json package-lock.json ./\nRUN npm ci",
    fix_safety=(
        "Unsafe: the build then fails when the lock file is missing or out of step with the "
        "manifest (which is the point), and `npm ci` removes an existing `node_modules` first."
    ),
    needs_instructions=("RUN",),
    needs_text=("npm", "yarn", "bundle"),
)
def lockfile_not_enforced(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for command in df.commands(("npm", "yarn", "pnpm", "bundle", "bundler")):
        found = _unfrozen(df, command)
        if found is not None:
            label, instead, fix = found
            yield ctx.finding(command_range(command), fix=fix, command=label, instead=instead)


def _unfrozen(df: Dockerfile, command: Command) -> tuple[str, str, Fix | None] | None:
    name = command.name
    sub = command.subcommand_name
    if name == "npm":
        return _npm(command) if sub == "install" else None
    if name == "yarn" and sub in (None, "install") and not _only_prints(command):
        return _yarn(df, command)
    if name == "pnpm" and sub == "install":
        return _pnpm(df, command)
    if name in ("bundle", "bundler") and sub in (None, "install") and not _only_prints(command):
        return _bundle(df, command)
    return None


def _only_prints(command: Command) -> bool:
    return command.subcommand is None and command.has_flag("--version", "-v", "--help", "-h")


def _npm(command: Command) -> tuple[str, str, Fix | None] | None:
    if command.operands() or command.has_flag("-g", "--global", "--package-lock-only"):
        return None
    fix = None
    word = command.subcommand
    if word is not None and word.exact and not command.has_flag("--no-package-lock", "--package-lock"):
        fix = Fix.unsafe("Use `npm ci`", TextEdit.replace(word.range, "ci"))
    return f"npm {word.value if word else 'install'}", "`npm ci`", fix


def _yarn(df: Dockerfile, command: Command) -> tuple[str, str, Fix | None] | None:
    if command.operands() or command.has_flag("--frozen-lockfile", "--immutable"):
        return None
    env = _env(df, command)
    if env.get("YARN_ENABLE_IMMUTABLE_INSTALLS", "").lower() in _TRUE or env.get("YARN_FROZEN_LOCKFILE", "").lower() in _TRUE:
        return None
    berry = _yarn_berry(df)
    if env.get("CI", "").lower() in _TRUE and berry:
        return None  # Yarn 2+ installs immutably when it detects CI
    flag = "--immutable" if berry else "--frozen-lockfile"
    edit = insert_flag(command, flag)
    fix = Fix.unsafe(f"Add `{flag}`", edit) if edit is not None else None
    label = "yarn install" if command.subcommand is not None else "yarn"
    return label, f"`yarn install {flag}`", fix


def _yarn_berry(df: Dockerfile) -> bool:
    """The file copies `.yarnrc.yml` or `.yarn/`, or sets a Yarn 2+ version: Yarn Berry."""
    for inst in df.of("COPY", "ADD"):
        if ".yarnrc.yml" in inst.args.text or ".yarn/" in inst.args.text:
            return True
    for command in df.commands("yarn"):
        operands = command.operands()
        if command.subcommand_name == "set" and len(operands) >= 2 and operands[0].value == "version":
            return operands[1].value not in ("classic", "1") and not operands[1].value.startswith("1.")
    return False


def _pnpm(df: Dockerfile, command: Command) -> tuple[str, str, Fix | None] | None:
    if command.operands() or command.has_flag("--frozen-lockfile", "--lockfile-only", "-g", "--global"):
        return None
    env = _env(df, command)
    if env.get("CI", "").lower() in _TRUE or env.get("npm_config_frozen_lockfile", "").lower() in _TRUE:
        return None  # pnpm defaults to --frozen-lockfile in CI
    fix = None
    if not command.has_flag("--no-frozen-lockfile", "--prefer-frozen-lockfile", "--fix-lockfile"):
        edit = insert_flag(command, "--frozen-lockfile")
        fix = Fix.unsafe("Add `--frozen-lockfile`", edit) if edit is not None else None
    return "pnpm install", "`pnpm install --frozen-lockfile`", fix


def _bundle(df: Dockerfile, command: Command) -> tuple[str, str, Fix | None] | None:
    if command.has_flag("--frozen", "--deployment"):
        return None
    env = _env(df, command)
    if any(env.get(name, "").lower() in _TRUE for name in ("BUNDLE_FROZEN", "BUNDLE_DEPLOYMENT")):
        return None
    if _bundle_configured(df, command):
        return None
    label = "bundle install" if command.subcommand is not None else "bundle"
    return label, "`bundle config set frozen true` (or deployment mode) before `bundle install`", None


def _bundle_configured(df: Dockerfile, command: Command) -> bool:
    """`bundle config [set] [--local|--global] frozen|deployment true` before the install."""
    inst = command.instruction
    if inst is None:
        return True
    commands = [c for other in earlier_runs(df, inst) for c in run_commands(df, other)]
    current = run_commands(df, inst)
    commands.extend(current[: order(command, current)])
    for other in commands:
        if other.name in ("bundle", "bundler") and other.subcommand_name == "config":
            values = [w.value for w in other.operands()]
            if any(v in ("frozen", "deployment") for v in values) and any(v.lower() in _TRUE for v in values):
                return True
    return False


def _env(df: Dockerfile, command: Command) -> dict[str, str]:
    """Build variables (ARG/ENV) where `command` runs, plus its own prefix assignments and the
    `export`s before it in the same RUN."""
    inst = command.instruction
    if inst is None:
        return {}
    env = {k: v or "" for k, v in df.scope(inst.parent or inst).items()}
    commands = run_commands(df, inst)
    for other in commands[: max(order(command, commands), 0)]:
        if other.name == "export":
            for word in other.args:
                key, eq, value = word.value.partition("=")
                if eq:
                    env[key] = value
    for word in command.assignments:
        key, _, value = word.value.partition("=")
        env[key] = value
    return env
