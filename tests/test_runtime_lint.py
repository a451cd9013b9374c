"""Linting compose files and daemon.json through the engine: dispatch by kind, ignore pragmas in
YAML, rule examples, and fixing a whole file with every rule (no loop, stays valid, idempotent)."""

from __future__ import annotations

import json

import pytest
import yaml

from docklint.config import Config
from docklint.engine import lint_compose_text, lint_daemon_text, lint_document
from docklint.fixer import fix_text
from docklint.model import compose, daemon
from docklint.registry import registry
from docklint.rule import Rule

RUNTIME_RULES = [r for r in registry().rules if r.kind in ("compose", "daemon")]
EVERY_RT = Config(extend_select=tuple(r.code for r in RUNTIME_RULES))


def codes(text: str, path: str = "compose.yaml", config: Config = EVERY_RT) -> list[tuple[str, int]]:
    return [(f.code, f.range.start.line + 1) for f in lint_document(text, path, config).findings]


def test_catalogue_rows_are_all_there() -> None:
    compose_codes = {r.code for r in RUNTIME_RULES if r.kind == "compose"}
    daemon_codes = {r.code for r in RUNTIME_RULES if r.kind == "daemon"}
    assert compose_codes == {"RT100", *(f"RT{n}" for n in range(101, 134))}
    assert daemon_codes == {"RT150", *(f"RT{n}" for n in range(151, 167))}
    opt_in = {r.code for r in RUNTIME_RULES if not r.enabled}
    assert opt_in == {"RT111", "RT127", "RT154", "RT162", "RT163"}
    fixable = {r.code for r in RUNTIME_RULES if r.fixable}
    assert fixable == {
        "RT101", "RT103", "RT104", "RT105", "RT106", "RT107", "RT110", "RT113", "RT114", "RT115", "RT116",
        "RT121", "RT123", "RT126", "RT127", "RT132", "RT133",
        "RT153", "RT155", "RT156", "RT157", "RT158", "RT159", "RT160", "RT161",
    }  # fmt: skip


@pytest.mark.parametrize("rule", RUNTIME_RULES, ids=lambda r: r.code)
def test_bad_example_fires_and_good_does_not(rule: Rule) -> None:
    config = Config(extend_select=(rule.code,))
    bad = [f for f in lint_document(rule.bad, "x", config, kind=rule.kind, rules=[rule]).findings if f.code == rule.code]
    good = [f for f in lint_document(rule.good, "x", config, kind=rule.kind, rules=[rule]).findings if f.code == rule.code]
    assert bad, f"{rule.code}'s `bad` example does not fire it"
    assert not good, f"{rule.code}'s `good` example fires it: {[f.message for f in good]}"


def test_dispatch_by_name_and_kind() -> None:
    compose_text = "services:\n  web:\n    image: nginx\n"
    assert ("RT129", 3) in codes(compose_text, "deploy/docker-compose.prod.yml")
    assert isinstance(lint_compose_text(compose_text).model, compose.ComposeFile)
    assert isinstance(lint_daemon_text("{}").model, daemon.DaemonConfig)
    # A name that says nothing is a Dockerfile; `kind` overrides the name.
    assert lint_document("FROM alpine:3.20\n", "build/recipe").model.__class__.__name__ == "Dockerfile"
    assert [f.code for f in lint_document(compose_text, "anything", EVERY_RT, kind="compose").findings if f.code == "RT129"]
    with pytest.raises(ValueError):
        lint_document("", "x", kind="image")


def test_language_server_finds_a_linter_per_kind() -> None:
    from docklint.lsp.linting import linter_for

    assert linter_for("compose") is lint_compose_text
    assert linter_for("daemon") is lint_daemon_text


def test_ignore_pragmas_in_yaml() -> None:
    text = (
        "services:\n"
        "  # dlint ignore=RT103,compose-no-new-privileges-missing\n"
        "  web:\n"
        "    image: nginx:1.27\n"
        "    # hadolint ignore=RT101\n"
        "    privileged: true\n"
        "    pid: host  # dlint ignore=RT113\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    # dlint ignore=RT101\n"
        "\n"
        "    privileged: true\n"
        "# dlint global ignore=RT118,RT119,RT120,RT121,RT128\n"
    )
    found = codes(text)
    assert ("RT103", 3) not in found and ("RT107", 3) not in found  # above the service: all of it
    assert ("RT101", 6) not in found and ("RT113", 7) not in found  # above the key, and trailing
    assert ("RT101", 12) in found  # a blank line between pragma and key: it annotates nothing
    assert ("RT103", 8) in found and ("RT107", 8) in found
    assert not [c for c, _ in found if c in ("RT118", "RT119", "RT120", "RT121", "RT128")]


def test_hash_inside_scalars_is_not_a_pragma() -> None:
    text = (
        "services:\n  web:\n    image: nginx:1.27\n"
        "    command: \"echo # dlint ignore=RT101\"\n"
        "    entrypoint: |\n      # dlint ignore=RT101\n      run\n"
        "    privileged: true\n"
    )
    assert ("RT101", 8) in codes(text)


def test_reader_crash_is_one_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str, path: str = "") -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(compose, "parse", broken)
    findings = lint_document("services: {}\n", "compose.yaml").findings
    assert [f.code for f in findings] == ["DF000"] and "compose file reader crashed" in findings[0].message


MESSY_COMPOSE = """\
x-defaults: &defaults
  restart: on-failure:10
  privileged: true
services:
  web:
    <<: *defaults
    image: nginx
    ports:
      - "80:80"
      - target: 5432
        published: 5432
    volumes:
      - ./site:/usr/share/nginx/html:ro,rshared
    security_opt: [seccomp:unconfined, "apparmor:unconfined", label=disable, systempaths=unconfined]
    pid: host
    ipc: host
    uts: host
    userns_mode: host
    cgroup_parent: /custom
    oom_kill_disable: true
    read_only: false
  worker:
    image: busybox:1.36
    privileged: true
    security_opt:
      - no-new-privileges:false
      - seccomp:unconfined
    command: |
      sh -c 'work'

  db: {image: "postgres:16", ports: ["5432"], cap_drop: [NET_RAW], pid: host}
"""

MESSY_DAEMON = '{\r\n    "icc": true,\r\n    "experimental": true,\r\n    "seccomp-profile": "unconfined",\r\n' \
    '    "log-level": "debug",\r\n    "iptables": false\r\n}\r\n'


@pytest.mark.parametrize(("path", "text"), [("compose.yaml", MESSY_COMPOSE), ("daemon.json", MESSY_DAEMON)])
def test_fixing_everything_settles_and_stays_valid(path: str, text: str) -> None:
    config = Config(extend_select=tuple(r.code for r in RUNTIME_RULES))
    outcome = fix_text(text, path, config, unsafe=True)
    assert outcome.changed
    again = fix_text(outcome.text, path, config, unsafe=True)
    assert again.text == outcome.text, "a second --fix changed the text"
    fixable = {r.code for r in RUNTIME_RULES if r.fixable}
    left = [f for f in again.remaining if f.code in fixable and f.fix is not None]
    assert not left, [(f.code, str(f.range.start)) for f in left]
    assert not [f for f in again.remaining if f.code in ("DF000", "RT100", "RT150")]
    if path.endswith(".json"):
        assert outcome.text.count("\r\n") == outcome.text.count("\n")  # CRLF kept
        json.loads(outcome.text)
    else:
        data = yaml.safe_load(outcome.text)
        web = data["services"]["web"]
        assert web["security_opt"] == ["no-new-privileges:true"]
        assert web["read_only"] is True and web["cap_drop"] == ["ALL"]
        assert web["ports"][0] == "127.0.0.1:80:80" and web["ports"][1]["host_ip"] == "127.0.0.1"
        assert "pid" not in web and "cgroup_parent" not in web
        assert data["services"]["worker"]["command"] == "sh -c 'work'\n"
        assert data["services"]["db"]["cap_drop"] == ["NET_RAW", "ALL"]
        assert data["x-defaults"] == {"restart": "on-failure:10", "privileged": True}  # anchors untouched


def test_safe_fixes_only_by_default() -> None:
    outcome = fix_text(MESSY_DAEMON, "daemon.json")
    assert dict(outcome.fixed) == {"RT159": 1}


ODD_VALUES = ["", "~", "true", "5", "-1", "host", "[]", "{}", "[1, {a: b}]", "{a: [x]}", "'${X}'", "*any", "|\n        text"]
KEYS = [
    "image", "privileged", "cap_add", "cap_drop", "security_opt", "volumes", "ports", "environment", "build",
    "deploy", "healthcheck", "user", "pid", "ipc", "uts", "userns_mode", "network_mode", "devices", "read_only",
    "restart", "cgroup_parent", "oom_kill_disable", "pids_limit", "mem_limit", "extends",
]  # fmt: skip
DAEMON_KEYS = [
    "icc", "hosts", "insecure-registries", "log-level", "seccomp-profile", "storage-opts", "tlsverify",
    "log-driver", "userns-remap", "authorization-plugins", "experimental", "iptables", "cgroup-parent",
]  # fmt: skip
DAEMON_VALUES = ["true", "false", "null", "1", '"debug"', '"unconfined"', "[]", '["tcp://x", 1, null]', "{}", '{"a": [1]}']


def test_rules_survive_odd_shapes() -> None:
    """Any value of the wrong type for a key: no rule crashes (DF000) and fixes settle."""
    import random

    rng = random.Random(11)
    config = Config(extend_select=tuple(r.code for r in RUNTIME_RULES))
    for _ in range(150):
        lines = ["x-any: &any {k: v}", "services:", "  svc:"]
        for key in rng.sample(KEYS, rng.randint(1, 10)):
            lines.append(f"    {key}: {rng.choice(ODD_VALUES)}")
        lines.append(f"  other: {rng.choice(['*any', '{}', '~', '{ports: [80]}'])}")
        text = "\n".join(lines) + "\n"
        result = lint_document(text, "compose.yaml", config)
        assert not [f.message for f in result.findings if f.code == "DF000"], text
        fix_text(text, "compose.yaml", config, unsafe=True)
        members = [f'"{k}": {rng.choice(DAEMON_VALUES)}' for k in rng.sample(DAEMON_KEYS, rng.randint(0, 8))]
        text = "{" + ", ".join(members) + "}"
        result = lint_document(text, "daemon.json", config)
        assert not [f.message for f in result.findings if f.code == "DF000"], text
        fix_text(text, "daemon.json", config, unsafe=True)
