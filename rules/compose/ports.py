"""Compose rules about published ports: every interface, privileged host ports and sensitive
services. The sensitive-port table is DF119's (`rules/data/ports.yaml`) plus SSH."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from docklint.rule import Context, Finding, Fix, Option, Severity, TextEdit, rule
from docklint.rules.compose.edits import insert_entry, replace_part

if TYPE_CHECKING:
    from docklint.model.compose import ComposeFile, Port

LOOPBACK = "127.0.0.1"


def _published(model: ComposeFile) -> Iterator[tuple[str, Port]]:
    """Each service's own published ports (inherited ones are reported where written)."""
    from docklint.model.compose import ports

    for service in model.services:
        for port in ports(service.get("ports")):
            if not port.has_variable:
                yield service.name, port


def _bind_loopback(model: ComposeFile, port: Port) -> TextEdit | None:
    if port.long:
        return insert_entry(model, port.node, f"host_ip: {LOOPBACK}")
    prefix = f"{LOOPBACK}:" if port.published is not None else f"{LOOPBACK}::"
    value = port.node.value
    lead = len(value) - len(value.lstrip())
    return replace_part(port.node, lead, lead, prefix)


@rule(
    code="RT123",
    name="compose-port-all-interfaces",
    severity=Severity.INFO,
    summary="A published port has no host IP, so it listens on every host interface",
    message="`{port}` is published on every interface of the host, including public ones, and "
    "Docker's rules bypass the host firewall; bind it to `{loopback}` (`{loopback}:{example}`) "
    "unless it must be reachable from other machines",
    rationale=(
        "A port published without a host IP listens on `0.0.0.0` and `::`. Docker inserts its "
        "own iptables rules ahead of the host's firewall (ufw, firewalld), so a database "
        "published for local tools is open to the internet on a server with a public address. "
        "Binding to `127.0.0.1` keeps it local; a reverse proxy can publish what must be public."
    ),
    bad="services:\n  db:\n    image: postgres:16\n    ports:\n      - \"5433:5432\"\n",
    good="services:\n  db:\n    image: postgres:16\n    ports:\n      - \"127.0.0.1:5433:5432\"\n",
    fix_safety="Unsafe: the port becomes reachable only from the host itself; other machines "
    "lose access.",
    kind="compose",
    tags=("port",),
)
def compose_port_all_interfaces(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    for _name, port in _published(model):
        if port.host_ip is not None:
            continue
        edit = _bind_loopback(model, port)
        fix = Fix.unsafe(f"Bind to {LOOPBACK}", edit) if edit else None
        label = port.node.value.strip() if port.node.is_scalar else f"target: {port.target}"
        example = f"{port.published}:{port.target}" if port.published else f":{port.target}"
        yield ctx.finding(port.node.at, fix=fix, port=label, loopback=LOOPBACK, example=example)


@rule(
    code="RT124",
    name="compose-privileged-port",
    severity=Severity.INFO,
    summary="A host port below 1024 is published",
    message="host port `{port}` is below 1024, a privileged port the engine binds as root and "
    "that other services on the host may expect to own; publish a port above 1023 or put "
    "a reverse proxy in front",
    rationale=(
        "Ports below 1024 are reserved for root on the host. Publishing one ties the service "
        "to a rootful engine (rootless Docker and Podman cannot bind them without extra "
        "settings) and competes with system services for well-known ports. CIS 5.8 asks not "
        "to map them."
    ),
    bad="services:\n  web:\n    image: nginx:1.27\n    ports: [\"80:8080\"]\n",
    good="services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:8080\"]\n",
    kind="compose",
    tags=("port",),
)
def compose_privileged_port(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.compose import port_numbers

    for _name, port in _published(model):
        numbers = port_numbers(port.published)
        if numbers is not None and 0 < numbers[0] < 1024:
            yield ctx.finding(port.published_range, port=port.published)


def _table() -> dict[int, dict[str, Any]]:
    from docklint.rules.ports import port_table

    table = dict(port_table())
    table.setdefault(22, {"port": 22, "kind": "admin", "what": "SSH"})
    return table


@rule(
    code="RT125",
    name="compose-sensitive-port-published",
    severity=Severity.WARNING,
    summary="A sensitive port (SSH, the Docker API, a database, remote admin) is published on the host",
    message="`{port}` publishes {what} on the host's interfaces, a service attackers scan for; "
    "{advice}",
    rationale=(
        "SSH, remote desktops, the Docker and Kubernetes APIs give whoever reaches them control "
        "of a machine, and databases, caches and brokers often listen without authentication. "
        "Services in the same compose project reach them over the project network without any "
        "published port. Ports bound to a loopback address are not reported. The table is "
        "DF119's (`rules/data/ports.yaml`) plus 22."
    ),
    bad="services:\n  cache:\n    image: redis:7.4\n    ports: [\"6379:6379\"]\n",
    good="services:\n  cache:\n    image: redis:7.4\n    expose: [\"6379\"]\n",
    options=(
        Option("ports", list, None, "Container port numbers to report, replacing the bundled table (plus 22)"),
    ),
    kind="compose",
    tags=("port",),
)
def compose_sensitive_port_published(model: ComposeFile, ctx: Context) -> Iterator[Finding]:
    from docklint.model.compose import port_numbers

    table = _table()
    chosen = ctx.option("ports")
    wanted = set(table) if chosen is None else {int(p) for p in chosen}
    for _name, port in _published(model):
        numbers = port_numbers(port.target)
        if numbers is None or port.loopback or numbers[0] != numbers[1] or numbers[0] not in wanted:
            continue
        entry = table.get(numbers[0], {})
        what = entry.get("what", f"port {numbers[0]}")
        advice = (
            "remove the port and reach it with `docker compose exec`, or bind it to `127.0.0.1`"
            if entry.get("kind", "admin") == "admin"
            else "let other services reach it over the project network and remove the published port, "
            "or bind it to `127.0.0.1`"
        )
        label = port.node.value.strip() if port.node.is_scalar else f"target: {port.target}"
        yield ctx.finding(port.node.at, port=label, what=what, advice=advice)
