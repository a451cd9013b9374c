"""The compose and daemon.json models: exact positions, merge keys and aliases, both syntaxes of
ports, volumes and variables, and bad or hostile input that gives problems, never exceptions."""

from __future__ import annotations

import random
import time

import pytest

from docklint.kinds import kind_of
from docklint.model import compose, daemon
from docklint.model.compose import mounts, port_numbers, ports, variables
from docklint.model.source import Pos, Range
from docklint.model.yaml_tree import parse_yaml


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("compose.yaml", "compose"), ("compose.yml", "compose"), ("deploy/compose.prod.yaml", "compose"),
        ("docker-compose.yml", "compose"), ("docker-compose.override.yaml", "compose"),
        ("/etc/docker/daemon.json", "daemon"), ("Dockerfile", "dockerfile"), ("api.Dockerfile", "dockerfile"),
        ("Containerfile", "dockerfile"), ("compose.yaml.bak", None), ("Compose.yaml", None),
        ("compose.yes.html", None), ("values.yaml", None), ("daemon.json5", None), ("README.md", None),
    ],
)
def test_kind_of(name: str, kind: str | None) -> None:
    assert kind_of(name) == kind


def test_positions_are_code_points_and_lines_split_like_editors() -> None:
    text = "# é😀\nservices:\r\n  wéb:\r\n    image: \"ñginx:1\"  # ok\n"
    model = compose.parse(text)
    assert not model.problems
    (service,) = model.services
    assert service.name == "wéb"
    assert service.key.range == Range(Pos(2, 2), Pos(2, 5))
    image = service.get("image")
    assert image is not None and image.value == "ñginx:1"
    assert image.range == Range(Pos(3, 11), Pos(3, 20))
    assert image.sub_range(1, 6) == Range(Pos(3, 13), Pos(3, 18))
    assert [text for text, _ in model.comments] == ["# é😀", "# ok"]


def test_merge_keys_and_aliases_report_where_they_are_used() -> None:
    text = (
        "x-base: &base\n  privileged: true\n  pid: host\n"
        "services:\n  web:\n    <<: *base\n    pid: private\n  db: *base\n"
    )
    model = compose.parse(text)
    web, db = model.services
    privileged = web.get("privileged")
    assert privileged is not None and privileged.range.start.line == 1
    assert privileged.at == Range(Pos(5, 8), Pos(5, 13))  # the `*base` of web's merge key
    assert privileged.editable is None  # lives in the shared anchor
    pid = web.get("pid")
    assert pid is not None and pid.value == "private" and pid.via is None  # own keys win
    assert db.node.via == Range(Pos(7, 6), Pos(7, 11))
    db_pid = db.get("pid")
    assert db_pid is not None and db_pid.at == db.node.via


def test_alias_used_as_a_value_is_editable_at_the_alias() -> None:
    model = compose.parse("x: &on true\nservices:\n  web:\n    privileged: *on\n")
    value = model.services[0].get("privileged")
    assert value is not None and value.value == "true"
    assert value.editable == Range(Pos(3, 16), Pos(3, 19))


def test_ports_in_both_syntaxes() -> None:
    text = (
        "services:\n  web:\n    ports:\n"
        "      - 80\n      - \"8080:80/udp\"\n      - 127.0.0.1:9000-9001:9000-9001\n"
        "      - \"[::1]:5432:5432\"\n      - target: 443\n        published: \"8443\"\n        host_ip: 0.0.0.0\n"
        "      - ${PORT}:80\n"
    )
    found = ports(compose.parse(text).services[0].get("ports"))
    shapes = [(p.host_ip, p.published, p.target, p.protocol, p.long, p.has_variable) for p in found]
    assert shapes == [
        (None, None, "80", "tcp", False, False),
        (None, "8080", "80", "udp", False, False),
        ("127.0.0.1", "9000-9001", "9000-9001", "tcp", False, False),
        ("[::1]", "5432", "5432", "tcp", False, False),
        ("0.0.0.0", "8443", "443", "tcp", True, False),
        (None, None, "${PORT}:80", "tcp", False, True),
    ]
    assert found[2].published_range == Range(Pos(5, 18), Pos(5, 27))
    assert found[3].loopback and not found[1].loopback
    assert port_numbers("9000-9001") == (9000, 9001) and port_numbers("x") is None


def test_volumes_in_both_syntaxes() -> None:
    text = (
        "services:\n  app:\n    volumes:\n"
        "      - data:/data\n      - ./src:/src:ro,rshared\n      - /cache\n      - C:\\logs:/logs\n"
        "      - type: bind\n        source: /etc\n        target: /host\n        bind: {propagation: slave}\n"
    )
    found = mounts(compose.parse(text).services[0].get("volumes"))
    shapes = [(m.type, m.source, m.target, m.options, m.propagation) for m in found]
    assert shapes == [
        ("volume", "data", "/data", (), None),
        ("bind", "./src", "/src", ("ro", "rshared"), "rshared"),
        ("volume", None, "/cache", (), None),
        ("bind", "C:\\logs", "/logs", (), None),
        ("bind", "/etc", "/host", (), "slave"),
    ]
    assert found[1].propagation_range == Range(Pos(4, 22), Pos(4, 29))
    assert found[4].source_range == Range(Pos(8, 16), Pos(8, 20))


def test_variables_in_both_syntaxes() -> None:
    text = "services:\n  a:\n    environment:\n      - A=1\n      - B\n      - C=${X}\n  b:\n    environment: {D: \"2\", E: }\n"
    model = compose.parse(text)
    first = [(v.name, v.value, v.has_variable) for v in variables(model.services[0].get("environment"))]
    second = [(v.name, v.value) for v in variables(model.services[1].get("environment"))]
    assert first == [("A", "1", False), ("B", None, False), ("C", "${X}", True)]
    assert second == [("D", "2"), ("E", None)]
    var = next(variables(model.services[0].get("environment")))
    assert var.name_range == Range(Pos(3, 8), Pos(3, 9)) and var.value_range == Range(Pos(3, 10), Pos(3, 11))


def test_extends_in_the_same_file_and_another() -> None:
    text = (
        "services:\n  base:\n    cap_drop: [ALL]\n  web:\n    extends: base\n"
        "  api:\n    extends: {file: other.yaml, service: base}\n  loop:\n    extends: loop\n"
    )
    base, web, api, loop = compose.parse(text).services
    assert web.base is base and web.lookup("cap_drop") is not None and web.get("cap_drop") is None
    assert web.complete and not api.complete and not loop.complete


@pytest.mark.parametrize(
    ("text", "message", "at"),
    [
        ("a: [1\n", "did not find expected", Pos(1, 0)),
        ("a: 1\n a: 2\n", "mapping values are not allowed", Pos(1, 2)),
        ("a: 1\na: 2\n", "key `a` is already defined on line 1", Pos(1, 0)),
        ("a: *nope\n", "names no anchor", Pos(0, 3)),
        ("a: &x [*x]\n", "refers to itself", Pos(0, 7)),
        ("a: \x00\n", "U+0000", Pos(0, 3)),
    ],
)
def test_yaml_problems(text: str, message: str, at: Pos) -> None:
    doc = parse_yaml(text)
    assert doc.problems and message in doc.problems[0].message
    assert doc.problems[0].range.start == at


def test_hostile_yaml_is_bounded() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 20):
        laughs += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    merges = "x0: &x0 {k: v}\n" + "".join(f"x{i}: &x{i} {{<<: [*x{i - 1}, *x{i - 1}], k{i}: v}}\n" for i in range(1, 40))
    deep = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    for text in (laughs, merges, deep):
        start = time.perf_counter()
        doc = parse_yaml(text)
        if doc.roots and doc.roots[0].is_mapping:
            for _key, value in doc.roots[0].entries():
                if value.is_mapping:
                    value.entries()
        assert time.perf_counter() - start < 5


def test_random_text_never_raises() -> None:
    rng = random.Random(7)
    pieces = ["services:", "\n", "  ", "- ", ": ", "&a ", "*a ", "<<: ", "{", "}", "[", "]", "'", '"', "#", "|", ">", "\t", "é", "\r\n", "x"]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        compose.parse(text)
        daemon.parse(text)


def test_daemon_positions_and_values() -> None:
    text = '{\r\n  "hosts": ["tcp://0.0.0.0:2376"],\r\n  "log-opts": {"max-size": "10m"},\r\n  "débug": 1.5e2\r\n}'
    model = daemon.parse(text)
    assert not model.problems and model.root is not None
    hosts = model.member("hosts")
    assert hosts is not None and hosts.key_range == Range(Pos(1, 2), Pos(1, 9))
    assert hosts.value.items[0].range == Range(Pos(1, 12), Pos(1, 32))
    assert model.get("log-opts").value == {"max-size": "10m"}  # type: ignore[union-attr]
    number = model.get("débug")
    assert number is not None and number.value == 150.0 and number.range == Range(Pos(3, 11), Pos(3, 16))
    assert model.anchor == Range(Pos(0, 0), Pos(0, 1)) and model.newline == "\r\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 01}', "expected `,` or `}`"),
        ('{"a": "\\x"}', "invalid escape"),
        ('{"a": tru}', "unexpected `t`"),
        ('{"a": [1,]}', "unexpected `]`"),
        ("[" * 100 + "]" * 100, "nested more than"),
        ("null", "must be an object, not `null`"),
    ],
)
def test_daemon_problems(text: str, message: str) -> None:
    model = daemon.parse(text)
    assert model.root is None and model.problems and message in model.problems[0].message


def test_daemon_size_cap() -> None:
    model = daemon.parse('{"a": "' + "x" * daemon.MAX_CHARS + '"}')
    assert model.problems and "larger than" in model.problems[0].message
