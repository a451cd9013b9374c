"""The Compose model: services with their keys, ports, mounts and variables, every one with its range.

Built on `yaml_tree` (positions for every node, merge keys and aliases resolved on access).
Short and long syntax are read into the same shapes: a `Port` for `"127.0.0.1:8080:80"` and
for `{target: 80, published: 8080}`, a `Mount` for `./data:/data:ro` and for `{type: bind, ...}`,
a `Variable` for `KEY=value` list items and for `KEY: value` mapping entries. Values holding a
variable (`${VAR:-default}`) stay text and say so (`has_variable`); rules skip what they cannot
judge. Problems (malformed YAML, a top level that is not a mapping, duplicate keys) are listed,
never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from docklint.model.source import Pos, Range, Source
from docklint.model.yaml_tree import Node, Problem, YamlDocument, parse_yaml

PROPAGATION = frozenset({"shared", "rshared", "slave", "rslave", "private", "rprivate"})


@dataclass(frozen=True, slots=True, eq=False)
class Service:
    """One entry of `services:`; `get` reads its own keys, `lookup` follows `extends` in this file."""

    name: str
    key: Node
    node: Node
    own: dict[str, tuple[Node, Node]]
    base: Service | None = None
    base_unknown: bool = False  # `extends` names another file or a service not in this one

    def get(self, name: str) -> Node | None:
        found = self.own.get(name)
        return found[1] if found else None

    def entry(self, name: str) -> tuple[Node, Node] | None:
        return self.own.get(name)

    def lookup(self, name: str) -> Node | None:
        """The value of `name` for this service, inherited through `extends` when not its own."""
        service: Service | None = self
        while service is not None:
            found = service.get(name)
            if found is not None:
                return found
            service = service.base
        return None

    def path(self, *names: str) -> Node | None:
        first = self.lookup(names[0])
        return first.path(*names[1:]) if first is not None and len(names) > 1 else first

    @property
    def complete(self) -> bool:
        """Whether every key of the service is visible here (no `extends` of another file)."""
        return not self.base_unknown and (self.base is None or self.base.complete)


@dataclass
class ComposeFile:
    """A parsed compose file."""

    path: str
    source: Source
    yaml: YamlDocument
    services: list[Service] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def comments(self) -> list[tuple[str, Range]]:
        return self.yaml.comments

    @property
    def newline(self) -> str:
        """The line ending the file uses (its first one), `\\n` when it has none."""
        for index in range(self.source.line_count - 1):
            return self.source.terminator(index)
        return "\n"


def parse(text: str, path: str = "compose.yaml") -> ComposeFile:
    """Parse compose text; problems are recorded, never raised."""
    doc = parse_yaml(text)
    model = ComposeFile(path, doc.source, doc, problems=list(doc.problems))
    if doc.problems and not doc.roots:
        return model
    roots = [r for r in doc.roots if not r.is_null]
    if not roots and not doc.problems:
        model.problems.append(Problem("the compose file is empty", Range(Pos(0, 0), Pos(0, 0))))
    for root in roots:
        if not root.is_mapping:
            model.problems.append(Problem("the top level of a compose file must be a mapping of keys such as `services:`", root.at))
            continue
        services = root.get("services")
        if services is None or services.is_null:
            continue
        if not services.is_mapping:
            model.problems.append(Problem("`services` must be a mapping of service names to their settings", services.at))
            continue
        model.services.extend(_services(services))
    return model


def _services(node: Node) -> list[Service]:
    raw: dict[str, tuple[Node, Node]] = {}
    for key, value in node.entries():
        if key.is_scalar and value.is_mapping:
            raw[key.value] = (key, value)
    built: dict[str, Service] = {}

    def build(name: str, trail: tuple[str, ...]) -> Service:
        if name in built:
            return built[name]
        key, value = raw[name]
        own = {k.value: (k, v) for k, v in value.entries() if k.is_scalar}
        base, unknown = None, False
        extends = own.get("extends")
        if extends is not None:
            target, other_file = _extends_target(extends[1])
            if other_file or target not in raw or target in trail:
                unknown = True
            else:
                base = build(target, (*trail, name))
        service = Service(name, key, value, own, base, unknown)
        built[name] = service
        return service

    return [build(name, ()) for name in raw]


def _extends_target(node: Node) -> tuple[str, bool]:
    if node.is_scalar:
        return node.value, False
    service = node.get("service")
    file_node = node.get("file")
    return (service.value if service is not None else ""), file_node is not None and not file_node.is_null


def scalars(node: Node | None) -> list[Node]:
    """The scalar items of a list (a lone scalar counts as a list of one)."""
    if node is None or node.is_null:
        return []
    if node.is_scalar:
        return [node]
    return [item for item in node.elements() if item.is_scalar]


# -- ports -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Port:
    """A `ports:` item: where it is published on the host and which container port it maps."""

    node: Node  # the item (a scalar in short syntax, a mapping in long syntax)
    host_ip: str | None
    published: str | None  # host port or range; None: a random host port
    target: str
    protocol: str = "tcp"
    published_node: Node | None = None  # long syntax
    target_node: Node | None = None
    has_variable: bool = False

    @property
    def long(self) -> bool:
        return self.node.is_mapping

    @property
    def published_range(self) -> Range:
        """Where the host port is written (the whole item when that cannot be told)."""
        if self.published_node is not None:
            return self.published_node.at
        if self.node.is_scalar and self.published is not None:
            index = _host_port_index(self.node.value, self.host_ip, self.published)
            if index is not None:
                return self.node.sub_range(index, index + len(self.published))
        return self.node.at

    @property
    def loopback(self) -> bool:
        ip = (self.host_ip or "").strip("[]")
        return ip in ("localhost", "::1") or ip.startswith("127.")


def ports(node: Node | None) -> list[Port]:
    """The items of a `ports:` list, in either syntax."""
    found: list[Port] = []
    if node is None or not node.is_sequence:
        return found
    for item in node.elements():
        port = _long_port(item) if item.is_mapping else _short_port(item) if item.is_scalar else None
        if port is not None:
            found.append(port)
    return found


def _short_port(item: Node) -> Port | None:
    text = item.value.strip()
    if not text:
        return None
    protocol = "tcp"
    if "/" in text:
        text, _, protocol = text.rpartition("/")
    if item.has_variable:
        return Port(item, None, None, text, protocol, has_variable=True)
    if text.startswith("["):
        ip, _, rest = text[1:].partition("]")
        parts = [f"[{ip}]", *rest.lstrip(":").split(":")]
    else:
        parts = text.split(":")
        if len(parts) > 3:  # a bare IPv6 address
            parts = [":".join(parts[:-2]), parts[-2], parts[-1]]
    if len(parts) == 1:
        return Port(item, None, None, parts[0], protocol)
    if len(parts) == 2:
        return Port(item, None, parts[0] or None, parts[1], protocol)
    return Port(item, parts[0] or None, parts[1] or None, parts[2], protocol)


def _host_port_index(value: str, host_ip: str | None, published: str) -> int | None:
    start = len(host_ip) + 1 if host_ip else 0
    index = value.find(published, start)
    return index if index >= 0 else None


def _long_port(item: Node) -> Port | None:
    target = item.get("target")
    published = item.get("published")
    host_ip = item.get("host_ip")
    protocol = item.get("protocol")
    nodes = [n for n in (target, published, host_ip) if n is not None]
    variable = any(n.has_variable for n in nodes)
    return Port(
        item,
        host_ip.text if host_ip is not None and host_ip.text else None,
        published.text if published is not None and not published.is_null and published.text else None,
        target.text if target is not None else "",
        protocol.text if protocol is not None else "tcp",
        published_node=published,
        target_node=target,
        has_variable=variable,
    )


def port_numbers(text: str | None) -> tuple[int, int] | None:
    """`8080` -> (8080, 8080), `8000-8010` -> (8000, 8010); None when not a port or range."""
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*", text)
    if match is None:
        return None
    first = int(match.group(1))
    return first, int(match.group(2)) if match.group(2) else first


# -- volumes ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mount:
    """A `volumes:` item: what is mounted (host path or named volume) where, and how."""

    node: Node
    type: str  # "bind", "volume", "tmpfs", ... ("volume" for an anonymous volume)
    source: str | None
    target: str | None
    options: tuple[str, ...] = ()  # short syntax: the modes after the second colon
    propagation: str | None = None
    propagation_range: Range | None = None  # where the propagation mode is written
    propagation_node: Node | None = None  # long syntax: the `bind.propagation` value
    source_node: Node | None = None  # long syntax
    has_variable: bool = False

    @property
    def source_range(self) -> Range:
        if self.source_node is not None:
            return self.source_node.at
        if self.node.is_scalar and self.source:
            return self.node.sub_range(0, len(self.source))
        return self.node.at


def mounts(node: Node | None) -> list[Mount]:
    """The items of a service's `volumes:` list, in either syntax."""
    found: list[Mount] = []
    if node is None or not node.is_sequence:
        return found
    for item in node.elements():
        if item.is_scalar and item.value.strip():
            found.append(_short_mount(item))
        elif item.is_mapping:
            found.append(_long_mount(item))
    return found


def _short_mount(item: Node) -> Mount:
    value = item.value
    parts = value.split(":")
    if len(parts) >= 2 and len(parts[0]) == 1 and parts[0].isalpha() and parts[1][:1] in ("\\", "/"):
        parts = [f"{parts[0]}:{parts[1]}", *parts[2:]]  # a Windows drive
    if len(parts) == 1:
        return Mount(item, "volume", None, parts[0], has_variable=item.has_variable)
    source, target = parts[0], parts[1]
    mode = ":".join(parts[2:])
    options = tuple(o for o in mode.split(",") if o) if mode else ()
    kind = "bind" if is_host_path(source) else "volume"
    propagation = next((o for o in options if o in PROPAGATION), None)
    prop_range = None
    if propagation is not None:
        base = len(source) + len(target) + 2
        index = _option_index(value, base, propagation)
        prop_range = item.sub_range(index, index + len(propagation)) if index is not None else item.at
    return Mount(item, kind, source, target, options, propagation, prop_range, has_variable=item.has_variable)


def _option_index(value: str, base: int, option: str) -> int | None:
    for match in re.finditer(r"[^,:]+", value[base:]):
        if match.group() == option:
            return base + match.start()
    return None


def _long_mount(item: Node) -> Mount:
    kind = item.get("type")
    source = item.get("source")
    target = item.get("target")
    prop = item.path("bind", "propagation")
    nodes = [n for n in (kind, source, target, prop) if n is not None]
    return Mount(
        item,
        kind.text if kind is not None and kind.text else "volume",
        source.text if source is not None and not source.is_null else None,
        target.text if target is not None else None,
        propagation=prop.text if prop is not None and prop.is_scalar else None,
        propagation_range=prop.at if prop is not None else None,
        propagation_node=prop,
        source_node=source,
        has_variable=any(n.has_variable for n in nodes),
    )


def is_host_path(source: str) -> bool:
    """Whether a short-syntax volume source is a host path (else a named volume)."""
    return source.startswith(("/", ".", "~", "$", "\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", source))


# -- environment and build arguments ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variable:
    """`KEY=value` (list syntax) or `KEY: value` (mapping syntax); `value` None when unset."""

    name: str
    value: str | None
    name_range: Range
    value_range: Range | None
    node: Node  # the list item, or the mapping's value node
    has_variable: bool = False


def variables(node: Node | None) -> Iterator[Variable]:
    """The variables of an `environment:` or `build.args` node, in either syntax."""
    if node is None:
        return
    if node.is_mapping:
        for key, value in node.entries():
            if not key.is_scalar:
                continue
            text = None if value.is_null or not value.is_scalar else value.value
            rng = value.at if text is not None else None
            yield Variable(key.value, text, key.at, rng, value, value.has_variable)
        return
    for item in scalars(node):
        name, sep, rest = item.value.partition("=")
        if not name:
            continue
        if not sep:
            yield Variable(name, None, item.sub_range(0, len(name)), None, item)
            continue
        start = len(name) + 1
        rng = item.sub_range(start, start + len(rest))
        yield Variable(name, rest, item.sub_range(0, len(name)), rng, item, item.has_variable)
