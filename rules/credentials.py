"""Rules about credentials handled in RUN: passed on command lines (DF103), account passwords
set in the build (DF104), and build secrets copied into the image (DF107).

Values are never printed: findings name the command and the option, not what follows it.
"""

from __future__ import annotations

import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
from docklint.model.shell import Command, ShellWord
from docklint.model.source import Range
from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.command_flow import SecretSource, run_commands, script_mounts, secret_sources

# Login commands and the options that carry the password or token on the command line.
LOGIN_OPTIONS: dict[str, tuple[str, ...]] = {
    "docker": ("-p", "--password"), "podman": ("-p", "--password"), "buildah": ("-p", "--password"),
    "skopeo": ("-p", "--password"), "helm": ("-p", "--password"), "oras": ("-p", "--password"),
    "crane": ("-p", "--password"), "az": ("-p", "--password"), "doctl": ("-t", "--access-token"),
    "huggingface-cli": ("--token",), "wget": ("--password", "--http-password", "--ftp-password"),
}  # fmt: skip
_CREDENTIAL_TOOLS = frozenset(LOGIN_OPTIONS) | {"curl", "aws", "gcloud", "npm", "yarn", "pnpm", "git"}
_AWS_SECRETS = frozenset({"aws_secret_access_key", "aws_session_token"})
_NPM_AUTH = re.compile(r"(?i)(?:^|:)(?:_authToken|_auth|_password)$|^npmAuthToken$|^npmAuthIdent$")
_USERINFO_URL = re.compile(r"://[^/@\s]+@")
_AUTH_HEADER = re.compile(r"(?i)^\s*(?:authorization|private-token|x-api-key|x-auth-token|job-token)\s*:")
_PLACEHOLDER = re.compile(r"^(?:<[^>]*>|\*+|x+|\.\.\.|)$", re.I)


@rule(
    code="DF103",
    name="credential-setup-in-run",
    severity=Severity.ERROR,
    summary="RUN passes a password, token or key on a command line without a secret mount",
    message="{what} in a build step, so {where}; read it from a `RUN --mount=type=secret` file or "
    "`env=` variable instead",
    rationale=(
        "A RUN step's command line is stored in the image history together with the build "
        "arguments it uses, and is visible to other processes while it runs. `docker login -p`, "
        "`aws configure set aws_secret_access_key`, `npm config set ...:_authToken`, `curl -u "
        "user:pass` and friends therefore leak the credential to anyone who can pull the image. "
        "A secret mount hands the value to one step without recording it; values read from a "
        "secret mount in the same RUN are not reported."
    ),
    bad="FROM docker:27-cli\nARG REGISTRY_PASSWORD\nRUN docker login -u ci -p \"$REGISTRY_PASSWORD\" registry.example.com",
    good="FROM docker:27-cli\nRUN --mount=type=secret,id=registry_password \\\n"
    "    docker login -u ci --password-stdin registry.example.com < /run/secrets/registry_password",
    history=True,
    tags=("secret",),
    needs_instructions=("RUN",),
    each=("RUN",),
    onbuild=True,
)
def credential_setup_in_run(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    secrets = secret_sources(script_mounts(df, inst))
    for command in run_commands(df, inst):
        if command.name not in _CREDENTIAL_TOOLS and command.tool not in _CREDENTIAL_TOOLS:
            continue
        for word, what in _credential_words(command):
            if not _from_secret(df, inst, word, secrets) and not _PLACEHOLDER.match(word.value):
                if what.startswith("`gcloud"):
                    where = "the key must be stored in the image, where anyone who pulls it can read it"
                    yield ctx.finding(word.range, what=f"{what} reads a key file", where=where)
                else:
                    where = "the image history keeps it"
                    yield ctx.finding(word.range, what=f"{what} passes a credential on the command line", where=where)


def _from_secret(df: Dockerfile, inst: Instruction, word: ShellWord, secrets: SecretSource) -> bool:
    """Whether the value comes from a secret mount of this RUN: it names the mount's file or
    variable, or, with a secret mounted, a shell variable that is not a build argument or ENV
    (set in the script from the secret)."""
    if secrets.in_text(word.value):
        return True
    if not secrets or not word.has_expansion:
        return False
    if "$(" in word.value or "`" in word.value:
        return True
    from docklint.model.variables import references

    scope = df.scope(inst.parent or inst)
    return not any(ref.name in scope for ref in references(word.raw))


def _credential_words(command: Command) -> Iterator[tuple[ShellWord, str]]:
    """Words of `command` that hold a credential, with how to name the option in the message."""
    tool = command.tool
    sub = command.subcommand_name
    options = LOGIN_OPTIONS.get(command.name)
    if options is not None and (command.name in ("wget", "doctl", "huggingface-cli") or sub == "login" or _registry_login(command)):
        verb = " ".join(w.value for w in command.positionals()[:3] if w.value in ("login", "auth", "init", "registry"))
        for word, option in _option_values(command, options):
            yield word, f"`{' '.join(part for part in (command.name, verb, option) if part)}`"
    elif command.name == "curl":
        for word, option in _option_values(command, ("-u", "--user", "-H", "--header", "--oauth2-bearer")):
            if option in ("-u", "--user") and ":" not in word.value.strip(":"):
                continue  # `-u user` alone: curl prompts, nothing is written down
            if option in ("-H", "--header") and not _AUTH_HEADER.match(word.value):
                continue
            yield word, f"`curl {option}`"
    elif command.name == "aws" and command.args[:2] and [w.value for w in command.args[:2]] == ["configure", "set"]:
        operands = [w for w in command.args[2:] if not w.value.startswith("--")]
        if len(operands) >= 2 and operands[0].value.split(".")[-1] in _AWS_SECRETS:
            yield operands[1], f"`aws configure set {operands[0].value}`"
    elif command.name == "gcloud" and " ".join(w.value for w in command.args[:2]) == "auth activate-service-account":
        for word, option in _option_values(command, ("--key-file",)):
            yield word, "`gcloud auth activate-service-account --key-file`"
    elif tool in ("npm", "yarn", "pnpm") and sub in ("config", "set"):
        yield from _npm_auth(command)
    elif command.name == "git" and sub == "config":
        yield from _git_credentials(command)


def _registry_login(command: Command) -> bool:
    """`helm registry login`, `az login`, `crane auth login`, `oras login` and the like."""
    return any(w.value == "login" for w in command.positionals()[:3])


def _option_values(command: Command, options: tuple[str, ...]) -> Iterator[tuple[ShellWord, str]]:
    """`(value word, option)` for each `-p VALUE`, `-pVALUE`, `--password=VALUE` among the args."""
    args = command.args
    for index, word in enumerate(args):
        text = word.value
        for option in options:
            if text == option and index + 1 < len(args):
                yield args[index + 1], option
            elif option.startswith("--") and text.startswith(option + "="):
                yield word, option
            elif not option.startswith("--") and text.startswith(option) and len(text) > len(option) and text[1:2] == option[1:]:
                yield word, option


def _npm_auth(command: Command) -> Iterator[tuple[ShellWord, str]]:
    operands = [w for w in command.operands() if w.value != "set"]
    for index, word in enumerate(operands):
        key, eq, _value = word.value.partition("=")
        if _NPM_AUTH.search(key):
            name = key.rsplit(":", 1)[-1]
            if eq:
                yield word, f"`{command.name} config set ...{name}=`"
            elif index + 1 < len(operands):
                yield operands[index + 1], f"`{command.name} config set ...{name}`"


def _git_credentials(command: Command) -> Iterator[tuple[ShellWord, str]]:
    operands = command.operands()
    for index, word in enumerate(operands[:-1]):
        key = word.value
        value = operands[index + 1]
        if key.lower().startswith("url.") and _USERINFO_URL.search(key):
            yield word, "`git config url.<user:token@...>.insteadOf`"
        elif key.lower().startswith("credential.") and re.search(r"password=|token=", value.value):
            yield value, f"`git config {key}`"


# -- DF104: account passwords ----------------------------------------------------------------

_LOCKED = frozenset({"*", "!", "!!", "x", "!*"})


_HASH_KEPT = "the image history records it and its hash ships in `/etc/shadow`"
# A password generated at build time is unknown to anyone: it locks the account rather than opening it.
_RANDOM = re.compile(r"openssl\s+rand|/dev/u?random|\$RANDOM|\bpwgen\b|\bmkpasswd\s+-R|\buuidgen\b|\bmktemp\b")


@rule(
    code="DF104",
    name="password-set-in-run",
    severity=Severity.WARNING,
    summary="RUN sets or clears an account password (`chpasswd`, `passwd`, `usermod -p`)",
    message="{what}, so {consequence}; leave the account locked (the default for `useradd`) and "
    "give credentials at run time",
    rationale=(
        "Passwords set while building are baked into every container: the command line (and "
        "the build arguments it uses) stay in the image history, and the password hash sits in "
        "`/etc/shadow` where offline cracking can recover it. An empty password (`passwd -d`) "
        "is worse. Containers are entered with `docker exec`; services that need a password "
        "should read it from a secret at start-up. Random passwords generated during the build "
        "(`openssl rand`, `/dev/urandom`) only lock the account and are not reported."
    ),
    bad="FROM debian:12\nRUN useradd -m app && echo 'app:hunter2' | chpasswd",
    good="FROM debian:12\nRUN useradd -m app",
    history=True,
    tags=("secret",),
    needs_instructions=("RUN",),
    each=("RUN",),
    onbuild=True,
)
def password_set_in_run(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for command in df.commands({"chpasswd", "passwd", "usermod", "useradd"}, inst=inst):
        found = _password_change(command)
        if found is not None:
            rng, what, consequence = found
            yield ctx.finding(rng, what=what, consequence=consequence)


def _password_change(command: Command) -> tuple[Range, str, str] | None:
    name = command.name
    if name == "passwd" and command.has_flag("-d", "--delete"):
        return command.argv[0].range, "`passwd -d` clears the account's password", "anyone who reaches `su` or a login gets in without one"
    if name == "chpasswd" or (name == "passwd" and (command.has_flag("--stdin") or command.piped_from is not None)):
        if name == "passwd" and command.has_flag("-l", "-S", "-e", "-u", "--lock", "--status", "--expire", "--unlock"):
            return None
        if _random_input(command):
            return None
        return command.argv[0].range, f"`{name}` sets an account password in a build step", _HASH_KEPT
    if name in ("usermod", "useradd"):
        for word, option in _option_values(command, ("-p", "--password")):
            value = word.value.partition("=")[2] if word.value.startswith("--password=") else word.value
            if value.strip("'\"") not in _LOCKED and not _RANDOM.search(value):
                return word.range, f"`{name} {option}` sets an account password in a build step", _HASH_KEPT
    return None


def _random_input(command: Command) -> bool:
    """Whether the text piped into `command` is generated at random during the build."""
    source = command.piped_from
    while source is not None:
        if _RANDOM.search(source.source_text):
            return True
        source = source.piped_from
    return False


# -- DF107: secrets copied into the layer ----------------------------------------------------

# Tools that store a credential they are given in a file, and that file.
CONFIG_STORES: dict[str, str] = {
    "npm": "~/.npmrc", "yarn": "~/.yarnrc", "pnpm": "~/.npmrc", "docker": "~/.docker/config.json",
    "podman": "~/.config/containers/auth.json", "aws": "~/.aws/credentials", "gcloud": "~/.config/gcloud",
    "git": "~/.gitconfig", "pip": "~/.config/pip/pip.conf", "huggingface-cli": "~/.cache/huggingface/token",
}  # fmt: skip
_DISCARD = ("/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/")


@rule(
    code="DF107",
    name="secret-mount-persisted",
    severity=Severity.WARNING,
    summary="A `RUN --mount=type=secret` step copies the secret into the image",
    message="`{what}` writes the build secret to `{dest}`, which is saved in the layer; use the "
    "mounted file in place, or delete `{dest}` before this `RUN` ends",
    rationale=(
        "Secret mounts keep a credential out of the image only while it stays in the mount. "
        "Copying it (`cp /run/secrets/npmrc ~/.npmrc`), redirecting it into a file, or handing "
        "it to a tool that saves it (`npm config set`, `docker login`, `aws configure`) writes "
        "it into the layer, where anyone who pulls the image can read it. Files deleted later in "
        "the same RUN never reach a layer and are not reported."
    ),
    bad="FROM node:22\nRUN --mount=type=secret,id=npmrc cp /run/secrets/npmrc /root/.npmrc && npm ci",
    good="FROM node:22\nRUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci",
    tags=("secret",),
    needs_instructions=("RUN",),
    each=("RUN",),
    onbuild=True,
)
def secret_mount_persisted(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    secrets = secret_sources(script_mounts(df, inst))
    if not secrets:
        return
    commands = run_commands(df, inst)
    for index, command in enumerate(commands):
        for dest in _persisted(command, secrets):
            if not _discarded(dest) and not _removed(dest, command, commands[index + 1 :]):
                yield ctx.finding(command.range, what=command.name, dest=dest)
                break


def _persisted(command: Command, secrets: SecretSource) -> Iterator[str]:
    """Files `command` writes the secret into."""
    from docklint.rules.written_config import write_targets, written_texts

    name = command.name
    operands = command.positionals()
    if name in ("cp", "install", "rsync") and len(operands) >= 2:
        if any(secrets.in_text(w.value) for w in operands[:-1]):
            yield operands[-1].value
        return
    reads = any(secrets.in_text(w.value) for w in command.args) or any(
        r.op == "<" and r.target is not None and secrets.in_text(r.target.value) for r in command.redirects
    )
    if reads and name not in ("rm", "test", "[", "ls", "stat", "wc"):
        yield from write_targets(command)
        store = _config_store(command)
        if store is not None:
            yield store
    for written in written_texts(command):
        if written.body is not None and secrets.in_text(written.text):
            yield from written.targets


def _config_store(command: Command) -> str | None:
    """Where a tool saves a credential passed to it (npm's userconfig, docker's config.json, ...)."""
    tool = command.tool
    sub = command.subcommand_name
    if tool in ("npm", "yarn", "pnpm") and sub in ("config", "set", "login", "adduser"):
        userconfig = command.flag_value("--userconfig")
        return userconfig or CONFIG_STORES[tool]
    if tool in ("docker", "podman", "helm") and (sub == "login" or _registry_login(command)):
        return CONFIG_STORES.get(tool, "~/.config/helm/registry/config.json")
    if tool == "aws" and command.args[:1] and command.args[0].value == "configure":
        return CONFIG_STORES["aws"]
    if tool == "gcloud" and command.args[:1] and command.args[0].value == "auth":
        return CONFIG_STORES["gcloud"]
    if tool == "git" and sub == "config":
        return CONFIG_STORES["git"] if command.has_flag("--global") else ".git/config"
    if tool == "pip" and sub == "config":
        return CONFIG_STORES["pip"]
    if tool == "huggingface-cli" and sub == "login":
        return CONFIG_STORES["huggingface-cli"]
    return None


def _home(path: str) -> str:
    for prefix in ("${HOME}", "$HOME", "/root"):
        if path == prefix or path.startswith(prefix + "/"):
            return "~" + path[len(prefix) :]
    return path


def _discarded(dest: str) -> bool:
    return dest.startswith(_DISCARD) or dest.startswith("/run/secrets/")


def _removed(dest: str, command: Command, later: list[Command]) -> bool:
    """Whether a later command deletes `dest` (or a folder holding it) or logs the tool out."""
    target = _home(dest.rstrip("/"))
    for other in later:
        if other.name == "rm":
            for word in other.positionals():
                root = _home(word.value.rstrip("/"))
                if root and (target == root or target.startswith(root + "/")):
                    return True
        elif other.name == command.name and other.subcommand_name in ("logout", "delete") and command.name in ("docker", "npm", "podman"):
            return True
    return False
