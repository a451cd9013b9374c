"""Rules about the ports an image declares with EXPOSE: SSH, remote-admin and data-store ports,
privileged ports and suspiciously wide ranges. The port table is `rules/data/ports.yaml`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Iterator

from docklint.model.dockerfile import Dockerfile
from docklint.model.nodes import Instruction, Word
from docklint.model.source import Range
from docklint.rule import Context, Finding, Fix, Option, Severity, TextEdit, rule

_SPEC = re.compile(r"^(\d{1,6})(?:-(\d{1,6}))?(?:/([A-Za-z]+))?$")


@dataclass(frozen=True, slots=True)
class ExposedPort:
    inst: Instruction
    word: Word
    start: int
    end: int  # equal to start for a single port
    protocol: str

    @property
    def is_range(self) -> bool:
        return self.end != self.start


def exposed_ports(df: Dockerfile) -> Iterator[ExposedPort]:
    """Every port or range of every EXPOSE (ONBUILD ones included), variables expanded where known."""
    for inst in df.with_onbuild("EXPOSE"):
        yield from ports_of(df, inst)


def ports_of(df: Dockerfile, inst: Instruction) -> Iterator[ExposedPort]:
    """The ports and ranges of one EXPOSE, variables expanded where known."""
    for word in inst.words:
        value = df.expand(inst, word.value)[0] if "$" in word.value else word.value
        match = _SPEC.match(value.strip())
        if match is None:
            continue  # variables without a value, `ip:port` forms: other rules' business
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else start
        yield ExposedPort(inst, word, start, end, (match.group(3) or "tcp").lower())


@cache
def port_table() -> dict[int, dict[str, Any]]:
    from docklint.rules._data import load

    return {entry["port"]: entry for entry in load("ports.yaml")["ports"]}


def remove_port(port: ExposedPort) -> TextEdit:
    """Delete one EXPOSE argument, or the whole instruction when it is the only one."""
    inst, words = port.inst, port.inst.words
    if len(words) == 1:
        target = inst.parent if inst.parent is not None else inst
        return TextEdit.delete(target.span)
    index = words.index(port.word)
    if index == 0:
        return TextEdit.delete(Range(port.word.range.start, words[1].range.start))
    return TextEdit.delete(Range(words[index - 1].range.end, port.word.range.end))


@rule(
    code="DF118",
    name="expose-ssh-port",
    severity=Severity.WARNING,
    summary="EXPOSE 22 (SSH)",
    message="`EXPOSE {port}` declares SSH, and an SSH server in a container is one more service to "
    "patch and attack; use `docker exec` (or `kubectl exec`) to get a shell instead",
    rationale=(
        "Containers are meant to run one process; an SSH daemon next to it needs its own keys, "
        "users and updates, and exposing it invites brute-force attempts. `docker exec` gives "
        "the same access through the runtime's own authentication, with nothing listening."
    ),
    bad="FROM alpine:3.20\nEXPOSE 22 8080",
    good="FROM alpine:3.20\nEXPOSE 8080",
    fix_safety="Unsafe: the image stops declaring port 22, so `docker run -P` no longer publishes it.",
    tags=("port",),
    needs_instructions=("EXPOSE",),
    each=("EXPOSE",),
    onbuild=True,
)
def expose_ssh_port(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    for port in ports_of(df, inst):
        if port.start == 22 and not port.is_range:
            fix = Fix.unsafe("Remove port 22 from EXPOSE", remove_port(port))
            yield ctx.finding(port.word.range, fix=fix, port=port.word.value)


@rule(
    code="DF119",
    name="expose-sensitive-port",
    severity=Severity.WARNING,
    summary="EXPOSE of a remote-admin or data-store port",
    message="`EXPOSE {port}` declares {what}, a service attackers scan for and that should not be "
    "reachable from outside; {advice}",
    rationale=(
        "Remote-desktop, Telnet, WinRM, Docker and Kubernetes control ports give whoever reaches "
        "them control of the machine, and databases and caches often listen without "
        "authentication. Declaring them makes `docker run -P` and some orchestrators publish "
        "them. A port is not reported when the Dockerfile itself runs the service (an FTP or database "
        "image), except for Telnet, RDP without xrdp and the unencrypted Docker API."
    ),
    bad="FROM node:22-alpine\nEXPOSE 3000 6379",
    good="FROM node:22-alpine\nEXPOSE 3000",
    options=(
        Option(
            "ports",
            list,
            None,
            "Port numbers to report, replacing the bundled table (rules/data/ports.yaml); "
            "the exemption for images running the service applies to ports from the table",
        ),
    ),
    tags=("port",),
    needs_instructions=("EXPOSE",),
)
def expose_sensitive_port(df: Dockerfile, ctx: Context) -> Iterator[Finding]:
    table = port_table()
    chosen = ctx.option("ports")
    wanted = set(table) if chosen is None else {int(p) for p in chosen}
    text = df.source.text.lower()
    for port in exposed_ports(df):
        if port.is_range or port.start not in wanted:
            continue
        entry = table.get(port.start, {})
        services = entry.get("services") or []
        if any(service in text for service in services):
            continue  # the image runs this service itself: exposing its port is the point
        what = entry.get("what", f"port {port.start}")
        advice = (
            "reach it through `docker exec` or a tunnel instead"
            if entry.get("kind", "admin") == "admin"
            else "keep it on an internal network and remove it from EXPOSE"
        )
        yield ctx.finding(port.word.range, port=port.word.value, what=what, advice=advice)


@rule(
    code="DF120",
    name="expose-privileged-port",
    severity=Severity.INFO,
    summary="EXPOSE of a port below 1024 other than 80 and 443",
    message="`EXPOSE {port}` is a privileged port, which a non-root process can only bind with "
    "`CAP_NET_BIND_SERVICE` or a lowered `ip_unprivileged_port_start`; listen on a port above "
    "1023 and map it at run time (`-p {port}:8{port:0>3}`)",
    rationale=(
        "Ports below 1024 are reserved for root on Linux. Docker 20.10 and later lower the limit "
        "inside containers, but Kubernetes and other runtimes do not, so an image that must "
        "bind one either runs as root or needs an added capability. Listening on a high port and "
        "publishing it on the low one avoids both. 80 and 443 are left alone: web images "
        "commonly keep them. SSH and ports in the sensitive-port table are DF118's and DF119's."
    ),
    bad="FROM alpine:3.20\nEXPOSE 25",
    good="FROM alpine:3.20\nEXPOSE 2525",
    tags=("port", "root"),
    needs_instructions=("EXPOSE",),
    each=("EXPOSE",),
    onbuild=True,
)
def expose_privileged_port(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    table = port_table()
    for port in ports_of(df, inst):
        if port.is_range or port.start >= 1024 or port.start in (0, 22, 80, 443) or port.start in table:
            continue
        yield ctx.finding(port.word.range, port=port.start)


@rule(
    code="DF121",
    name="expose-wide-port-range",
    severity=Severity.INFO,
    summary="EXPOSE of a very wide port range",
    message="`EXPOSE {port}` declares {count} ports, more than any service needs (the limit is "
    "{limit}); list the ports the application listens on",
    rationale=(
        "A range of thousands of ports usually means `EXPOSE` was used to silence a problem "
        "rather than to document the service. `docker run -P` publishes every port of the range "
        "on the host, and each one needs its own proxy process or firewall rule."
    ),
    bad="FROM alpine:3.20\nEXPOSE 10000-20000/udp",
    good="FROM alpine:3.20\nEXPOSE 10000-10010/udp",
    options=(Option("max-range", int, 100, "The widest range accepted without a finding"),),
    tags=("port",),
    needs_instructions=("EXPOSE",),
    each=("EXPOSE",),
    onbuild=True,
)
def expose_wide_port_range(df: Dockerfile, inst: Instruction, ctx: Context) -> Iterator[Finding]:
    limit = int(ctx.option("max-range"))
    for port in ports_of(df, inst):
        count = port.end - port.start + 1
        if port.is_range and count > limit:
            yield ctx.finding(port.word.range, port=port.word.value, count=count, limit=limit)
