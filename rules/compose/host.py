"""Compose rules about sharing the host: its network, PID, IPC, UTS and user namespaces, its
devices, and a custom parent cgroup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.compose.common import drop_key_fix

if TYPE_CHECKING:
    from docklint.model.compose import ComposeFile


@rule(
    code="RT112",
    name="compose-host-network",
    severity=Severity.WARNING,
    summary="`network_mode: host`: the service uses the host's network stack",
    message="`network_mode: host` puts every port `{service}` opens straight on the host's "
    "interfaces, with no isolation from the host's other services; publish the ports it "
    "needs with `ports:` instead",
    rationale=(
        "On the host network a service binds the host's interfaces directly: nothing stands "
        "between a debug or admin port it opens and the outside, it can reach services the "
        "host only exposes on localhost, and with NET_RAW it sees the host's traffic. "
        "Publishing chosen ports keeps everything else private."
    ),
    bad="services:\n  app:\n    image: nginx:1.27\n    network_mode: host\n",
    good="services:\n  app:\n    image: nginx:1.27\n    ports: [\"127.0.0.1:8080:80\"]\n",
    kind="compose",
    tags=("port",),
)
def compose_host_network(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        value = service.get("network_mode")
        if value is not None and value.is_scalar and value.value.strip() == "host":
            yield ctx.finding(value.at, service=service.name)


def _host_namespace(model: ComposeFile, ctx: Context, key: str) -> Iterator[Finding]:
    for service in model.services:
        value = service.get(key)
        if value is None or not value.is_scalar or value.value.strip() != "host":
            continue
        fix = drop_key_fix(model, service, key, f"Remove `{key}: host`")
        yield ctx.finding(value.at, fix=fix, service=service.name)


@rule(
    code="RT113",
    name="compose-host-pid",
    severity=Severity.WARNING,
    summary="`pid: host`: the service sees and can signal the host's processes",
    message="`pid: host` lets `{service}` see every process on the host, read their command "
    "lines and environment, and signal or trace them with enough privileges; remove it",
    rationale=(
        "In the host's PID namespace a container lists all host processes, including their "
        "arguments (which often hold secrets), and a root process can kill them or attach to "
        "them. Monitoring agents are the usual exception."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    pid: host\n",
    good="services:\n  app:\n    image: alpine:3.20\n",
    fix_safety="Unsafe: the service gets its own PID namespace and no longer sees host processes.",
    kind="compose",
    tags=("root",),
)
def compose_host_pid(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _host_namespace(model, ctx, "pid")


@rule(
    code="RT114",
    name="compose-host-ipc",
    severity=Severity.WARNING,
    summary="`ipc: host`: the service shares the host's IPC namespace",
    message="`ipc: host` gives `{service}` the host's shared memory and message queues, so it "
    "can read or corrupt data of host processes; remove it, or share IPC with one service "
    "(`ipc: service:NAME`)",
    rationale=(
        "Shared memory segments and semaphores of the host hold other programs' data. In the "
        "host's IPC namespace a container can attach to them. Services that need shared memory "
        "with each other can share a namespace between themselves instead."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    ipc: host\n",
    good="services:\n  app:\n    image: alpine:3.20\n    ipc: private\n",
    fix_safety="Unsafe: the service gets its own IPC namespace and loses access to the host's "
    "shared memory.",
    kind="compose",
)
def compose_host_ipc(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _host_namespace(model, ctx, "ipc")


@rule(
    code="RT115",
    name="compose-host-userns",
    severity=Severity.WARNING,
    summary="`userns_mode: host`: the service opts out of user-namespace remapping",
    message="`userns_mode: host` runs `{service}` outside the daemon's user-namespace "
    "remapping, so its root is the host's root; remove it",
    rationale=(
        "When the daemon remaps user namespaces, root in a container is an unprivileged user "
        "on the host. `userns_mode: host` switches that off for one service, giving its root "
        "full power over mounted files and more of the kernel."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    userns_mode: host\n",
    good="services:\n  app:\n    image: alpine:3.20\n",
    fix_safety="Unsafe: the service runs remapped again; files it writes on bind mounts get "
    "the remapped owner.",
    kind="compose",
    tags=("root",),
)
def compose_host_userns(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _host_namespace(model, ctx, "userns_mode")


@rule(
    code="RT116",
    name="compose-host-uts",
    severity=Severity.WARNING,
    summary="`uts: host`: the service shares the host's hostname namespace",
    message="`uts: host` lets `{service}` change the host's hostname and domain name with "
    "`CAP_SYS_ADMIN`; remove it and set `hostname:` if the name matters",
    rationale=(
        "In the host's UTS namespace the container sees, and with enough privileges sets, "
        "the host's own name. Nothing in an ordinary service needs that; `hostname:` gives "
        "the container a name of its own."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    uts: host\n",
    good="services:\n  app:\n    image: alpine:3.20\n    hostname: app\n",
    fix_safety="Unsafe: the service gets its own hostname instead of the host's.",
    kind="compose",
)
def compose_host_uts(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    yield from _host_namespace(model, ctx, "uts")


@rule(
    code="RT117",
    name="compose-host-devices",
    severity=Severity.WARNING,
    summary="`devices:` passes a host device into the service",
    message="`{device}` gives `{service}` direct access to a host device, which can bypass the "
    "container's file and kernel isolation; pass it only if the service drives that hardware",
    rationale=(
        "A device node reaches the kernel driver behind it without the container boundary in "
        "between: block devices expose host disks, `/dev/mem` and `/dev/kmsg` the kernel. "
        "GPU or serial devices for the service that drives them are expected; anything else "
        "is worth a second look."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    devices:\n      - /dev/sda:/dev/sda\n",
    good="services:\n  app:\n    image: alpine:3.20\n",
    kind="compose",
    tags=("root",),
)
def compose_host_devices(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        devices = service.get("devices")
        if devices is None or not devices.is_sequence:
            continue
        for item in devices.elements():
            source = item.get("source") if item.is_mapping else None
            text = item.value if item.is_scalar else source.text if source is not None else ""
            if text.strip():
                yield ctx.finding(item.at, device=text.strip(), service=service.name)


@rule(
    code="RT126",
    name="compose-cgroup-parent",
    severity=Severity.INFO,
    summary="`cgroup_parent` places the service in a custom parent cgroup",
    message="`cgroup_parent: {parent}` moves `{service}` out of Docker's cgroup tree, so the "
    "limits there may not be the ones you expect; remove it unless the host's cgroup layout "
    "requires it",
    rationale=(
        "Docker puts containers under its own cgroup, where the host's resource policy for "
        "containers applies. A custom parent takes the service out of that and under whatever "
        "limits (or none) the named cgroup has."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    cgroup_parent: /system.slice\n",
    good="services:\n  app:\n    image: alpine:3.20\n",
    fix_safety="Unsafe: the service moves to Docker's default cgroup and its limits.",
    kind="compose",
)
def compose_cgroup_parent(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for service in model.services:
        value = service.get("cgroup_parent")
        if value is None or value.is_null or (value.is_scalar and not value.value.strip()):
            continue
        fix = drop_key_fix(model, service, "cgroup_parent", "Remove `cgroup_parent`")
        yield ctx.finding(value.at, fix=fix, parent=value.text.strip(), service=service.name)
