"""Which kind of input a file is, by its name: a Dockerfile, a compose file or `daemon.json`.

Compose names are the ones `docker compose` looks for (`compose.yaml`, `docker-compose.yml`) and
their override and per-environment variants (`compose.override.yaml`, `docker-compose.prod.yml`).
Matching is case-sensitive, as Docker's own lookup is on Linux; Dockerfile names are
`discovery.is_dockerfile_name`'s.
"""

from __future__ import annotations

import posixpath
import re

from docklint.discovery import is_dockerfile_name

KINDS = ("dockerfile", "compose", "daemon")
# compose.yaml, compose.yml, compose.*.yaml, docker-compose.yml, docker-compose.*.yml, ...
COMPOSE_NAME = re.compile(r"(?:docker-)?compose(?:\.[^/]+)?\.ya?ml")
DAEMON_NAMES = ("daemon.json",)


def kind_of(path: str) -> str | None:
    """`"dockerfile"`, `"compose"`, `"daemon"`, or None for any other name."""
    name = posixpath.basename(path.replace("\\", "/"))
    if name in DAEMON_NAMES:
        return "daemon"
    if COMPOSE_NAME.fullmatch(name):
        return "compose"
    if is_dockerfile_name(name):
        return "dockerfile"
    return None
