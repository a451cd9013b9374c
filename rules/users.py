"""Rules about which user the container runs as and what privileges its build steps get."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from typing import Iterator

from docklint.model.dockerfile import Dockerfile, exec_words
from docklint.model.nodes import ImageRef, Instruction, Stage
from docklint.model.source import Range
from docklint.rule import Context, Finding, Severity, rule

ROOT_NAMES = frozenset({"root", "0"})


def user_is_root(df: Dockerfile, inst: Instruction) -> bool:
    """Whether a USER instruction sets root (`root`, `0`, `root:group`, `0:0`, or a variable
    whose value resolves to one of those)."""
    text = inst.args.text.strip()
    if "$" in text:
        text = df.expand(inst, text)[0]
    user = text.split(":", 1)[0].strip().strip("\"'")
    return user.lower() in ROOT_NAMES


@rule(
    code="DL3002",
    name="last-user-is-root",
    severity=Severity.WARNING,
    summary="The last USER of a stage is root",
    message="the last `USER` of this stage is root, so its container runs with full privileges; "
    "switch to an unprivileged user with `USER <uid>` after the steps that need root",
    rationale=(
        "A process running as root inside a container is one kernel or runtime bug away from "
        "root on the host, and can rewrite everything in the image. Do the privileged steps "
        "first, then drop to a dedicated user for the rest of the stage."
    ),
    bad="FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER root",
    good="FROM alpine:3.20\nUSER root\nRUN apk add --no-cache curl\nUSER 10001",
    tags=("root",),
    needs_instructions=("USER",),
)
def last_user_is_root(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for stage in df.stages:
        users = list(stage.of("USER"))
        if users and user_is_root(df, users[-1]):
            yield ctx.finding(users[-1].args_range)


# -- DF101: the final stage never drops root ------------------------------------------------------

PRIVILEGE_DROPPERS = ("gosu", "su-exec", "setpriv", "runuser", "s6-setuidgid", "chpst", "setuidgid")
_DROPPER = re.compile(r"(?<![\w-])(" + "|".join(re.escape(d) for d in PRIVILEGE_DROPPERS) + r")(?![\w-])")


def _nonroot_base(ref: ImageRef) -> bool:
    """Whether a base image is one whose documented default user is not root (rules/data/nonroot.yaml)."""
    from docklint.rules._data import load

    written = ref.short_name
    for entry in load("nonroot.yaml")["images"]:
        if not fnmatch.fnmatchcase(written, entry["image"]) or written.count("/") != entry["image"].count("/"):
            continue
        tags = entry.get("tags")
        if tags is None or any(fnmatch.fnmatchcase(ref.tag or "latest", t) for t in tags):
            return True
    return False


def _root_stage(df: Dockerfile, stage: Stage) -> Stage:
    """The stage at the start of a `FROM <stage>` chain (the one naming an image)."""
    return df.lineage(stage)[-1]


def _windows(ref: ImageRef) -> bool:
    text = f"{ref.repository}:{ref.tag or ''}".lower()
    return any(word in text for word in ("windows", "servercore", "nanoserver", "dotnet/framework", "/iis", "ltsc"))


def runtime_user(df: Dockerfile, stage: Stage) -> tuple[Instruction | None, bool]:
    """The last USER in effect for a stage (following `FROM <stage>` chains) and whether the
    image it finally builds on is a known non-root image."""
    seen: set[int] = set()
    current: Stage | None = stage
    while current is not None and current.index not in seen:
        seen.add(current.index)
        users = list(current.of("USER"))
        if users:
            return users[-1], False
        if current.base_stage is None:
            return None, current.base is not None and _nonroot_base(current.base)
        current = df.stages[current.base_stage]
    return None, False


def privilege_dropper(df: Dockerfile, stage: Stage) -> str | None:
    """The privilege-dropping tool the stage's entrypoint uses, if any: named in ENTRYPOINT/CMD,
    or installed by a RUN of the stage chain while an ENTRYPOINT script is set."""
    chain = df.lineage(stage)
    has_entrypoint = False
    for member in chain:
        for inst in member.instructions:
            if inst.keyword in ("ENTRYPOINT", "CMD"):
                has_entrypoint = has_entrypoint or inst.keyword == "ENTRYPOINT"
                match = _DROPPER.search(inst.args.text)
                if match:
                    return match.group(1)
    if not has_entrypoint:
        return None
    for member in chain:
        for inst in member.of("RUN"):
            match = _DROPPER.search(inst.args.text)
            if match:
                return match.group(1)
    return None


@rule(
    code="DF101",
    name="missing-user",
    severity=Severity.WARNING,
    summary="The final stage never sets USER, so the container runs as root",
    message="the final stage never sets `USER`, so its container runs as {who}{inherited}; "
    "create an unprivileged user and switch to it with `USER <uid>`{dropper}",
    rationale=(
        "Without a `USER`, containers run as the base image's user, which is root for almost "
        "every base. A compromised process then has root's power over the container's files and "
        "is one kernel or runtime bug away from the host. A USER set in an earlier build stage "
        "does not carry over to the final image. Entrypoints that drop privileges at start "
        "(gosu, su-exec) lower the risk, so those findings are reported as info."
    ),
    bad="FROM python:3.12-slim\nCOPY app.py /app/\nCMD [\"python\", \"/app/app.py\"]",
    good="FROM python:3.12-slim\nRUN useradd --uid 10001 app\nCOPY app.py /app/\nUSER 10001\n"
    "CMD [\"python\", \"/app/app.py\"]",
    tags=("root",),
)
def missing_user(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    stage = df.final_stage
    if stage is None:
        return
    user, nonroot_base = runtime_user(df, stage)
    # A USER that resolves to root is DL3002's finding; DF101 is only about a missing USER.
    if user is not None or nonroot_base:
        return
    root_stage = _root_stage(df, stage)
    base = root_stage.base_text
    inherited = f" (the default of `{base}`)" if base and base.lower() != "scratch" else ""
    who = "ContainerAdministrator" if root_stage.base is not None and _windows(root_stage.base) else "root"
    dropper = privilege_dropper(df, stage)
    hint = f", or confirm that the entrypoint's `{dropper}` drops privileges" if dropper else ""
    finding = ctx.finding(stage.base_range, who=who, inherited=inherited, dropper=hint)
    if dropper and ctx.severity.rank > Severity.INFO.rank:
        finding = finding.with_(severity=Severity.INFO)
    yield finding


# -- paths and flags -------------------------------------------------------------------------------

SENSITIVE_VOLUMES = ("/", "/proc", "/sys", "/dev", "/etc", "/boot", "/var/run/docker.sock", "/run/docker.sock")
SYSTEM_WORKDIRS = ("/proc", "/sys", "/dev", "/boot", "/initrd", "/lost+found")


def _normal(path: str) -> str:
    cleaned = posixpath.normpath(path) if path.startswith("/") else path
    return "/" if cleaned == "//" else cleaned


def volume_paths(inst: Instruction) -> list[tuple[str, Range]]:
    words = exec_words(inst) if inst.json_args is not None else inst.words
    return [(w.value, w.range) for w in words]


@rule(
    code="DF126",
    name="sensitive-volume",
    severity=Severity.WARNING,
    summary="VOLUME on a system path or the Docker socket",
    message="`VOLUME {path}` turns a system path into a volume, so a host folder or the Docker "
    "socket mounted there gives the container control over the host; declare a volume for "
    "application data instead",
    rationale=(
        "A VOLUME on `/`, `/etc`, `/proc`, `/sys`, `/dev` or the Docker socket invites running "
        "the container with the host's version of that path mounted. Whoever controls the "
        "container then controls the host: the Docker socket alone is root on the host. Volumes "
        "belong on the application's own data folders."
    ),
    bad="FROM alpine:3.20\nVOLUME /var/run/docker.sock",
    good="FROM alpine:3.20\nVOLUME /var/lib/app",
    needs_instructions=("VOLUME",),
    each=("VOLUME",),
    onbuild=True,
)
def sensitive_volume(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for value, rng in volume_paths(inst):
        path = df.expand(inst, value)[0] if "$" in value else value
        if _normal(path) in SENSITIVE_VOLUMES or _normal(path).startswith(("/proc/", "/sys/")):
            yield ctx.finding(rng, path=value)


@rule(
    code="DF127",
    name="workdir-system-directory",
    severity=Severity.WARNING,
    summary="WORKDIR inside a system directory",
    message="`WORKDIR {path}` puts the working directory inside `{root}`, a kernel or boot "
    "folder that is not meant to hold files; use a folder such as `/app`",
    rationale=(
        "`/proc`, `/sys` and `/dev` are filled by the kernel at run time and `/boot` and "
        "`/lost+found` belong to the host's file system layout. Files placed there during the "
        "build are hidden or lost when the container starts, and tools that write to the "
        "working directory end up touching kernel interfaces."
    ),
    bad="FROM alpine:3.20\nWORKDIR /proc/app",
    good="FROM alpine:3.20\nWORKDIR /app",
    needs_instructions=("WORKDIR",),
    each=("WORKDIR",),
    onbuild=True,
)
def workdir_system_directory(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    raw = inst.args.text.strip().strip("\"'")
    path = _normal(df.expand(inst, raw)[0] if "$" in raw else raw)
    for root in SYSTEM_WORKDIRS:
        if path == root or path.startswith(root + "/"):
            yield ctx.finding(inst.args_range, path=raw, root=root)
            break


@rule(
    code="DF128",
    name="run-insecure-build-flags",
    severity=Severity.WARNING,
    summary="RUN with `--security=insecure` or `--network=host`",
    message="`{flag}` {effect}; drop the flag and give the step only what it needs "
    "(a cache or secret mount, a build argument)",
    rationale=(
        "`--security=insecure` runs the step as a privileged container with all capabilities; "
        "`--network=host` shares the build machine's network, including services bound to "
        "localhost. Either lets a build step (and whatever it downloads) reach beyond its sandbox."
    ),
    bad="FROM alpine:3.20\nRUN --security=insecure mount -t tmpfs none /mnt",
    good="FROM alpine:3.20\nRUN --mount=type=tmpfs,target=/mnt ls /mnt",
    tags=("root",),
    needs_instructions=("RUN",),
    each=("RUN",),
    onbuild=True,
)
def run_insecure_build_flags(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for flag in inst.flags:
        value = (flag.value or "").strip().lower()
        if flag.name == "security" and value == "insecure":
            effect = "runs this step as a privileged container with every capability"
        elif flag.name == "network" and value == "host":
            effect = "gives this step the build machine's network, localhost services included"
        else:
            continue
        yield ctx.finding(flag.range, flag=f"--{flag.name}={flag.value}", effect=effect)


@rule(
    code="DF129",
    name="copy-chown-to-runtime-user",
    severity=Severity.INFO,
    enabled=False,
    summary="COPY/ADD --chown gives files to the user the container runs as",
    message="`--chown={owner}` gives these files to `{user}`, the user the container runs as, so a "
    "compromised process can rewrite its own code; leave them owned by root and readable",
    rationale=(
        "When the runtime user owns the application's files, an attacker who gets code "
        "execution can modify them and persist. Files owned by root with read (and execute) "
        "permission for everyone still run, but cannot be changed by the app. Give the runtime "
        "user ownership only of the folders it must write to."
    ),
    bad="FROM node:22-alpine\nCOPY --chown=node:node . /app\nUSER node",
    good="FROM node:22-alpine\nCOPY . /app\nUSER node",
    tags=("root",),
    needs_instructions=("USER",),
)
def copy_chown_to_runtime_user(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    stage = df.final_stage
    if stage is None:
        return
    user_inst, _ = runtime_user(df, stage)
    if user_inst is None:
        return
    user = _user_part(df, user_inst, user_inst.args.text)
    if user in ROOT_NAMES:
        return
    for inst in stage.instructions:
        if inst.keyword not in ("COPY", "ADD"):
            continue
        flag = inst.flag("chown")
        if flag is None or not flag.value or flag.value_range is None:
            continue
        if _user_part(df, inst, flag.value) == user:
            yield ctx.finding(flag.value_range, owner=flag.value, user=user)


def _user_part(df: Dockerfile, inst: Instruction, text: str) -> str:
    text = text.strip().strip("\"'")
    if "$" in text:
        text = df.expand(inst, text)[0]
    return text.split(":", 1)[0].strip().lower()
