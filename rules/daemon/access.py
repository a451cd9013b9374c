"""daemon.json rules about who reaches the daemon and what it trusts: the syntax check,
insecure registries, the TCP socket, user-namespace remapping and authorization plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from docklint.rule import Context, Finding, Severity, rule
from docklint.rules.daemon.edits import is_bool, readable, where

if TYPE_CHECKING:  # the model loads when a daemon.json is linted, not with the rules
    from docklint.model.daemon import DaemonConfig


@rule(
    code="RT150",
    name="daemon-syntax-error",
    severity=Severity.ERROR,
    summary="`daemon.json` is not valid JSON, or its top level is not an object",
    message="{problem}, so dockerd refuses to start with this file; fix the JSON there",
    rationale=(
        "dockerd reads `daemon.json` at start-up and exits when it cannot parse it, so a "
        "trailing comma or a comment takes every container on the host down at the next "
        "restart. JSON allows no comments and no trailing commas."
    ),
    bad='{\n  "icc": false,\n}\n',
    good='{\n  "icc": false\n}\n',
    kind="daemon",
)
def daemon_syntax_error(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    for problem in model.problems:
        yield ctx.finding(problem.range, problem=problem.message)


def _loopback_registry(entry: str) -> bool:
    import ipaddress

    host = entry.strip().lower()
    for scheme in ("http://", "https://"):
        host = host.removeprefix(scheme)
    host = host.split("/", 1)[0] if not _is_network(host) else host
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host == "localhost":
        return True
    try:
        if "/" in host:
            return ipaddress.ip_network(host, strict=False).is_loopback
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_network(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text


@rule(
    code="RT151",
    name="daemon-insecure-registries",
    severity=Severity.ERROR,
    summary="`insecure-registries` lists a registry other than localhost",
    message="`{registry}` is an insecure registry, so images from it are pulled over plain HTTP "
    "or unverified TLS and can be swapped in transit; give it a trusted certificate and remove "
    "it from `insecure-registries`",
    rationale=(
        "For an insecure registry dockerd falls back to HTTP and skips certificate checks. "
        "Anyone on the network path can then serve a different image under the same name. "
        "Registries on the loopback interface are exempt, as dockerd itself treats them."
    ),
    bad='{\n  "insecure-registries": ["registry.internal:5000"]\n}\n',
    good='{\n  "insecure-registries": ["localhost:5000"]\n}\n',
    kind="daemon",
    tags=("base",),
)
def daemon_insecure_registries(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    value = model.get("insecure-registries")
    for item in value.items if value is not None else ():
        if item.kind == "string" and item.value.strip() and not _loopback_registry(item.value):
            yield ctx.finding(item.range, registry=item.value)


@rule(
    code="RT152",
    name="daemon-tcp-without-tls",
    severity=Severity.ERROR,
    summary="`hosts` opens a `tcp://` socket without `tlsverify` and certificates",
    message="`{host}` serves the Docker API over TCP without client certificates, and whoever "
    "reaches it is root on this host; set `tlsverify` with `tlscacert`, `tlscert` and `tlskey`, "
    "or use the Unix socket or SSH",
    rationale=(
        "The Docker API can start a privileged container mounting the host's disk, so an "
        "unauthenticated TCP socket is a root shell for anyone who can connect; scanners find "
        "such ports within minutes. `tlsverify` with a CA makes dockerd accept only clients "
        "holding a certificate it signed."
    ),
    bad='{\n  "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]\n}\n',
    good='{\n  "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"],\n  "tlsverify": true,\n'
    '  "tlscacert": "/etc/docker/ca.pem",\n  "tlscert": "/etc/docker/server.pem",\n  "tlskey": "/etc/docker/server-key.pem"\n}\n',
    kind="daemon",
    tags=("port", "root"),
)
def daemon_tcp_without_tls(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    hosts = model.get("hosts")
    if hosts is None:
        return
    certificates = all((v := model.get(k)) is not None and v.kind == "string" and v.value for k in ("tlscacert", "tlscert", "tlskey"))
    if is_bool(model.get("tlsverify"), True) and certificates:
        return
    for item in hosts.items:
        if item.kind == "string" and item.value.strip().lower().startswith("tcp://"):
            yield ctx.finding(item.range, host=item.value)


@rule(
    code="RT154",
    name="daemon-userns-remap-missing",
    severity=Severity.INFO,
    summary="`userns-remap` is not set: root in a container is root on the host (opt-in)",
    message="`userns-remap` is not set, so root in a container is root on the host kernel; set "
    "`\"userns-remap\": \"default\"` after checking your volumes work with remapped owners",
    rationale=(
        "User-namespace remapping maps container root to an unprivileged range of host UIDs: "
        "a process that escapes the container has no rights on the host. It changes the owners "
        "of files on volumes and is off by default, so this rule is opt-in."
    ),
    bad='{\n  "icc": false\n}\n',
    good='{\n  "icc": false,\n  "userns-remap": "default"\n}\n',
    kind="daemon",
    enabled=False,
    tags=("root",),
)
def daemon_userns_remap_missing(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    value = model.get("userns-remap")
    if readable(model) and (value is None or value.kind != "string" or not value.value.strip()):
        yield ctx.finding(where(model, "userns-remap"))


@rule(
    code="RT162",
    name="daemon-authorization-plugin-missing",
    severity=Severity.INFO,
    summary="No `authorization-plugins` configured (opt-in)",
    message="no authorization plugin is configured, so every client of the Docker API may do "
    "everything; add one to `authorization-plugins` where several people or tools share the daemon",
    rationale=(
        "Access to the Docker API is all or nothing: any client may start privileged "
        "containers. An authorization plugin (Open Policy Agent's, for example) checks each "
        "request against a policy. Single-user hosts rarely need one, so this rule is opt-in."
    ),
    bad='{\n  "icc": false\n}\n',
    good='{\n  "icc": false,\n  "authorization-plugins": ["opa-docker-authz"]\n}\n',
    kind="daemon",
    enabled=False,
)
def daemon_authorization_plugin_missing(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    value = model.get("authorization-plugins")
    if readable(model) and (value is None or value.kind != "array" or not value.items):
        yield ctx.finding(where(model, "authorization-plugins"))


LOCAL_LOG_DRIVERS = frozenset({"json-file", "local", "none"})


@rule(
    code="RT163",
    name="daemon-remote-logging-missing",
    severity=Severity.INFO,
    summary="`log-driver` keeps logs on the host only (opt-in)",
    message="container logs stay on this host ({driver}), so an attacker with root here can "
    "erase the trail; ship them to a central store with a remote `log-driver` (syslog, fluentd, "
    "gelf, journald with forwarding)",
    rationale=(
        "Logs kept only on the host are lost with it and can be edited by whoever compromises "
        "it. A remote log driver, or an agent that forwards the files, keeps a copy out of an "
        "attacker's reach. Many hosts ship logs with an agent instead, so this rule is opt-in."
    ),
    bad='{\n  "log-driver": "json-file"\n}\n',
    good='{\n  "log-driver": "syslog",\n  "log-opts": {"syslog-address": "tcp://logs.internal:514"}\n}\n',
    kind="daemon",
    enabled=False,
)
def daemon_remote_logging_missing(model: DaemonConfig, ctx: Context) -> Iterator[Finding]:
    value = model.get("log-driver")
    if not readable(model):
        return
    if value is None:
        yield ctx.finding(model.anchor, driver="the default `json-file` driver")
    elif value.kind == "string" and value.value.strip().lower() in LOCAL_LOG_DRIVERS:
        yield ctx.finding(value.range, driver=f"`{value.value}`")
