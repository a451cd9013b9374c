"""Rules about which user the container runs as."""

from __future__ import annotations

from typing import Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction
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
)
def last_user_is_root(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    for stage in df.stages:
        users = list(stage.of("USER"))
        if users and user_is_root(df, users[-1]):
            yield ctx.finding(users[-1].args_range)
