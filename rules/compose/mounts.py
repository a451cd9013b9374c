"""Compose rules about what a service mounts: engine sockets, sensitive host folders, shared
mount propagation and named volumes shared between services."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Fix, Severity, rule
from docklint.rules.compose.edits import replace_part, replace_value

if TYPE_CHECKING:
    from docklint.model.compose import ComposeFile, Mount

ENGINE_SOCKETS = frozenset({
    "docker.sock", "containerd.sock", "podman.sock", "crio.sock", "cri-dockerd.sock", "dockershim.sock",
})  # fmt: skip


def _own_mounts(model: ComposeFile) -> Iterator[tuple[str, Mount]]:
    """Each service's own mounts (ones inherited through `extends` are reported where written)."""
    from docklint.model.compose import mounts

    for service in model.services:
        for mount in mounts(service.get("volumes")):
            yield service.name, mount


def _host_binds(model: ComposeFile) -> Iterator[tuple[str, Mount]]:
    for name, mount in _own_mounts(model):
        if mount.type == "bind" and mount.source and not mount.has_variable:
            yield name, mount


@rule(
    code="RT108",
    name="compose-docker-socket-mount",
    severity=Severity.ERROR,
    summary="A container-engine socket (`docker.sock`, `containerd.sock`, ...) is mounted into a service",
    message="`{source}` gives `{service}` the container engine's API, and with it root on the "
    "host (it can start a privileged container); remove the mount, or put a filtering proxy "
    "in front of the socket",
    rationale=(
        "Whoever talks to the engine's socket can start a container that mounts the host's "
        "root file system, so mounting it hands the service root on the host even when the "
        "mount is read-only (`:ro` only stops changes to the socket file, not API calls). "
        "Tools that need it (CI runners, reverse proxies) are better served by a socket proxy "
        "that allows only the calls they make."
    ),
    bad="services:\n  proxy:\n    image: traefik:v3.1\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock:ro\n",
    good="services:\n  proxy:\n    image: traefik:v3.1\n    volumes:\n      - ./traefik.yml:/etc/traefik/traefik.yml:ro\n",
    kind="compose",
    tags=("root",),
)
def compose_docker_socket_mount(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for name, mount in _host_binds(model):
        assert mount.source is not None
        if posixpath.basename(mount.source.rstrip("/")) in ENGINE_SOCKETS:
            yield ctx.finding(mount.source_range, source=mount.source, service=name)


# Host folders whose mount exposes the host itself; `/` and these exactly...
SENSITIVE_EXACT = frozenset({
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/proc", "/root",
    "/run", "/sbin", "/sys", "/usr", "/var", "/var/lib", "/var/run",
})  # fmt: skip
# ...and anything below these (kernel interfaces, engine state, credentials).
SENSITIVE_TREES = (
    "/proc", "/sys", "/boot", "/root", "/var/lib/docker", "/var/lib/containerd", "/var/lib/kubelet",
    "/etc/docker", "/etc/kubernetes", "/etc/ssh", "/etc/sudoers", "/etc/sudoers.d", "/etc/shadow",
    "/etc/gshadow", "~/.ssh", "~/.aws", "~/.docker", "~/.kube", "~/.gnupg", "~/.config/gcloud",
)  # fmt: skip


def sensitive_path(source: str) -> bool:
    path = source.rstrip("/") or "/"
    if path.startswith("/"):
        path = posixpath.normpath(path)
        path = "/" if path == "//" else path
    if path in SENSITIVE_EXACT:
        return True
    return any(path == tree or path.startswith(tree + "/") for tree in SENSITIVE_TREES)


@rule(
    code="RT109",
    name="compose-sensitive-host-mount",
    severity=Severity.ERROR,
    summary="A bind mount of `/` or a sensitive host folder (`/etc`, `/proc`, `/var/lib/docker`, `~/.ssh`, ...)",
    message="`{source}` mounts a sensitive part of the host into `{service}`, so a compromise "
    "can read or change the host's system files or credentials; mount only the files the "
    "service needs, read-only",
    rationale=(
        "Bind mounts pass the host's files through unchanged. The root folder, system folders "
        "(`/etc`, `/usr`, `/var`), kernel interfaces (`/proc`, `/sys`, `/dev`), the engine's "
        "state and users' credential folders let a process in the container edit the host's "
        "configuration, read secrets or plant code the host will run. Single files such as "
        "`/etc/localtime` are not reported."
    ),
    bad="services:\n  agent:\n    image: alpine:3.20\n    volumes:\n      - /etc:/host/etc\n",
    good="services:\n  agent:\n    image: alpine:3.20\n    volumes:\n      - /etc/localtime:/etc/localtime:ro\n",
    kind="compose",
    tags=("root",),
)
def compose_sensitive_host_mount(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for name, mount in _host_binds(model):
        assert mount.source is not None
        if posixpath.basename(mount.source.rstrip("/")) in ENGINE_SOCKETS:
            continue  # RT108's
        if sensitive_path(mount.source):
            yield ctx.finding(mount.source_range, source=mount.source, service=name)


SHARED_PROPAGATION = frozenset({"shared", "rshared", "slave", "rslave"})


@rule(
    code="RT110",
    name="compose-mount-propagation-shared",
    severity=Severity.WARNING,
    summary="A bind mount's propagation is shared, rshared, slave or rslave",
    message="`{mode}` propagation lets mounts made {direction}; use the default `rprivate` "
    "unless the service manages mounts on purpose",
    rationale=(
        "With shared propagation, a mount the container makes under the bind mount appears on "
        "the host as well (and with slave, the host's mounts appear in the container). A "
        "compromised service can then mount over host paths. Only storage drivers and similar "
        "tools need this."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    volumes:\n      - ./data:/data:rshared\n",
    good="services:\n  app:\n    image: alpine:3.20\n    volumes:\n      - ./data:/data\n",
    fix_safety="Unsafe: mounts stop propagating between the host and the service, which breaks "
    "services that rely on it (storage plugins, CSI drivers).",
    kind="compose",
)
def compose_mount_propagation_shared(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for _name, mount in _own_mounts(model):
        mode = (mount.propagation or "").lower()
        if mode not in SHARED_PROPAGATION or mount.propagation_range is None:
            continue
        direction = (
            "inside the container show up on the host" if "shared" in mode else "on the host show up inside the container"
        )
        if mount.propagation_node is not None:
            edit = replace_value(mount.propagation_node, "rprivate")
        else:
            value = mount.node.value
            index = value.rfind(mount.propagation or "")
            edit = replace_part(mount.node, index, index + len(mode), "rprivate") if index >= 0 else None
        fix = Fix.unsafe("Use `rprivate` propagation", edit) if edit else None
        yield ctx.finding(mount.propagation_range, fix=fix, mode=mount.propagation, direction=direction)


@rule(
    code="RT111",
    name="compose-shared-volume",
    severity=Severity.INFO,
    summary="The same named volume is mounted into several services (opt-in)",
    message="the volume `{volume}` is also mounted by `{first}`, so either service can change "
    "the other's data; give each service its own volume unless sharing is the point",
    rationale=(
        "A volume mounted by two services lets a compromise of one tamper with the data of "
        "the other, and two services writing the same files can corrupt them. Sharing is "
        "sometimes the design (a web server serving files a builder writes); mounting it "
        "read-only where it is only read limits the damage."
    ),
    bad="services:\n  app:\n    image: alpine:3.20\n    volumes: [data:/data]\n  backup:\n    image: alpine:3.20\n    volumes: [data:/backup]\nvolumes:\n  data: {}\n",
    good="services:\n  app:\n    image: alpine:3.20\n    volumes: [data:/data]\n  backup:\n    image: alpine:3.20\n    volumes: [archive:/backup]\nvolumes:\n  data: {}\n  archive: {}\n",
    kind="compose",
    enabled=False,
)
def compose_shared_volume(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    first_user: dict[str, str] = {}
    for name, mount in _own_mounts(model):
        if mount.type != "volume" or not mount.source or mount.has_variable:
            continue
        first = first_user.setdefault(mount.source, name)
        if first != name:
            yield ctx.finding(mount.source_range, volume=mount.source, first=first)
