"""Compose rules about limits and resilience: memory, CPU and process limits, a read-only root
file system, the OOM killer, restart policy and health checks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.compose.common import add_key_fix, is_false, is_true
from docklint.rules.compose.edits import insert_entry, replace_value

if TYPE_CHECKING:
    from docklint.model.compose import ComposeFile, Service
    from docklint.model.yaml_tree import Node


def _limit(service: Service, *keys: str, deploy: str, own: bool = False) -> Node | None:
    """The first of the service's `keys` that is set, else `deploy.resources.limits.<deploy>`;
    inherited through `extends` unless `own`."""
    for key in keys:
        value = service.get(key) if own else service.lookup(key)
        if value is not None and not value.is_null:
            return value
    top = service.get("deploy") if own else service.lookup("deploy")
    value = top.path("resources", "limits", deploy) if top is not None else None
    return value if value is not None and not value.is_null else None


@rule(
    code="RT118",
    name="compose-memory-limit-missing",
    severity=Severity.INFO,
    summary="A service has no memory limit",
    message="`{service}` has no memory limit, so a leak or a flood of requests can take all the "
    "host's memory; set `deploy.resources.limits.memory` (or `mem_limit`)",
    rationale=(
        "Without a limit a container may use all of the host's memory; when it runs out, the "
        "kernel's OOM killer picks victims among every process on the host. A limit confines "
        "the damage to the service that misbehaves."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n",
    good="services:\n  app:\n    image: nginx:1.27\n    deploy:\n      resources:\n        limits:\n          memory: 256M\n",
    kind="compose",
)
def compose_memory_limit_missing(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        if service.complete and _limit(service, "mem_limit", deploy="memory") is None:
            yield ctx.finding(service.key.range, service=service.name)


@rule(
    code="RT119",
    name="compose-cpu-limit-missing",
    severity=Severity.INFO,
    summary="A service has no CPU limit",
    message="`{service}` has no CPU limit, so a busy loop can starve every other service on the "
    "host; set `deploy.resources.limits.cpus` (or `cpus`)",
    rationale=(
        "A container without a CPU limit competes for every core with the host and the other "
        "containers. A runaway process, or an attacker mining on it, then slows everything "
        "else down."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n",
    good="services:\n  app:\n    image: nginx:1.27\n    cpus: 0.5\n",
    kind="compose",
)
def compose_cpu_limit_missing(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        if service.complete and _limit(service, "cpus", "cpu_quota", deploy="cpus") is None:
            yield ctx.finding(service.key.range, service=service.name)


@rule(
    code="RT120",
    name="compose-pids-limit-missing",
    severity=Severity.INFO,
    summary="A service has no process limit (`pids_limit` missing or -1)",
    message="`{service}` {what}, so a fork bomb can exhaust the host's process table; set "
    "`pids_limit` (for example `pids_limit: 200`)",
    rationale=(
        "Process IDs are shared by the whole host. A container that forks without bound, by "
        "bug or by attack, stops every other program from starting new processes. A limit of "
        "a few hundred is plenty for most services."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n",
    good="services:\n  app:\n    image: nginx:1.27\n    pids_limit: 200\n",
    kind="compose",
)
def compose_pids_limit_missing(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        if _limit(service, "pids_limit", deploy="pids") is None:
            if service.complete:
                yield ctx.finding(service.key.range, service=service.name, what="has no process limit")
            continue
        value = _limit(service, "pids_limit", deploy="pids", own=True)
        if value is not None and value.is_scalar and re.fullmatch(r"\s*-?\d+\s*", value.value) and int(value.value) <= 0:
            yield ctx.finding(value.at, service=service.name, what=f"sets no limit (`{value.value.strip()}`)")


@rule(
    code="RT121",
    name="compose-read-only-rootfs-missing",
    severity=Severity.INFO,
    summary="A service's root file system is writable (`read_only: true` not set)",
    message="`{service}` can write anywhere in its file system, so an attacker can change its "
    "programs and plant tools; set `read_only: true` and mount `tmpfs` or volumes where it writes",
    rationale=(
        "A read-only root file system keeps the image as built: nothing can replace a binary, "
        "add a cron job or drop a web shell. The places a service must write (`/tmp`, a cache, "
        "its data) become explicit `tmpfs` mounts or volumes."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n",
    good="services:\n  app:\n    image: nginx:1.27\n    read_only: true\n    tmpfs: [/tmp, /var/cache/nginx, /var/run]\n",
    fix_safety="Unsafe: writes outside volumes and `tmpfs` mounts fail, so the service may stop "
    "working until those paths are mounted.",
    kind="compose",
)
def compose_read_only_rootfs_missing(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        value = service.lookup("read_only")
        if is_true(value) or (value is None and not service.complete):
            continue
        own = service.entry("read_only")
        if own is not None and is_false(own[1]):
            edit = replace_value(own[1], "true") if own[1].via is None or own[1].alias else None
            if edit is None and own[1].via is not None:
                edit = insert_entry(model, service.node, "read_only: true")
            fix = Fix.unsafe("Set `read_only: true`", edit) if edit else None
            yield ctx.finding(own[1].at, fix=fix, service=service.name)
        elif own is None:
            fix = add_key_fix(model, service, "Add `read_only: true`", "read_only: true")
            yield ctx.finding(service.key.range, fix=fix, service=service.name)


@rule(
    code="RT133",
    name="compose-oom-kill-disabled",
    severity=Severity.WARNING,
    summary="`oom_kill_disable: true` keeps the OOM killer away from the service",
    message="`oom_kill_disable: true` stops the kernel from killing `{service}` when memory runs "
    "out{unlimited}; remove it and set a memory limit instead",
    rationale=(
        "When memory runs out, the OOM killer ends a process to save the host. Exempting a "
        "container means other processes die in its place, and without a memory limit the "
        "container can take the whole host down."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n    oom_kill_disable: true\n",
    good="services:\n  app:\n    image: nginx:1.27\n    mem_limit: 256m\n",
    fix_safety="Unsafe: the kernel may kill the service under memory pressure again.",
    kind="compose",
)
def compose_oom_kill_disabled(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        value = service.get("oom_kill_disable")
        if not is_true(value):
            continue
        assert value is not None
        limited = _limit(service, "mem_limit", deploy="memory") is not None
        unlimited = "" if limited else ", and with no memory limit it can exhaust the host, so other processes die instead"
        edit = replace_value(value, "false")
        fix = Fix.unsafe("Set `oom_kill_disable: false`", edit) if edit else None
        yield ctx.finding(value.at, fix=fix, service=service.name, unlimited=unlimited)


_ON_FAILURE = re.compile(r"\s*on-failure(?::\s*(\d+))?\s*")


@rule(
    code="RT127",
    name="compose-restart-policy",
    severity=Severity.INFO,
    summary="`restart: on-failure` with a retry count other than 5 (opt-in)",
    message="`restart: {policy}` {what}; CIS recommends `on-failure:5` so a crashing service "
    "stops being restarted after five tries",
    rationale=(
        "A service that crashes at start-up and is restarted forever hides the fault and keeps "
        "costing resources, and an attacker exploiting a crash gets unlimited attempts. The "
        "CIS Docker Benchmark asks for `on-failure` with at most five retries."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n    restart: on-failure:20\n",
    good="services:\n  app:\n    image: nginx:1.27\n    restart: on-failure:5\n",
    fix_safety="Unsafe: the service is restarted a different number of times after failures.",
    kind="compose",
    enabled=False,
)
def compose_restart_policy(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        value = service.get("restart")
        if value is None or not value.is_scalar:
            continue
        match = _ON_FAILURE.fullmatch(value.value)
        if match is None or match.group(1) == "5":
            continue
        what = f"retries {match.group(1)} times" if match.group(1) else "retries without limit"
        edit = replace_value(value, "on-failure:5")
        fix = Fix.unsafe("Use `on-failure:5`", edit) if edit else None
        yield ctx.finding(value.at, fix=fix, policy=value.value.strip(), what=what)


@rule(
    code="RT128",
    name="compose-healthcheck-missing",
    severity=Severity.INFO,
    summary="A service has no health check, or it is disabled",
    message="`{service}` {what}, so Compose cannot tell a hung service from a healthy one; add a "
    "`healthcheck:` with a `test` that exercises the service",
    rationale=(
        "A health check lets Compose, Swarm and `depends_on: condition: service_healthy` know "
        "whether the service works rather than merely runs. Without one a deadlocked process "
        "looks healthy forever. The image may define its own `HEALTHCHECK`; dlint cannot see "
        "it from the compose file, so silence this rule for such services."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n",
    good="services:\n  app:\n    image: nginx:1.27\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"]\n",
    kind="compose",
)
def compose_healthcheck_missing(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        check = service.lookup("healthcheck")
        if check is None or check.is_null:
            if service.complete:
                yield ctx.finding(service.key.range, service=service.name, what="has no health check")
            continue
        if not check.is_mapping or service.get("healthcheck") is None:
            continue
        disable = check.get("disable")
        if is_true(disable):
            assert disable is not None
            yield ctx.finding(disable.at, service=service.name, what="disables its health check")
            continue
        test = check.get("test")
        first = test.elements()[0] if test is not None and test.is_sequence and test.items else test
        if first is not None and first.is_scalar and first.value.strip().upper() == "NONE":
            yield ctx.finding(first.at, service=service.name, what="disables its health check")
